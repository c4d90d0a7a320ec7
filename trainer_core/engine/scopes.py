"""How long ctx values live, and the frames that keep them apart.

``CtxVar(value, Lifecycle.BATCH | EPOCH | ROUTINE)`` marks a value the routine releases
when that lifecycle ends. Released values are *scoped*; a Context keeps them in frames:

* a routine started from inside a hook (``evaluate()`` at ``on_epoch_end``) gets a clean
  frame, and the outer routine's scoped values and position come back when it ends
  (:meth:`Scopes.enter_routine` / :meth:`Scopes.exit_routine`);
* in a parallel MultiModelTrainer each model (lane) keeps its own frame, swapped in by
  :meth:`Scopes.switch_model`, so model 1's forward never overwrites model 0's loss.

:class:`Scopes` is the part of :class:`~trainer_core.engine.context.Context` that does this;
it works on the Context's own records (values, lifecycles, provenance).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from trainer_core.errors import HookscopeError

if TYPE_CHECKING:
    from trainer_core.engine.points import Point

class Lifecycle(StrEnum):
    """How long a CtxVar lives: until the end of the current batch, epoch or routine."""

    BATCH = "batch"
    EPOCH = "epoch"
    ROUTINE = "routine"


class LIFECYCLE:
    """FederatedScope-compatible names for the lifecycles."""

    ROUTINE = Lifecycle.ROUTINE
    EPOCH = Lifecycle.EPOCH
    BATCH = Lifecycle.BATCH
    NONE = None


#: Each lifecycle's name, as a plain str (for messages).
LABELS: dict[Lifecycle, str] = {lc: lc.value for lc in Lifecycle}
_LIFECYCLES: dict[Any, Lifecycle | None] = {None: None}
for _lc in Lifecycle:
    _LIFECYCLES[_lc] = _lc
    _LIFECYCLES[_lc.value] = _lc


class LifecycleError(HookscopeError, ValueError):
    """A CtxVar given something that is not a lifecycle."""


class CtxVar:
    """A value with a lifecycle: ``ctx.loss = CtxVar(loss, Lifecycle.BATCH)``.

    ``lifecycle`` may be a :class:`Lifecycle`, its string ("batch", "epoch", "routine") or
    None (a plain attribute).
    """

    __slots__ = ("lifecycle", "obj")

    def __init__(self, obj: Any, lifecycle: Lifecycle | str | None = None) -> None:
        self.obj = obj
        if type(lifecycle) is Lifecycle:
            self.lifecycle = lifecycle
            return
        try:
            self.lifecycle = _LIFECYCLES[lifecycle]
        except (KeyError, TypeError):
            raise LifecycleError(f"unknown lifecycle {lifecycle!r}; use one of "
                             f"{', '.join(lc.value for lc in Lifecycle)} or None") from None

    def __repr__(self) -> str:
        return f"CtxVar({self.obj!r}, {self.lifecycle})"


#: Attributes the routine itself maintains (no provenance; restored after nested routines).
ROUTINE_MANAGED: tuple[str, ...] = ("cur_mode", "cur_split", "cur_epoch_i", "cur_batch_i",
                                    "cur_model_idx")

_MISSING = object()
#: A frame: name -> (value, lifecycle, first-set point, last-set point).
_Frame = dict[str, tuple[Any, Lifecycle, "Point | None", "Point | None"]]


@dataclass(frozen=True, slots=True)
class RoutineToken:
    """What a nested routine stashed of its outer routine, to give back at its end."""

    frame: _Frame
    lane_frames: dict[int, _Frame]
    lane: int
    managed_values: tuple[Any, ...]  # ROUTINE_MANAGED's values, in that order
    point: Point | None

    @property
    def model_idx(self) -> int:
        """The model that was current when the routine began."""
        return self.managed_values[ROUTINE_MANAGED.index("cur_model_idx")] or 0


class Scopes:
    """Context's frames; see the module docstring."""

    __slots__ = ()
    __dict__: dict[str, Any]
    _lane: int
    _lane_frames: dict[int, _Frame]
    _lc: dict[str, Lifecycle]
    _scoped: dict[Lifecycle, set[str]]
    _first: dict[str, Point | None]
    _last: dict[str, Point | None]
    _point: Point | None
    release: Any  # Context.release

    def release_all_lanes(self, lifecycle: Lifecycle) -> None:
        """Release ``lifecycle`` in the current lane and in every stashed lane."""
        self.release(lifecycle)
        for idx, frame in self._lane_frames.items():
            self._lane_frames[idx] = {n: v for n, v in frame.items() if v[1] is not lifecycle}

    def switch_model(self, model_idx: int, model: Any, *, own_scope: bool = False) -> None:
        """Make ``model`` (model ``model_idx`` of a multi-model trainer) the current one, with
        ``cur_model_idx`` and ``model`` set as the routine's own writes (no provenance).

        ``own_scope``: also swap the scoped variables, the previous model's out and this
        one's in, as a parallel routine needs (its models take turns within each batch). A
        sequential routine, or a hook switching models as FederatedScope's do, shares them.
        """
        if own_scope:
            self.switch_lane(model_idx)
        d = self.__dict__
        d["cur_model_idx"] = model_idx
        d["model"] = model

    def switch_lane(self, lane: int) -> None:
        """Stash the current model's scoped variables and bring back those of ``lane``."""
        if lane == self._lane:
            return
        self._lane_frames[self._lane] = self._stash_scoped()
        self._unstash(self._lane_frames.pop(lane, {}))
        object.__setattr__(self, "_lane", lane)

    def enter_routine(self, mode: str, split: str) -> RoutineToken:
        """Give a (possibly nested) routine of ``mode`` on ``split`` a clean scope; returns
        what :meth:`exit_routine` gives back to the outer routine."""
        d = self.__dict__
        token = RoutineToken(self._stash_scoped(), self._lane_frames, self._lane,
                             tuple(d.get(n) for n in ROUTINE_MANAGED), self._point)
        object.__setattr__(self, "_lane_frames", {})
        d["cur_mode"], d["cur_split"] = mode, split
        d["cur_epoch_i"] = d["cur_batch_i"] = None
        return token

    def exit_routine(self, token: RoutineToken) -> None:
        """Drop whatever the routine left scoped and give the outer routine its state back."""
        for lifecycle in Lifecycle:
            self.release(lifecycle)
        object.__setattr__(self, "_lane_frames", token.lane_frames)
        object.__setattr__(self, "_lane", token.lane)
        self._unstash(token.frame)
        d = self.__dict__
        for name, value in zip(ROUTINE_MANAGED, token.managed_values, strict=True):
            d[name] = value
        object.__setattr__(self, "_point", token.point)

    def _stash_scoped(self) -> _Frame:
        d = self.__dict__
        frame: _Frame = {
            name: (d.pop(name, _MISSING), lc, self._first.pop(name, None),
                   self._last.pop(name, None))
            for name, lc in self._lc.items()}
        object.__setattr__(self, "_lc", {})
        object.__setattr__(self, "_scoped", {lc: set() for lc in Lifecycle})
        return frame

    def _unstash(self, frame: _Frame) -> None:
        d = self.__dict__
        for name, (value, lifecycle, first, last) in frame.items():
            if value is _MISSING:
                continue
            d[name] = value
            self._lc[name] = lifecycle
            self._scoped[lifecycle].add(name)
            self._first[name] = first
            self._last[name] = last
