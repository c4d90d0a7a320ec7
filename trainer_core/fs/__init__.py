"""FederatedScope's trainer API on hookscope: port a trainer by changing its import lines.

::

    # from federatedscope.core.trainers import GeneralTorchTrainer
    # from federatedscope.core.auxiliaries.optimizer_builder import get_optimizer
    from trainer_core.fs import GeneralTorchTrainer, get_optimizer

Everything a FederatedScope trainer file or plug-in imports is here under its own name; see
``docs/porting_fs.md`` for what is kept, what is fixed and what differs on purpose.
"""

from trainer_core.engine.context import LIFECYCLE, Context, CtxVar
from trainer_core.engine.modes import MODE
from trainer_core.fs.components import (
    DummyRegularizer,
    ProximalRegularizer,
    RegularizedOptimizer,
    ReIterator,
    calculate_batch_epoch_num,
    filter_by_specified_keywords,
    get_criterion,
    get_optimizer,
    get_random,
    get_regularizer,
    get_scheduler,
    get_trainable_para_names,
    merge_param_dict,
    param2tensor,
    wrap_regularized_optimizer,
)
from trainer_core.fs.config import CN, CfgNode, fs_config, fs_defaults
from trainer_core.fs.monitor import MetricCalculator, Monitor
from trainer_core.fs.trainers import GeneralMultiModelTrainer, GeneralTorchTrainer, Trainer

__all__ = [
    "CN",
    "LIFECYCLE",
    "MODE",
    "CfgNode",
    "Context",
    "CtxVar",
    "DummyRegularizer",
    "GeneralMultiModelTrainer",
    "GeneralTorchTrainer",
    "MetricCalculator",
    "Monitor",
    "ProximalRegularizer",
    "ReIterator",
    "RegularizedOptimizer",
    "Trainer",
    "calculate_batch_epoch_num",
    "filter_by_specified_keywords",
    "fs_config",
    "fs_defaults",
    "get_criterion",
    "get_optimizer",
    "get_random",
    "get_regularizer",
    "get_scheduler",
    "get_trainable_para_names",
    "merge_param_dict",
    "param2tensor",
    "wrap_regularized_optimizer",
]
