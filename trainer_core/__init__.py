"""hookscope's training engine: a Context, hook sets per trigger, and one steppable routine.

Public names are re-exported here; FederatedScope's spellings (``LIFECYCLE``, ``MODE``,
``CtxVar``, ``register_hook_in_train``...) are kept so ported hooks run unchanged.
"""

from trainer_core.context import LIFECYCLE, MODE, Context, CtxVar, Lifecycle, Provenance, VarRecord
from trainer_core.errors import (
    CheckpointError,
    ConfigError,
    DataSplitError,
    HookError,
    HookscopeError,
    HookSetError,
    HookSignatureError,
)
from trainer_core.hooks import HookChange, HookInfo, HookSet, describe_hook, hook_name
from trainer_core.points import Point, PointKind
from trainer_core.routine import LaneResult, RoutinePlan, RoutineRun
from trainer_core.settings import TrainerConfig
from trainer_core.triggers import BATCH_TRIGGERS, TRIGGERS, Trigger, as_trigger

__all__ = [
    "BATCH_TRIGGERS",
    "LIFECYCLE",
    "MODE",
    "TRIGGERS",
    "CheckpointError",
    "ConfigError",
    "Context",
    "CtxVar",
    "DataSplitError",
    "HookChange",
    "HookError",
    "HookInfo",
    "HookSet",
    "HookSetError",
    "HookSignatureError",
    "HookscopeError",
    "LaneResult",
    "Lifecycle",
    "MultiModelTrainer",
    "Point",
    "PointKind",
    "Provenance",
    "RoutinePlan",
    "RoutineRun",
    "TorchTrainer",
    "Trainer",
    "TrainerConfig",
    "Trigger",
    "VarRecord",
    "as_trigger",
    "describe_hook",
    "hook_name",
]


def __getattr__(name: str):  # torch-backed classes load on first use
    if name == "TorchTrainer":
        from trainer_core.torch_trainer import TorchTrainer
        return TorchTrainer
    if name == "MultiModelTrainer":
        from trainer_core.multi_model import MultiModelTrainer
        return MultiModelTrainer
    if name == "Trainer":
        from trainer_core.trainer import Trainer
        return Trainer
    raise AttributeError(f"module 'trainer_core' has no attribute {name!r}")
