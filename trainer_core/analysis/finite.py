"""Non-finite losses: which hook first made ``ctx.loss_batch`` (or another loss) NaN or Inf.

A NaN loss does not raise: the optimizer steps on it, every weight becomes NaN and the run
ends "successfully" with nonsense metrics. :class:`FiniteWatch` looks at the watched losses
after every hook and reports the first non-finite value with the hook that set it, the
trigger, epoch and batch. It only tests a value when a hook assigned it (the Context
records the point of every write), so a batch costs a few dictionary reads per hook and one
finiteness test per new loss, and the watch holds no value.

:class:`FiniteGuard` is the watch as a trainer's ``routine_driver``: every routine the
trainer runs (train, finetune, evaluate, and the routines hooks start) raises
:class:`NonFiniteLoss` at the first non-finite loss, with the routine's state restored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from trainer_core.engine.context import Context
from trainer_core.engine.hooks import HookInfo
from trainer_core.engine.points import HOOK_DONE, Point
from trainer_core.engine.routine import RoutineRun
from trainer_core.errors import HookscopeError, position_parts

NON_FINITE_HINT = ("look at what this hook computed from: a learning rate too high for the "
                   "data (try lower train.optimizer.lr or grad.grad_clip), NaN/Inf in the "
                   "inputs, a log or division of zero")

#: The ctx attributes that hold a loss in our trainers and FederatedScope's.
WATCHED_LOSSES = ("loss_batch", "loss_task", "loss_regular")


def is_finite(value: Any) -> bool:
    """False for a NaN/Inf number or a tensor/array holding one; True for anything else."""
    if type(value) is float:
        return math.isfinite(value)
    try:  # a one-element tensor or array, the usual loss: one C call
        return math.isfinite(value.item())
    except AttributeError:  # no .item(): a number, or something that is not one
        if isinstance(value, int | float):
            return math.isfinite(value)
        return True
    except (RuntimeError, ValueError, TypeError):  # many elements, or not numbers
        pass
    try:
        if hasattr(value, "isfinite"):  # a torch tensor
            return bool(value.isfinite().all())
        if hasattr(value, "dtype") and hasattr(value, "min"):  # a numpy array
            # NaN wins min and max, Inf one of them (no numpy import: analysis is light)
            return value.size == 0 or (math.isfinite(float(value.min()))
                                       and math.isfinite(float(value.max())))
    except (RuntimeError, TypeError, ValueError):  # meta, complex, strings: not ours to judge
        return True
    return True


@dataclass(frozen=True)
class NonFinite:
    """A loss that became NaN/Inf: the value, the hook that set it, and where."""

    attribute: str
    value: str  # 'nan', 'inf', '-inf', or 'tensor with 3 NaN/Inf of 10'
    hook: HookInfo | None
    trigger: str
    mode: str
    split: str
    epoch_i: int | None
    batch_i: int | None
    model_idx: int

    @property
    def where(self) -> str:
        """'train/train epoch 2 batch 5 at on_batch_forward'."""
        parts = [f"{self.mode}/{self.split}",
                 *position_parts(self.epoch_i, self.batch_i, self.model_idx)]
        return f"{' '.join(parts)} at {self.trigger}"

    def summary(self) -> str:
        """One line: what became non-finite, in which hook, where."""
        by = (f"hook {self.hook.name} ({self.hook.location})" if self.hook is not None
              else "a hook")
        return f"ctx.{self.attribute} became {self.value} in {by}, {self.where}"

    def describe(self) -> str:
        """Two lines, as a lifecycle finding: what and where, then what to look at."""
        return (f"[non-finite-loss] {self.summary()}\n    fix: {NON_FINITE_HINT}")

    def as_dict(self, relative: Any = None) -> dict[str, Any]:
        """Plain data for JSON output (``relative``: a function that shortens paths)."""
        shorten = relative or (lambda text: text)
        return {"kind": "non-finite-loss", "attribute": self.attribute, "value": self.value,
                "hook": self.hook.qualname if self.hook else None,
                "location": shorten(self.hook.location) if self.hook else None,
                "trigger": self.trigger, "mode": self.mode, "split": self.split,
                "epoch_i": self.epoch_i, "batch_i": self.batch_i,
                "model_idx": self.model_idx}


def _describe_value(value: Any) -> str:
    value = value.detach() if hasattr(value, "detach") else value
    try:
        if getattr(value, "numel", None) is not None and value.numel() != 1:
            bad = int((~value.isfinite()).sum())
            return f"a tensor with {bad} NaN/Inf of {value.numel()}"
        return str(float(value))
    except Exception:
        return "non-finite"


class FiniteWatch:
    """Call :meth:`check` with every point; it returns the first non-finite loss, once:
    after it every loss computed from the same weights or sum is NaN too, which says
    nothing new."""

    def __init__(self, names: tuple[str, ...] = WATCHED_LOSSES) -> None:
        self.names = names
        # name -> the point of the write last tested: a new write is a new point object,
        # so nothing here holds a loss (and its autograd graph) alive
        self._tested: dict[str, Any] = {}
        self.found: list[NonFinite] = []

    def check(self, point: Point) -> NonFinite | None:
        """At a HOOK_DONE point, test each watched loss the hook assigned."""
        if point.kind is not HOOK_DONE:
            return None
        return self.after_hook(point, point.run.ctx)

    def after_hook(self, point: Point, ctx: Context) -> NonFinite | None:
        """:meth:`check` for a caller that knows the point is HOOK_DONE (the debugger's
        stepping loop: this runs after every hook)."""
        writes, tested = ctx.last_writes, self._tested
        for name in self.names:
            write = writes.get(name)
            if write is None or write is tested.get(name):
                continue
            tested[name] = write
            value = ctx.__dict__.get(name)
            if value is not None and not is_finite(value):
                found = NonFinite(name, _describe_value(value), point.hook_info(),
                                  point.trigger, point.mode, point.split, point.epoch_i,
                                  point.batch_i, point.model_idx)
                self.found.append(found)
                self.names = ()
                return found
        return None


class NonFiniteLoss(HookscopeError, ArithmeticError):
    """Training produced a NaN/Inf loss (the CLI exits 3, as for a failed hook)."""

    def __init__(self, found: NonFinite) -> None:
        super().__init__(f"non-finite loss: {found.summary()}")
        self.found = found


class FiniteGuard:
    """A ``routine_driver`` that runs each routine with a :class:`FiniteWatch` and stops it
    with :class:`NonFiniteLoss` at the first non-finite loss."""

    def __init__(self, watch: FiniteWatch | None = None) -> None:
        self.watch = watch or FiniteWatch()

    def observe(self, point: Point) -> None:
        """Raise NonFiniteLoss (after closing the routine) if this point found one."""
        found = self.watch.check(point)
        if found is not None:
            point.run.close()
            raise NonFiniteLoss(found)

    def drive(self, run: RoutineRun) -> bool:
        """Run it to the end, watching (the engine's ``routine_driver`` protocol)."""
        for point in run:
            self.observe(point)
        return True
