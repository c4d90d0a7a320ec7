"""The Context pane: the filter line and the table of ctx attributes. The screen hands it
rows (attributes down); filtering, sorting, column widths and keeping the cursor on the same
attribute across stops are its own business."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input

from app.session import VarRow
from app.tui import render


class FilterInput(Input):
    """The Context filter, reached with ``/`` only: Tab passes it by, so a person tabbing
    between panes never ends up typing stepping keys into it; leaving it makes it
    unreachable again."""

    can_focus = False

    def open(self) -> None:
        self.can_focus = True
        self.focus()

    def on_blur(self) -> None:
        self.can_focus = False


class ContextPane(Vertical):
    """Filter + table of :class:`VarRow`; ``show_rows`` updates it, cell by cell when the
    same attributes are shown (a rebuild re-lays out the screen, the slowest part of a
    step's refresh)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._rows: list[VarRow] = []
        self._title = "Context"
        self._sort: tuple[str, bool] | None = None
        self._widths = render.BASE_WIDTHS
        self._names: list[str] = []
        self._cells: list[list[Text]] = []

    def compose(self) -> ComposeResult:
        yield FilterInput(placeholder="/ filter variables by name", id="filter")
        yield DataTable(id="ctx", cursor_type="row", zebra_stripes=True, cell_padding=0)

    def on_mount(self) -> None:
        self._add_columns()

    @property
    def table(self) -> DataTable:
        return self.query_one("#ctx", DataTable)

    def show_rows(self, rows: Sequence[VarRow], title: str = "Context") -> None:
        """Show ``rows`` under ``title`` (the filter and sort order apply)."""
        self._rows, self._title = list(rows), title
        self._show()

    @property
    def sorted_by(self) -> tuple[str, bool] | None:
        """(column, descending) a header click chose; None: attributes hooks wrote first."""
        return self._sort

    def open_filter(self) -> None:
        self.query_one(FilterInput).open()

    @property
    def highlighted_name(self) -> str | None:
        """The attribute under the table's cursor."""
        table = self.table
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:  # no cursor row yet
            return None
        return str(key.value) if key is not None and key.value is not None else None

    def fit_columns(self) -> None:
        """Widen the columns to the table's width (a wide terminal shows full names)."""
        widths = render.context_widths(self.table.size.width)
        if widths == self._widths:
            return
        self._widths = widths
        self.table.clear(columns=True)
        self._add_columns()
        self._names, self._cells = [], []
        self._show()

    def _add_columns(self) -> None:
        for (column, _), width in zip(render.CONTEXT_COLUMNS, self._widths, strict=True):
            self.table.add_column(f" {column}", key=column, width=width + 1)

    def _show(self) -> None:
        table, rows = self.table, self._rows
        pattern = self.query_one(FilterInput).value.strip().lower()
        shown = [r for r in rows if pattern in r.name.lower()] if pattern else rows
        shown = render.hooks_first(shown)
        if self._sort is not None:
            column, reverse = self._sort
            shown.sort(key=lambda r: render.var_sort_key(r, column), reverse=reverse)
        current = self.highlighted_name
        cells = [render.var_cells(row, self._widths) for row in shown]
        names = [r.name for r in shown]
        if names == self._names:
            for name, new, old in zip(names, cells, self._cells, strict=True):
                for (column, _), new_cell, old_cell in zip(render.CONTEXT_COLUMNS, new, old,
                                                           strict=True):
                    if (new_cell.plain, new_cell.style) != (old_cell.plain, old_cell.style):
                        table.update_cell(name, column, new_cell)
        else:
            table.clear()
            for name, row_cells in zip(names, cells, strict=True):
                table.add_row(*row_cells, key=name)
        self._names, self._cells = names, cells
        changed = sum(r.changed for r in rows)
        self.border_title = (f"{self._title}  {len(rows)} vars · {changed} changed"
                             + (f" · {len(shown)} shown" if pattern else ""))
        if current in names:
            table.move_cursor(row=names.index(current), animate=False)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        column = str(event.column_key.value)
        reverse = self._sort is not None and self._sort[0] == column and not self._sort[1]
        self._sort = (column, reverse)
        self._show()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._show()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()
