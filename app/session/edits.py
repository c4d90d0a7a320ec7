"""Live edits of hook sets as values, and their unlimited undo / redo.

An edit names its hook set by (mode, model_idx) and applies itself through
:class:`~trainer_core.hooks.HookSet`'s own operations: the session never re-implements list
semantics. :class:`EditHistory` keeps, per applied edit, the hook set's snapshot before and
after it (tuples of hooks, so an entry costs a few pointers) and the hooks the user touched,
so undo and redo are exact: ``HookSet.restore(snapshot)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer_core.engine.hooks import Hook, HookSet, hook_name

Snapshot = dict[str, tuple[Hook, ...]]
#: Hooks the user inserted, moved or put in by replace, as (trigger, id(hook)).
Marks = frozenset[tuple[str, int]]


@dataclass(frozen=True)
class Insert:
    """Insert ``hook`` at ``position`` of ``trigger`` (-1 appends)."""

    trigger: str
    hook: Hook
    position: int = -1
    mode: str = "train"
    model_idx: int = 0

    def apply(self, hookset: HookSet) -> set[tuple[str, int]]:
        hookset.register(self.hook, self.trigger, insert_pos=self.position)
        return {(str(self.trigger), id(self.hook))}

    def describe(self) -> str:
        where = "end" if self.position == -1 else f"#{self.position}"
        return f"insert {hook_name(self.hook)} at {self.trigger} {where}"


@dataclass(frozen=True)
class Remove:
    """Remove the hook at ``position`` of ``trigger``."""

    trigger: str
    position: int
    mode: str = "train"
    model_idx: int = 0

    def apply(self, hookset: HookSet) -> set[tuple[str, int]]:
        hookset.remove(self.trigger, self.position)
        return set()

    def describe(self) -> str:
        return f"remove {self.trigger} #{self.position}"


@dataclass(frozen=True)
class Replace:
    """Put ``hook`` in place of every hook named ``target`` at ``trigger``."""

    trigger: str
    target: str
    hook: Hook
    mode: str = "train"
    model_idx: int = 0

    def apply(self, hookset: HookSet) -> set[tuple[str, int]]:
        hookset.replace(self.hook, self.trigger, self.target)
        return {(str(self.trigger), id(self.hook))}

    def describe(self) -> str:
        return f"replace {self.target} with {hook_name(self.hook)} at {self.trigger}"


@dataclass(frozen=True)
class Move:
    """Move the hook at ``position`` to ``new_position`` (of ``to_trigger`` if given)."""

    trigger: str
    position: int
    new_position: int
    to_trigger: str | None = None
    mode: str = "train"
    model_idx: int = 0

    def apply(self, hookset: HookSet) -> set[tuple[str, int]]:
        hooks = hookset[self.trigger]
        hookset.move(self.trigger, self.position, self.new_position, self.to_trigger)
        hook = hooks[self.position]  # valid: move() checked it
        return {(str(self.to_trigger or self.trigger), id(hook))}

    def describe(self) -> str:
        target = f"{self.to_trigger} " if self.to_trigger else ""
        return f"move {self.trigger} #{self.position} to {target}#{self.new_position}"


@dataclass(frozen=True)
class Reset:
    """Remove every hook of ``trigger`` (or only those named ``name``)."""

    trigger: str
    name: str | None = None
    mode: str = "train"
    model_idx: int = 0

    def apply(self, hookset: HookSet) -> set[tuple[str, int]]:
        hookset.reset(self.trigger, self.name)
        return set()

    def describe(self) -> str:
        return f"reset {self.trigger}" + (f" ({self.name})" if self.name else "")


Edit = Insert | Remove | Replace | Move | Reset


def apply_to_copy(edit: Edit, hookset: HookSet) -> Snapshot:
    """The snapshot ``edit`` would produce, without touching ``hookset`` (errors raise)."""
    twin = hookset.copy()
    edit.apply(twin)
    return twin.snapshot()


@dataclass
class HistoryEntry:
    """One undoable step: each touched hook set's (before, after) snapshots and marks."""

    description: str
    states: list[tuple[HookSet, Snapshot, Snapshot]]
    marks_before: dict[int, Marks]
    marks_after: dict[int, Marks]


@dataclass
class EditHistory:
    """Undo and redo stacks (unbounded: an entry is a few tuples of shared hooks)."""

    undo_stack: list[HistoryEntry] = field(default_factory=list)
    redo_stack: list[HistoryEntry] = field(default_factory=list)
    marks: dict[int, Marks] = field(default_factory=dict)  # id(hookset) -> marks

    def marks_of(self, hookset: HookSet) -> Marks:
        """Hooks the user placed in this hook set, as (trigger, id(hook))."""
        return self.marks.get(id(hookset), frozenset())

    def apply(self, edit: Edit, hookset: HookSet) -> HistoryEntry:
        """Apply ``edit`` (validated by HookSet: on error nothing changes) and record it."""
        before = hookset.snapshot()
        marks_before = {id(hookset): self.marks_of(hookset)}
        touched = edit.apply(hookset)
        after = hookset.snapshot()
        live = {(t, id(h)) for t in after for h in after[t]}
        touched_ids = {hook_id for _, hook_id in touched}
        kept = {m for m in marks_before[id(hookset)] if m[1] not in touched_ids}
        new_marks = frozenset((kept | touched) & live)
        entry = HistoryEntry(edit.describe(), [(hookset, before, after)], marks_before,
                             {id(hookset): new_marks})
        self.marks[id(hookset)] = new_marks
        self._push(entry)
        return entry

    def record_bulk(self, description: str,
                    states: list[tuple[HookSet, Snapshot, Snapshot]]) -> HistoryEntry:
        """Record a change already made to several hook sets (a loaded pipeline)."""
        before = {id(hs): self.marks_of(hs) for hs, _, _ in states}
        after: dict[int, Marks] = {}
        for hs, old, new in states:
            changed = {(t, id(h)) for t in new for i, h in enumerate(new[t])
                       if i >= len(old.get(t, ())) or old[t][i] is not h}
            after[id(hs)] = frozenset(changed)
            self.marks[id(hs)] = after[id(hs)]
        entry = HistoryEntry(description, states, before, after)
        self._push(entry)
        return entry

    def _push(self, entry: HistoryEntry) -> None:
        self.undo_stack.append(entry)
        self.redo_stack.clear()

    def undo(self) -> HistoryEntry | None:
        """Return the hook sets to their state before the last edit; None if nothing to undo."""
        if not self.undo_stack:
            return None
        entry = self.undo_stack.pop()
        for hookset, before, _ in entry.states:
            hookset.restore(before)
        self.marks.update(entry.marks_before)
        self.redo_stack.append(entry)
        return entry

    def redo(self) -> HistoryEntry | None:
        """Apply the last undone edit again; None if nothing to redo."""
        if not self.redo_stack:
            return None
        entry = self.redo_stack.pop()
        for hookset, _, after in entry.states:
            hookset.restore(after)
        self.marks.update(entry.marks_after)
        self.undo_stack.append(entry)
        return entry

