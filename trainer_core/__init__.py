"""hookscope's training engine: a Context, hook sets per trigger, and one steppable routine.

Public names are re-exported here; FederatedScope's spellings (``LIFECYCLE``, ``MODE``,
``CtxVar``, ``register_hook_in_train``...) are kept so ported hooks run unchanged.

The torch-free engine loads with the package. Names from the layers above (the trainers,
which import torch; the analyses; configs) load on first use, through the table
``_LAZY``: ``import trainer_core`` stays cheap for the command line and the debugger's
first frame, and importing the engine never drags in the layers above it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from trainer_core.engine.context import (
    LIFECYCLE,
    Context,
    CtxVar,
    Lifecycle,
    Provenance,
    VarRecord,
)
from trainer_core.engine.edits import Edit, Insert, Move, Remove, Replace, Reset
from trainer_core.engine.hooks import HookChange, HookInfo, HookSet, describe_hook, hook_name
from trainer_core.engine.modes import MODE
from trainer_core.engine.points import Point, PointKind
from trainer_core.engine.routine import LaneResult, RoutinePlan, RoutineRun
from trainer_core.engine.triggers import BATCH_TRIGGERS, TRIGGERS, Trigger, as_trigger
from trainer_core.errors import (
    CheckpointError,
    ConfigError,
    DataSplitError,
    HookError,
    HookscopeError,
    HookSetError,
    HookSignatureError,
)

if TYPE_CHECKING:
    from trainer_core.analysis.lifecycle import Finding, LifecycleChecker, check_rounds
    from trainer_core.config.experiment import Experiment, load_experiment
    from trainer_core.federated import Course, CourseSettings
    from trainer_core.trainers.base import Trainer
    from trainer_core.trainers.multi_model import MultiModelTrainer
    from trainer_core.trainers.settings import TrainerConfig
    from trainer_core.trainers.torch_trainer import TorchTrainer

#: Public names loaded on first use -> the module that defines them.
_LAZY: dict[str, str] = {
    "Trainer": "trainer_core.trainers.base",
    "TorchTrainer": "trainer_core.trainers.torch_trainer",
    "MultiModelTrainer": "trainer_core.trainers.multi_model",
    "TrainerConfig": "trainer_core.trainers.settings",
    "LifecycleChecker": "trainer_core.analysis.lifecycle",
    "Finding": "trainer_core.analysis.lifecycle",
    "check_rounds": "trainer_core.analysis.lifecycle",
    "Experiment": "trainer_core.config.experiment",
    "load_experiment": "trainer_core.config.experiment",
    "Course": "trainer_core.federated",
    "CourseSettings": "trainer_core.federated",
}

__all__ = [
    "BATCH_TRIGGERS",
    "LIFECYCLE",
    "MODE",
    "TRIGGERS",
    "CheckpointError",
    "ConfigError",
    "Context",
    "Course",
    "CourseSettings",
    "CtxVar",
    "DataSplitError",
    "Edit",
    "Experiment",
    "Finding",
    "HookChange",
    "HookError",
    "HookInfo",
    "HookSet",
    "HookSetError",
    "HookSignatureError",
    "HookscopeError",
    "Insert",
    "LaneResult",
    "Lifecycle",
    "LifecycleChecker",
    "Move",
    "MultiModelTrainer",
    "Point",
    "PointKind",
    "Provenance",
    "Remove",
    "Replace",
    "Reset",
    "RoutinePlan",
    "RoutineRun",
    "TorchTrainer",
    "Trainer",
    "TrainerConfig",
    "Trigger",
    "VarRecord",
    "as_trigger",
    "check_rounds",
    "describe_hook",
    "hook_name",
    "load_experiment",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trainer_core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value
