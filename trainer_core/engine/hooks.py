"""HookSet: the ordered hook lists of one hook set (train, eval or finetune), per trigger.

Layout: ``_hooks`` maps each of the eight trigger names to an immutable tuple of hooks, in
the order they run. Every edit builds new tuples and swaps them in through ``_commit``, the
one place that changes a hook set and the one place that tells listeners. So:

* a routine that read a trigger's tuple keeps running exactly that tuple, whatever is
  edited meanwhile;
* an invalid call raises before ``_commit``, leaving the hook set as it was;
* a listener (a UI, an undo stack) sees every change as before/after tuples.

This module imports neither torch nor textual.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trainer_core.engine.triggers import TRIGGERS, Trigger, as_trigger
from trainer_core.errors import HookSetError, HookSignatureError, describe_type, did_you_mean

Hook = Callable[[Any], Any]
HookListener = Callable[["HookChange"], None]

INSERT_MODES = ("before", "after")


def hook_name(hook: Hook) -> str:
    """The name FederatedScope matches hooks by (``__name__``), for any callable."""
    name = getattr(hook, "__name__", None)
    if isinstance(name, str):
        return name
    if isinstance(hook, functools.partial):
        return hook_name(hook.func)
    return type(hook).__name__


@dataclass(frozen=True, slots=True)
class HookInfo:
    """Where a hook is defined, for tables, warnings and error messages."""

    name: str
    qualname: str
    module: str
    file: str
    line: int

    @property
    def location(self) -> str:
        """``file:line``, or the module when the source file is unknown."""
        return f"{self.file}:{self.line}" if self.file else self.module or "?"


def hook_function(hook: Hook) -> Any:
    """The function whose body the hook runs: through partials, bound methods and callable
    objects (their class's ``__call__``); a builtin comes back as it is."""
    target: Any = hook
    while isinstance(target, functools.partial):
        target = target.func
    target = getattr(target, "__func__", target)  # bound method -> function
    if callable(target) and not inspect.isroutine(target):
        call = type(target).__call__
        target = getattr(call, "__func__", call)
    return target


def _code_of(hook: Hook) -> Any:
    return getattr(hook_function(hook), "__code__", None)


def describe_hook(hook: Hook) -> HookInfo:
    """Name, qualified name, module and file:line of any hook callable."""
    target: Any = hook.func if isinstance(hook, functools.partial) else hook
    target = getattr(target, "__func__", target)
    code = _code_of(hook)
    return HookInfo(
        name=hook_name(hook),
        qualname=getattr(target, "__qualname__", None) or type(target).__qualname__,
        module=getattr(target, "__module__", None) or type(target).__module__ or "",
        file=code.co_filename if code is not None else "",
        line=code.co_firstlineno if code is not None else 0,
    )


def check_hook(hook: Any, *, hookset: str = "", trigger: str = "") -> None:
    """Raise HookSignatureError unless ``hook`` can be called as ``hook(ctx)``."""
    if not callable(hook):
        raise HookSignatureError(
            f"a hook must be callable as hook(ctx); got {describe_type(hook)} {hook!r}",
            hookset=hookset, trigger=trigger)
    try:
        signature = inspect.signature(hook)
    except (TypeError, ValueError):
        return  # builtins and some C callables: nothing to check
    try:
        signature.bind(object())
    except TypeError:
        params = [str(p) for p in signature.parameters.values()]
        raise HookSignatureError(
            f"hook '{hook_name(hook)}' takes parameters ({', '.join(params)}) but will be "
            f"called as hook(ctx) with one argument", hookset=hookset, trigger=trigger) from None


@dataclass(frozen=True, slots=True)
class HookChange:
    """One applied edit: the hooks of each affected trigger before and after it."""

    hookset: HookSet
    op: str
    before: Mapping[str, tuple[Hook, ...]]
    after: Mapping[str, tuple[Hook, ...]]


@dataclass(frozen=True, slots=True)
class HookSetRef:
    """One of a trainer's hook sets, as ``Trainer.hook_sets()`` lists it.

    ``kind`` is 'train', 'eval' or 'finetune'; ``label`` names it in configs, pipelines and
    the debugger ('train', or 'train[1]' for model 1 of a multi-model trainer). Several
    refs may share one HookSet (FederatedScope's FedEM gives every model model 0's set).
    """

    kind: str
    model_idx: int
    label: str
    hookset: HookSet


class HookSet(Mapping[str, tuple[Hook, ...]]):
    """Ordered hooks per trigger for one mode; FederatedScope's ``hooks_in_train`` shape.

    Reading: ``hookset[trigger]`` is a tuple (edit through the methods, never in place).
    Writing: ``register`` / ``insert`` / ``replace`` / ``reset`` / ``remove`` / ``move`` /
    ``set_hooks`` / ``restore`` all validate first, then change through ``_commit``.
    """

    __slots__ = ("_hooks", "_listeners", "label")

    def __init__(self, label: str = "train",
                 hooks: Mapping[str, Sequence[Hook]] | None = None) -> None:
        self.label = label
        self._hooks: dict[str, tuple[Hook, ...]] = {t: () for t in TRIGGERS}
        self._listeners: list[HookListener] = []
        if hooks:
            for trigger, seq in hooks.items():
                name = self._trigger(trigger)
                for hook in seq:
                    check_hook(hook, hookset=label, trigger=name)
                self._hooks[name] = tuple(seq)

    # -- reading ---------------------------------------------------------------------
    def __getitem__(self, trigger: str | Trigger) -> tuple[Hook, ...]:
        return self._hooks[self._trigger(trigger)]

    def __iter__(self) -> Iterator[str]:
        return iter(TRIGGERS)

    def __len__(self) -> int:
        return len(TRIGGERS)

    def __repr__(self) -> str:
        body = ", ".join(f"{t}: [{', '.join(self.names(t))}]" for t in TRIGGERS if self._hooks[t])
        return f"HookSet({self.label!r}, {{{body}}})"

    def names(self, trigger: str | Trigger) -> list[str]:
        """Hook names at a trigger, in order."""
        return [hook_name(h) for h in self[trigger]]

    def snapshot(self) -> dict[str, tuple[Hook, ...]]:
        """All triggers' hooks; hand it back to :meth:`restore` to return to this state."""
        return dict(self._hooks)

    def same_hooks(self, other: Mapping[str, Sequence[Hook]]) -> bool:
        """True when ``other`` holds the same hooks in the same order at every trigger."""
        return all(tuple(other.get(t, ())) == self._hooks[t] for t in TRIGGERS)

    def copy(self, label: str | None = None) -> HookSet:
        """An independent hook set with the same hooks (listeners are not copied)."""
        twin = HookSet(self.label if label is None else label)
        twin._hooks = dict(self._hooks)
        return twin

    # -- listening -------------------------------------------------------------------
    def subscribe(self, listener: HookListener) -> Callable[[], None]:
        """Call ``listener(change)`` after every edit; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # -- editing ---------------------------------------------------------------------
    def register(self, new_hook: Hook, trigger: str | Trigger, insert_pos: int | None = None,
                 base_hook: Hook | str | None = None, insert_mode: str = "before") -> int:
        """FederatedScope's ``register_hook_in_*``; returns the position the hook went to.

        ``insert_pos``: -1 or ``len`` appends, 0 prepends, anything in range inserts there.
        ``base_hook`` (a hook or its name) with ``insert_mode`` "before"/"after" inserts
        immediately before/after it; FederatedScope inserts one place too early for
        "before", hookscope does not. Neither given: append.
        """
        name = self._trigger(trigger)
        self._check(new_hook, name)
        hooks = self._hooks[name]
        position = self._insert_position(name, hooks, insert_pos, base_hook, insert_mode)
        self._commit("register", {name: (*hooks[:position], new_hook, *hooks[position:])})
        return position

    def register_after(self, new_hook: Hook, trigger: str | Trigger, base_hook: str) -> int:
        """Right after ``base_hook`` when the trigger has it, else at the end: how a pack
        adds to a pipeline that may have been edited."""
        if base_hook in self.names(trigger):
            return self.register(new_hook, trigger, base_hook=base_hook, insert_mode="after")
        return self.register(new_hook, trigger)

    def replace(self, new_hook: Hook, trigger: str | Trigger,
                target_hook_name: str) -> tuple[Hook, ...]:
        """Put ``new_hook`` in place of every hook named ``target_hook_name``; return those."""
        name = self._trigger(trigger)
        self._check(new_hook, name)
        hooks = self._hooks[name]
        found = self._positions_named(name, hooks, target_hook_name)
        replaced = tuple(hooks[i] for i in found)
        updated = tuple(new_hook if i in found else h for i, h in enumerate(hooks))
        self._commit("replace", {name: updated})
        return replaced

    def reset(self, trigger: str | Trigger, target_hook_name: str | None = None
              ) -> tuple[Hook, ...]:
        """Remove all hooks of a trigger, or only those named ``target_hook_name``."""
        name = self._trigger(trigger)
        hooks = self._hooks[name]
        if target_hook_name is None:
            self._commit("reset", {name: ()})
            return hooks
        found = self._positions_named(name, hooks, target_hook_name)
        self._commit("reset", {name: tuple(h for i, h in enumerate(hooks) if i not in found)})
        return tuple(hooks[i] for i in found)

    def remove(self, trigger: str | Trigger, position: int) -> Hook:
        """Remove and return the hook at ``position`` (negative counts from the end)."""
        name = self._trigger(trigger)
        hooks = self._hooks[name]
        index = self._existing_position(name, hooks, position)
        self._commit("remove", {name: hooks[:index] + hooks[index + 1:]})
        return hooks[index]

    def move(self, trigger: str | Trigger, position: int, new_position: int,
             to_trigger: str | Trigger | None = None) -> None:
        """Move the hook at ``position`` to ``new_position`` (of ``to_trigger`` if given).

        ``new_position`` indexes the target list as it is after the hook left it; -1 means
        the end.
        """
        source = self._trigger(trigger)
        target = source if to_trigger is None else self._trigger(to_trigger)
        hooks = self._hooks[source]
        index = self._existing_position(source, hooks, position)
        hook = hooks[index]
        remaining = hooks[:index] + hooks[index + 1:]
        target_hooks = remaining if target == source else self._hooks[target]
        if not isinstance(new_position, int) or isinstance(new_position, bool) or not (
                new_position == -1 or 0 <= new_position <= len(target_hooks)):
            raise self._error(target, self._hooks[target],
                              f"cannot move '{hook_name(hook)}' to position {new_position!r} "
                              f"(use 0..{len(target_hooks)}, or -1 for the end)")
        slot = self._insert_position(target, target_hooks, new_position, None, "before")
        moved = (*target_hooks[:slot], hook, *target_hooks[slot:])
        changes = {source: moved} if target == source else {source: remaining, target: moved}
        self._commit("move", changes)

    def set_hooks(self, trigger: str | Trigger, hooks: Sequence[Hook]) -> None:
        """Replace a trigger's whole list (validated)."""
        name = self._trigger(trigger)
        for hook in hooks:
            self._check(hook, name)
        self._commit("set", {name: tuple(hooks)})

    __setitem__ = set_hooks

    def restore(self, snapshot: Mapping[str, Sequence[Hook]]) -> None:
        """Return every trigger to a :meth:`snapshot` (triggers it omits become empty)."""
        changes: dict[str, tuple[Hook, ...]] = {}
        for trigger in snapshot:
            self._trigger(trigger)
        for trigger in TRIGGERS:
            hooks = tuple(snapshot.get(trigger, ()))
            for hook in hooks:
                self._check(hook, trigger)
            if hooks != self._hooks[trigger]:
                changes[trigger] = hooks
        if changes:
            self._commit("restore", changes)

    # -- the one place that changes hooks ----------------------------------------------
    def _commit(self, op: str, changes: dict[str, tuple[Hook, ...]]) -> None:
        before = {t: self._hooks[t] for t in changes}
        self._hooks.update(changes)
        if self._listeners:
            change = HookChange(self, op, before, dict(changes))
            for listener in list(self._listeners):
                listener(change)

    # -- validation helpers ------------------------------------------------------------
    def _trigger(self, trigger: str | Trigger) -> str:
        return as_trigger(trigger, hookset=self.label)

    def _error(self, trigger: str, hooks: tuple[Hook, ...], message: str,
               kind: type[HookSetError] = HookSetError) -> HookSetError:
        names = tuple(hook_name(h) for h in hooks)
        listing = ", ".join(names) if names else "no hooks"
        return kind(f"{message}; {self.label} hooks at {trigger}: [{listing}]",
                    hookset=self.label, trigger=trigger, hooks=names)

    def _check(self, hook: Any, trigger: str) -> None:
        """check_hook, with the trigger's hooks in the message as every other error has."""
        try:
            check_hook(hook, hookset=self.label, trigger=trigger)
        except HookSignatureError as exc:
            raise self._error(trigger, self._hooks[trigger], str(exc),
                              HookSignatureError) from None

    def _insert_position(self, trigger: str, hooks: tuple[Hook, ...], insert_pos: int | None,
                         base_hook: Hook | str | None, insert_mode: str) -> int:
        """Resolve FederatedScope's three ways of saying where to insert into one index."""
        if insert_pos is not None:
            if isinstance(insert_pos, bool) or not isinstance(insert_pos, int):
                raise self._error(trigger, hooks,
                                  f"insert_pos must be an int, got {describe_type(insert_pos)}")
            if insert_pos == -1:
                return len(hooks)
            if 0 <= insert_pos <= len(hooks):
                return insert_pos
            raise self._error(trigger, hooks, f"insert_pos {insert_pos} is out of range "
                              f"(use 0..{len(hooks)}, or -1 to append)")
        if base_hook is not None:
            if insert_mode not in INSERT_MODES:
                raise self._error(trigger, hooks,
                                  f"insert_mode must be 'before' or 'after', got {insert_mode!r}")
            index = self._base_index(trigger, hooks, base_hook)
            return index if insert_mode == "before" else index + 1
        return len(hooks)

    def _base_index(self, trigger: str, hooks: tuple[Hook, ...], base_hook: Hook | str) -> int:
        if not (isinstance(base_hook, str) or callable(base_hook)):
            raise self._error(trigger, hooks, f"base_hook must be a hook or a hook's name, got "
                                              f"{describe_type(base_hook)} {base_hook!r}")
        if isinstance(base_hook, str):
            positions = [i for i, h in enumerate(hooks) if hook_name(h) == base_hook]
            label = base_hook
        else:
            positions = [i for i, h in enumerate(hooks) if h == base_hook]
            label = hook_name(base_hook)
        if not positions:
            hint = did_you_mean(label, [hook_name(h) for h in hooks])
            raise self._error(trigger, hooks, f"base_hook '{label}' is not registered{hint}")
        return positions[0]

    def _positions_named(self, trigger: str, hooks: tuple[Hook, ...], name: str) -> set[int]:
        if not isinstance(name, str):
            raise self._error(trigger, hooks, f"target_hook_name must be a hook's name (a str), "
                                              f"got {describe_type(name)} {name!r}")
        found = {i for i, h in enumerate(hooks) if hook_name(h) == name}
        if not found:
            hint = did_you_mean(name, [hook_name(h) for h in hooks])
            raise self._error(trigger, hooks, f"no hook named '{name}'{hint}")
        return found

    def _existing_position(self, trigger: str, hooks: tuple[Hook, ...], position: int) -> int:
        if isinstance(position, bool) or not isinstance(position, int):
            raise self._error(trigger, hooks,
                              f"position must be an int, got {describe_type(position)}")
        if -len(hooks) <= position < len(hooks):
            return position % len(hooks)
        count = len(hooks)
        usable = (f"use 0..{count - 1}, or -{count}..-1 from the end" if count
                  else "there are no hooks here")
        raise self._error(trigger, hooks, f"position {position} is out of range ({usable})")
