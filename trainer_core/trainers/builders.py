"""What a trainer builds from its settings: optimizer, scheduler, criterion, regularizer.

Each builder raises ConfigError naming the config key (``train.optimizer.type``...), so a
bad section fails when the trainer is built, not at the first on_fit_start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from trainer_core.engine.routine import RoutinePlan
from trainer_core.errors import ConfigError, did_you_mean
from trainer_core.trainers.settings import (
    CriterionSettings,
    OptimizerSettings,
    RegularizerSettings,
    SchedulerSettings,
    TrainSettings,
)


def build_optimizer(model: torch.nn.Module, settings: OptimizerSettings,
                    section: str = "train") -> torch.optim.Optimizer:
    """``torch.optim.<type>(params, lr=..., **kwargs)``; errors name the config key under
    ``section`` (train or finetune)."""
    cls = getattr(torch.optim, settings.type, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        names = [n for n in dir(torch.optim) if isinstance(getattr(torch.optim, n), type)]
        raise ConfigError(f"unknown optimizer '{settings.type}'"
                          f"{did_you_mean(settings.type, names)}",
                          key_path=f"{section}.optimizer.type")
    try:
        return cls(model.parameters(), lr=settings.lr, **dict(settings.kwargs))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{settings.type} rejects its settings: {exc}",
                          key_path=f"{section}.optimizer") from exc


#: Schedulers whose ``step()`` needs an argument the default hooks cannot supply.
_NEEDS_A_METRIC = ("ReduceLROnPlateau",)


def build_scheduler(optimizer: torch.optim.Optimizer, settings: SchedulerSettings,
                    section: str = "train") -> Any | None:
    """``torch.optim.lr_scheduler.<type>(optimizer, **kwargs)``, or None when type is ''."""
    if not settings.type:
        return None
    module = torch.optim.lr_scheduler
    known = [name for name in dir(module) if name[0] != "_" and name != "LRScheduler"
             and isinstance(getattr(module, name), type)
             and issubclass(getattr(module, name), module.LRScheduler)]
    cls = getattr(module, settings.type) if settings.type in known else None
    if cls is None:
        raise ConfigError(f"unknown scheduler '{settings.type}'"
                          f"{did_you_mean(settings.type, known)}",
                          key_path=f"{section}.scheduler.type")
    if settings.type in _NEEDS_A_METRIC:
        raise ConfigError(f"{settings.type} steps on a metric, which the default backward hook "
                          f"does not have; step it from a hook of your own instead",
                          key_path=f"{section}.scheduler.type")
    try:
        return cls(optimizer, **dict(settings.kwargs))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{settings.type} rejects its settings: {exc}",
                          key_path=f"{section}.scheduler") from exc


def check_training_section(model: torch.nn.Module, settings: TrainSettings, section: str,
                           batches: int) -> RoutinePlan:
    """Build what a routine of ``section`` (train or finetune) will build at on_fit_start, so
    a bad section fails when the trainer is built, under its own key paths; its plan."""
    if settings.local_update_steps < 0:
        raise ConfigError("must be >= 0", key_path=f"{section}.local_update_steps")
    # a throwaway optimizer: schedulers annotate theirs
    build_scheduler(build_optimizer(model, settings.optimizer, section), settings.scheduler,
                    section)
    return RoutinePlan.for_training(batches, settings.local_update_steps,
                                    settings.batch_or_epoch)


def build_criterion(settings: CriterionSettings) -> torch.nn.Module:
    """``torch.nn.<type>()``."""
    cls = getattr(torch.nn, settings.type, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)
            and settings.type.endswith("Loss")):
        names = [n for n in dir(torch.nn) if n.endswith("Loss")]
        raise ConfigError(f"unknown criterion '{settings.type}'"
                          f"{did_you_mean(settings.type, names)}", key_path="criterion.type")
    return cls()


def _l2_penalty(ctx: Any) -> torch.Tensor:
    return sum((p * p).sum() for p in ctx.model.parameters() if p.requires_grad) / 2


REGULARIZERS: dict[str, Callable[[Any], Any] | None] = {"": None, "l2": _l2_penalty}


def build_regularizer(settings: RegularizerSettings) -> Callable[[Any], Any] | None:
    """The penalty function for ``regularizer.type`` ('' for none)."""
    if settings.type not in REGULARIZERS:
        raise ConfigError(f"unknown regularizer '{settings.type}'"
                          f"{did_you_mean(settings.type, REGULARIZERS)}; known: "
                          f"{', '.join(repr(k) for k in REGULARIZERS)}",
                          key_path="regularizer.type")
    return REGULARIZERS[settings.type]
