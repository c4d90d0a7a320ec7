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
      pipeline: {train: {...}, eval: {...}}      # a full pipeline (config/pipeline.py),
      pipeline: edited.pipeline.yaml             # or a pipeline file (relative to the config)

Each item is parsed, against the hook set it edits, into one of the engine's edits
(:mod:`trainer_core.engine.edits`) and applied, so the rules are the engine's (e.g.
``before`` inserts immediately before the named hook). Errors name the edit's key path
(``hooks.train[2].insert.trigger``) and the file line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer_core.config.pipeline import PipelineError, apply_pipeline, read_pipeline_file
from trainer_core.config.registry import Registry, resolve_hook
from trainer_core.engine.edits import Edit, Insert, Move, Remove, Replace, Reset
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
    """``insert``: a hook at a position, or right before / after a named hook (default:
    append)."""

    hook: str
    trigger: str
    position: int | None = None
    before: str | None = None
    after: str | None = None

    def parse(self, hookset: HookSet, resolve: Resolve, path: str,
              locate: Locate | None) -> Edit:
        _one_of(path, locate, position=self.position, before=self.before, after=self.after)
        position = -1 if self.position is None else self.position
        return Insert(self.trigger, resolve(self.hook), position, self.before, self.after)


@dataclass(frozen=True)
class RemoveEdit:
    """``remove``: the hooks of one name, or the hook at one position."""

    trigger: str
    hook: str | None = None
    position: int | None = None

    def parse(self, hookset: HookSet, resolve: Resolve, path: str,
              locate: Locate | None) -> Edit:
        if _which_hook(self, path, locate) == "hook":
            return Reset(self.trigger, self.hook)
        return Remove(self.trigger, self.position)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ReplaceEdit:
    """``replace``: ``new`` in place of every hook named ``hook``."""

    trigger: str
    hook: str
    new: str

    def parse(self, hookset: HookSet, resolve: Resolve, path: str,
              locate: Locate | None) -> Edit:
        return Replace(self.trigger, self.hook, resolve(self.new))


@dataclass(frozen=True)
class MoveEdit:
    """``move``: a hook (by name or position) to an index or before / after another hook."""

    trigger: str
    hook: str | None = None
    position: int | None = None
    to: int | None = None
    before: str | None = None
    after: str | None = None
    to_trigger: str | None = None

    def parse(self, hookset: HookSet, resolve: Resolve, path: str,
              locate: Locate | None) -> Edit:
        which = _which_hook(self, path, locate)
        where = _one_of(path, locate, to=self.to, before=self.before, after=self.after)
        if where is None:
            raise fail("say where to: 'to: N', 'before: NAME' or 'after: NAME'", path, locate)
        if which == "hook":
            source = _index_of(self.hook, hookset.names(self.trigger), self.trigger, path,
                               locate)
        else:
            source = self.position  # type: ignore[assignment]
        target_trigger = self.to_trigger or self.trigger
        if where == "to":
            return Move(self.trigger, source, self.to, target_trigger)  # type: ignore[arg-type]
        remaining = hookset.names(target_trigger)
        if as_trigger(target_trigger) == as_trigger(self.trigger):
            remaining.pop(source)
        base = getattr(self, where)
        index = _index_of(base, remaining, target_trigger, path, locate)
        return Move(self.trigger, source, index + (where == "after"), target_trigger)


@dataclass(frozen=True)
class ResetEdit:
    """``reset``: every hook of a trigger, or only those of one name."""

    trigger: str
    hook: str | None = None

    def parse(self, hookset: HookSet, resolve: Resolve, path: str,
              locate: Locate | None) -> Edit:
        return Reset(self.trigger, self.hook)


def _index_of(name: str | None, names: list[str], trigger: str, path: str,
              locate: Locate | None) -> int:
    if name not in names:
        raise fail(f"no hook named '{name}' at {trigger}{did_you_mean(str(name), names)}; "
                   f"hooks there: [{', '.join(names)}]", path, locate)
    return names.index(name)


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
                if isinstance(edits, str):  # a pipeline file, as `w` in the debugger writes
                    file = Path(edits) if Path(edits).is_absolute() else \
                        Path(base_dir or ".") / edits
                    try:
                        mapping = read_pipeline_file(file)
                    except PipelineError as exc:
                        raise PipelineError(str(exc), key_path=path) from None
                    apply_pipeline(trainer, mapping, registry=registry, base_dir=file.parent,
                                   key_path=path)
                else:
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
            edit.parse(hookset, resolve, edit_path, locate).apply(hookset)
        except ConfigError:
            raise
        except HookscopeError as exc:
            raise fail(str(exc), edit_path, locate) from None
