"""Sessions on tiny trainers (40 training samples, batch 8: 5 batches per epoch)."""

from __future__ import annotations

import pytest

from app.session import DebugSession


@pytest.fixture
def make_session(make_trainer):
    """make_session(**trainer overrides) -> a started DebugSession (paused at on_fit_start)."""
    def build(*, start: bool = True, check_lifecycles: bool = True, **overrides):
        session = DebugSession(make_trainer(**overrides), name="tiny",
                               check_lifecycles=check_lifecycles)
        if start:
            session.start()
        return session
    return build
