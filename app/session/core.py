"""DebugSession: drives one trainer's routine point by point, for the TUI, scripts and tests.

The session pulls points from ``trainer.iter_routine`` (the routine production runs, not a
copy). Every step kind is one loop, :meth:`DebugSession._advance`, with a stop rule:

* ``step()`` the next point; ``step_hook()`` the next HOOK point (into the next hook);
* ``step_trigger()`` the next TRIGGER point;
* ``step_batch()`` the first point after the current batch (the next batch's on_batch_start
  or the epoch's on_epoch_end); from outside a batch, the end of the next batch;
* ``step_epoch()`` likewise for the epoch (the next on_epoch_start, or on_fit_end);
* ``continue_()`` until a breakpoint, an error or the end; ``run_to_end()`` ignores
  breakpoints.

Every loop also stops at an ERROR point, and at the next point after :meth:`pause` (safe to
call from any thread). While it runs it times each hook, records the loss of each batch,
feeds the lifecycle checker and samples what each hook writes. Edits do not take the
session's lock: a hook set swaps whole tuples, and the routine reads a trigger's list when the
trigger fires, so an edit made while a worker continues takes effect at the next firing.
"""

from __future__ import annotations

import copy
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.session.breakpoints import Breakpoint, Breakpoints
from app.session.console import Console
from app.session.driver import Advance, RoutineDriver
from app.session.history import EditHistory
from app.session.source import file_stamp, reload_in_place, source_lines
from app.session.state import (
    EditOutcome,
    HookDetail,
    HookRow,
    RunState,
    SessionError,
    Status,
    Stop,
    TimingRow,
)
from app.session.tree import hook_tree, position_of
from app.session.views import (
    CtxDiff,
    VarDetail,
    VarRow,
    diff,
    fingerprint,
    variable_detail,
    variable_rows,
)
from trainer_core.analysis.access import (
    AccessLog,
    DependencyFinding,
    check_edit,
    ordering_hint,
)
from trainer_core.analysis.finite import FiniteWatch
from trainer_core.analysis.lifecycle import Finding, LifecycleChecker
from trainer_core.config.registry import Registry, resolvable_names, resolve_hook
from trainer_core.engine.context import Lifecycle
from trainer_core.engine.edits import Edit, Insert, Move, Remove, Replace, Reset, apply_to_copy
from trainer_core.engine.hooks import Hook, HookSet, describe_hook, hook_name
from trainer_core.engine.modes import hookset_kind
from trainer_core.engine.points import ERROR, HOOK, HOOK_DONE, RELEASE, TRIGGER, Point
from trainer_core.engine.routine import RoutineRun
from trainer_core.engine.triggers import TRIGGERS
from trainer_core.errors import HookError, did_you_mean

_ON_BATCH_END = "on_batch_end"
_UNSEEN = object()


def torch_rng_state() -> Any:
    """torch's global CPU RNG state (None when torch is not loaded: a torch-free trainer)."""
    torch = sys.modules.get("torch")
    return torch.get_rng_state() if torch is not None else None


def set_torch_rng_state(state: Any) -> None:
    """Undo :func:`torch_rng_state`."""
    torch = sys.modules.get("torch")
    if torch is not None and state is not None:
        torch.set_rng_state(state)


