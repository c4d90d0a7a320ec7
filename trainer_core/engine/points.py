"""Point: one place a routine can pause at, and the value its generator yields.

A routine yields, per trigger firing and model: a TRIGGER point, then for every hook a HOOK
point (about to run) and a HOOK_DONE point (it returned), or an ERROR point (it raised).
With ``run.release_points`` set, after each batch's on_batch_end and each epoch's
on_epoch_end it yields a RELEASE point: the hooks are done and that lifecycle's CtxVars are
about to be released (a debugger's "end of batch" stops there, with the batch's values still
in ctx).

Points are created for every hook of every batch (14 per batch of the default pipeline), so
they are tuples built by C code rather than frozen dataclasses (about 2.6 µs each, measured on
this machine) or slotted objects with an ``__init__`` (about 0.5 µs).
"""

from __future__ import annotations

from enum import StrEnum
from operator import itemgetter
from typing import TYPE_CHECKING

from trainer_core.engine.hooks import Hook, HookInfo, describe_hook, hook_name
from trainer_core.errors import position_parts

if TYPE_CHECKING:
    from trainer_core.engine.routine import RoutineRun
    from trainer_core.errors import HookError


class PointKind(StrEnum):
    """What happened at a point."""

    TRIGGER = "trigger"      # a trigger fired; its hooks are read right after this point
    HOOK = "hook"            # a hook is about to run
    HOOK_DONE = "hook_done"  # that hook returned
    ERROR = "error"          # that hook raised; the run waits for retry / skip
    RELEASE = "release"      # a batch's / epoch's hooks are done; its CtxVars go next


TRIGGER = PointKind.TRIGGER
HOOK = PointKind.HOOK
HOOK_DONE = PointKind.HOOK_DONE
ERROR = PointKind.ERROR
RELEASE = PointKind.RELEASE


_FIELDS = ("kind", "run", "trigger", "epoch_i", "batch_i", "model_idx", "hook", "position",
           "error")


class Point(tuple):
    """Where a routine is: kind, trigger, epoch/batch, model, and the hook and its position.

    ``epoch_i`` is None at fit-level triggers and ``batch_i`` is None outside batches.
    ``hook`` is None and ``position`` -1 at TRIGGER and RELEASE points (whose trigger is
    the on_batch_end / on_epoch_end that just finished). ``run`` is the RoutineRun that
    yielded the point (mode, split and the plan of epochs and batches live there).

    A tuple underneath, so it is immutable and the routine can build one with the C-level
    ``tuple.__new__`` (:func:`make_point`); the fields are read through C-level getters.
    """

    __slots__ = ()
    _fields = _FIELDS

    def __new__(cls, kind: PointKind, run: RoutineRun, trigger: str, epoch_i: int | None,
                batch_i: int | None, model_idx: int, hook: Hook | None, position: int,
                error: HookError | None = None) -> Point:
        return tuple.__new__(cls, (kind, run, trigger, epoch_i, batch_i, model_idx, hook,
                                   position, error))

    kind: PointKind = property(itemgetter(0), doc="What happened.")  # type: ignore[assignment]
    run: RoutineRun = property(itemgetter(1), doc="The run that yielded it.")  # type: ignore[assignment]
    trigger: str = property(itemgetter(2), doc="The trigger firing.")  # type: ignore[assignment]
    epoch_i: int | None = property(itemgetter(3), doc="Epoch, or None.")  # type: ignore[assignment]
    batch_i: int | None = property(itemgetter(4), doc="Batch, or None.")  # type: ignore[assignment]
    model_idx: int = property(itemgetter(5), doc="Which model.")  # type: ignore[assignment]
    hook: Hook | None = property(itemgetter(6), doc="The hook, or None.")  # type: ignore[assignment]
    position: int = property(itemgetter(7), doc="Hook position, -1 at a trigger.")  # type: ignore[assignment]
    error: HookError | None = property(itemgetter(8), doc="At ERROR points.")  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = object.__hash__

    @property
    def mode(self) -> str:
        """'train', 'val' or 'test'."""
        return self.run.mode

    @property
    def split(self) -> str:
        """The data split the routine runs on."""
        return self.run.split

    @property
    def hook_name(self) -> str | None:
        """The hook's name, or None at a TRIGGER point."""
        return None if self.hook is None else hook_name(self.hook)

    def hook_info(self) -> HookInfo | None:
        """Where the hook is defined, or None at a TRIGGER point."""
        return None if self.hook is None else describe_hook(self.hook)

    def describe(self) -> str:
        """One line: 'train/train epoch 1 batch 3 on_batch_forward #0 _hook_on_batch_forward'."""
        parts = [f"{self.mode}/{self.split}",
                 *position_parts(self.epoch_i, self.batch_i, self.model_idx), self.trigger]
        if self.hook is not None:
            parts.append(f"#{self.position} {self.hook_name}")
        if self.kind is not HOOK:
            parts.append(f"[{self.kind.value}]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"<Point {self.describe()}>"


#: Build a Point without a Python-level call: ``make_point(Point, (kind, run, ...))``.
make_point = tuple.__new__
