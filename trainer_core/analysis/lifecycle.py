"""Lifecycle checks: ctx attributes that outlive their batch or epoch, grow without bound, or
keep autograd graphs alive, each blamed on the hook that did it.

The checker watches a routine's stream of points. A lifecycle boundary shows up as a change
of (epoch, batch) between two consecutive points; the routine has released the scoped
variables by then, so what is still in ctx has outlived its batch or epoch. Findings
(:mod:`trainer_core.analysis.findings`):

* ``outlives-batch``: a plain attribute first set by a batch hook is still alive after the
  batch (FederatedScope's old tutorial style: ``ctx.y_true = label``). A hook that makes a
  new name every batch (``ctx.loss_0``, ``ctx.loss_1``...) is one finding.
* ``grows``: the retained size of a plain attribute rises over the routine's batches and
  does not level off (:mod:`trend`), whether the attribute is reassigned or changed in
  place, however deep the growth (a dict of lists, ``ctx.stats.history``), and whether it
  was set in a hook or before the routine (the trainer's constructor).
* ``keeps-autograd-graph``: a value that survives its batch holds a tensor with a
  ``grad_fn`` anywhere inside (``ctx.outputs["logits"]``), ROUTINE/EPOCH CtxVars included.
* ``big-across-epochs``: a plain value above a size threshold set during an epoch is still
  held when the epoch ends.
* ``grows-per-round``: a plain attribute larger at the end of each training routine than at
  the end of the last (the leak federated learning users meet most: memory that grows
  every round). Needs several routines on one trainer (``check --rounds N``).

Blame: a reassigned attribute is blamed on the hook that last set it (the Context records
every write's point). An attribute that grows in place is put under suspicion and measured
after every hook (``suspects``, which the debugger's loop reads) until the hook that
changes it is seen; the statement's line comes from that hook's source.

Cost: sizes are deep (:mod:`retained`, bounded), so they are taken on a schedule: each
tracked attribute is measured at every batch end while it changes, and at doubling
intervals (up to ``max_interval`` batches) while it does not, so data that never changes
costs almost nothing. Growth is judged only when a new maximum comes in.
"""

from __future__ import annotations

import dataclasses
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from trainer_core.analysis.access import static_access
from trainer_core.analysis.findings import (
    Finding,
    FindingKind,
    graph_hint,
    growth_hint,
    outlives_hint,
    round_hint,
    size_text,
)
from trainer_core.analysis.mutations import mutation_lines
from trainer_core.analysis.retained import Retained, measure
from trainer_core.analysis.trend import FINAL, ROUNDS, RUNNING, Growth, growth
from trainer_core.analysis.values import format_bytes, length
from trainer_core.engine.context import ROUTINE_MANAGED, Context, Lifecycle
from trainer_core.engine.hooks import describe_hook
from trainer_core.engine.points import HOOK_DONE, Point
from trainer_core.engine.routine import LaneResult, RoutineRun
from trainer_core.engine.triggers import BATCH_TRIGGERS

__all__ = ["Finding", "FindingKind", "LifecycleChecker", "check_rounds"]

_BATCH_TRIGGERS = frozenset(BATCH_TRIGGERS)
_MANAGED = frozenset(ROUTINE_MANAGED)
_GONE = object()
_NUMBERS = frozenset({int, float, bool})
#: Values a batch cannot leak through.
_SCALARS = frozenset({int, float, bool, complex, str, bytes, type(None)})
_DIGITS = re.compile(r"\d+")
_GROWTH_KINDS = frozenset({FindingKind.GROWS, FindingKind.GROWS_PER_ROUND,
                           FindingKind.KEEPS_GRAPH})
#: Samples kept per attribute: enough for the trend rule, bounded for long runs.
_WINDOW = 64


def _trackable(value: Any) -> bool:
    """Whether a value can grow and is worth measuring: data (a growing string too), not
    numbers or machinery."""
    if type(value) in _NUMBERS or value is None:
        return False
    cls = type(value)
    if isinstance(value, type) or (callable(value) and not hasattr(value, "__len__")):
        return False
    if hasattr(cls, "__next__") or hasattr(value, "param_groups") or \
            (hasattr(value, "parameters") and hasattr(value, "state_dict")):
        return False
    if dataclasses.is_dataclass(value) and cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return False
    return not hasattr(value, "defrost")  # a FederatedScope config: machinery, and large


