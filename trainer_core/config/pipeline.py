"""The pipeline as data: every hook set's hooks per trigger, and its YAML form.

:func:`describe_pipeline` is the one table both the ``hookscope hooks`` command and the
debugger's hook tree render. :func:`export_pipeline` writes a trainer's full hook sets to
YAML (atomically) and :func:`load_pipeline` / :func:`apply_pipeline` set them back, so an
export loads back to identical hook sets.

The YAML form, also accepted in a config's ``hooks:`` section::

    hooks:
      pipeline:
        train:                      # a hook-set label: train / eval, or train[1] ... for
          on_fit_start: [_hook_on_fit_start_init]      # the models of a MultiModelTrainer
          on_batch_end: [_hook_on_batch_end, "hooks/extra.py:log_loss"]
        eval: {...}

Triggers a label omits have no hooks. For a multi-model trainer, ``train`` / ``eval``
address every model's set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trainer_core.config.registry import Registry, hook_ref, resolve_hook
from trainer_core.config.yaml_source import load_yaml
from trainer_core.engine.hooks import Hook, HookInfo, HookSet, describe_hook
from trainer_core.engine.triggers import TRIGGERS, as_trigger
from trainer_core.errors import ConfigError, HookscopeError, did_you_mean
from trainer_core.files import atomic_write_text


class PipelineError(HookscopeError, ValueError):
    """A pipeline mapping or file that cannot be applied; names the key path."""

    def __init__(self, message: str, *, key_path: str = "") -> None:
        super().__init__(f"{key_path}: {message}" if key_path else message)
        self.key_path = key_path


@dataclass(frozen=True, slots=True)
class PipelineEntry:
    """One hook at one position of one trigger of one hook set."""

    label: str
    kind: str
    model_idx: int
    trigger: str
    position: int
    hook: Hook
    info: HookInfo


def describe_pipeline(trainer: Any) -> list[PipelineEntry]:
    """Every hook of every hook set, in run order: (set, trigger, position, where defined)."""
    return [PipelineEntry(ref.label, ref.kind, ref.model_idx, trigger, position, hook,
                          describe_hook(hook))
            for ref in trainer.hook_sets()
            for trigger in TRIGGERS
            for position, hook in enumerate(ref.hookset[trigger])]


def pipeline_mapping(trainer: Any, *, registry: Registry | None = None,
                     base_dir: str | Path | None = None) -> dict[str, dict[str, list[str]]]:
    """{label: {trigger: [hook reference, ...]}} for every hook set (empty triggers left out)."""
    return {ref.label: {trigger: [hook_ref(h, registry=registry, trainer=trainer,
                                           base_dir=base_dir) for h in ref.hookset[trigger]]
                        for trigger in TRIGGERS if ref.hookset[trigger]}
            for ref in trainer.hook_sets()}


def export_pipeline(trainer: Any, path: str | Path, *, registry: Registry | None = None,
                    base_dir: str | Path | None = None, source: str = "") -> Path:
    """Write the trainer's hook sets as YAML, atomically. References are relative to base_dir."""
    mapping = pipeline_mapping(trainer, registry=registry,
                               base_dir=base_dir if base_dir is not None else Path(path).parent)
    header = "# hookscope pipeline" + (f", exported from {source}" if source else "") + \
        "\n# Load it with `hooks: {pipeline: ...}` in a config, or from the debugger.\n"
    body = yaml.safe_dump({"hooks": {"pipeline": mapping}}, sort_keys=False,
                          default_flow_style=False)
    return atomic_write_text(path, header + body)


def read_pipeline_file(path: str | Path) -> dict[str, Any]:
    """The pipeline mapping of a YAML file (``hooks.pipeline`` or a bare mapping of labels)."""
    try:  # the config's reader: bounded, UTF-8 checked, errors with the line
        document = load_yaml(path, "pipeline file").data
    except ConfigError as exc:
        raise PipelineError(str(exc)) from None
    if isinstance(document, Mapping) and isinstance(document.get("hooks"), Mapping) \
            and "pipeline" in document["hooks"]:
        return document["hooks"]["pipeline"]
    if isinstance(document, Mapping):
        return dict(document)
    raise PipelineError(f"{path} holds no pipeline mapping")


def resolve_pipeline(trainer: Any, mapping: Mapping[str, Any], *,
                     registry: Registry | None = None, base_dir: str | Path | None = None,
                     key_path: str = "hooks.pipeline") -> list[tuple[HookSet, dict[str, tuple]]]:
    """Check a whole pipeline mapping and resolve its references, changing nothing."""
    if not isinstance(mapping, Mapping):
        raise PipelineError("must be a mapping of hook-set labels", key_path=key_path)
    plan: list[tuple[HookSet, dict[str, tuple]]] = []
    for label, triggers in mapping.items():
        path = f"{key_path}.{label}"
        targets = trainer.hook_sets_labelled(str(label))
        if not targets:
            known = trainer.hookset_labels()
            raise PipelineError(f"unknown hook set '{label}'{did_you_mean(str(label), known)}; "
                                f"this trainer has: {', '.join(known)}", key_path=path)
        if not isinstance(triggers, Mapping):
            raise PipelineError("must map triggers to lists of hooks", key_path=path)
        resolved: dict[str, tuple] = {}
        for trigger, refs in triggers.items():
            trigger_path = f"{path}.{trigger}"
            try:
                name = as_trigger(trigger)
            except HookscopeError as exc:
                raise PipelineError(str(exc), key_path=trigger_path) from exc
            if refs is None:
                refs = []
            if not isinstance(refs, list):
                raise PipelineError("must be a list of hook references", key_path=trigger_path)
            hooks = []
            for i, ref in enumerate(refs):
                try:
                    hooks.append(resolve_hook(ref, registry=registry, trainer=trainer,
                                              base_dir=base_dir))
                except HookscopeError as exc:
                    raise PipelineError(str(exc), key_path=f"{trigger_path}[{i}]") from exc
            resolved[name] = tuple(hooks)
        plan.extend((target, resolved) for target in targets)
    return plan


def apply_pipeline(trainer: Any, mapping: Mapping[str, Any], *,
                   registry: Registry | None = None, base_dir: str | Path | None = None,
                   key_path: str = "hooks.pipeline") -> None:
    """Set the hook sets a mapping names; all-or-nothing (everything resolves first)."""
    for hookset, hooks in resolve_pipeline(trainer, mapping, registry=registry,
                                           base_dir=base_dir, key_path=key_path):
        hookset.restore(hooks)


def load_pipeline(trainer: Any, path: str | Path, *, registry: Registry | None = None,
                  base_dir: str | Path | None = None) -> None:
    """Apply a pipeline file (references resolve relative to its folder by default)."""
    mapping = read_pipeline_file(path)
    apply_pipeline(trainer, mapping, registry=registry,
                   base_dir=base_dir if base_dir is not None else Path(path).parent,
                   key_path=f"{path}: hooks.pipeline")
