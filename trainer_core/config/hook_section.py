"""A config's ``hooks:`` section: edits applied in order on top of the default hooks.

::

    hooks:
      train:                 # or eval; train[1] / eval[1] address one model of a
                             # MultiModelTrainer (train / eval alone: every model)
        - insert: {hook: "hooks/extra.py:log_loss", trigger: on_batch_end,
                   after: _hook_on_batch_end}          # or before: NAME, or position: N
        - remove: {trigger: on_batch_forward, hook: _hook_on_batch_forward_regularizer}
        - replace: {trigger: on_batch_backward, hook: _hook_on_batch_backward,
                    new: dp_clip_and_noise}
        - move: {trigger: on_batch_end, hook: log_loss, to: 0}   # or before: / after: a hook,
                                                                 # optionally to_trigger:
        - reset: {trigger: on_fit_end}                           # or hook: NAME for just those
      pipeline: {train: {...}, eval: {...}}      # a full pipeline (config/pipeline.py)

Each edit goes through the trainer's HookSet methods, so the rules are the engine's (e.g.
``before`` inserts immediately before the named hook). Errors name the edit's key path
(``hooks.train[2].insert.trigger``) and the file line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer_core.config.pipeline import PipelineError, apply_pipeline
from trainer_core.config.registry import Registry, resolve_hook
from trainer_core.engine.hooks import Hook, HookSet
from trainer_core.engine.triggers import as_trigger
from trainer_core.errors import ConfigError, HookscopeError, did_you_mean
from trainer_core.schema import Locate, build, fail

Resolve = Callable[[str], Hook]


def _one_of(path: str, locate: Locate | None, **given: Any) -> str | None:
    chosen = [k for k, v in given.items() if v is not None]
    if len(chosen) > 1:
        raise fail(f"give only one of {', '.join(given)}; got {', '.join(chosen)}", path, locate)
    return chosen[0] if chosen else None


def _which_hook(edit: Any, path: str, locate: Locate | None) -> str:
    """'hook' or 'position': how an edit names the hook it acts on (exactly one is needed)."""
    how = _one_of(path, locate, hook=edit.hook, position=edit.position)
    if how is None:
        raise fail("say which hook: 'hook: NAME' or 'position: N'", path, locate)
    return how


@dataclass(frozen=True)
class InsertEdit:
    """Insert a hook at a position, or right before / after a named hook (default: append)."""

    hook: str
    trigger: str
    position: int | None = None
    before: str | None = None
    after: str | None = None

    def apply(self, hookset: HookSet, resolve: Resolve, path: str, locate: Locate | None) -> None:
        how = _one_of(path, locate, position=self.position, before=self.before,
                      after=self.after)
        hook = resolve(self.hook)
        if how == "position":
            hookset.register(hook, self.trigger, insert_pos=self.position)
        elif how in ("before", "after"):
            hookset.register(hook, self.trigger, base_hook=getattr(self, how), insert_mode=how)
        else:
            hookset.register(hook, self.trigger)


@dataclass(frozen=True)
class RemoveEdit:
    """Remove the hooks of one name, or the hook at one position."""

    trigger: str
    hook: str | None = None
    position: int | None = None

    def apply(self, hookset: HookSet, resolve: Resolve, path: str, locate: Locate | None) -> None:
        if _which_hook(self, path, locate) == "hook":
            hookset.reset(self.trigger, self.hook)
        else:
            hookset.remove(self.trigger, self.position)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ReplaceEdit:
    """Put ``new`` in place of every hook named ``hook``."""

    trigger: str
    hook: str
    new: str

    def apply(self, hookset: HookSet, resolve: Resolve, path: str, locate: Locate | None) -> None:
        hookset.replace(resolve(self.new), self.trigger, self.hook)


@dataclass(frozen=True)
class MoveEdit:
    """Move a hook (by name or position) to an index or before / after another hook."""

    trigger: str
    hook: str | None = None
    position: int | None = None
    to: int | None = None
    before: str | None = None
    after: str | None = None
    to_trigger: str | None = None

    def apply(self, hookset: HookSet, resolve: Resolve, path: str, locate: Locate | None) -> None:
        which = _which_hook(self, path, locate)
        where = _one_of(path, locate, to=self.to, before=self.before, after=self.after)
        if where is None:
            raise fail("say where to: 'to: N', 'before: NAME' or 'after: NAME'", path, locate)
        names = hookset.names(self.trigger)
        if which == "hook":
            if self.hook not in names:
                raise fail(f"no hook named '{self.hook}' at {self.trigger}"
                           f"{did_you_mean(str(self.hook), names)}; hooks there: "
                           f"[{', '.join(names)}]", path, locate)
            source = names.index(self.hook)  # type: ignore[arg-type]
        else:
            source = self.position  # type: ignore[assignment]
        target_trigger = self.to_trigger or self.trigger
        if where == "to":
            hookset.move(self.trigger, source, self.to, target_trigger)  # type: ignore[arg-type]
            return
        remaining = hookset.names(target_trigger)
        if target_trigger == as_trigger(self.trigger):
            remaining.pop(source)
        base = getattr(self, where)
        if base not in remaining:
            raise fail(f"no hook named '{base}' at {target_trigger}"
                       f"{did_you_mean(str(base), remaining)}; hooks there: "
                       f"[{', '.join(remaining)}]", path, locate)
        index = remaining.index(base) + (1 if where == "after" else 0)
        hookset.move(self.trigger, source, index, target_trigger)


@dataclass(frozen=True)
class ResetEdit:
    """Remove every hook of a trigger, or only those of one name."""

    trigger: str
    hook: str | None = None

    def apply(self, hookset: HookSet, resolve: Resolve, path: str, locate: Locate | None) -> None:
        hookset.reset(self.trigger, self.hook)


EDITS: dict[str, type] = {"insert": InsertEdit, "remove": RemoveEdit, "replace": ReplaceEdit,
                          "move": MoveEdit, "reset": ResetEdit}


def _targets(trainer: Any, label: str, path: str, locate: Locate | None) -> list[HookSet]:
    targets = trainer.hook_sets_labelled(label)
    if targets:
        return targets
    known = [*trainer.hookset_labels(), "pipeline"]
    enable = ("; the finetune hook set exists once the config sets finetune.before_eval: true"
              if label.startswith("finetune") else "")
    raise fail(f"unknown hook set '{label}'{did_you_mean(label, known)}; use: "
               f"{', '.join(known)}{enable}", path, locate)


def apply_hook_section(trainer: Any, section: Any, *, registry: Registry | None,
                       base_dir: Path | None, locate: Locate | None = None) -> None:
    """Apply a ``hooks:`` section to a trainer; ConfigError naming the edit on any problem."""
    if section is None:
        return
    if not isinstance(section, Mapping):
        raise fail("must map hook sets (train, eval, pipeline) to lists of edits", "hooks",
                   locate)

    def resolve(reference: str) -> Hook:
        return resolve_hook(reference, registry=registry, trainer=trainer, base_dir=base_dir)

    for label, edits in section.items():
        path = f"hooks.{label}"
        if label == "pipeline":
            try:
                apply_pipeline(trainer, edits, registry=registry, base_dir=base_dir,
                               key_path=path)
            except PipelineError as exc:
                message = str(exc).removeprefix(f"{exc.key_path}: ")
                raise fail(message, exc.key_path, locate) from None
            continue
        targets = _targets(trainer, str(label), path, locate)
        if not isinstance(edits, list):
            raise fail("must be a list of edits (- insert: {...})", path, locate)
        for i, item in enumerate(edits):
            _apply_one(item, f"{path}[{i}]", targets, resolve, locate)


def _apply_one(item: Any, path: str, targets: list[HookSet], resolve: Resolve,
               locate: Locate | None) -> None:
    if not (isinstance(item, Mapping) and len(item) == 1):
        raise fail(f"each edit is one of {', '.join(EDITS)} with its arguments, e.g. "
                   f"'- insert: {{hook: NAME, trigger: on_batch_end}}'", path, locate)
    op, args = next(iter(item.items()))
    if op not in EDITS:
        raise fail(f"unknown edit '{op}'{did_you_mean(str(op), EDITS)}; edits: "
                   f"{', '.join(EDITS)}", f"{path}.{op}", locate)
    edit_path = f"{path}.{op}"
    edit = build(EDITS[op], args, edit_path, locate)
    for field_name in ("trigger", "to_trigger"):
        value = getattr(edit, field_name, None)
        if value is not None:
            try:
                as_trigger(value)
            except HookscopeError as exc:
                raise fail(str(exc), f"{edit_path}.{field_name}", locate) from None
    for hookset in targets:
        try:
            edit.apply(hookset, resolve, edit_path, locate)
        except ConfigError:
            raise
        except HookscopeError as exc:
            raise fail(str(exc), edit_path, locate) from None
