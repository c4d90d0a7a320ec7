"""TrainerConfig: the trainer's settings under FederatedScope's key names, typed and checked.

``TorchTrainer(config=...)`` takes a TrainerConfig or a plain mapping with FederatedScope's
keys, nested (``{"train": {"local_update_steps": 2}}``) or dotted
(``{"train.local_update_steps": 2}``). Unknown keys and wrong types raise ConfigError naming
the key path, with a "did you mean" where a close key exists. Hooks read it as ``ctx.cfg``
(``ctx.cfg.train.optimizer.lr``), as in FederatedScope.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from trainer_core.errors import ConfigError, describe_type, did_you_mean

T = TypeVar("T")
Locate = Callable[[str], str]


@dataclass(frozen=True)
class OptimizerSettings:
    """``train.optimizer``: a ``torch.optim`` class name, the learning rate, other kwargs."""

    type: str = "SGD"
    lr: float = 0.1
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainSettings:
    """``train``: how long one ``train()`` runs and with which optimizer."""

    local_update_steps: int = 1
    batch_or_epoch: str = "epoch"
    optimizer: OptimizerSettings = field(default_factory=OptimizerSettings)


@dataclass(frozen=True)
class GradSettings:
    """``grad``: gradient-norm clipping; <= 0 turns it off."""

    grad_clip: float = -1.0


@dataclass(frozen=True)
class DataLoaderSettings:
    """``dataloader``: batching of splits given as tensors or Datasets."""

    batch_size: int = 64
    shuffle: bool = True
    drop_last: bool = False


@dataclass(frozen=True)
class CriterionSettings:
    """``criterion``: a ``torch.nn`` loss class name."""

    type: str = "CrossEntropyLoss"


@dataclass(frozen=True)
class EvalSettings:
    """``eval``: metrics computed at ``on_fit_end`` besides loss, avg_loss and total."""

    metrics: tuple[str, ...] = ("acc",)


@dataclass(frozen=True)
class RegularizerSettings:
    """``regularizer``: an optional penalty added to the loss; '' is none."""

    type: str = ""
    mu: float = 0.0


@dataclass(frozen=True)
class TrainerConfig:
    """Everything a TorchTrainer reads from its config."""

    seed: int = 0
    train: TrainSettings = field(default_factory=TrainSettings)
    grad: GradSettings = field(default_factory=GradSettings)
    dataloader: DataLoaderSettings = field(default_factory=DataLoaderSettings)
    criterion: CriterionSettings = field(default_factory=CriterionSettings)
    eval: EvalSettings = field(default_factory=EvalSettings)
    regularizer: RegularizerSettings = field(default_factory=RegularizerSettings)

    @classmethod
    def coerce(cls, config: TrainerConfig | Mapping[str, Any] | None) -> TrainerConfig:
        """Accept None (defaults), a TrainerConfig, or a mapping of FederatedScope keys."""
        if config is None:
            return cls()
        if isinstance(config, cls):
            return config
        if isinstance(config, Mapping):
            return cls.from_mapping(config)
        raise ConfigError(f"config must be a TrainerConfig or a mapping, "
                          f"got {describe_type(config)}")

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any], *,
                     locate: Locate | None = None) -> TrainerConfig:
        """Build from nested or dotted keys; ``locate(key_path)`` may add 'file:line'."""
        return _build(cls, _nest(mapping, locate), "", locate)

    def replace(self, **changes: Any) -> TrainerConfig:
        """A copy with top-level sections replaced."""
        return dataclasses.replace(self, **changes)


def _nest(mapping: Mapping[str, Any], locate: Locate | None) -> dict[str, Any]:
    """Turn {'a.b': 1} into {'a': {'b': 1}} (nested mappings are kept as they are)."""
    nested: dict[str, Any] = {}
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise ConfigError(f"keys must be strings, got {key!r}", source=_where(locate, ""))
        parts = key.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError("is given both as a value and as a section", key_path=key,
                                  source=_where(locate, key))
        leaf = parts[-1]
        if isinstance(value, Mapping) and isinstance(node.get(leaf), dict):
            node[leaf].update(value)
        else:
            node[leaf] = dict(value) if isinstance(value, Mapping) else value
    return nested


def _where(locate: Locate | None, key_path: str) -> str:
    return locate(key_path) if locate is not None else ""


def _build(cls: type[T], data: Any, path: str, locate: Locate | None) -> T:
    if not isinstance(data, Mapping):
        raise ConfigError(f"must be a mapping (a section of keys), got {describe_type(data)}",
                          key_path=path, source=_where(locate, path))
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        key_path = f"{path}.{key}" if path else key
        if key not in fields or key == "kwargs":
            if cls is OptimizerSettings:  # momentum, weight_decay, ... go to the optimizer
                extra[key] = value
                continue
            hint = did_you_mean(key, [n for n in fields if n != "kwargs"])
            known = ", ".join(n for n in fields if n != "kwargs")
            raise ConfigError(f"unknown key '{key}'{hint}; known keys: {known}",
                              key_path=key_path, source=_where(locate, key_path))
        kwargs[key] = _convert(hints[key], value, key_path, locate)
    if extra:
        kwargs["kwargs"] = extra
    return cls(**kwargs)


def _convert(hint: Any, value: Any, path: str, locate: Locate | None) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path, locate)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"must be a list of strings, got {value!r}", key_path=path,
                              source=_where(locate, path))
        return tuple(value)
    expected = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    ok = {
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        bool: isinstance(value, bool),
        str: isinstance(value, str),
    }.get(hint, True)
    if not ok:
        raise ConfigError(f"must be {expected[hint]}, got {describe_type(value)} {value!r}",
                          key_path=path, source=_where(locate, path))
    return float(value) if hint is float else value
