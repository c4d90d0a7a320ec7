"""TrainerConfig: the trainer's settings under FederatedScope's key names, typed and checked.

``TorchTrainer(config=...)`` takes a TrainerConfig or a plain mapping with FederatedScope's
keys, nested (``{"train": {"local_update_steps": 2}}``) or dotted
(``{"train.local_update_steps": 2}``). Unknown keys and wrong types raise ConfigError naming
the key path, with a "did you mean" where a close key exists. Hooks read it as ``ctx.cfg``
(``ctx.cfg.train.optimizer.lr``), as in FederatedScope.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from trainer_core.errors import ConfigError, describe_type
from trainer_core.schema import Locate, bounded, build, merge_dotted


@dataclass(frozen=True)
class OptimizerSettings:
    """``train.optimizer``: a ``torch.optim`` class name, the learning rate, other kwargs."""

    EXTRA: ClassVar[str] = "kwargs"

    type: str = "SGD"
    lr: float = bounded(0.1, min=0.0)
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SchedulerSettings:
    """``train.scheduler``: a ``torch.optim.lr_scheduler`` class name ('' for none) and its
    kwargs; stepped after every optimizer step, as FederatedScope does."""

    EXTRA: ClassVar[str] = "kwargs"

    type: str = ""
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainSettings:
    """``train``: how long one ``train()`` runs, with which optimizer and LR schedule."""

    local_update_steps: int = bounded(1, min=0)
    batch_or_epoch: str = bounded("epoch", choices=("epoch", "batch"))
    optimizer: OptimizerSettings = field(default_factory=OptimizerSettings)
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)


@dataclass(frozen=True)
class FinetuneSettings(TrainSettings):
    """``finetune``: FederatedScope's fine-tuning routine (``trainer.finetune()``), e.g. a
    client adapting a global model before evaluating it: ``train``'s keys, plus
    ``before_eval``, which gives the trainer its ``hooks_in_ft`` set (the training hooks) and
    makes ``hookscope run`` fine-tune before it evaluates."""

    before_eval: bool = False


@dataclass(frozen=True)
class GradSettings:
    """``grad``: gradient-norm clipping; <= 0 turns it off."""

    grad_clip: float = -1.0


@dataclass(frozen=True)
class DataLoaderSettings:
    """``dataloader``: batching of splits given as tensors or Datasets."""

    batch_size: int = bounded(64, min=1)
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
    mu: float = bounded(0.0, min=0.0)


@dataclass(frozen=True)
class TrainerConfig:
    """Everything a TorchTrainer reads from its config."""

    seed: int = bounded(0, min=0)
    train: TrainSettings = field(default_factory=TrainSettings)
    finetune: FinetuneSettings = field(default_factory=FinetuneSettings)
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
        return build(cls, merge_dotted({}, mapping, locate), "", locate)

    def replace(self, **changes: Any) -> TrainerConfig:
        """A copy with top-level sections replaced."""
        return dataclasses.replace(self, **changes)
