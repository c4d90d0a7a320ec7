"""``from app import debug; debug(trainer)``: open the debugger on a trainer built in Python."""

from __future__ import annotations

from typing import Any


def debug(trainer: Any, *, name: str | None = None, mode: str = "train",
          split: str | None = None, registry: Any = None, **options: Any) -> Any:
    """Open the TUI on ``trainer`` (anything with the trainer_core Trainer API).

    Blocks until the user quits; returns the DebugSession so a script can read what happened
    (findings, timings, the edited hook sets, where it stopped). ``session.close()`` then
    abandons a routine left paused, giving the trainer its ctx back as a finished routine
    leaves it.
    """
    from app.session import DebugSession
    from app.tui import make_app

    session = DebugSession(trainer, name=name or type(trainer).__name__, registry=registry,
                           **options)
    session.start(mode, split)
    make_app(session).run()
    return session
