"""The Textual debugger. ``make_app`` is the one factory the CLI, tests and snapshots use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.session import DebugSession
    from app.tui.app import HookscopeApp


def make_app(source: DebugSession | str | Path, *, overrides: dict[str, Any] | None = None,
             stable: bool = False, mode: str = "train", split: str | None = None,
             pipeline_path: str | None = None) -> HookscopeApp:
    """An app on a session, or on a config file (built, then paused at on_fit_start)."""
    from app.session import DebugSession
    from app.tui.app import HookscopeApp

    session = source if isinstance(source, DebugSession) else \
        DebugSession.from_config(source, overrides)
    if session.run is None:
        session.start(mode, split)
    return HookscopeApp(session, stable=stable, pipeline_path=pipeline_path)
