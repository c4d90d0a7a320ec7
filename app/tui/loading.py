"""The loading view: the debugger's first frame, drawn before torch is imported.

Importing torch and scikit-learn and building a trainer take seconds on a small machine. The
app shows this screen at once and builds the session in a thread worker, which reports each
step ("importing torch", "loading data (digits)", ...) through ``call_from_thread``. A config
error ends the loading with the same message the command line gives; ``q`` quits at any time.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from app.tui.panel import TextPanel


class LoadingScreen(Screen[None]):
    """Each loading step with its time, the current one last; or what stopped it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quit"),
        Binding("ctrl+c", "app.quit", "Quit", show=False),
    ]

    def __init__(self, title: str, *, show_times: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.show_times = show_times
        self.steps: list[tuple[str, float]] = []  # (what, when it began)
        self.failure: str | None = None
        self._began = time.perf_counter()

    def compose(self) -> ComposeResult:
        yield TextPanel(id="loading")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()
        if self.show_times:
            self.set_interval(0.2, self.redraw)

    def begin(self, step: str) -> None:
        """A new step started (called on the app's thread)."""
        self.steps.append((step, time.perf_counter()))
        self.redraw()

    def fail(self, message: str) -> None:
        """Loading stopped: show why, and how to leave."""
        self.failure = message
        self.redraw()

    def redraw(self) -> None:
        now = time.perf_counter()
        text = Text()
        text.append("hookscope", style="bold")
        text.append(f" · {self.title_text}\n\n")
        for i, (step, began) in enumerate(self.steps):
            done = i < len(self.steps) - 1
            ended = self.steps[i + 1][1] if done else now
            text.append("  ✓ " if done else ("  ✗ " if self.failure else "  … "),
                        style="green" if done else ("bold red" if self.failure else "bold"))
            text.append(step, style="" if done else "bold")
            if self.show_times:
                text.append(f"  {ended - began:.1f} s", style="dim")
            text.append("\n")
        if self.failure is not None:
            text.append("\ncannot open the debugger:\n", style="bold red")
            text.append(self.failure + "\n")
            text.append("\npress q to quit", style="dim")
        elif self.show_times:
            text.append(f"\n  {now - self._began:.1f} s", style="dim")
        self.query_one("#loading", TextPanel).show(text)
