"""Turning the session's plain data into Rich text: the header, tree labels, table cells.

Pure functions (no widget state), so the same rendering serves the screen, the tests and
the snapshot app.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from rich.text import Text

from app.session import (
    ConsoleResult,
    CtxDiff,
    HookDetail,
    HookRow,
    Status,
    TimingRow,
    VarDetail,
    VarRow,
)
from trainer_core.engine.triggers import TRIGGERS

STATE_STYLES = {"paused": "bold yellow", "running": "bold green", "finished": "bold cyan",
                "error": "bold white on red", "idle": "dim"}


def status_text(status: Status, view_mode: str, view_model: int, *, compact: bool = False,
                warning: str = "") -> Text:
    """Two header lines: where the routine is, then what runs next and why it stopped; each
    cut at the edge rather than wrapped (a wrapped first line would push the second out).
    ``compact`` (a narrow terminal) leaves out what the panes already say; ``warning`` (the
    terminal is too small) leads the second line."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if not compact:
        text.append("hookscope", style="bold")
        text.append(" · ")
    text.append(f"{status.name} · ")
    text.append(status.stack or f"{status.mode}/{status.split}", style="bold")
    if status.round_i is not None:  # a federated course: which round, which client
        position = (f" ({status.round_clients.index(status.client) + 1} of "
                    f"{len(status.round_clients)})" if status.client in status.round_clients
                    else "")
        text.append(f" · round {status.round_i} of {status.total_rounds} · ")
        text.append(f"client {status.client}", style="bold")
        text.append(position)
    if status.model_nums > 1:
        # model indices count from 0, as in MultiModelTrainer and the hook tree
        text.append(f" · model {status.model_idx} ({status.model_nums} models)")
    # counted from 0 everywhere: as ctx.cur_epoch_i / cur_batch_i, conditions, the console
    epoch = "-" if status.epoch_i is None else str(status.epoch_i)
    batch = "-" if status.batch_i is None else str(status.batch_i)
    text.append(f" · epoch {epoch} of {status.num_epochs} · batch {batch} of "
                f"{status.batches_in_epoch}  ")
    text.append(f" {status.state.value.upper()} ", style=STATE_STYLES.get(status.state.value,
                                                                          ""))
    if status.reason and status.state.value != "running":
        text.append(f" {status.reason}", style="dim")
    text.append("\n")
    if warning:
        text.append(f"{warning} ", style="bold reverse red")
    if status.state.value == "running":
        text.append("running", style="bold")
        text.append(" (p pauses)", style="dim")
    elif status.kind == "release":
        text.append(status.trigger or "", style="bold magenta")
        scope = "batch" if status.batch_i is not None else "epoch"
        text.append(f" done: the {scope}'s {status.releasing} scoped value(s) are released "
                    f"next (marked ⌫ in Context)", style="dim")
    elif status.trigger:
        text.append(status.trigger, style="bold magenta")
        if status.hook:
            text.append(" > ")
            text.append(status.hook, style="bold")
            text.append(" returned" if status.kind == "hook_done" else " about to run",
                        style="dim")
        else:
            text.append(" fired", style="dim")
    else:
        text.append("routine finished" if status.state.value == "finished" else "",
                    style="dim")
    if not compact:
        text.append(f"   (hook tree: {view_mode} set" + (f", model {view_model}"
                                                          if status.model_nums > 1 else "")
                    + ")", style="dim")
    return text


def trigger_label(row: HookRow, hook_count: int) -> Text:
    """A trigger node: name, hook count, breakpoint dot; dimmed when done this batch."""
    style = "dim" if row.done else "bold"
    if row.current:
        style = "bold reverse"
    text = Text()
    text.append(row.name, style=style)
    text.append(f" ({hook_count})", style="dim")
    if row.breakpoint:
        text.append(" ●", style="bold red")
    return text


def hook_label(row: HookRow) -> Text:
    """A hook leaf: ▶ when about to run, ● breakpoint, ✎ edited by the user, ⚠ blamed by a
    lifecycle warning."""
    marker = "▶ " if row.current else "  "
    style = "bold reverse" if row.current else ("dim" if row.done else "")
    text = Text()
    text.append(marker, style="bold green" if row.current else "")
    text.append(row.name, style=style)
    if row.breakpoint:
        text.append(" ●", style="bold red")
    if row.edited:
        text.append(" ✎", style="bold cyan")
    if row.leaking:
        text.append(" ⚠", style="bold yellow")
    return text


