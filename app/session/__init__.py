"""The debugger's brain, with no UI: a DebugSession steps a trainer's routine, keeps
breakpoints, applies undoable hook edits and turns Context state into plain rows."""

from app.session.breakpoints import Breakpoint, BreakpointError, Breakpoints
from app.session.console import Console, ConsoleError, ConsoleResult, Watch
from app.session.core import DebugSession
from app.session.state import (
    EditOutcome,
    HookDetail,
    HookRow,
    RunState,
    SessionError,
    Status,
    TimingRow,
)
from app.session.views import CtxDiff, VarDetail, VarRow
from trainer_core.analysis.access import DependencyFinding, HookAccess, static_access

__all__ = [
    "Breakpoint",
    "BreakpointError",
    "Breakpoints",
    "Console",
    "ConsoleError",
    "ConsoleResult",
    "CtxDiff",
    "DebugSession",
    "DependencyFinding",
    "EditOutcome",
    "HookAccess",
    "HookDetail",
    "HookRow",
    "RunState",
    "SessionError",
    "Status",
    "TimingRow",
    "VarDetail",
    "VarRow",
    "Watch",
    "static_access",
]
