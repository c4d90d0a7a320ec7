"""The session's plain data types: run state, header status, tree rows, timings, outcomes.

What a UI reads from a DebugSession is made of these frozen values (and those of
``app.session.views``), so a screen never holds a reference into the live routine's state
beyond the points themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.session.views import Fingerprint
from trainer_core.analysis.access import DependencyFinding
from trainer_core.engine.points import Point
from trainer_core.errors import HookscopeError


class SessionError(HookscopeError):
    """A session command that cannot run now (e.g. stepping while an error waits)."""


class RunState(StrEnum):
    """Where the session is."""

    IDLE = "idle"          # no routine started
    PAUSED = "paused"
    RUNNING = "running"
    FINISHED = "finished"
    ERROR = "error"        # a hook raised; retry, skip or remove


@dataclass(frozen=True, slots=True)
class Status:
    """The header line as data."""

    name: str
    state: RunState
    mode: str
    split: str
    model_idx: int
    model_nums: int
    epoch_i: int | None
    num_epochs: int
    batch_i: int | None
    batches_in_epoch: int
    trigger: str | None
    hook: str | None
    kind: str | None
    reason: str
    batches_done: int
    total_batches: int
    #: 'train/train > test/test' when the routine stopped in was started by a hook of
    #: another ('' for the session's own routine); progress counts the outermost routine.
    stack: str = ""
    #: at the end of a batch or epoch (a RELEASE stop): how many ctx values go next
    releasing: int = 0
    #: in a federated course: the round (from 0) and how many, the client whose routine
    #: runs and the round's clients in their order (None / () outside a course)
    round_i: int | None = None
    total_rounds: int = 0
    client: int | None = None
    round_clients: tuple[int, ...] = ()

    @property
    def progress(self) -> float:
        """Fraction of the routine's batches done (0..1)."""
        return self.batches_done / self.total_batches if self.total_batches else \
            (1.0 if self.state is RunState.FINISHED else 0.0)


@dataclass(frozen=True, slots=True)
class HookRow:
    """One line of the hook tree: a trigger (position -1) or one of its hooks."""

    trigger: str
    position: int
    name: str
    location: str
    current: bool
    done: bool
    breakpoint: bool
    edited: bool
    leaking: bool = False  # a lifecycle finding blames this hook

    @property
    def is_trigger(self) -> bool:
        return self.position < 0


@dataclass(frozen=True, slots=True)
class TimingRow:
    """Per-hook timing since the session started."""

    name: str
    trigger: str
    calls: int
    total_s: float

    @property
    def mean_us(self) -> float:
        return self.total_s / self.calls * 1e6 if self.calls else 0.0


@dataclass(frozen=True, slots=True)
class HookDetail:
    """What the UI shows about one hook."""

    name: str
    location: str
    summary: str
    reads: list[str]
    optional: list[str]
    writes: list[str]
    observed: bool  # writes include what the hook was seen writing while the routine ran
    calls: int
    mean_us: float
    breakpoint: bool
    #: the function's lines as the file is now, and the line the run is at (an error's)
    source: tuple[tuple[int, str], ...] = ()
    current_line: int | None = None


@dataclass(frozen=True, slots=True)
class EditOutcome:
    """What an edit did: applied or not, and the dependencies it breaks."""

    applied: bool
    description: str
    findings: list[DependencyFinding]


@dataclass(frozen=True, slots=True)
class Stop:
    """A place the session stopped at, with the ctx fingerprint there (for diffs)."""

    index: int
    point: Point | None
    reason: str
    fingerprint: Fingerprint