#: Context table columns and their widths at 120 columns, the narrowest supported terminal.
CONTEXT_COLUMNS = (("name", 16), ("type", 9), ("shape", 9), ("dtype", 7), ("device", 4),
                   ("size", 8), ("lifecycle", 7), ("set by", 11))
#: Where the spare width of a wider terminal goes, first come first served, up to a limit.
_COLUMN_GROWTH = (("lifecycle", 2), ("device", 2), ("dtype", 1), ("set by", 13), ("name", 12),
                  ("type", 6), ("shape", 8))
#: Room kept free for the table's vertical scrollbar.
_SCROLLBAR = 2


def context_widths(available: int) -> tuple[int, ...]:
    """Column widths for a table ``available`` cells wide: never below the 120-column
    layout, and the names and hooks get the room first on a wider terminal."""
    widths = dict(CONTEXT_COLUMNS)
    spare = available - _SCROLLBAR - sum(width + 1 for width in widths.values())
    for column, limit in _COLUMN_GROWTH:
        extra = max(0, min(limit, spare))
        widths[column] += extra
        spare -= extra
    return tuple(widths[column] for column, _ in CONTEXT_COLUMNS)


BASE_WIDTHS = tuple(width for _, width in CONTEXT_COLUMNS)
_SHORT_LIFECYCLE = {"routine-managed": "managed"}


def _fit(value: str, width: int) -> str:
    return value if len(value) <= width else value[:width - 1] + "…"


def _short_hook(label: str) -> str:
    """'_hook_on_batch_forward @ on_batch_forward' -> 'batch_forward' (the table is narrow)."""
    name = label.split(" @ ")[0]
    return name.removeprefix("_hook_on_")


def var_cells(row: VarRow, widths: Sequence[int] = BASE_WIDTHS) -> list[Text]:
    """Table cells of one ctx attribute; changed rows in bold yellow, values released when
    this batch / epoch ends marked ⌫ and dimmed."""
    style = "bold yellow" if row.changed else ""
    if row.releasing:
        style = f"{style} dim".strip()
    name = f"⌫{row.name}" if row.releasing else row.name
    values = (name, row.type, row.shape, row.dtype, row.device, row.size,
              _SHORT_LIFECYCLE.get(row.lifecycle, row.lifecycle), _short_hook(row.set_by))
    return [Text(" " + _fit(str(v), width), style=style)
            for v, width in zip(values, widths, strict=True)]


def hooks_first(rows: Sequence[VarRow]) -> list[VarRow]:
    """Attributes written by hooks first (what a step changes), then the trainer's setup."""
    return sorted(rows, key=lambda row: row.set_by == "setup")


def var_sort_key(row: VarRow, column: str) -> object:
    """How a column sorts (size by bytes, everything else as text)."""
    if column == "size":
        return row.nbytes
    return str(getattr(row, column.replace(" ", "_"), "")).lower()


def relative_paths(text: str) -> str:
    """Paths below the working directory shown relative to it (the pane is narrow)."""
    cwd = str(Path.cwd()) + "/"
    return text.replace(cwd, "")


def timings_text(rows: Sequence[TimingRow], *, limit: int = 5, show_time: bool = True) -> Text:
    """Slowest hooks: calls and mean time.

    With the times hidden (stable snapshots) the rows are ordered by calls and name instead,
    since an order by measured time would differ from run to run.
    """
    if not show_time:
        rows = sorted(rows, key=lambda row: (-row.calls, TRIGGERS.index(row.trigger), row.name))
    text = Text()
    text.append("hook timings\n", style="bold")
    if not rows:
        text.append("no hook has run yet", style="dim")
    for row in rows[:limit]:
        timing = f"{row.mean_us:8.1f} us" if show_time else "       - us"
        text.append(f"{_fit(row.name, 26):26s} {row.calls:6d}x {timing}\n")
    return text


def progress_text(done: int, total: int, width: int = 16) -> Text:
    """A text progress bar of the routine's batches (no animation)."""
    filled = int(width * done / total) if total else 0
    text = Text()
    text.append("█" * filled, style="green")
    text.append("░" * (width - filled), style="dim")
    text.append(f" {done}/{total} batches")
    return text