def _root(run: RoutineRun | None) -> RoutineRun | None:
    """The top-level routine a (possibly nested) routine ran under."""
    while run is not None and run.parent is not None:
        run = run.parent
    return run


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


@dataclass
class _Track:
    """Size samples of one attribute in one routine, and what is known about its growth."""

    samples: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=_WINDOW))
    interval: int = 1
    due: int = 0
    peak: int = -1
    grower: Point | None = None  # the hook point that last grew it
    graph_only: bool = False     # a ROUTINE/EPOCH CtxVar: growth is its design


@dataclass
class _Suspect:
    """An attribute changed in place: measured after each hook until one changes it."""

    name: str
    size: tuple[int, int]  # (bytes, identity): a replaced item changes the identity
    batches_left: int = 8


@dataclass
class _RunState:
    run: RoutineRun
    epoch: Any = None
    batch: Any = None
    batch_ends: int = 0
    tracked: dict[str, _Track] = field(default_factory=dict)
    next_due: int = 0      # the next batch end at which a tracked attribute is measured
    next_look: int = 0     # the next batch end looked at (see _batch_ended)
    since: Any = None      # (epoch, batch) of the last batch end looked at
    ended: bool = False


class LifecycleChecker:
    """Observe points (``checker.observe(point)``) and collect :class:`Finding` records.

    ``big_bytes``: the ``big-across-epochs`` threshold; ``budget``: objects one size
    measurement visits at most; ``max_interval``: the longest gap, in batches, between two
    measurements of an attribute that does not change. Findings keep their detection order
    in ``findings``; :meth:`report` sorts them.
    """

    def __init__(self, *, big_bytes: int = 1 << 20, max_findings: int = 200,
                 budget: int = 4000, max_interval: int = 256) -> None:
        self.big_bytes = big_bytes
        self.max_findings = max_findings
        self.budget = budget
        self.max_interval = max_interval
        self.findings: list[Finding] = []
        #: attributes measured after every hook until their grower is seen (live: the
        #: debugger's loop tests it before calling observe at HOOK_DONE points)
        self.suspects: dict[str, _Suspect] = {}
        self._index: dict[tuple[Any, ...], int] = {}
        self._states: dict[int, _RunState] = {}
        self._state: _RunState | None = None
        self._rounds: dict[str, deque[tuple[int, int]]] = {}
        self._round_growers: dict[str, Point] = {}
        self._round_open = False
        self._round_run: RoutineRun | None = None
        self.rounds = 0

    # -- driving ---------------------------------------------------------------------
    def observe(self, point: Point) -> list[Finding]:
        """Feed the next point; returns the findings it revealed (usually none)."""
        # hot: once per batch in the debugger's loop; the point is read as the tuple it is
        state = self._state
        found: list[Finding] = []
        run = point[1]
        if state is None or state.run is not run:
            state = self._enter(run, found)
        epoch_i, batch_i = point[3], point[4]
        if batch_i != state.batch or epoch_i != state.epoch:
            ctx = run.ctx
            if state.batch is not None:
                state.batch_ends += 1
                if state.batch_ends >= state.next_look or epoch_i != state.epoch:
                    found += self._batch_ended(state, ctx)
            if epoch_i != state.epoch and state.epoch is not None:
                found += self._epoch_ended(state, ctx)
            state.epoch, state.batch = epoch_i, batch_i
            if epoch_i is None and point.trigger == "on_fit_end" and not state.ended:
                found += self._routine_ended(state, ctx)
        if self.suspects and point[0] is HOOK_DONE:
            found += self._after_hook(point)
        return found

    def drain(self, run: RoutineRun) -> list[LaneResult]:
        """Run a routine to its end under observation; returns its lane results."""
        for point in run:
            self.observe(point)
        return run.results

    def report(self) -> list[Finding]:
        """The findings in a stable order: by kind (costliest first), then attribute."""
        return sorted(self.findings, key=Finding.sort_key)

    def finish(self, ctx: Context) -> list[Finding]:
        """Close the last round: what the last training routine (and anything after it)
        left in ctx is measured as that round's end. Call once the rounds are done."""
        return self._end_round(ctx) if self._round_open else []

    def _enter(self, run: RoutineRun, found: list[Finding]) -> _RunState:
        """The state of ``run``: a new routine, or back from a routine a hook started. A
        new top-level training routine begins a round, so the previous one ends here, with
        everything its routines left behind."""
        state = self._states.get(id(run))
        if state is None or state.run is not run:
            if len(self._states) > 16:  # finished routines: drop their state
                self._states = {k: s for k, s in self._states.items() if not s.ended}
            state = self._states[id(run)] = _RunState(run)
            self._state = state
            if run.parent is None:
                run.ctx.take_dirty()
                if run.mode == "train":
                    if self._round_open:
                        found += self._end_round(run.ctx)
                    self._round_open = True
                    self._round_run = run
            self._track_present(state, run.ctx)
        self._state = state
        return state

    def _track_present(self, state: _RunState, ctx: Context) -> None:
        """Everything already in ctx (set by the constructor, or by an earlier routine)."""
        for name in sorted(ctx.__dict__):
            if name not in _MANAGED:
                self._track(state, ctx, name, ctx.__dict__[name], step=0)

    def _track(self, state: _RunState, ctx: Context, name: str, value: Any, step: int) -> None:
        track = state.tracked.get(name)
        if track is None:
            if not _trackable(value):
                return
            lifecycle = ctx.lifecycle_of(name)
            if lifecycle is Lifecycle.BATCH:
                return
            track = state.tracked[name] = _Track(graph_only=lifecycle is not None)
        track.interval, track.due = 1, step
        state.next_due = min(state.next_due, step)

    # -- batch ends ------------------------------------------------------------------
    def _batch_ended(self, state: _RunState, ctx: Context) -> list[Finding]:
        """Look at what the batches since the last look left in ctx. Every batch end is
        looked at for the first 32 of a routine, then every 4th, and past 256 every 16th:
        a long run costs the debugger little, and writes in between are not lost (the
        Context collects the names written, and the points of their writes)."""
        found: list[Finding] = []
        step = state.batch_ends
        state.next_look = step + (1 if step < 32 else 4 if step < 256 else 16)
        alive = ctx.__dict__
        # Most names written in a batch are batch CtxVars, released by now: drop them first
        # (sorted after, so findings come in the same order whatever the hash seed).
        dirty = [name for name in ctx.take_dirty() if name in alive and name not in _MANAGED]
        dirty.sort()
        if self.suspects:
            for name, suspect in list(self.suspects.items()):
                suspect.batches_left -= 1
                if suspect.batches_left <= 0:  # grew once and then never again: let it be
                    del self.suspects[name]
        lifecycles = ctx.lifecycles
        for name in dirty:
            value = alive[name]
            lifecycle = lifecycles.get(name)
            if lifecycle is not None and type(value) in _NUMBERS:
                continue  # a scoped number: nothing to leak, nothing to grow
            if lifecycle is None:
                first = ctx.provenance(name).first
                if first is not None and first.trigger in _BATCH_TRIGGERS and \
                        self._may_outlive(ctx, name, value, first):
                    found += self._report_outlives(ctx, name, value, first)
            self._track(state, ctx, name, value, step)
        since, state.since = state.since, (state.epoch, state.batch)
        if step >= state.next_due:
            # reassigned in a batch since the last look (not merely at fit start): the
            # writer is to blame for what the value holds; otherwise it changed in place
            writes = ctx.last_writes
            rewritten = {name for name in dirty if (w := writes.get(name)) is not None
                         and w.batch_i is not None and w.epoch_i is not None
                         and (since is None or (w.epoch_i, w.batch_i) > since)}
            found += self._measure_due(state, ctx, step, set(dirty), rewritten)
        return found

    def _measure_due(self, state: _RunState, ctx: Context, step: int,
                     dirty: set[str], rewritten: set[str]) -> list[Finding]:
        found: list[Finding] = []
        alive = ctx.__dict__
        next_due = step + self.max_interval
        for name in sorted(state.tracked):
            track = state.tracked[name]
            value = alive.get(name, _GONE)
            if value is _GONE or (name in dirty and not _trackable(value)):
                del state.tracked[name]
                continue
            if track.due > step:
                next_due = min(next_due, track.due)
                continue
            size = measure(value, budget=self.budget)
            last = track.samples[-1][1] if track.samples else None
            track.samples.append((step, size.nbytes))
            if last is not None and size.nbytes != last:
                track.interval = 1
                if size.nbytes > last:
                    if name in rewritten:  # reassigned to something bigger: its writer
                        track.grower = ctx.provenance(name).last
                    elif track.grower is None:
                        self._suspect(name, size)
            else:
                track.interval = min(track.interval * 2, self.max_interval)
            track.due = step + track.interval
            next_due = min(next_due, track.due)
            if size.graphs and (FindingKind.KEEPS_GRAPH, name) not in self._index:
                found += self._report_graph(state, ctx, name, value, size, track,
                                            reassigned=name in rewritten)
            if size.nbytes > track.peak:
                track.peak = size.nbytes
                if not track.graph_only:
                    trend = growth(track.samples, RUNNING)
                    if trend is not None:
                        found += self._report_growth(state, ctx, name, value, size, track,
                                                     trend)
        state.next_due = next_due
        return found

    def _suspect(self, name: str, size: Retained, batches: int = 8) -> None:
        if name not in self.suspects:
            self.suspects[name] = _Suspect(name, (size.nbytes, size.identity), batches)

    def _after_hook(self, point: Point) -> list[Finding]:
        """Measure the suspects: the first hook that changes one is its grower."""
        found: list[Finding] = []
        alive = point.run.ctx.__dict__
        state = self._state
        for name, suspect in list(self.suspects.items()):
            value = alive.get(name, _GONE)
            if value is _GONE:
                del self.suspects[name]
                continue
            size = measure(value, budget=self.budget)
            if (size.nbytes, size.identity) == suspect.size:
                continue
            del self.suspects[name]
            hook_point = point.run.ctx.current_point or point
            track = state.tracked.get(name) if state is not None else None
            if track is not None:
                track.grower = hook_point
            self._round_growers.setdefault(name, hook_point)
            found += self._reblame(name, hook_point)
        return found

    def _reblame(self, name: str, grower: Point) -> list[Finding]:
        """A growth finding reported before its grower was seen: name the hook now."""
        for kind in (FindingKind.GROWS, FindingKind.GROWS_PER_ROUND, FindingKind.KEEPS_GRAPH):
            index = self._index.get((kind, name))
            if index is not None and self.findings[index].hook is None:
                old = self.findings[index]
                self.findings[index] = dataclasses.replace(
                    old, **self._origin_fields(grower, name, kind))
        return []

    # -- epoch and routine ends --------------------------------------------------------
    def _epoch_ended(self, state: _RunState, ctx: Context) -> list[Finding]:
        found: list[Finding] = []
        for name in sorted(ctx.__dict__):
            value = ctx.__dict__[name]
            if name in _MANAGED or ctx.lifecycle_of(name) is not None or \
                    type(value) in _SCALARS:
                continue
            first = ctx.provenance(name).first
            if first is None or first.epoch_i is None:
                continue
            if (FindingKind.BIG_ACROSS_EPOCHS, name) in self._index:
                continue
            size = measure(value, budget=self.budget)
            if size.nbytes >= self.big_bytes and (size.holds_graph or length(value)
                                                  is not None):
                found += self._report(
                    FindingKind.BIG_ACROSS_EPOCHS, name, value, first,
                    f"{size_text(size.nbytes, size.truncated)} set during epoch "
                    f"{first.epoch_i} is still held after the epoch ended",
                    f"ctx.{name} = CtxVar(value, Lifecycle.EPOCH), or delete it at "
                    f"on_epoch_end", nbytes=size.nbytes)
        return found

    def _routine_ended(self, state: _RunState, ctx: Context) -> list[Finding]:
        """The whole series is in: judge growth with the final rule; count a round."""
        found: list[Finding] = []
        state.ended = True
        found += self._measure_due(state, ctx, state.batch_ends + 1, set(), set())
        for name in sorted(state.tracked):
            track = state.tracked[name]
            if track.graph_only or (FindingKind.GROWS, name) in self._index:
                continue
            trend = growth(track.samples, FINAL)
            if trend is not None and name in ctx.__dict__:
                value = ctx.__dict__[name]
                found += self._report_growth(state, ctx, name, value,
                                             measure(value, budget=self.budget), track, trend)
        for index, finding in enumerate(self.findings):  # never seen growing: its writer
            if finding.hook is None and finding.attribute in ctx.__dict__ and \
                    finding.attribute not in self.suspects:
                last = ctx.provenance(finding.attribute).last
                if last is not None:
                    self.findings[index] = dataclasses.replace(
                        finding, **self._origin_fields(last, finding.attribute, finding.kind))
        return found

    def _end_round(self, ctx: Context) -> list[Finding]:
        """Sizes of the plain attributes after a round (its training routine and whatever
        ran until the next one)."""
        self.rounds += 1
        self._round_open = False
        found: list[Finding] = []
        for name in sorted(ctx.__dict__):
            value = ctx.__dict__[name]
            if name in _MANAGED or ctx.lifecycle_of(name) is not None or not _trackable(value):
                continue
            measured = measure(value, budget=self.budget)
            size = measured.nbytes
            series = self._rounds.setdefault(name, deque(maxlen=_WINDOW))
            if series and size > series[-1][1] and name not in self._round_growers:
                last = ctx.provenance(name).last
                if last is not None and _root(last.run) is self._round_run:
                    self._round_growers[name] = last  # reassigned in this round: its writer
                else:  # changed in place: watched through the next round
                    batches = self._state.run.plan.total_batches if self._state else 0
                    self._suspect(name, measured, batches + 2)
            series.append((self.rounds, size))
            trend = growth(series, ROUNDS)
            if trend is not None and (FindingKind.GROWS_PER_ROUND, name) not in self._index:
                found += self._report(
                    FindingKind.GROWS_PER_ROUND, name, value, self._round_growers.get(name),
                    f"grew in {trend.rises} of the last {len(series) - 1} rounds, from "
                    f"{format_bytes(trend.first_bytes)} to {format_bytes(trend.last_bytes)} "
                    f"({format_bytes(trend.rate)} per round; after 100 more rounds: "
                    f"{format_bytes(trend.projected(100))})",
                    round_hint(name, value), nbytes=size, rate=trend.rate,
                    projected=trend.projected(100))
        return found

    # -- outlives-batch --------------------------------------------------------------
    def _may_outlive(self, ctx: Context, name: str, value: Any, first: Point) -> bool:
        """Whether a plain attribute set in a batch and alive after it is worth a finding.

        A hook that reads what it sets carries it from batch to batch: a number so carried is
        a running total (it carries over into the next routine: reported), other state is
        reported only if it grows (pFedMe reuses a cached batch). A value set afresh each
        batch is not worth a finding when it holds nothing a batch could leak (a flag, a
        number), nor when it is another name for an object a longer-lived attribute holds
        (FederatedScope's Ditto points ``ctx.optimizer`` at one of two optimizers set at fit
        start).
        """
        access = static_access(first.hook) if first.hook is not None else None
        if type(value) in _SCALARS:
            return access is not None and name in access.accumulates
        if access is not None and name in access.reads | access.optional:
            return False  # carried state: the growth check speaks if it grows
        return not _aliased(ctx, name, value)

    def _report_outlives(self, ctx: Context, name: str, value: Any,
                         first: Point) -> list[Finding]:
        access = static_access(first.hook) if first.hook is not None else None
        accumulates = access is not None and name in access.accumulates
        size = measure(value, budget=self.budget)
        pattern = _DIGITS.sub("#", name)
        hook_key = describe_hook(first.hook).qualname if first.hook is not None else None
        group_key = (FindingKind.OUTLIVES_BATCH, "group", hook_key, pattern)
        if pattern != name and group_key in self._index:  # a new name of the same kind
            index = self._index[group_key]
            old = self.findings[index]
            if name in old.attributes:
                return []
            names = (*old.attributes, name)
            total = old.nbytes + size.nbytes
            shown = ", ".join(f"ctx.{n}" for n in names[:3]) + (", ..." if len(names) > 3
                                                                 else "")
            self.findings[index] = dataclasses.replace(
                old, attributes=names, nbytes=total,
                message=f"{old.hook.name if old.hook else 'a hook'} creates a new ctx "
                        f"attribute every batch: {shown} ({len(names)} so far, "
                        f"{format_bytes(total)} in all), none released",
                hint="keep one attribute (a list or dict with a lifecycle, e.g. "
                     "CtxVar([], Lifecycle.ROUTINE) at on_fit_start) instead of one name "
                     "per batch")
            return []
        if (FindingKind.OUTLIVES_BATCH, name) in self._index:
            return []
        found = self._report(
            FindingKind.OUTLIVES_BATCH, name, value, first,
            f"set at {first.trigger} (batch {first.batch_i}) as a plain attribute "
            f"({size_text(size.nbytes, size.truncated)}), still alive after the batch",
            outlives_hint(name, value, accumulates), nbytes=size.nbytes)
        if found and pattern != name:
            self._index[group_key] = self._index[(FindingKind.OUTLIVES_BATCH, name)]
            self.findings[-1] = dataclasses.replace(self.findings[-1], attributes=(name,))
        return found

    # -- growth and graphs -----------------------------------------------------------
    def _report_growth(self, state: _RunState, ctx: Context, name: str, value: Any,
                       size: Retained, track: _Track, trend: Growth) -> list[Finding]:
        if (FindingKind.GROWS, name) in self._index:
            return []
        plan = state.run.plan
        remaining = max(plan.total_batches - state.batch_ends, 0)
        end = trend.projected(remaining)
        graph = f"; {size.graphs} tensor(s) inside keep autograd graphs" if size.graphs \
            else ""
        carried = ("" if ctx.lifecycle_of(name) is not None else
                   f"; as a plain attribute it keeps growing across routines: "
                   f"{format_bytes(trend.projected(remaining + 10 * plan.total_batches))} "
                   f"after 10 more")
        return self._report(
            FindingKind.GROWS, name, value, track.grower,
            f"grew from {format_bytes(trend.first_bytes)} to "
            f"{size_text(size.nbytes, size.truncated)} over {trend.span} batches "
            f"({format_bytes(trend.rate)} per batch, {trend.rises} rises){graph}; at this "
            f"rate {format_bytes(end)} by the end of the routine{carried}",
            growth_hint(name, value, ""), nbytes=size.nbytes, rate=trend.rate, projected=end)

    def _report_graph(self, state: _RunState, ctx: Context, name: str, value: Any,
                      size: Retained, track: _Track, *, reassigned: bool) -> list[Finding]:
        """A graph in a reassigned value is its writer's; in a value changed in place, the
        hook that changes it is found by watching it (the finding names it then)."""
        path = size.graph_path or ""
        origin = ctx.provenance(name).last if reassigned else track.grower
        if origin is None:
            self._suspect(name, size)
        lifecycle = ctx.lifecycle_of(name)
        scope = f"a {lifecycle.value}-scoped value" if lifecycle is not None else \
            "a plain attribute"
        return self._report(
            FindingKind.KEEPS_GRAPH, name, value, origin,
            f"{scope} holds {size.graphs} tensor(s) with a live autograd graph after the "
            f"batch ({size_text(size.nbytes, size.truncated)}), which keeps each batch's "
            f"activations in memory", graph_hint(name, value, path), nbytes=size.nbytes,
            path=path)

    # -- recording -------------------------------------------------------------------
    def _origin_fields(self, origin: Point | None, name: str,
                       kind: FindingKind | None = None) -> dict[str, Any]:
        hook = origin.hook if origin is not None else None
        info = describe_hook(hook) if hook is not None else None
        site = None
        if info is not None and info.file:
            lines = mutation_lines(hook, name, in_place_first=kind in _GROWTH_KINDS)
            if lines:
                site = f"{info.file}:{lines[0]}"
        fields: dict[str, Any] = {
            "hook": info, "site": site,
            "trigger": origin.trigger if origin is not None else None,
            "epoch_i": origin.epoch_i if origin is not None else None,
            "batch_i": origin.batch_i if origin is not None else None,
            "model_idx": origin.model_idx if origin is not None else 0}
        run = origin.run if origin is not None and origin.run is not None else (
            self._state.run if self._state is not None else None)
        fields["mode"] = run.mode if run is not None else ""
        fields["split"] = run.split if run is not None else ""
        return fields

    def _report(self, kind: FindingKind, name: str, value: Any, origin: Point | None,
                message: str, hint: str, *, nbytes: int, path: str = "",
                rate: float | None = None, projected: int | None = None) -> list[Finding]:
        key = (kind, name)
        if key in self._index or len(self.findings) >= self.max_findings:
            return []
        finding = Finding(kind=kind, attribute=name, nbytes=nbytes, length=length(value),
                          message=message, hint=hint, path=path, rate=rate,
                          projected=projected, **self._origin_fields(origin, name, kind))
        self._index[key] = len(self.findings)
        self.findings.append(finding)
        return [finding]


def check_rounds(trainer: Any, rounds: int = 3, *, evaluate: str | None = "test",
                 checker: LifecycleChecker | None = None) -> LifecycleChecker:
    """Run ``rounds`` training routines on one trainer, each followed by an evaluation on
    ``evaluate`` (None: none), as a federated client does, under one checker; returns it
    with the rounds closed (``grows-per-round`` needs at least 3)."""
    checker = checker or LifecycleChecker()
    for _ in range(rounds):
        checker.drain(trainer.iter_routine("train"))
        if evaluate is not None and trainer.has_split(evaluate):
            mode = "val" if evaluate == "val" else "test"
            checker.drain(trainer.iter_routine(mode, evaluate))
    checker.finish(trainer.ctx)
    return checker
