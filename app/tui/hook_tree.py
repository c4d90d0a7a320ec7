"""The hook tree widget: the eight triggers of one hook set with their hooks, relabelled in
place at every stop and rebuilt only when the hooks themselves changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Tree

from app.session import HookRow
from app.tui import render

NodeData = tuple[str, int]  # (trigger, position); position -1 for the trigger itself


class HookTree(Tree[NodeData]):
    """The hook tree; space toggles a breakpoint instead of folding a trigger."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "screen.toggle_breakpoint", "Breakpoint", show=False),
    ]

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(label, id=id)
        self.show_root = False
        self.guide_depth = 2
        self._structure: list[tuple[str, int, str]] = []

    def show_rows(self, rows: Sequence[HookRow]) -> None:
        """Show ``rows`` (HookRows of one hook set): relabel when only marks changed, rebuild
        (keeping the selection) when hooks were added, removed or moved."""
        structure = [(r.trigger, r.position, r.name) for r in rows]
        counts = {r.trigger: 0 for r in rows}
        for r in rows:
            if not r.is_trigger:
                counts[r.trigger] += 1
        if structure != self._structure:
            selected = self.selection
            self.clear()
            parents: dict[str, Any] = {}
            for row in rows:
                if row.is_trigger:
                    parents[row.trigger] = self.root.add(
                        render.trigger_label(row, counts[row.trigger]),
                        data=(row.trigger, -1), expand=True)
                else:
                    parents[row.trigger].add_leaf(render.hook_label(row),
                                                  data=(row.trigger, row.position))
            self._structure = structure
            self.select(selected)
            return
        nodes = [n for parent in self.root.children for n in (parent, *parent.children)]
        for node, row in zip(nodes, rows, strict=True):
            node.set_label(render.trigger_label(row, counts[row.trigger]) if row.is_trigger
                           else render.hook_label(row))

    @property
    def selection(self) -> NodeData | None:
        """(trigger, position) under the cursor; position -1 for a trigger."""
        node = self.cursor_node
        return node.data if node is not None else None

    def select(self, data: NodeData | None) -> None:
        """Put the cursor on a trigger or hook (on its trigger when the hook is gone)."""
        if data is None:
            return
        for parent in self.root.children:
            for node in (parent, *parent.children):
                if node.data == data:
                    self.move_cursor(node)
                    return
        for parent in self.root.children:
            if parent.data == (data[0], -1):
                self.move_cursor(parent)
