"""Hook-set edits as values: one vocabulary for configs, the debugger and scripts.

``Insert``, ``Remove``, ``Replace``, ``Move`` and ``Reset`` each say what to change in one hook
set, with hooks already resolved, and apply themselves through :class:`HookSet`'s own
operations, so the ordering rules and the errors are HookSet's. A config's ``hooks:`` section
parses into them (names and positions checked against the hook set they edit), the debugger
applies them with undo, and a script can write ``Move("on_batch_end", 2, 0).apply(hookset)``.

``apply`` returns the hooks the edit put in place (inserted, moved, or put in by replace), at
``edit.target``, the trigger they went to: the debugger marks them in its tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trainer_core.engine.hooks import Hook, HookSet, hook_name
from trainer_core.errors import HookSetError


class _OneTrigger:
    """What every edit shares: it acts at ``trigger``, where its placed hooks end up too
    unless it says otherwise (a Move to another trigger)."""

    __slots__ = ()
    trigger: str

    @property
    def target(self) -> str:
        """The trigger the hooks this edit places end up at."""
        return self.trigger


@dataclass(frozen=True, slots=True)
class Insert(_OneTrigger):
    """Insert ``hook`` at ``position`` of ``trigger`` (-1: the end), or immediately before /
    after the first hook named ``before`` / ``after``."""

    trigger: str
    hook: Hook
    position: int = -1
    before: str | None = None
    after: str | None = None

    def apply(self, hookset: HookSet) -> tuple[Hook, ...]:
        base = self.before if self.before is not None else self.after
        if base is not None:
            hookset.register(self.hook, self.trigger, base_hook=base,
                             insert_mode="before" if self.before is not None else "after")
        else:
            hookset.register(self.hook, self.trigger, insert_pos=self.position)
        return (self.hook,)

    def describe(self) -> str:
        where = (f"before {self.before}" if self.before is not None else
                 f"after {self.after}" if self.after is not None else
                 "end" if self.position == -1 else f"#{self.position}")
        return f"insert {hook_name(self.hook)} at {self.trigger} {where}"


@dataclass(frozen=True, slots=True)
class Remove(_OneTrigger):
    """Remove the hook at ``position`` of ``trigger`` (negative counts from the end)."""

    trigger: str
    position: int

    def apply(self, hookset: HookSet) -> tuple[Hook, ...]:
        hookset.remove(self.trigger, self.position)
        return ()

    def describe(self) -> str:
        return f"remove {self.trigger} #{self.position}"


@dataclass(frozen=True, slots=True)
class Replace(_OneTrigger):
    """Put ``hook`` in place of every hook named ``target_name`` at ``trigger``."""

    trigger: str
    target_name: str
    hook: Hook

    def apply(self, hookset: HookSet) -> tuple[Hook, ...]:
        hookset.replace(self.hook, self.trigger, self.target_name)
        return (self.hook,)

    def describe(self) -> str:
        return f"replace {self.target_name} with {hook_name(self.hook)} at {self.trigger}"


@dataclass(frozen=True, slots=True)
class Move(_OneTrigger):
    """Move the hook at ``position`` of ``trigger`` to ``new_position`` (of ``to_trigger``
    when given), indexing the target list as it is once the hook has left it; -1: the end."""

    trigger: str
    position: int
    new_position: int = -1
    to_trigger: str | None = None

    @property
    def target(self) -> str:
        """The trigger the moved hook ends up at."""
        return self.to_trigger or self.trigger

    def apply(self, hookset: HookSet) -> tuple[Hook, ...]:
        hooks = hookset[self.trigger]
        hookset.move(self.trigger, self.position, self.new_position, self.to_trigger)
        return (hooks[self.position],)  # valid: move() checked the position

    def describe(self) -> str:
        target = f"{self.to_trigger} " if self.to_trigger else ""
        return f"move {self.trigger} #{self.position} to {target}#{self.new_position}"


@dataclass(frozen=True, slots=True)
class Reset(_OneTrigger):
    """Remove every hook of ``trigger``, or only those named ``name``."""

    trigger: str
    name: str | None = None

    def apply(self, hookset: HookSet) -> tuple[Hook, ...]:
        hookset.reset(self.trigger, self.name)
        return ()

    def describe(self) -> str:
        return f"reset {self.trigger}" + (f" ({self.name})" if self.name else "")


Edit = Insert | Remove | Replace | Move | Reset


def apply_to_copy(edit: Edit, hookset: HookSet) -> dict[str, tuple[Hook, ...]]:
    """The snapshot ``edit`` would produce, without touching ``hookset`` (errors raise)."""
    twin = hookset.copy()
    edit.apply(twin)
    return twin.snapshot()


def retarget(edit: Edit, source: HookSet, target: HookSet, *, label: str = "") -> Edit:
    """``edit``, written against ``source``, for ``target``: each position it names is
    resolved to the hook at that position in ``source`` (its name, and which of that name it
    is), then found in ``target``. So one edit meant for several hook sets that have come to
    differ (a federated client edited on its own) changes the same hooks in each, not
    whatever sits at the same index. Edits by name are returned as they are.
    HookSetError (naming ``label``) when ``target`` lacks the hook."""
    if isinstance(edit, Remove):
        return Remove(edit.trigger, _same_hook(edit.trigger, edit.position, source[edit.trigger],
                                               target[edit.trigger], label))
    if isinstance(edit, Insert) and edit.before is None and edit.after is None:
        hooks = source[edit.trigger]
        if edit.position == -1 or edit.position >= len(hooks):
            return edit  # the end, wherever that is
        return Insert(edit.trigger, edit.hook, _same_hook(edit.trigger, edit.position, hooks,
                                                          target[edit.trigger], label))
    if isinstance(edit, Move):
        position = _same_hook(edit.trigger, edit.position, source[edit.trigger],
                              target[edit.trigger], label)
        new_position = edit.new_position
        if new_position != -1:  # indexes the destination once the hook has left it
            src = _without(source, edit.trigger, edit.position, edit.target)
            if new_position < len(src):
                new_position = _same_hook(edit.target, new_position, src,
                                          _without(target, edit.trigger, position, edit.target),
                                          label)
            else:
                new_position = -1
        return Move(edit.trigger, position, new_position, edit.to_trigger)
    return edit


def _without(hookset: HookSet, trigger: str, position: int, destination: str) -> list[Hook]:
    """The destination's hooks as a move sees them: without the moving hook."""
    hooks = list(hookset[destination])
    if destination == trigger:
        del hooks[position]
    return hooks


def _same_hook(trigger: str, position: int, source: Sequence[Hook], target: Sequence[Hook],
               label: str) -> int:
    """The index in ``target`` of the hook at ``position`` in ``source``, matched by name
    and by which of the hooks of that name it is."""
    if not -len(source) <= position < len(source):
        raise HookSetError(f"no hook #{position} at {trigger} (it has {len(source)})",
                           trigger=trigger, hooks=tuple(hook_name(h) for h in source))
    position %= len(source)
    name = hook_name(source[position])
    nth = sum(hook_name(h) == name for h in source[:position])
    found = [i for i, hook in enumerate(target) if hook_name(hook) == name]
    if nth >= len(found):
        which = f"{_ordinal(nth + 1)} hook '{name}'" if nth else f"hook '{name}'"
        raise HookSetError(f"{label or 'the hook set'} has no {which} at {trigger}",
                           hookset=label, trigger=trigger,
                           hooks=tuple(hook_name(h) for h in target))
    return found[nth]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