TRIGGER_FIRES = {"on_fit_start": "once per routine, first", "on_fit_end": "once per routine, last",
                 "on_epoch_start": "at the start of every epoch",
                 "on_epoch_end": "at the end of every epoch"}


def trigger_text(trigger: str, hook_count: int, breakpoint: bool) -> Text:
    """Detail pane for a trigger line of the tree."""
    text = Text()
    text.append(f"{trigger}\n", style="bold magenta")
    text.append(f"fires {TRIGGER_FIRES.get(trigger, 'in every batch')}; "
                f"{hook_count} hook(s) in this set\n")
    text.append("breakpoint set\n" if breakpoint else "space: break here\n",
                style="red" if breakpoint else "dim")
    text.append("i inserts a hook here · R clears it", style="dim")
    return text


def hook_text(detail: HookDetail) -> Text:
    """Detail pane for a hook: where it is, what it reads and writes, its timing."""
    text = Text()
    text.append(detail.name, style="bold")
    if detail.breakpoint:
        text.append(" ●", style="bold red")
    text.append(f"\n{relative_paths(detail.location)}\n", style="cyan")
    if detail.summary:
        text.append(f"{detail.summary}\n", style="italic")
    text.append("reads  ", style="bold")
    text.append(", ".join(detail.reads) or "-")
    if detail.optional:
        text.append(f" (optional: {', '.join(detail.optional)})", style="dim")
    text.append("\nwrites ", style="bold")
    text.append(", ".join(detail.writes) or "-")
    text.append(" (seen running)" if detail.observed else " (from its source)", style="dim")
    if detail.calls:
        text.append(f"\nran {detail.calls}x", style="dim")
    if detail.source:
        width = len(str(detail.source[-1][0]))
        text.append("\n")
        for number, line in detail.source:
            here = number == detail.current_line
            text.append(f"\n{'▶' if here else ' '}{number:>{width}} ",
                        style="bold red" if here else "dim")
            text.append(line, style="reverse" if here else "")
    return text


def value_text(info: VarDetail) -> Text:
    """Detail pane for a ctx attribute."""
    facts = dict(info.facts)
    text = Text()
    text.append(f"ctx.{info.name}\n", style="bold")
    text.append("  ".join(f"{k}: {v}" for k, v in info.facts
                          if k not in ("set by", "last changed by")) + "\n", style="cyan")
    text.append(f"set by {relative_paths(facts['set by'])}\n", style="dim")
    last = facts.get("last changed by")
    if last and last != facts["set by"]:
        text.append(f"last changed by {relative_paths(last)}\n", style="dim")
    text.append(info.preview)
    return text


def console_text(result: ConsoleResult) -> Text:
    """The detail pane for a console entry: the value as values are shown, or the error."""
    text = Text()
    text.append(f": {result.text}\n", style="bold")
    if not result.ok:
        text.append(result.error, style="red")
        return text
    if result.detail is None:
        text.append("done", style="green")
        return text
    if result.assigned:
        text.append(f"set {result.assigned}\n", style="green")
    text.append("  ".join(f"{k}: {v}" for k, v in result.detail.facts) + "\n", style="cyan")
    text.append(result.detail.preview)
    return text


def diff_text(change: CtxDiff) -> Text:
    """Added, removed and changed ctx attributes, one group per line."""
    text = Text()
    for sign, names, style in (("+ added", change.added, "green"),
                               ("- removed", change.removed, "red"),
                               ("~ changed", change.changed, "yellow")):
        text.append(f"{sign:10s}", style=f"bold {style}")
        text.append((", ".join(names) or "-") + "\n")
    return text


def loss_strip(losses: list[float]) -> tuple[list[float], str]:
    """The sparkline's points and its label: NaN/Inf losses cannot be drawn (the label
    counts them), and the last loss is shown whatever it is."""
    points = [x for x in losses if math.isfinite(x)]
    if not losses:
        return points, "loss: no batch yet"
    skipped = len(losses) - len(points)
    note = f", {skipped} NaN/Inf not drawn" if skipped else ""
    return points, f"loss {losses[-1]:.4f} (last {len(losses)} batches{note})"