class DebugSession:
    """One trainer under the debugger. See the module docstring for the step rules."""

    def __init__(self, trainer: Any, *, name: str = "trainer", registry: Registry | None = None,
                 base_dir: str | Path | None = None, check_lifecycles: bool = True,
                 break_on_nonfinite: bool = True, history: int = 200,
                 loss_history: int = 2000) -> None:
        self.trainer = trainer
        self.ctx = trainer.ctx
        self.name = name
        self.registry = registry
        self.base_dir = Path(base_dir) if base_dir is not None else None
        self.breakpoints = Breakpoints()
        self.edits = EditHistory()
        self.access = AccessLog()
        self.checker: LifecycleChecker | None = LifecycleChecker() if check_lifecycles else None
        #: watches the losses after every hook; stops at the first NaN/Inf (a breakpoint
        #: that is on unless switched off)
        self.nonfinite: FiniteWatch | None = FiniteWatch() if break_on_nonfinite else None
        #: evaluate expressions at a stop, and the watches re-evaluated at every stop
        self.console = Console(self)
        self.timings: dict[Any, list[Any]] = {}
        self.losses: deque[float] = deque(maxlen=loss_history)
        self.metric_history: deque[tuple[str, dict[str, Any]]] = deque(maxlen=100)
        self.log: deque[str] = deque(maxlen=200)
        self.stops: deque[Stop] = deque(maxlen=history)
        self.state = RunState.IDLE
        self.run: RoutineRun | None = None
        self.point: Point | None = None
        self.reason = ""
        self.changed: frozenset[str] = frozenset()
        self.hit: Breakpoint | None = None
        self.mode = "train"
        self.split = "train"
        self._lock = threading.RLock()
        # A one-item list rather than a threading.Event: the stepping loop reads it at every
        # point, and an item read costs a fraction of Event.is_set(); writes are atomic.
        self._pause_flag = [False]
        self._stop_count = 0
        self._batches_done = 0
        self._model_state: Any = None
        self._model_objects: dict[str, Any] = {}
        self._rng_state: dict[str, Any] | None = None
        self._error_source: tuple[str, int | None] = ("", None)
        self._live_point: Point | None = None  # the latest on_batch_end while running
        self._driver = RoutineDriver(self._pump)
        trainer.routine_driver = self._driver  # routines a hook starts run through the pump
        self._saved_pipeline = self._pipeline_now()
        #: the pipeline file last written or loaded (writing it again needs no confirming)
        self.pipeline_file: Path | None = None

    @classmethod
    def from_config(cls, path: str | Path, overrides: dict[str, Any] | None = None, *,
                    progress: Callable[[str], None] | None = None, allow_code: bool = True,
                    **options: Any) -> DebugSession:
        """Build the trainer a YAML config describes and open a session on it; ``progress``
        hears each step as it begins (importing torch, loading the data...); ``allow_code``
        False refuses the config's references to code."""
        from trainer_core.config.experiment import load_experiment

        experiment = load_experiment(path, overrides, progress=progress, allow_code=allow_code)
        session = cls(experiment.trainer, name=experiment.path.name,
                      registry=experiment.registry, base_dir=experiment.base_dir, **options)
        course = experiment.spec.course
        if course is not None:  # the debugger steps one client; `run` runs the rounds
            clients = experiment.spec.data.clients
            index = clients.index if clients is not None else 0
            session.log.append(f"a federated config: this is client {index} of "
                               f"{course.client_num} (data.clients.index picks another); "
                               f"hookscope run runs its {course.total_round_num} FedAvg rounds")
        return session

    # -- routines ----------------------------------------------------------------------
    def start(self, mode: str = "train", split: str | None = None) -> Point | None:
        """Open a routine of ``mode`` on ``split`` and stop at its first point."""
        with self._lock:
            self._close_run()
            run = self.trainer.iter_routine(mode, split)
            self.run, self.mode, self.split = run, run.mode, run.split
            self._driver.begin(run)
            self._model_state = copy.deepcopy(self.trainer.get_model_para())
            # the objects too: a hook may delete or replace ctx.model, and restart puts it back
            self._model_objects = {name: self.ctx.get(name) for name in ("model", "models")}
            self._rng_state = self._random_state()
            self._batches_done = 0
            self._live_point = None
            self.timings.clear()  # a new routine's figures, not the abandoned one's mixed in
            self.losses.clear()
            if self.nonfinite is not None:
                self.nonfinite = FiniteWatch()  # each routine gets its first NaN reported
            self.state = RunState.PAUSED
            self.log.append(f"started {run.mode}/{run.split}: {run.plan.num_epochs} epoch(s), "
                            f"{run.plan.total_batches} batch(es) per model")
        return self.step()

    def restart(self, mode: str | None = None, split: str | None = None, *,
                reset_model: bool = True) -> Point | None:
        """Start the routine again (the same one unless told otherwise).

        ``reset_model`` puts back what the abandoned routine started from: the model
        parameters, torch's global RNG (dropout...) and the batch-order generators of the
        trainer's splits (including the generators of a DataLoader you passed), so a
        restart replays the same batches with the same weights.
        """
        with self._lock:
            self._close_run()
            for name, obj in self._model_objects.items():
                if obj is not None and self.ctx.get(name) is not obj:
                    setattr(self.ctx, name, obj)
            if reset_model and self._model_state is not None:
                self.trainer.update(copy.deepcopy(self._model_state), strict=True)
                self._restore_random_state(self._rng_state)
            self.log.append("restarted" + (" (model parameters and data order reset)"
                                           if reset_model else ""))
        return self.start(mode or self.mode, split if split is not None else
                          (self.split if mode is None else None))

    def _random_state(self) -> dict[str, Any]:
        """torch's global RNG and every split's batch-order generators, as they are now."""
        return {"torch": torch_rng_state(), "loaders": self.trainer.batch_order()}

    def _restore_random_state(self, state: dict[str, Any] | None) -> None:
        if not state:
            return
        set_torch_rng_state(state["torch"])
        self.trainer.set_batch_order(state["loaders"])

    def close(self) -> None:
        """Abandon the routine in progress (scoped ctx variables and modes are restored)."""
        with self._lock:
            self._close_run()
            self.state = RunState.IDLE

    def _close_run(self) -> None:
        self._driver.abandon()  # unwinds nested routines too; each restores its state
        self.run, self.point, self.hit = None, None, None

    # -- stepping ------------------------------------------------------------------------
    def step(self) -> Point | None:
        """Advance exactly one point."""
        return self._advance(lambda point: True, "step", breakpoints=False, releases=True)

    def step_hook(self) -> Point | None:
        """Advance to the next hook about to run (a HOOK point)."""
        return self._advance(lambda point: point.kind is HOOK, "step")

    def step_trigger(self) -> Point | None:
        """Advance to the next trigger firing (a TRIGGER point) of this routine or an outer
        one: a routine a hook starts is stepped over."""
        return self._advance(self._over(lambda point: point.kind is TRIGGER), "next trigger")

    def step_out(self) -> Point | None:
        """Run the rest of the routine a hook started, to the next point of the routine that
        started it (from the outermost routine: to its end)."""
        depth = self._depth()
        return self._advance(lambda point: point.run.depth < depth, "step out")

    def _depth(self) -> int:
        return self.point.run.depth if self.point is not None else 0

    def _over(self, rule: Callable[[Point], bool]) -> Callable[[Point], bool]:
        """``rule``, ignoring the points of routines started below the current one."""
        depth = self._depth()
        return lambda point: point.run.depth <= depth and rule(point)

    def step_batch(self) -> Point | None:
        """Run to the end of the current batch (or of the next one, from outside a batch):
        after its on_batch_end hooks and before its BATCH values are released, so the
        finished batch can still be read (``releasing`` names what goes next).

        A batch is (run, epoch_i, batch_i): in a parallel multi-model routine every model's
        hooks of that batch belong to it.
        """
        return self._advance(self._over(self._release_of(batch=True)), "end of batch",
                             releases=True)

    def step_epoch(self) -> Point | None:
        """Run to the end of the current epoch (or of the next one, from outside epochs):
        after its on_epoch_end hooks, before its EPOCH values are released."""
        return self._advance(self._over(self._release_of(batch=False)), "end of epoch",
                             releases=True)

    def _release_of(self, *, batch: bool) -> Callable[[Point], bool]:
        """A stop rule: the RELEASE point that ends the current batch (epoch), or the next
        one when the current point is outside a batch (epoch) or already at its end."""
        current = self.point
        here: tuple[Any, ...] | None = None
        if current is not None and current.kind is not RELEASE:
            index = current.batch_i if batch else current.epoch_i
            if index is not None:
                here = (current.run, current.epoch_i, current.batch_i if batch else None)

        def stop(point: Point) -> bool:
            if point[0] is not RELEASE or (point.batch_i is not None) is not batch:
                return False
            return here is None or (point.run, point.epoch_i, point.batch_i) == here
        return stop

    @property
    def releasing(self) -> frozenset[str]:
        """At the end of a batch or epoch (a RELEASE stop): the ctx names about to go."""
        point = self.point
        if point is None or point.kind is not RELEASE:
            return frozenset()
        lifecycles = (Lifecycle.BATCH,) if point.batch_i is not None else (
            Lifecycle.BATCH, Lifecycle.EPOCH)
        return frozenset(name for lifecycle in lifecycles
                         for name in self.ctx.scoped_names(lifecycle))

    def continue_(self) -> Point | None:
        """Run until a breakpoint, an error, a pause or the end."""
        return self._advance(None, "continue")

    def run_to_end(self) -> Point | None:
        """Run to the end of the routine, ignoring breakpoints (errors and pause still stop)."""
        return self._advance(None, "run to end", breakpoints=False)

    def pause(self) -> None:
        """Stop a running step at its next point. Safe from any thread."""
        self._pause_flag[0] = True

    @property
    def running(self) -> bool:
        return self.state is RunState.RUNNING

    def _advance(self, stop: Callable[[Point], bool] | None, reason: str, *,
                 breakpoints: bool = True, releases: bool = False) -> Point | None:
        """Hand one stepping command to the routine's thread; returns where it stopped."""
        with self._lock:
            if self.state is RunState.ERROR:
                raise SessionError("a hook raised: choose retry, skip or remove first")
            if self.run is None or self.state is RunState.FINISHED:
                return self.point
            self._pause_flag[0] = False
            self.state = RunState.RUNNING
            self.hit = None
            return self._driver.send(Advance(stop, reason, breakpoints, releases))

    def _pump(self, run: RoutineRun, command: Advance) -> Point | None:
        """The one stepping loop, on the routine's thread: the session's routine and any
        routine a hook starts inside it go through here (hot: see bench/session_overhead.py
        before changing it). At a stop it parks until the next command."""
        top = run is self.run  # progress, losses and lifecycle checks follow the session's
        driver, ctx = self._driver, self.ctx
        stop, reason, breakpoints = command.stop, command.reason, command.breakpoints
        run.release_points = command.releases
        bps = self.breakpoints
        pause = self._pause_flag
        checker = self.checker if top else None
        observe = checker.observe if checker is not None else None
        # attributes the checker measures after every hook until it sees who grows them
        suspects = checker.suspects if checker is not None else {}
        access, saturated = self.access, self.access.saturated
        timings = self.timings
        losses = self.losses
        perf = time.perf_counter
        started = perf()
        batches = self._batches_done
        epoch_at: Any = _UNSEEN  # the epoch and batch the checker last saw
        batch_at: Any = _UNSEEN
        hook_flags: dict[int, tuple[Hook, bool]] = {}
        for point in run:
            if driver.command is not command:  # changed while a routine below was parked
                command = driver.command
                stop, reason, breakpoints = command.stop, command.reason, command.breakpoints
                run.release_points = command.releases
                hook_flags.clear()
            kind = point[0]
            why = ""
            if kind is HOOK:
                if breakpoints and bps.hooks:
                    # Does a breakpoint name this hook? Asked once per hook object per
                    # command (the tuple keeps the hook, so its id stays its own).
                    flag = hook_flags.get(id(point[6]))
                    if flag is None:
                        flag = hook_flags[id(point[6])] = (
                            point[6], bps.on_hook(hook_name(point[6])))
                    if flag[1] and self._hit(point):
                        why = "breakpoint"
                started = perf()
            elif kind is HOOK_DONE:
                elapsed = perf() - started
                key = id(point[6])
                entry = timings.get(key)
                if entry is None:
                    timings[key] = [1, elapsed, point[2], point[6]]
                else:
                    entry[0] += 1
                    entry[1] += elapsed
                if key not in saturated:  # ctx's point is still the HOOK point
                    access.observe(ctx, ctx.current_point)
                if suspects and observe is not None:
                    observe(point)
                nonfinite = self.nonfinite
                if nonfinite is not None:
                    found = nonfinite.after_hook(point, ctx)
                    if found is not None:
                        self.log.append(f"non-finite loss: {found.summary()}")
                        if breakpoints:
                            why = "NaN/Inf loss"
            elif kind is TRIGGER:
                # The checker acts when the batch or epoch changes; skip the call at the
                # other triggers of a batch.
                if observe is not None and (point[4] != batch_at or point[3] != epoch_at):
                    epoch_at, batch_at = point[3], point[4]
                    observe(point)
                if top and point[2] == _ON_BATCH_END:
                    batches += 1
                    # read by the screen's live view while this thread runs: two stores
                    self._batches_done = batches
                    self._live_point = point
                    loss = ctx.__dict__.get("loss_batch")
                    if loss is not None:
                        # try/except, not contextlib.suppress: free when nothing raises,
                        # and this runs every batch.
                        try:  # noqa: SIM105
                            losses.append(loss.item() if hasattr(loss, "item")
                                          else float(loss))
                        except (TypeError, ValueError, RuntimeError, AttributeError):
                            pass
                if breakpoints and (bps.anywhere or point[2] in bps.triggers) \
                        and self._hit(point):
                    why = "breakpoint"
            elif kind is ERROR:
                why = "error"
            # RELEASE: only a stepping rule stops there (the end of a batch or epoch)
            if not why:
                if pause[0]:
                    why = "paused"
                elif stop is not None and stop(point):
                    why = reason
                else:
                    continue
            pause[0] = False
            if top:
                self._batches_done = batches
            command = driver.park(self._stopped(point, why))
            stop, reason, breakpoints = command.stop, command.reason, command.breakpoints
            run.release_points = command.releases
            hook_flags.clear()
            started = perf()
        if not top:
            return None
        self._batches_done = batches
        return self._stopped(None, "finished")

    def _hit(self, point: Point) -> bool:
        bps = self.breakpoints
        bp = bps.hit(self.ctx, point)
        if bps.disabled_messages:
            self.log.extend(bps.disabled_messages)
            bps.disabled_messages.clear()
        self.hit = bp
        return bp is not None

    def _stopped(self, point: Point | None, why: str) -> Point | None:
        run = self.run
        if point is None:
            self.state = RunState.FINISHED
            self.point = None
            if run is not None and run.finished:
                for result in run.results:
                    label = f"{run.mode}/{run.split}" + \
                        (f" model {result.model_idx}" if result.model_idx else "")
                    self.metric_history.append((label, dict(result.metrics)))
                self.log.append(f"{run.mode}/{run.split} finished: " + ", ".join(
                    f"{k}={_short(v)}" for r in run.results for k, v in r.metrics.items()))
        else:
            self.point = point
            if point.kind is ERROR:
                self.state = RunState.ERROR
                self.log.append(str(point.error))
                path, _ = source_lines(point.hook)  # to see, at retry, whether it was edited
                self._error_source = (path, file_stamp(path) if path else None)
            else:
                self.state = RunState.PAUSED
        if why == "breakpoint" and self.hit is not None:
            why = f"breakpoint #{self.hit.id} ({self.hit.describe()})"
        self.reason = why
        self._record_stop(why)
        self.console.refresh_watches()
        return self.point

    def _record_stop(self, why: str) -> None:
        prints = fingerprint(self.ctx)
        previous = self.stops[-1].fingerprint if self.stops else None
        self.changed = frozenset(diff(previous, prints).names()) if previous is not None \
            else frozenset()
        self._stop_count += 1
        self.stops.append(Stop(self._stop_count, self.point, why, prints))

    # -- errors ------------------------------------------------------------------------
    @property
    def error(self) -> HookError | None:
        """The HookError the session is stopped at (state "error"), else None."""
        point = self.point
        return point.error if point is not None and point.kind is ERROR else None

    def error_hint(self) -> str:
        """At an error reading a missing ctx attribute: which hook writes it and whether it
        runs after the failing one (from the hooks' sources and their observed writes)."""
        error = self.error
        return ordering_hint(error, self.access.access) if error is not None else ""

    def error_traceback(self) -> str:
        """The failing hook's traceback from the hook down (user frames only), or ''."""
        error = self.error
        return error.format_traceback() if error is not None else ""

    def resolve_error(self, decision: str) -> Point | None:
        """At an error: "retry" the hook, "skip" it, or "remove" it from its hook set.

        Then advance one point: HOOK_DONE after a good retry, the next point after skip or
        remove, or the same ERROR again when a retry raises again.
        """
        with self._lock:
            point, run = self.point, self.run
            if self.state is not RunState.ERROR or point is None or run is None:
                raise SessionError("there is no error to resolve")
            if decision not in ("retry", "skip", "remove"):
                raise SessionError(f"decision must be retry, skip or remove, got {decision!r}")
            if decision == "remove":
                hookset = point.run.hookset_of(point.model_idx)
                position = position_of(point, hookset[point.trigger])
                if position >= 0:  # an edit may have taken it out already
                    self.edits.apply(Remove(point.trigger, position), hookset)
                    self.log.append(f"removed {point.hook_name} from {point.trigger}")
            if decision == "retry":
                self._reload_if_edited(point)
            point.run.resolve_error("retry" if decision == "retry" else "skip")
            self.state = RunState.PAUSED
            self.log.append(f"{decision}: {point.hook_name}")
        return self._advance(lambda p: True, decision, breakpoints=False)

    def _reload_if_edited(self, point: Point) -> None:
        """Before a retry: if the failing hook's file was saved since the error, run its
        new code (the retry and every later call); a file that does not load now is a
        SessionError and nothing is retried."""
        path, stamp = self._error_source
        if not path or file_stamp(path) == stamp:
            return
        hooks = [h for ref in self.trainer.hook_sets() for t in TRIGGERS
                 for h in ref.hookset[t]]
        try:
            message = reload_in_place(point.hook, hooks)
        except BaseException as exc:  # whatever the edited module raises
            raise SessionError(f"{os.path.basename(path)} does not load now "
                               f"({type(exc).__name__}: {exc}); fix it and retry, or skip"
                               ) from None
        self._error_source = (path, file_stamp(path))
        self.log.append(message)

    # -- breakpoints -------------------------------------------------------------------
    def add_breakpoint(self, trigger: str | None = None, hook: str | None = None,
                       condition: str | None = None, *, every: bool = False,
                       force: bool = False) -> Breakpoint:
        """Add a breakpoint (see app.session.breakpoints for where each kind stops).

        A condition that reads a ctx attribute no hook writes and ctx does not hold is
        refused with a did-you-mean (BreakpointError), unless ``force``: it is usually a
        typo, and a condition on a missing attribute would silently never hold.
        """
        if hook is not None and not self._known_hook_name(hook):
            self.log.append(f"note: no hook named {hook} is in any hook set yet")
        if condition and not force:
            self._check_condition_names(condition)
        return self.breakpoints.add(trigger, hook, condition, every=every)

    def _check_condition_names(self, condition: str) -> None:
        from app.session.breakpoints import Breakpoint, BreakpointError

        reads = Breakpoint(condition=condition).reads  # validates it too
        written = {name for ref in self.trainer.hook_sets() for t in TRIGGERS
                   for h in ref.hookset[t] for name in self.access.access(h).writes}
        known = sorted(set(self.ctx.__dict__) | written)
        unknown = [n for n in reads if n not in self.ctx and n not in written]
        if unknown:
            name = unknown[0]
            raise BreakpointError(
                f"the condition reads {name}, which no hook writes and ctx does not hold"
                f"{did_you_mean(name, known)}; add it anyway to wait for it")

    def remove_breakpoint(self, bp_id: int) -> Breakpoint:
        """Delete a breakpoint by its number."""
        bp = self.breakpoints.remove(bp_id)
        self.log.append(f"breakpoint #{bp_id} ({bp.describe()}) deleted")
        return bp

    def enable_breakpoint(self, bp_id: int, enabled: bool = True) -> Breakpoint:
        """Enable or disable a breakpoint by its number."""
        return self.breakpoints.set_enabled(bp_id, enabled)

    def edit_breakpoint(self, bp_id: int, condition: str | None, *,
                        force: bool = False) -> Breakpoint:
        """Give breakpoint ``bp_id`` a new condition (checked as add_breakpoint checks)."""
        if condition and not force:
            self._check_condition_names(condition)
        return self.breakpoints.edit(bp_id, condition)

    @property
    def break_on_nonfinite(self) -> bool:
        """Whether the run stops after the first hook that makes a loss NaN/Inf."""
        return self.nonfinite is not None

    @break_on_nonfinite.setter
    def break_on_nonfinite(self, on: bool) -> None:
        # No lock: the UI may switch it while a step runs; the loop reads it at every hook.
        if on != self.break_on_nonfinite:
            self.nonfinite = FiniteWatch() if on else None
            self.log.append(f"break on NaN/Inf loss: {'on' if on else 'off'}")

    def toggle_breakpoint(self, trigger: str | None = None,
                          hook: str | None = None) -> Breakpoint | None:
        """Set or clear the unconditional breakpoint on a trigger or a hook name."""
        return self.breakpoints.toggle(trigger, hook)

    def _known_hook_name(self, name: str) -> bool:
        return any(name in ref.hookset.names(t) for ref in self.trainer.hook_sets()
                   for t in TRIGGERS)

    # -- edits ---------------------------------------------------------------------------
    def hookset(self, mode: str = "train", model_idx: int = 0) -> HookSet:
        """The hook set a routine of ``mode`` uses for model ``model_idx``."""
        return self.trainer.hook_set(mode, model_idx)

    def hook_names(self) -> list[str]:
        """The hooks a plain name resolves to here (the config's registry, the trainer's
        default hooks), sorted: what an insert dialog offers."""
        return resolvable_names(self.registry, self.trainer)

    def resolve(self, reference: str | Hook) -> Hook:
        """A hook from a registered name, ``module:function`` or ``file.py:function``."""
        if callable(reference):
            return reference
        return resolve_hook(reference, registry=self.registry, trainer=self.trainer,
                            base_dir=self.base_dir)

    def preview(self, edit: Edit, *, mode: str = "train",
                model_idx: int = 0) -> list[DependencyFinding]:
        """The read/write dependencies ``edit`` would break in the hook set of ``mode`` (a
        routine mode or a hook-set kind) and ``model_idx``; the edit is not applied."""
        hookset = self.hookset(mode, model_idx)
        ctx = self.ctx
        return check_edit(hookset.snapshot(), apply_to_copy(edit, hookset), self.access.access,
                          present=lambda name: name in ctx)

    def apply(self, edit: Edit, *, mode: str = "train", model_idx: int = 0,
              confirm: bool = False) -> EditOutcome:
        """Apply ``edit`` to the hook set of ``mode`` and ``model_idx``, unless it breaks a
        dependency and ``confirm`` is False.

        Invalid edits raise (HookSetError...) and change nothing.
        """
        findings = self.preview(edit, mode=mode, model_idx=model_idx)
        if findings and not confirm:
            return EditOutcome(False, edit.describe(), findings)
        self.edits.apply(edit, self.hookset(mode, model_idx))
        self.log.append(f"{edit.describe()} ({hookset_kind(mode)}"
                        f"{f' model {model_idx}' if model_idx else ''})")
        return EditOutcome(True, edit.describe(), findings)

    def insert(self, hook: str | Hook, trigger: str, position: int = -1, *,
               mode: str = "train", model_idx: int = 0, confirm: bool = False) -> EditOutcome:
        """Insert a hook (by reference or object) at ``position`` (-1: the end)."""
        return self.apply(Insert(trigger, self.resolve(hook), position), mode=mode,
                          model_idx=model_idx, confirm=confirm)

    def remove(self, trigger: str, position: int, *, mode: str = "train", model_idx: int = 0,
               confirm: bool = False) -> EditOutcome:
        """Remove the hook at ``position`` of ``trigger``."""
        return self.apply(Remove(trigger, position), mode=mode, model_idx=model_idx,
                          confirm=confirm)

    def replace(self, trigger: str, target: str, hook: str | Hook, *, mode: str = "train",
                model_idx: int = 0, confirm: bool = False) -> EditOutcome:
        """Replace the hooks named ``target`` at ``trigger``."""
        return self.apply(Replace(trigger, target, self.resolve(hook)), mode=mode,
                          model_idx=model_idx, confirm=confirm)

    def move(self, trigger: str, position: int, new_position: int,
             to_trigger: str | None = None, *, mode: str = "train", model_idx: int = 0,
             confirm: bool = False) -> EditOutcome:
        """Move a hook within its trigger or to another one."""
        return self.apply(Move(trigger, position, new_position, to_trigger), mode=mode,
                          model_idx=model_idx, confirm=confirm)

    def move_by(self, trigger: str, position: int, delta: int, *, mode: str = "train",
                model_idx: int = 0, confirm: bool = False) -> EditOutcome:
        """Move a hook up (delta -1) or down (+1), across to the next trigger at an edge."""
        return self.apply(self.move_edit(trigger, position, delta, mode=mode,
                                         model_idx=model_idx),
                          mode=mode, model_idx=model_idx, confirm=confirm)

    def move_edit(self, trigger: str, position: int, delta: int, *, mode: str = "train",
                  model_idx: int = 0) -> Move:
        """The Move that shifts a hook by ``delta`` (±1): within its trigger, and past its
        first / last hook to the end of the trigger before / the start of the trigger
        after (TRIGGERS order); SessionError past on_fit_start's first or on_fit_end's last.
        """
        hookset = self.hookset(mode, model_idx)
        size = len(hookset[trigger])
        target = position + delta
        if 0 <= target < size:
            return Move(trigger, position, target)
        index = TRIGGERS.index(trigger) + (1 if delta > 0 else -1)
        if not 0 <= index < len(TRIGGERS):
            raise SessionError(f"cannot move {trigger} #{position} further "
                               f"{'down' if delta > 0 else 'up'}: no trigger "
                               f"{'after' if delta > 0 else 'before'} {trigger}")
        neighbour = TRIGGERS[index]
        return Move(trigger, position, 0 if delta > 0 else len(hookset[neighbour]), neighbour)

    def reset(self, trigger: str, name: str | None = None, *, mode: str = "train",
              model_idx: int = 0, confirm: bool = False) -> EditOutcome:
        """Remove every hook of ``trigger`` (or only those called ``name``)."""
        return self.apply(Reset(trigger, name), mode=mode, model_idx=model_idx,
                          confirm=confirm)

    def undo(self) -> str | None:
        """Undo the last edit; returns its description, or None when there is none."""
        entry = self.edits.undo()
        if entry is not None:
            self.log.append(f"undo: {entry.description}")
        return entry.description if entry is not None else None

    def redo(self) -> str | None:
        """Redo the last undone edit; returns its description, or None."""
        entry = self.edits.redo()
        if entry is not None:
            self.log.append(f"redo: {entry.description}")
        return entry.description if entry is not None else None

    def export_pipeline(self, path: str | Path) -> Path:
        """Write every hook set to YAML (atomically); returns the path written."""
        from trainer_core.config.pipeline import export_pipeline

        written = export_pipeline(self.trainer, path, registry=self.registry,
                                  source=self.name)
        self.log.append(f"pipeline written to {path}")
        self._saved_pipeline = self._pipeline_now()
        self.pipeline_file = Path(written).resolve()
        return Path(written)

    @property
    def unsaved_edits(self) -> bool:
        """The hook sets differ from how they started or were last written or loaded (undo
        back to that state and nothing is unsaved): quitting would lose the edits."""
        return self._pipeline_now() != self._saved_pipeline

    def _pipeline_now(self) -> tuple[tuple[int, str, tuple[int, ...]], ...]:
        return self._pipeline_of(self.trainer)

    @staticmethod
    def _pipeline_of(trainer: Any) -> tuple[tuple[int, str, tuple[int, ...]], ...]:
        return tuple((id(hookset), trigger, tuple(id(hook) for hook in hookset[trigger]))
                     for hookset in trainer.distinct_hook_sets() for trigger in TRIGGERS)

    def load_pipeline(self, path: str | Path, *, confirm: bool = False
                      ) -> list[DependencyFinding]:
        """Replace every hook set by a pipeline file's (one undoable step), unless it breaks
        a read/write dependency (a read whose writer it drops or moves after the reader) and
        ``confirm`` is False: then nothing changes and the findings come back, as for any
        other edit. Returns the findings (empty: loaded cleanly)."""
        from trainer_core.config.pipeline import read_pipeline_file, resolve_pipeline

        plan = resolve_pipeline(self.trainer, read_pipeline_file(path), registry=self.registry,
                                base_dir=Path(path).parent, key_path=f"{path}: hooks.pipeline")
        ctx = self.ctx
        findings = [finding for hookset, hooks in plan
                    for finding in check_edit(hookset.snapshot(),
                                              {t: hooks.get(t, ()) for t in TRIGGERS},
                                              self.access.access,
                                              present=lambda name: name in ctx)]
        if findings and not confirm:
            return findings

        def load() -> None:
            for hookset, hooks in plan:
                hookset.restore(hooks)
        self.edits.record(f"load pipeline {path}", self.trainer.distinct_hook_sets(), load)
        self.log.append(f"pipeline loaded from {path}"
                        + (f" ({len(findings)} broken read(s) accepted)" if findings else ""))
        self._saved_pipeline = self._pipeline_now()
        self.pipeline_file = Path(path).resolve()
        return findings

    # -- views ---------------------------------------------------------------------------
    def status(self) -> Status:
        """Header data: where the routine is and what it is doing (while a step runs: the
        batch it has reached, for a live header)."""
        top, point = self.run, self.point
        if self.state is RunState.RUNNING and self._live_point is not None:
            point = self._live_point
        run = point.run if point is not None else top  # where it stopped (maybe nested)
        plan = run.plan if run is not None else None
        lanes = len(top.lanes) if top is not None else 1
        epoch_i = point.epoch_i if point is not None else None
        total = top.plan.total_batches * (lanes if not top.parallel else 1) \
            if top is not None else 0
        return Status(
            name=self.name, state=self.state, mode=run.mode if run else self.mode,
            split=run.split if run else self.split,
            model_idx=point.model_idx if point is not None else 0,
            model_nums=self.trainer.model_nums, epoch_i=epoch_i,
            num_epochs=plan.num_epochs if plan else 0,
            batch_i=point.batch_i if point is not None else None,
            batches_in_epoch=plan.batches_in(epoch_i) if plan and epoch_i is not None else
            (plan.batches_per_epoch if plan else 0),
            trigger=point.trigger if point is not None else None,
            hook=point.hook_name if point is not None else None,
            kind=point.kind.value if point is not None else None,
            reason=self.reason, batches_done=min(self._batches_done, total) if total else 0,
            total_batches=total, stack=run.stack if run is not None and run.depth else "",
            releasing=len(self.releasing))

    def hook_rows(self, mode: str = "train", model_idx: int = 0) -> list[HookRow]:
        """The hook tree of one hook set, with the current hook, done triggers, breakpoints
        and user edits marked."""
        hookset = self.hookset(mode, model_idx)
        point = self.point
        current = point if point is not None and \
            point.run.hookset_of(point.model_idx) is hookset else None
        kind = hookset_kind(mode)
        blamed = {(f.trigger, f.hook) for f in self.findings if f.hook is not None
                  and hookset_kind(f.mode or "train") == kind and f.model_idx == model_idx}
        return hook_tree(hookset, current, self.breakpoints, self.edits.marks_of(hookset),
                         blamed)

    def variables(self, model_idx: int | None = None) -> list[VarRow]:
        """Context rows, with the attributes changed since the previous stop flagged, and at
        the end of a batch or epoch those about to be released; ``model_idx``: as that model
        of a parallel multi-model routine sees ctx (its own loss, batch values...)."""
        if model_idx is not None and model_idx == self.ctx.get("cur_model_idx", 0):
            model_idx = None  # the model whose turn it is: ctx as it stands
        if model_idx is None:
            return variable_rows(self.ctx, self.changed, self.releasing)
        return variable_rows(self.ctx, model_idx=model_idx)

    def variable(self, name: str, model_idx: int | None = None) -> VarDetail:
        """One ctx value in detail (tensor stats included), as :meth:`variables` sees it."""
        if model_idx is not None and model_idx == self.ctx.get("cur_model_idx", 0):
            model_idx = None
        return variable_detail(self.ctx, name, model_idx=model_idx)

    def ctx_diff(self, older: int = -2, newer: int = -1) -> CtxDiff:
        """What changed in ctx between two recorded stops (default: the last two)."""
        stops = list(self.stops)
        if not stops:
            return CtxDiff([], [], [])
        try:
            a, b = stops[older], stops[newer]
        except IndexError:
            raise SessionError(f"only {len(stops)} stop(s) are recorded") from None
        return diff(a.fingerprint, b.fingerprint)

    @property
    def findings(self) -> list[Finding]:
        """Lifecycle findings so far (each cause once), costliest kind first."""
        return self.checker.report() if self.checker is not None else []

    def hook_detail(self, trigger: str, position: int, *, mode: str = "train",
                    model_idx: int = 0) -> HookDetail:
        """One hook: where it is defined, what it reads and writes in ctx, its timing."""
        return self._detail(self.hookset(mode, model_idx)[trigger][position])

    def describe_reference(self, reference: str) -> HookDetail:
        """What a hook that is not in the pipeline yet would read and write (insert dialogs).

        Raises HookscopeError (naming the reference) when it does not resolve.
        """
        return self._detail(self.resolve(reference))

    def _detail(self, hook: Hook) -> HookDetail:
        info = describe_hook(hook)
        access = self.access.access(hook)
        timing = self.timings.get(id(hook))
        doc = (getattr(hook, "__doc__", None) or "").strip().splitlines()
        path, source = source_lines(hook)
        current = None
        error = self.error
        if error is not None and self.point is not None and self.point.hook is hook:
            frame = error.user_frame()
            if frame is not None and frame[0] == path:
                current = frame[1]
        return HookDetail(
            source=source, current_line=current,
            name=info.name, location=info.location,
            summary=doc[0] if doc else "", reads=sorted(access.reads),
            optional=sorted(access.optional), writes=sorted(access.writes),
            observed=bool(self.access.observed.get(id(hook))),
            calls=timing[0] if timing else 0,
            mean_us=timing[1] / timing[0] * 1e6 if timing else 0.0,
            breakpoint=self.breakpoints.on_hook(info.name))

    def timing_rows(self) -> list[TimingRow]:
        """Per-hook calls and time, slowest first."""
        rows = [TimingRow(hook_name(hook), trigger, calls, total)
                for calls, total, trigger, hook in list(self.timings.values())]
        return sorted(rows, key=lambda row: row.total_s, reverse=True)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
