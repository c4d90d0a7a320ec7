"""Unlimited, exact undo / redo of hook-set edits, and the marks of hooks the user placed.

The history does not re-implement any edit: it listens to the hook sets while an edit (or a
pipeline load) runs, through :meth:`HookSet.subscribe`, and keeps each
:class:`~trainer_core.engine.hooks.HookChange` — the touched triggers' hook tuples before and
after. Undo puts the "before" tuples back, redo the "after" ones: a few shared tuples per
entry, so the stacks need no bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from trainer_core.engine.edits import Edit
from trainer_core.engine.hooks import Hook, HookChange, HookSet

#: Hooks the user inserted, moved or put in by replace, as (trigger, id(hook)).
Marks = frozenset[tuple[str, int]]
T = TypeVar("T")


@dataclass
class HistoryEntry:
    """One undoable step: what it changed, and the marks of each touched hook set."""

    description: str
    changes: list[HookChange]
    marks_before: dict[int, Marks]
    marks_after: dict[int, Marks]


@dataclass
class EditHistory:
    """Undo and redo stacks over hook-set changes, plus the marks they leave."""

    undo_stack: list[HistoryEntry] = field(default_factory=list)
    redo_stack: list[HistoryEntry] = field(default_factory=list)
    marks: dict[int, Marks] = field(default_factory=dict)  # id(hookset) -> marks

    def marks_of(self, hookset: HookSet) -> Marks:
        """Hooks the user placed in this hook set, as (trigger, id(hook))."""
        return self.marks.get(id(hookset), frozenset())

    def apply(self, edit: Edit, hookset: HookSet) -> HistoryEntry | None:
        """Apply ``edit`` (validated by HookSet: on error nothing changes) and record it;
        None when it changed nothing."""
        with self._recording([hookset]) as changes:
            placed = edit.apply(hookset)
        placed_ids = {id(hook) for hook in placed}

        def marks(_: HookSet, old: Marks) -> Marks:  # a placed hook's old mark moves with it
            kept = {mark for mark in old if mark[1] not in placed_ids}
            return frozenset(kept | {(edit.target, hook_id) for hook_id in placed_ids})

        return self._push(edit.describe(), changes, marks)

    def record(self, description: str, hooksets: Iterable[HookSet],
               change: Callable[[], T]) -> T:
        """Run ``change()`` (a pipeline load...) as one undoable step over ``hooksets``; the
        hooks it put at new places are marked."""
        with self._recording(list(hooksets)) as changes:
            result = change()
        self._push(description, changes, lambda hs, old: _moved(hs, changes))
        return result

    @contextmanager
    def _recording(self, hooksets: list[HookSet]) -> Iterator[list[HookChange]]:
        changes: list[HookChange] = []
        stops = [hookset.subscribe(changes.append) for hookset in hooksets]
        try:
            yield changes
        finally:
            for stop in stops:
                stop()

    def _push(self, description: str, changes: list[HookChange],
              new_marks: Callable[[HookSet, Marks], Marks]) -> HistoryEntry | None:
        if not changes:
            return None
        sets = list({id(c.hookset): c.hookset for c in changes}.values())
        before = {id(hs): self.marks_of(hs) for hs in sets}
        after = {id(hs): new_marks(hs, before[id(hs)]) & _live(hs) for hs in sets}
        self.marks.update(after)
        entry = HistoryEntry(description, changes, before, after)
        self.undo_stack.append(entry)
        self.redo_stack.clear()
        return entry

    def undo(self) -> HistoryEntry | None:
        """Return the hook sets to their state before the last step; None if none."""
        if not self.undo_stack:
            return None
        entry = self.undo_stack.pop()
        for change in reversed(entry.changes):
            _put(change.hookset, change.before)
        self.marks.update(entry.marks_before)
        self.redo_stack.append(entry)
        return entry

    def redo(self) -> HistoryEntry | None:
        """Apply the last undone step again; None if none."""
        if not self.redo_stack:
            return None
        entry = self.redo_stack.pop()
        for change in entry.changes:
            _put(change.hookset, change.after)
        self.marks.update(entry.marks_after)
        self.undo_stack.append(entry)
        return entry


def _put(hookset: HookSet, hooks: dict[str, tuple[Hook, ...]]) -> None:
    for trigger, sequence in hooks.items():
        hookset.set_hooks(trigger, sequence)


def _live(hookset: HookSet) -> Marks:
    return frozenset((t, id(h)) for t in hookset for h in hookset[t])


def _moved(hookset: HookSet, changes: list[HookChange]) -> Marks:
    """Hooks of ``hookset`` that a bulk change put at a new place (per trigger, a hook at a
    position where another was before)."""
    first: dict[str, tuple[Hook, ...]] = {}
    for change in changes:
        if change.hookset is hookset:
            for trigger, hooks in change.before.items():
                first.setdefault(trigger, hooks)
    marks = set()
    for trigger, old in first.items():
        new = hookset[trigger]
        marks.update((trigger, id(h)) for i, h in enumerate(new)
                     if i >= len(old) or old[i] is not h)
    return frozenset(marks)
