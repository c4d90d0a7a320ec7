"""Apps on tiny trainers, and helpers that read what the screen shows."""

from __future__ import annotations

import pytest

from app.session import DebugSession
from app.tui import make_app

SIZE = (120, 36)


@pytest.fixture
def make_tui(make_trainer):
    """make_tui(**trainer overrides) -> an app on a started session over a tiny trainer."""
    sessions: list[DebugSession] = []

    def build(trainer=None, **overrides):
        session = DebugSession(trainer or make_trainer(**overrides), name="tiny.yaml")
        sessions.append(session)
        return make_app(session, stable=True)
    yield build
    for session in sessions:  # a paused routine keeps a parked thread: end it
        session.close()


def screen_text(app, selector: str) -> str:
    """The plain text a widget renders."""
    return str(app.screen.query_one(selector).render())


def dialog_text(app) -> str:
    """Every line a modal dialog shows (labels and text blocks), joined."""
    from textual.widgets import Label, Static

    return "\n".join(str(widget.render()) for widget in app.screen.query(Static)
                     if isinstance(widget, Label | Static))


def tree_rows(app) -> list[tuple[tuple[str, int], str]]:
    """(node data, label text) of every line of the hook tree."""
    from app.tui.hook_tree import HookTree

    tree = app.screen.query_one(HookTree)
    return [(node.data, node.label.plain) for parent in tree.root.children
            for node in (parent, *parent.children)]


def highlighted_hook(app) -> str | None:
    """The hook the tree marks as about to run."""
    for _, label in tree_rows(app):
        if label.startswith("▶"):
            return label[2:].split(" ")[0]
    return None


def hook_names(app, trigger: str) -> list[str]:
    """Hook names the tree shows under a trigger."""
    return [label.removeprefix("▶").strip().split(" ")[0] for data, label in tree_rows(app)
            if data[0] == trigger and data[1] >= 0]


async def select(pilot, trigger: str, position: int = -1) -> None:
    """Put the tree cursor on a trigger or one of its hooks."""
    from app.tui.hook_tree import HookTree

    screen = pilot.app.screen
    screen.select_node((trigger, position))
    screen.query_one(HookTree).focus()
    await pilot.pause()


async def settle(pilot) -> None:
    """Wait for stepping workers, then for the screen to refresh."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def eventually(pilot, condition, timeout: float = 5.0) -> bool:
    """Let the app process messages until ``condition()`` holds (False after ``timeout``):
    for what the app redraws on its own schedule, such as the footer's keys."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await pilot.pause(0.02)
    return True
