"""Lifecycle checks: find ctx attributes that outlive the batch or epoch they belong to.

The checker watches a routine's stream of points. A lifecycle boundary shows up as a change
of (epoch, batch) between two consecutive points, and the routine has already released the
scoped variables by then, so what is still in ctx at that moment has outlived its batch or
epoch. Four findings:

* ``outlives-batch`` — a plain attribute first set by a batch hook is still alive after
  the batch (FederatedScope's old tutorial style: ``ctx.y_true = label``);
* ``grows-every-batch`` — a plain list/dict/tensor got bigger at each of the last few
  batch ends (accumulating predictions without bound);
* ``keeps-autograd-graph`` — a value that survives the batch holds a tensor with a
  ``grad_fn`` (``ctx.total += loss`` keeps every batch's graph alive);
* ``big-across-epochs`` — a plain tensor above a size threshold, set during an epoch, is
  still held when the epoch ends.

Every finding names the attribute, the hook (file:line) and trigger that set (or grew) it,
its size and a fix hint. The default TorchTrainer hooks produce none. Cost: a few dict
operations per point, plus a scan of the attributes changed during each batch.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trainer_core.analysis.access import static_access
from trainer_core.analysis.values import format_bytes, holds_graph, length, nbytes
from trainer_core.engine.context import ROUTINE_MANAGED, Context, Lifecycle
from trainer_core.engine.hooks import HookInfo, describe_hook
from trainer_core.engine.points import HOOK_DONE, Point
from trainer_core.engine.routine import LaneResult, RoutineRun
from trainer_core.engine.triggers import BATCH_TRIGGERS

_BATCH_TRIGGERS = frozenset(BATCH_TRIGGERS)
_MANAGED = frozenset(ROUTINE_MANAGED)
_GONE = object()
_NUMBERS = frozenset({int, float, bool})
#: Values a batch cannot leak through.
_SCALARS = frozenset({int, float, bool, complex, str, bytes})


def _aliased(ctx: Context, name: str, value: Any) -> bool:
    """True when another attribute set outside the batches holds the same object (itself,
    or in a list/tuple: ``ctx.models``)."""
    for other, held in ctx.__dict__.items():
        if other == name:
            continue
        if held is value or (type(held) in (list, tuple) and any(v is value for v in held)):
            first = ctx.provenance(other).first
            if first is None or first.trigger not in _BATCH_TRIGGERS:
                return True
    return False


def _outlives_batch_hint(name: str, value: Any) -> str:
    """This batch's value wants a BATCH lifecycle; a running total wants a ROUTINE one (a
    plain total would carry over into the next routine, e.g. the next FL round)."""
    batch = f"ctx.{name} = CtxVar(value, Lifecycle.BATCH) if it is this batch's value"
    initial = "0" if type(value) in _NUMBERS else "[]" if isinstance(value, list) else "..."
    return (f"{batch}; if it accumulates over the routine, start it at on_fit_start with "
            f"ctx.{name} = CtxVar({initial}, Lifecycle.ROUTINE) (as a plain attribute it "
            f"carries over into the next train())")


class FindingKind(StrEnum):
    """What outlived its lifecycle, and how."""

    OUTLIVES_BATCH = "outlives-batch"
    GROWS = "grows-every-batch"
    KEEPS_GRAPH = "keeps-autograd-graph"
    BIG_ACROSS_EPOCHS = "big-across-epochs"


@dataclass(frozen=True, slots=True)
class Finding:
    """One lifecycle problem, with who caused it and how to fix it."""

    kind: FindingKind
    attribute: str
    hook: HookInfo | None
    trigger: str | None
    mode: str
    split: str
    epoch_i: int | None
    batch_i: int | None
    model_idx: int
    nbytes: int
    length: int | None
    message: str
    hint: str

    @property
    def source(self) -> str:
        """'hook_name (file:line) at trigger', or 'outside any hook'."""
        if self.hook is None:
            return "outside any hook"
        return f"{self.hook.name} ({self.hook.location}) at {self.trigger}"

    def describe(self) -> str:
        """Two lines: what and where, then the fix."""
        return f"[{self.kind}] ctx.{self.attribute}: {self.message}; set by {self.source}\n" \
               f"    fix: {self.hint}"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output and golden files."""
        return {"kind": self.kind.value, "attribute": self.attribute,
                "hook": self.hook.qualname if self.hook else None,
                "location": self.hook.location if self.hook else None,
                "trigger": self.trigger, "mode": self.mode, "split": self.split,
                "epoch_i": self.epoch_i, "batch_i": self.batch_i, "model_idx": self.model_idx,
                "nbytes": self.nbytes, "length": self.length, "message": self.message,
                "hint": self.hint}


