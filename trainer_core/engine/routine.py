"""The routine: one generator of points that every train / evaluate / debug run goes through.

``trainer.train()`` drains it; the debugger pulls it one point at a time. There is no other
copy of the loop.

Order, per group of lanes (a lane is one model with its hook set; sequential multi-model
runs one group per lane, parallel runs one group holding every lane)::

    on_fit_start
    for epoch_i in range(plan.num_epochs):
        on_epoch_start
        for batch_i in range(plan.batches_in(epoch_i)):
            on_batch_start, on_batch_forward, on_batch_backward, on_batch_end
            -- batch-lifecycle CtxVars released (every lane)
        on_epoch_end
        -- epoch-lifecycle CtxVars released
    on_fit_end
    -- routine-lifecycle CtxVars released (also when a hook raises: ``finally``)

Each firing of a trigger runs, per lane, ``TRIGGER`` then ``HOOK``/``HOOK_DONE`` per hook.

When edits apply: a trigger's hook list is read right after its TRIGGER point. An edit made
while paused at that TRIGGER point applies to this firing; an edit made while paused at one
of its HOOK points applies from the trigger's next firing (the firing in progress finishes
the list it read).

A hook that raises: the routine yields an ERROR point carrying a HookError and waits. If the
consumer calls :meth:`RoutineRun.resolve_error` with "retry" the hook runs again, with
"skip" the routine goes on with the next hook; if it just asks for the next point, the
HookError is raised (what ``train()`` does), and every scoped variable and mode is restored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from trainer_core.engine.context import Context, Lifecycle, set_current_point
from trainer_core.engine.hooks import HookSet, describe_hook, hook_name
from trainer_core.engine.points import (
    ERROR,
    HOOK,
    HOOK_DONE,
    RELEASE,
    TRIGGER,
    Point,
    make_point,
)
from trainer_core.engine.triggers import TRIGGERS
from trainer_core.errors import HookError, HookscopeError

if TYPE_CHECKING:
    from trainer_core.engine.hooks import Hook

(ON_FIT_START, ON_EPOCH_START, ON_BATCH_START, ON_BATCH_FORWARD, ON_BATCH_BACKWARD,
 ON_BATCH_END, ON_EPOCH_END, ON_FIT_END) = TRIGGERS

_BATCH, _EPOCH, _ROUTINE = Lifecycle.BATCH, Lifecycle.EPOCH, Lifecycle.ROUTINE

#: What a consumer may answer at an ERROR point.
ERROR_DECISIONS = ("retry", "skip")
#: What a hook may raise that the routine turns into an ERROR point: every error, and
#: ``sys.exit()``, a KeyboardInterrupt or a stray GeneratorExit from inside a hook too. (A
#: debugger's own BaseException, raised to abandon a run, passes through.)
HOOK_FAILURES = (Exception, SystemExit, KeyboardInterrupt, GeneratorExit)


class Lane(NamedTuple):
    """One model's part of a routine: its index and the hook set it runs."""

    model_idx: int
    hookset: HookSet


PointStream = Generator[Point, None, None]


