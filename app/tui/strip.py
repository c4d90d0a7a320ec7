"""The Routine strip along the bottom: progress, the loss of the last batches, the slowest
hooks and the log. Each part is shown from plain data the screen hands down."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import RichLog, Sparkline

from app.session import TimingRow
from app.tui import render
from app.tui.panel import TextPanel


class RoutineStrip(Horizontal):
    """Progress bar, loss sparkline and label, hook timings, log."""

    def __init__(self, *, show_time: bool = True, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.show_time = show_time  # off in snapshots: measured times differ run to run
        self._logged: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="progress-pane"):
            yield TextPanel(id="progress")
            yield Sparkline([], id="loss", summary_function=max)
            yield TextPanel(id="loss-label")
            yield TextPanel(id="rounds")
        yield TextPanel(id="timings")
        yield RichLog(id="log", max_lines=300, wrap=True, min_width=20)

    def on_mount(self) -> None:
        self.border_title = "Routine"

    def show_progress(self, done: int, total: int) -> None:
        self.query_one("#progress", TextPanel).show(render.progress_text(done, total))

    def show_losses(self, losses: Sequence[float], *, keep_empty: bool = False) -> None:
        """The last 40 losses; ``keep_empty``: an empty list leaves the sparkline as is
        (a live refresh before the first batch of a step)."""
        points, label = render.loss_strip(list(losses)[-40:])
        if points or not keep_empty:
            self.query_one("#loss", Sparkline).data = points
        self.query_one("#loss-label", TextPanel).show(label)

    def show_rounds(self, values: Sequence[float], metric: str) -> None:
        """A federated course's global ``metric`` after each round so far, as many of the
        latest as fit on the line (the line shows only over a course)."""
        self.set_class(True, "-course")
        panel = self.query_one("#rounds", TextPanel)
        label = f"{metric}/round"
        fit = max(1, ((panel.size.width or 40) - len(label) - 2) // 5)
        text = Text(label + " ", style="dim")
        if not values:
            text.append("none yet", style="dim")
        else:
            if len(values) > fit:
                text.append("… ", style="dim")
            text.append(" ".join(f"{v:.2f}" for v in values[-fit:]), style="bold")
        panel.show(text)

    def show_timings(self, rows: Sequence[TimingRow]) -> None:
        self.query_one("#timings", TextPanel).show(
            render.timings_text(rows, show_time=self.show_time))

    def show_log(self, lines: Sequence[str]) -> None:
        """Append the new lines (all of them again when the log was trimmed at its start)."""
        lines = list(lines)
        if lines == self._logged:
            return
        log = self.query_one("#log", RichLog)
        start = len(self._logged) if lines[:len(self._logged)] == self._logged else 0
        if start == 0:
            log.clear()
        for line in lines[start:]:
            log.write(Text(render.relative_paths(line)))
        self._logged = lines