class LifecycleChecker:
    """Observe points (``checker.observe(point)``) and collect :class:`Finding` records.

    ``growth_batches``: consecutive batch ends with growth before ``grows-every-batch``;
    ``big_bytes``: the ``big-across-epochs`` threshold. Each (kind, attribute) is reported
    once; at most ``max_findings`` are kept.
    """

    def __init__(self, *, growth_batches: int = 3, big_bytes: int = 1 << 20,
                 max_findings: int = 200) -> None:
        self.growth_batches = growth_batches
        self.big_bytes = big_bytes
        self.max_findings = max_findings
        self.findings: list[Finding] = []
        self._seen: set[tuple[FindingKind, str]] = set()
        self._run: RoutineRun | None = None
        self._epoch: int | None = None
        self._batch: int | None = None
        self._last: Point | None = None
        self._watch: dict[str, deque[int]] = {}
        self._seen_size: dict[str, int] = {}
        self._growers: dict[str, Point] = {}
        self._carried: dict[str, Point] = {}

    # -- driving ---------------------------------------------------------------------
    def observe(self, point: Point) -> list[Finding]:
        """Feed the next point; returns the findings it revealed (usually none)."""
        if point.run is not self._run:
            self._start(point.run)
        found: list[Finding] = []
        epoch_i, batch_i = point.epoch_i, point.batch_i
        if batch_i != self._batch or epoch_i != self._epoch:
            ctx = point.run.ctx
            if self._batch is not None:
                found += self._batch_ended(ctx)
            if epoch_i != self._epoch and self._epoch is not None:
                found += self._epoch_ended(ctx)
            self._epoch, self._batch = epoch_i, batch_i
        if self._watch and point.kind is HOOK_DONE and batch_i is not None:
            self._note_growers(point)
        self._last = point
        return found

    def drain(self, run: RoutineRun) -> list[LaneResult]:
        """Run a routine to its end under observation; returns its lane results."""
        for point in run:
            self.observe(point)
        return run.results

    def _start(self, run: RoutineRun) -> None:
        self._run = run
        self._epoch = self._batch = None
        self._watch.clear()
        self._seen_size.clear()
        self._growers.clear()
        self._carried.clear()
        run.ctx.take_dirty()

    # -- checks ----------------------------------------------------------------------
    def _batch_ended(self, ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        alive = ctx.__dict__
        for name in ctx.take_dirty():
            # Most dirty names are batch CtxVars, already released here: skip them first.
            value = alive.get(name, _GONE)
            if value is _GONE or name in _MANAGED:
                continue
            lifecycle = ctx.lifecycle_of(name)
            if lifecycle is not None and type(value) in _NUMBERS:
                continue  # a scoped number: nothing to leak, nothing to grow
            if lifecycle is None:
                first = ctx.provenance(name).first
                if first is not None and first.trigger in _BATCH_TRIGGERS and \
                        (FindingKind.OUTLIVES_BATCH, name) not in self._seen and \
                        self._may_outlive(ctx, name, value, first):
                    found += self._report_outlives(name, value, first)
                if length(value) is not None and name not in self._watch:
                    self._watch[name] = deque(maxlen=self.growth_batches + 1)
            if lifecycle is not Lifecycle.BATCH and holds_graph(value):
                found += self._report(
                    FindingKind.KEEPS_GRAPH, name, value, ctx.provenance(name).last,
                    "holds a tensor with a live autograd graph after the batch, which keeps "
                    "every batch's activations in memory",
                    f"store a number or a detached tensor: ctx.{name} = loss.item() "
                    f"(or tensor.detach())")
        found += self._check_growth(ctx)
        return found

    def _may_outlive(self, ctx: Context, name: str, value: Any, first: Point) -> bool:
        """Whether a plain attribute set in a batch and alive after it is worth a finding.

        A hook that reads what it sets carries it from batch to batch: a number so carried is
        a running total (it carries over into the next routine: reported), other state only
        if it also grows (pFedMe reuses a cached batch). A value set afresh each batch is not
        worth a finding when it holds nothing a batch could leak (a flag, a number), nor when
        it is another name for an object a longer-lived attribute holds (FederatedScope's
        Ditto points ``ctx.optimizer`` at one of two optimizers set at fit start).
        """
        access = static_access(first.hook) if first.hook is not None else None
        if value is None or type(value) in _SCALARS:
            return access is not None and name in access.accumulates
        carried = access is not None and name in access.reads | access.optional
        if _aliased(ctx, name, value):
            return False
        if carried:
            self._carried[name] = first
            return False
        return True

    def _report_outlives(self, name: str, value: Any, first: Point) -> list[Finding]:
        return self._report(
            FindingKind.OUTLIVES_BATCH, name, value, first,
            f"set at {first.trigger} (batch {first.batch_i}) as a plain attribute, still "
            f"alive after the batch", _outlives_batch_hint(name, value))

    def _check_growth(self, ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        alive = ctx.__dict__
        for name, sizes in list(self._watch.items()):
            if name not in alive or ctx.lifecycle_of(name) is not None:
                del self._watch[name]
                continue
            size = length(alive[name])
            if size is None:
                del self._watch[name]
                continue
            sizes.append(size)
            if len(sizes) <= self.growth_batches:
                continue
            steps = [b - a for a, b in zip(sizes, list(sizes)[1:], strict=False)]
            if all(step > 0 for step in steps):
                value = alive[name]
                grower = self._growers.get(name) or ctx.provenance(name).last
                graph = " and its items keep their autograd graphs" if holds_graph(value) \
                    else ""
                carried = self._carried.pop(name, None)
                if carried is not None:  # carried state that grows does outlive its batch
                    found += self._report_outlives(name, value, carried)
                found += self._report(
                    FindingKind.GROWS, name, value, grower,
                    f"grew at each of the last {self.growth_batches} batch ends "
                    f"(now {size} items, {format_bytes(nbytes(value))}){graph}",
                    "keep only what you need (a running sum, the last value), or give it a "
                    "lifecycle: CtxVar([], Lifecycle.ROUTINE) at on_fit_start")
        return found

    def _epoch_ended(self, ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        for name, value in list(ctx.__dict__.items()):
            if name in _MANAGED or ctx.lifecycle_of(name) is not None:
                continue
            first = ctx.provenance(name).first
            if first is None or first.epoch_i is None:
                continue
            size = nbytes(value)
            if size >= self.big_bytes and (holds_graph(value) or length(value) is not None):
                found += self._report(
                    FindingKind.BIG_ACROSS_EPOCHS, name, value, first,
                    f"{format_bytes(size)} set during epoch {first.epoch_i} is still held "
                    f"after the epoch ended",
                    f"ctx.{name} = CtxVar(value, Lifecycle.EPOCH), or delete it at "
                    f"on_epoch_end")
        return found

    def _note_growers(self, point: Point) -> None:
        """Blame a watched container's growth on the hook that just returned."""
        alive = point.run.ctx.__dict__
        for name in self._watch:
            if name in alive:
                size = length(alive[name])
                if size is None:
                    continue
                before = self._seen_size.get(name)
                if before is not None and size > before:
                    self._growers[name] = point
                self._seen_size[name] = size

    def _report(self, kind: FindingKind, name: str, value: Any, origin: Point | None,
                message: str, hint: str) -> list[Finding]:
        key = (kind, name)
        if key in self._seen or len(self.findings) >= self.max_findings:
            return []
        self._seen.add(key)
        run = self._run
        hook = origin.hook if origin is not None else None
        finding = Finding(
            kind=kind, attribute=name, hook=describe_hook(hook) if hook is not None else None,
            trigger=origin.trigger if origin is not None else None,
            mode=run.mode if run else "", split=run.split if run else "",
            epoch_i=origin.epoch_i if origin is not None else None,
            batch_i=origin.batch_i if origin is not None else None,
            model_idx=origin.model_idx if origin is not None else 0,
            nbytes=nbytes(value), length=length(value), message=message, hint=hint)
        self.findings.append(finding)
        return [finding]


