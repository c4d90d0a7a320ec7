"""TextPanel: a widget that shows one Rich text and repaints without a new layout (and
``hold_cursors``, for stable snapshots).

``Static.update`` asks for a layout of the whole screen on every call (about 16 ms with this
screen's widgets, measured with bench/tui_latency.py), and a step updates six texts. A panel
whose size is fixed by CSS only needs a repaint; one whose height follows its text asks for a
layout only when its line count changes.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input


class TextPanel(Widget):
    """Shows ``text``; ``show`` skips unchanged text and avoids layouts where it can."""

    DEFAULT_CSS = """
    TextPanel {
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = Text()

    def show(self, text: Text | str) -> None:
        """Display ``text`` (repaint only, unless the number of lines changed)."""
        if isinstance(text, str):
            text = Text(text)
        if text == self.text and text.style == self.text.style:  # Text == ignores style
            return
        relayout = text.plain.count("\n") != self.text.plain.count("\n")
        self.text = text
        self.refresh(layout=relayout and self.styles.height is not None
                     and self.styles.height.is_auto)

    def render(self) -> Text:
        return self.text


def hold_cursors(screen: Screen[Any]) -> None:
    """In snapshot mode (``app.stable``), stop the inputs' cursors from blinking."""
    if getattr(screen.app, "stable", False):
        for widget in screen.query(Input):
            widget.cursor_blink = False