@dataclass(frozen=True, slots=True)
class RoutinePlan:
    """How many epochs, and batches per epoch, one routine runs."""

    num_epochs: int
    batches_per_epoch: int
    last_epoch_batches: int

    def batches_in(self, epoch_i: int) -> int:
        """Batches of epoch ``epoch_i`` (the last epoch may stop early)."""
        return self.last_epoch_batches if epoch_i == self.num_epochs - 1 else \
            self.batches_per_epoch

    def stops_after(self, epoch_i: int, batch_i: int) -> bool:
        """False: :meth:`batches_in` already says where each epoch ends."""
        return False

    @property
    def total_batches(self) -> int:
        """Batches over the whole routine."""
        if self.num_epochs == 0:
            return 0
        return self.batches_per_epoch * (self.num_epochs - 1) + self.last_epoch_batches

    @classmethod
    def for_training(cls, num_batches: int, local_update_steps: int,
                     batch_or_epoch: str) -> RoutinePlan:
        """FederatedScope's counts: ``local_update_steps`` epochs, or that many batches.

        In "batch" mode the loader is cycled: ``ceil(steps / num_batches)`` epochs, the last
        stopping after ``steps % num_batches`` batches (or a full epoch).
        """
        if batch_or_epoch == "epoch":
            return cls(local_update_steps, num_batches, num_batches)
        if batch_or_epoch != "batch":
            raise HookscopeError(f"batch_or_epoch must be 'epoch' or 'batch', "
                                 f"got {batch_or_epoch!r}")
        if num_batches == 0:
            raise HookscopeError("the training split has no batches, so 'batch' mode cannot "
                                 f"run {local_update_steps} steps")
        epochs = -(-local_update_steps // num_batches)
        return cls(epochs, num_batches, local_update_steps % num_batches or num_batches)

    @classmethod
    def for_evaluation(cls, num_batches: int) -> RoutinePlan:
        """One pass over the split."""
        return cls(1, num_batches, num_batches)


class ContextPlan:
    """A routine's counts read from ctx at the moments FederatedScope's loop reads them, so
    a hook that changes them changes the run (Ditto adds epochs at on_fit_start):

    * ``num_{split}_epoch`` once the on_fit_start hooks have run (1 when ctx has none);
    * ``num_{split}_batch`` at each epoch, once its on_epoch_start hooks have run;
    * in a training routine's last epoch (``num_train_epoch - 1``), after every batch: stop
      once ``num_train_batch_last_epoch`` batches have run.

    Every property reads ctx now, so a debugger's progress follows such a change.
    """

    __slots__ = ("_d", "split", "training")

    def __init__(self, ctx: Context, split: str, *, training: bool) -> None:
        self._d = ctx.__dict__
        self.split = split
        self.training = training

    def _count(self, name: str, default: int) -> int:
        value = self._d.get(name)
        return default if value is None else int(value)

    @property
    def num_epochs(self) -> int:
        """``num_{split}_epoch``, 1 when ctx has none (an evaluation split)."""
        return self._count(f"num_{self.split}_epoch", 1)

    @property
    def batches_per_epoch(self) -> int:
        """``num_{split}_batch``."""
        return self._count(f"num_{self.split}_batch", 0)

    def batches_in(self, epoch_i: int) -> int:
        """Batches the loop sets out to run in an epoch (``stops_after`` may end it early)."""
        return self.batches_per_epoch

    def stops_after(self, epoch_i: int, batch_i: int) -> bool:
        """FederatedScope's break in a training routine's last epoch."""
        if not self.training:
            return False
        d = self._d
        return epoch_i == (d.get("num_train_epoch") or 0) - 1 and \
            batch_i >= (d.get("num_train_batch_last_epoch") or 0) - 1

    @property
    def last_epoch_batches(self) -> int:
        """Batches the last epoch runs, as ctx says now."""
        per_epoch = self.batches_per_epoch
        if not self.training or self.num_epochs != self._count("num_train_epoch", 0):
            return per_epoch
        return max(1, min(per_epoch, self._count("num_train_batch_last_epoch", per_epoch))) \
            if per_epoch else 0

    @property
    def total_batches(self) -> int:
        """Batches over the whole routine, as ctx says now."""
        epochs = self.num_epochs
        if epochs <= 0:
            return 0
        return self.batches_per_epoch * (epochs - 1) + self.last_epoch_batches

    def __repr__(self) -> str:
        return (f"<ContextPlan {self.split}: {self.num_epochs} epoch(s) of "
                f"{self.batches_per_epoch} batches, {self.total_batches} in all>")


#: What the routine needs of a plan (a fixed RoutinePlan or a ContextPlan).
Plan = RoutinePlan | ContextPlan


@dataclass(slots=True)
class LaneResult:
    """What one model's routine produced, read right after its ``on_fit_end`` hooks."""

    model_idx: int
    num_samples: int
    metrics: dict[str, Any] = field(default_factory=dict)


class RoutineHost(Protocol):
    """What a routine needs from its trainer (``Trainer`` provides all of it)."""

    ctx: Context

    def _enter_mode(self, mode: str) -> Any: ...
    def _exit_mode(self, token: Any) -> None: ...
    def _hook_guard(self, mode: str) -> Callable[[], AbstractContextManager[Any]] | None: ...
    def _switch_model_ctx(self, next_model_idx: int | None = None,
                          own_scope: bool = False) -> None: ...
    def _lane_result(self, model_idx: int, run: RoutineRun) -> LaneResult: ...


Step = tuple[str | Lifecycle, int | None, int | None]


def schedule(plan: Plan) -> Iterator[Step]:
    """The routine's order as data: (trigger, epoch_i, batch_i) in firing order, with a
    Lifecycle entry where that lifecycle's CtxVars are released.

    A generator reads the plan only when it resumes, that is once the previous step's hooks
    have run: the epoch count after on_fit_start, each epoch's batches after its
    on_epoch_start, the stop rule after each batch."""
    yield ON_FIT_START, None, None
    for epoch_i in range(plan.num_epochs):
        yield ON_EPOCH_START, epoch_i, None
        for batch_i in range(plan.batches_in(epoch_i)):
            yield ON_BATCH_START, epoch_i, batch_i
            yield ON_BATCH_FORWARD, epoch_i, batch_i
            yield ON_BATCH_BACKWARD, epoch_i, batch_i
            yield ON_BATCH_END, epoch_i, batch_i
            yield _BATCH, epoch_i, batch_i
            if plan.stops_after(epoch_i, batch_i):
                break
        yield ON_EPOCH_END, epoch_i, None
        yield _EPOCH, epoch_i, None
    yield ON_FIT_END, None, None


class RoutineRun:
    """One run of the routine: iterate it for points; read ``results`` when it finished.

    ``iter(run)`` is the underlying generator, so draining costs nothing extra per point.
    """

    def __init__(self, host: RoutineHost, mode: str, split: str, lanes: Sequence[Lane],
                 plan: Plan, *, parallel: bool = False) -> None:
        if not lanes:
            raise HookscopeError("a routine needs at least one hook set")
        self.host = host
        self.ctx = host.ctx
        current = self.ctx.current_point
        #: The run whose hook started this one (``evaluate()`` inside a training hook), or
        #: None; ``depth`` counts the runs above.
        self.parent: RoutineRun | None = current.run if current is not None else None
        self.depth: int = self.parent.depth + 1 if self.parent is not None else 0
        self.mode = mode
        self.split = split
        self.lanes = tuple(Lane(*lane) for lane in lanes)
        self.plan = plan
        self.parallel = parallel
        self.results: list[LaneResult] = []
        self.finished = False
        self.error: HookError | None = None
        #: Yield a RELEASE point at each batch's and epoch's end (read at each end, so a
        #: debugger can ask for them only while a command needs them). Off by default:
        #: train() does not need them, and each is a point.
        self.release_points = False
        self._decision: str | None = None
        self._guard = host._hook_guard(mode)
        self._gen: PointStream = self._points()

    def __iter__(self) -> Iterator[Point]:
        return self._gen

    def __next__(self) -> Point:
        return next(self._gen)

    def __repr__(self) -> str:
        state = "finished" if self.finished else "error" if self.error else "running"
        return f"<RoutineRun {self.mode}/{self.split} {len(self.lanes)} lane(s) {state}>"

    def drain(self) -> list[LaneResult]:
        """Run to the end (raising HookError if a hook raises); return the lane results.

        When the trainer has a ``routine_driver`` (a debugger stepping its routines) that
        takes this run, the driver runs it instead, so a routine a hook starts can be
        stepped into; it ends the same way."""
        driver = getattr(self.host, "routine_driver", None)
        if driver is not None and driver.drive(self):
            return self.results
        deque(self._gen, maxlen=0)
        return self.results

    @property
    def stack(self) -> str:
        """'train/train > test/train': this run below the runs whose hooks started it."""
        runs = []
        run: RoutineRun | None = self
        while run is not None:
            runs.append(f"{run.mode}/{run.split}")
            run = run.parent
        return " > ".join(reversed(runs))

    def close(self) -> None:
        """Abandon the run; scoped variables and modes are restored."""
        self._gen.close()

    def resolve_error(self, decision: str) -> None:
        """At an ERROR point, choose "retry" (run the hook again) or "skip" (go on)."""
        if self.error is None:
            raise HookscopeError("resolve_error() is only valid at an ERROR point")
        if decision not in ERROR_DECISIONS:
            raise HookscopeError(f"decision must be one of {ERROR_DECISIONS}, got {decision!r}")
        self._decision = decision

    def hookset_of(self, model_idx: int) -> HookSet:
        """The hook set model ``model_idx`` runs in this routine."""
        for lane in self.lanes:
            if lane.model_idx == model_idx:
                return lane.hookset
        raise HookscopeError(f"model {model_idx} has no lane in {self!r}")

    # -- the generator -----------------------------------------------------------------
    def _groups(self) -> list[tuple[Lane, ...]]:
        """Parallel: one group of every lane. Sequential: a group (a routine) per lane."""
        return [self.lanes] if self.parallel else [(lane,) for lane in self.lanes]

    def _points(self) -> PointStream:
        # One flat generator: each point costs one frame resume (measured with callgrind;
        # nested `yield from` levels cost one resume per level per point).
        ctx, host, guard, plan = self.ctx, self.host, self._guard, self.plan
        new, set_point, move = make_point, set_current_point, ctx.set_position
        token = ctx.enter_routine(self.mode, self.split)
        mode_token = host._enter_mode(self.mode)
        try:
            for group in self._groups():
                multi = len(group) > 1  # parallel: each model keeps its own scope
                release = ctx.release_all_lanes if multi else ctx.release
                switch = host._switch_model_ctx if multi else None
                host._switch_model_ctx(group[0][0], multi)
                try:
                    for step, epoch_i, batch_i in schedule(plan):
                        if step is _BATCH or step is _EPOCH:
                            if self.release_points:
                                yield new(Point, (RELEASE, self, ON_BATCH_END if step is _BATCH
                                                  else ON_EPOCH_END, epoch_i, batch_i,
                                                  group[-1][0], None, -1, None))
                            release(step)
                            continue
                        move(epoch_i, batch_i)
                        for model_idx, hookset in group:
                            if switch is not None:
                                switch(model_idx, True)
                            yield new(Point, (TRIGGER, self, step, epoch_i, batch_i, model_idx,
                                              None, -1, None))
                            for position, hook in enumerate(hookset._hooks[step]):
                                point = new(Point, (HOOK, self, step, epoch_i, batch_i,
                                                    model_idx, hook, position, None))
                                set_point(ctx, point)
                                yield point
                                try:  # self._call(hook), inlined: a frame less per hook
                                    if guard is None:
                                        hook(ctx)
                                    else:
                                        with guard():
                                            hook(ctx)
                                except HOOK_FAILURES as exc:
                                    completed = yield from self._recover(point, exc)
                                    if not completed:
                                        continue
                                yield new(Point, (HOOK_DONE, self, step, epoch_i, batch_i,
                                                  model_idx, hook, position, None))
                            if step is ON_FIT_END:
                                self.results.append(host._lane_result(model_idx, self))
                finally:
                    for lifecycle in (_BATCH, _EPOCH):
                        ctx.release_all_lanes(lifecycle)
                    move(None, None)
            self.finished = True
        finally:  # routine-lifecycle values go here, once every model ran
            try:
                host._exit_mode(mode_token)
            finally:  # whatever a hook did to ctx (deleted the model...), ctx is restored
                ctx.exit_routine(token)
                if len(self.lanes) > 1:
                    host._switch_model_ctx(token.model_idx)

    def _missing(self, exc: BaseException) -> str | None:
        """The ctx attribute a failed ``ctx.<name>`` read asked for (None: another error)."""
        if isinstance(exc, AttributeError) and getattr(exc, "obj", None) is self.ctx \
                and exc.name:
            return exc.name
        return None

    def _recover(self, point: Point, exc: BaseException) -> Generator[Point, None, bool]:
        """Yield ERROR points until the consumer retries successfully or skips."""
        hook: Hook = point.hook  # type: ignore[assignment]
        hookset = self.hookset_of(point.model_idx)
        while True:
            missing = self._missing(exc)
            error = HookError(exc, hook_name=hook_name(hook),
                              hook_location=describe_hook(hook).location,
                              trigger=point.trigger, mode=self.mode, split=self.split,
                              epoch_i=point.epoch_i, batch_i=point.batch_i,
                              model_idx=point.model_idx,
                              hint=self.ctx.explain_missing(missing) if missing else "",
                              position=point.position, pipeline=hookset.snapshot(),
                              missing=missing)
            error.__cause__ = exc
            self.error, self._decision = error, None
            yield Point(ERROR, self, point.trigger, point.epoch_i, point.batch_i,
                        point.model_idx, hook, point.position, error)
            decision, self.error, self._decision = self._decision, None, None
            if decision is None:
                raise error from exc
            if decision == "skip":
                return False
            set_current_point(self.ctx, point)
            try:
                self._call(hook)
                return True
            except HOOK_FAILURES as again:
                exc = again

    def _call(self, hook: Hook) -> None:
        """Run a hook outside the hot loop (a retry), under the mode's guard."""
        if self._guard is None:
            hook(self.ctx)
        else:
            with self._guard():
                hook(self.ctx)
