"""Sessions on tiny trainers (40 training samples, batch 8: 5 batches per epoch)."""

from __future__ import annotations

import pytest

from app.session import DebugSession


@pytest.fixture
def make_session(make_trainer):
    """make_session(**trainer overrides) -> a started DebugSession (paused at on_fit_start)."""
    sessions: list[DebugSession] = []

    def build(*, start: bool = True, check_lifecycles: bool = True, **overrides):
        session = DebugSession(make_trainer(**overrides), name="tiny",
                               check_lifecycles=check_lifecycles)
        sessions.append(session)
        if start:
            session.start()
        return session
    yield build
    for session in sessions:  # a paused routine keeps a parked thread: end it
        session.close()
