"""The console line and the watches pane: widgets that own their state and talk in messages.

``:`` opens the console line at the bottom of the screen. Enter evaluates what was typed
(the session's :class:`~app.session.console.Console` does the work, in a worker), closes
the line and shows the result in the detail pane; ``watch EXPR`` pins an expression,
``unwatch N`` removes one. Up and down walk the history; escape closes the line. The
watches pane (hidden while there are none) shows each pinned expression with its value, and
``old → new`` where it changed at the last stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from app.session.console import Watch
from app.tui.panel import TextPanel

PROMPT = ": expression · ctx.x = value · watch EXPR · unwatch N · ↑↓ history · esc closes"


class ConsoleLine(Input):
    """The ``:`` line. Posts :class:`ConsoleLine.Entered` with the text; keeps history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
        Binding("escape", "close", "Close", show=False),
    ]

    class Entered(Message):
        """The user pressed enter on a non-empty line."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Closed(Message):
        """The line was closed (escape)."""

    def __init__(self, history: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(placeholder=PROMPT, id=id)
        self.history = history  # the session console's deque: shared, not copied
        self._cursor: int | None = None

    def open(self) -> None:
        """Show the line, empty, and focus it."""
        self.display = True
        self.value = ""
        self._cursor = None
        self.focus()

    def action_history(self, step: int) -> None:
        entries = list(self.history)
        if not entries:
            return
        index = len(entries) if self._cursor is None else self._cursor
        index = min(max(index + step, 0), len(entries))
        self._cursor = index
        self.value = entries[index] if index < len(entries) else ""
        self.cursor_position = len(self.value)

    def action_close(self) -> None:
        self.display = False
        self.post_message(self.Closed())

    async def action_submit(self) -> None:
        """Enter: hand the text over and close, as vim's ``:`` does, so the stepping keys
        work again at once (↑ brings the entry back next time)."""
        text = self.value.strip()
        self._cursor = None
        self.value = ""
        self.action_close()
        if text:
            self.post_message(self.Entered(text))


class WatchesPanel(TextPanel):
    """The pinned expressions, numbered as ``unwatch N`` counts them."""

    def show_watches(self, watches: Sequence[Watch]) -> None:
        self.show(watches_text(watches))


def watches_text(watches: Sequence[Watch]) -> Text:
    """One line per watch: 'n. expr = value', changed ones with the value before."""
    text = Text()
    for number, watch in enumerate(watches, 1):
        if number > 1:
            text.append("\n")
        text.append(f"{number}. ", style="dim")
        text.append(watch.expression, style="bold")
        text.append(" = ")
        if watch.error:
            text.append(watch.error, style="red")
        elif watch.changed and watch.previous is not None:
            text.append(watch.previous, style="dim strike")
            text.append(" → ")
            text.append(watch.value, style="bold yellow")
        else:
            text.append(watch.value)
    return text
