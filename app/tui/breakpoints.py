"""The breakpoint manager: every breakpoint in one list, to enable, disable, edit or delete.

Opened with ctrl+b. The first row is the "NaN/Inf loss" preset (the session's watch for a
loss that becomes NaN/Inf, on at start); the others are the session's breakpoints by number,
with their kind, place, condition, hit count and, for a condition that failed or waits for
an attribute, why. space enables/disables, ``e`` edits a condition in place (enter saves,
esc abandons), ``x`` deletes, ``a`` closes the manager and opens the "add a breakpoint"
dialog. The screen changes the session directly; the main screen redraws when it closes.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from app.session import BreakpointError, DebugSession

NAN_ROW = "nan"
#: The short columns first: on a narrow terminal the long ones (where, condition, note) are
#: the ones scrolled to.
COLUMNS = ("#", "on", "hits", "kind", "where", "condition", "note")


class BreakpointsScreen(ModalScreen[str | None]):
    """See the module docstring; dismisses with "add" when ``a`` was pressed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("space", "toggle", "On/off"),
        Binding("e", "edit", "Edit condition"),
        Binding("x,delete", "delete", "Delete"),
        Binding("a", "add", "Add"),
    ]

    def __init__(self, session: DebugSession) -> None:
        super().__init__()
        self.session = session
        self._editing: int | None = None
        self._warned: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label("Breakpoints", classes="title")
            yield DataTable(id="bp-table", cursor_type="row", zebra_stripes=True)
            yield Input(placeholder="condition, e.g. batch_i == 3 (empty: none)",
                        id="bp-condition")
            yield Static("", id="problem")
            yield Label("space on/off · e edit condition · x delete · a add · esc close",
                        classes="dim")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        self.query_one("#bp-condition", Input).display = False
        if getattr(self.app, "stable", False):
            self.query_one("#bp-condition", Input).cursor_blink = False
        self.refresh_rows()
        table.focus()

    # -- rows ----------------------------------------------------------------------------
    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        current = table.cursor_row
        table.clear()
        on = self.session.break_on_nonfinite
        table.add_row("N", _on(on), "", "preset", "after the hook that makes a loss NaN/Inf",
                      "", "", key=NAN_ROW)
        for bp in self.session.breakpoints:
            table.add_row(str(bp.id), _on(bp.enabled), str(bp.hits), bp.kind,
                          bp.trigger or bp.hook or
                          ("any trigger" if bp.every else "any batch (once)"),
                          bp.condition or "", Text(bp.message, style="yellow"),
                          key=str(bp.id))
        table.move_cursor(row=min(current, table.row_count - 1), animate=False)

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key is not None else None

    def _problem(self, message: str) -> None:
        self.query_one("#problem", Static).update(Text(message, style="bold red"))

    # -- actions -------------------------------------------------------------------------
    def action_toggle(self) -> None:
        selected = self._selected()
        if selected == NAN_ROW:
            self.session.break_on_nonfinite = not self.session.break_on_nonfinite
        elif selected is not None:
            bp = self.session.breakpoints.get(int(selected))
            self.session.enable_breakpoint(bp.id, not bp.enabled)
        self.refresh_rows()

    def action_delete(self) -> None:
        selected = self._selected()
        if selected == NAN_ROW:
            self._problem("the NaN/Inf preset cannot be deleted: space turns it off")
            return
        if selected is not None:
            self.session.remove_breakpoint(int(selected))
            self.refresh_rows()

    def action_edit(self) -> None:
        selected = self._selected()
        if selected is None or selected == NAN_ROW:
            self._problem("select a breakpoint to edit its condition")
            return
        bp = self.session.breakpoints.get(int(selected))
        self._editing = bp.id
        self._warned = None
        line = self.query_one("#bp-condition", Input)
        line.display = True
        line.value = bp.condition or ""
        line.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._editing is None:
            return
        condition = event.value.strip() or None
        try:  # the second enter on the same text adds a condition on an unknown name
            self.session.edit_breakpoint(self._editing, condition,
                                         force=condition is not None and condition == self._warned)
        except BreakpointError as exc:
            self._warned = condition if "anyway" in str(exc) else None
            self._problem(f"{exc}" + (" (enter again)" if self._warned else ""))
            return
        self._end_edit()

    def _end_edit(self) -> None:
        self._editing = None
        self.query_one("#bp-condition", Input).display = False
        self.query_one("#problem", Static).update("")
        self.refresh_rows()
        self.query_one(DataTable).focus()

    def action_add(self) -> None:
        self.dismiss("add")

    def action_close(self) -> None:
        if self._editing is not None:
            self._end_edit()
            return
        self.dismiss(None)


def _on(enabled: bool) -> Text:
    return Text("on", style="bold green") if enabled else Text("off", style="dim")
