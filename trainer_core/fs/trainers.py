"""FederatedScope's trainer classes on hookscope's engine, for plug-ins ported unchanged.

``GeneralTorchTrainer(model, data, device, config, only_for_eval=False, monitor=None)`` and
``GeneralMultiModelTrainer(model_nums, models_interact_mode, model, data, device, config,
base_trainer)`` run FederatedScope's default hooks (its eleven names, order and ctx
attributes, ``ys_true``/``ys_prob`` lists concatenated at on_fit_end, ``ctx.monitor``) on
hookscope's one routine, so the debugger steps exactly what runs. What FederatedScope does is
kept; its known defects are fixed, each said where it is:

* the hook-set methods with FederatedScope's names behave as its own (``reset_hook_in_*``
  removes the first hook of a name and returns its index, ``None`` and a warning when there
  is none, -1 for a whole trigger; ``replace_hook_in_*`` puts the new hook there), except
  that ``insert_mode="before"`` inserts immediately before the base hook;
* a multi-model trainer's models share model 0's hook sets unless
  ``register_multiple_model_hooks`` says otherwise (FedEM's pattern), and its parallel mode
  runs every model's hooks (FederatedScope's wiped them);
* the flop count uses torch's own counter instead of fvcore, and a failure no longer makes
  ``total_flops`` fall by one per sample.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from trainer_core.engine.context import LIFECYCLE, CtxVar
from trainer_core.engine.hooks import Hook, HookSet
from trainer_core.engine.modes import HOOKSET_KINDS, SPLITS, TRAINING_MODES
from trainer_core.engine.routine import LaneResult
from trainer_core.engine.triggers import Trigger
from trainer_core.errors import HookscopeError
from trainer_core.fs.components import (
    ReIterator,
    calculate_batch_epoch_num,
    filter_by_specified_keywords,
    get_criterion,
    get_optimizer,
    get_regularizer,
    get_scheduler,
    get_trainable_para_names,
    merge_param_dict,
    param2tensor,
)
from trainer_core.fs.config import CfgNode, fs_config
from trainer_core.fs.monitor import Monitor
from trainer_core.trainers.base import HOOKSET_ATTRIBUTES
from trainer_core.trainers.base import Trainer as EngineTrainer
from trainer_core.trainers.multi_model import MultiModelTrainer
from trainer_core.trainers.torch_trainer import TorchTrainer

logger = logging.getLogger("trainer_core.fs")


def _reset(hookset: HookSet, trigger: str | Trigger, name: str | None) -> int | None:
    """FederatedScope's ``_reset_hook_in_trigger``: -1 for a whole trigger, the index of the
    first hook named ``name``, or None (and a warning) when there is none."""
    if name is None:
        hookset.set_hooks(trigger, ())
        return -1
    names = hookset.names(trigger)
    if name not in names:
        logger.warning("In hook del procedure, can't find the target hook named %s at %s "
                       "(hooks there: %s)", name, trigger, ", ".join(names) or "none")
        return None
    index = names.index(name)
    hookset.remove(trigger, index)
    logger.info("Remove the hook `%s` from hooks_set at trigger `%s`", name, trigger)
    return index


def _replace(hookset: HookSet, new_hook: Hook, trigger: str | Trigger, name: str | None) -> None:
    """FederatedScope's replace: reset, then register at the freed index (the end when the
    whole trigger was cleared or nothing had the name)."""
    index = _reset(hookset, trigger, name)
    hookset.register(new_hook, trigger, insert_pos=None if index is None else index)


class FederatedScopeAPI:
    """The hook-set methods with FederatedScope's names, with its lenient semantics; the
    strict ones (``move_hook_in_*``, the debugger's edits) stay hookscope's."""

    hook_set: Any

    def reset_hook_in_train(self, target_trigger: str | Trigger,
                            target_hook_name: str | None = None, model_idx: int = 0
                            ) -> int | None:
        return _reset(self.hook_set("train", model_idx), target_trigger, target_hook_name)

    def reset_hook_in_eval(self, target_trigger: str | Trigger,
                           target_hook_name: str | None = None, model_idx: int = 0
                           ) -> int | None:
        return _reset(self.hook_set("eval", model_idx), target_trigger, target_hook_name)

    def reset_hook_in_ft(self, target_trigger: str | Trigger,
                         target_hook_name: str | None = None, model_idx: int = 0
                         ) -> int | None:
        return _reset(self.hook_set("finetune", model_idx), target_trigger, target_hook_name)

    def replace_hook_in_train(self, new_hook: Hook, target_trigger: str | Trigger,
                              target_hook_name: str | None, model_idx: int = 0) -> None:
        _replace(self.hook_set("train", model_idx), new_hook, target_trigger, target_hook_name)

    def replace_hook_in_eval(self, new_hook: Hook, target_trigger: str | Trigger,
                             target_hook_name: str | None, model_idx: int = 0) -> None:
        _replace(self.hook_set("eval", model_idx), new_hook, target_trigger, target_hook_name)

    def replace_hook_in_ft(self, new_hook: Hook, target_trigger: str | Trigger,
                           target_hook_name: str | None, model_idx: int = 0) -> None:
        _replace(self.hook_set("finetune", model_idx), new_hook, target_trigger,
                 target_hook_name)


class Trainer(FederatedScopeAPI, EngineTrainer):
    """FederatedScope's base ``Trainer`` (for trainers that bring their own data parsing and
    hooks): its config, its hook-set semantics, ``ctx.monitor``."""

    def __init__(self, model: Any, data: Any, device: Any = "cpu", config: Any = None,
                 only_for_eval: bool = False, monitor: Monitor | None = None) -> None:
        self._given_monitor = monitor
        super().__init__(model, data, device, config, only_for_eval)

    def make_config(self, config: Any) -> CfgNode:
        return fs_config(config)

    def setup_vars(self) -> None:
        self.ctx.monitor = self._given_monitor or Monitor(self.cfg)


class GeneralTorchTrainer(FederatedScopeAPI, TorchTrainer):
    """FederatedScope's GeneralTorchTrainer: its default hooks, config and monitor."""

    #: FederatedScope's default pipeline: (name, trigger, whether evaluation runs it too).
    DEFAULT_HOOKS: tuple[tuple[str, str, bool], ...] = (
        ("_hook_on_data_parallel_init", "on_fit_start", True),
        ("_hook_on_fit_start_init", "on_fit_start", True),
        ("_hook_on_fit_start_calculate_model_size", "on_fit_start", False),
        ("_hook_on_epoch_start", "on_epoch_start", True),
        ("_hook_on_batch_start_init", "on_batch_start", True),
        ("_hook_on_batch_forward", "on_batch_forward", True),
        ("_hook_on_batch_forward_regularizer", "on_batch_forward", False),
        ("_hook_on_batch_forward_flop_count", "on_batch_forward", False),
        ("_hook_on_batch_backward", "on_batch_backward", False),
        ("_hook_on_batch_end", "on_batch_end", True),
        ("_hook_on_fit_end", "on_fit_end", True),
    )

    def __init__(self, model: torch.nn.Module, data: Mapping[str, Any], device: Any = "cpu",
                 config: Any = None, only_for_eval: bool = False,
                 monitor: Monitor | None = None) -> None:
        self._given_monitor = monitor
        super().__init__(model, data, "cpu" if device is None else device, config,
                         only_for_eval)

    def make_config(self, config: Any) -> CfgNode:
        return fs_config(config)

    # -- data and the counts FederatedScope keeps ---------------------------------------------
    def parse_data(self, data: Any) -> dict[str, Any]:
        """hookscope's batching (seeded, tensor slicing on the fast path) behind
        FederatedScope's ``ReIterator`` loaders."""
        attributes = super().parse_data(data)
        for split in SPLITS:
            loader = attributes.get(f"{split}_loader")
            if loader is not None:
                attributes[f"{split}_loader"] = ReIterator(loader, self.ctx)
        return attributes

    def setup_vars(self) -> None:
        """FederatedScope's Context set-up: criterion, regularizer, grad clip, models,
        trainable names, the monitor, and the batch/epoch counts of every split."""
        ctx, cfg = self.ctx, self.cfg
        ctx.monitor = self._given_monitor or Monitor(cfg)
        ctx.models = [ctx.model]
        ctx.mirrored_models = False
        ctx.trainable_para_names = get_trainable_para_names(ctx.model)
        ctx.criterion = get_criterion(cfg.criterion.type, ctx.device)
        ctx.regularizer = get_regularizer(cfg.regularizer.type)
        ctx.grad_clip = cfg.grad.grad_clip
        loader_cfg = cfg.dataloader
        for split in SPLITS:
            if ctx.get(f"{split}_loader") is None:
                continue
            batches = len(ctx.get(f"{split}_loader"))
            setattr(ctx, f"num_{split}_batch", batches)
            if split != "train":
                setattr(ctx, f"num_{split}_epoch", 1)
                setattr(ctx, f"num_total_{split}_batch", batches)
        if ctx.get("train_loader") is not None and not self.only_for_eval:
            per_epoch, last, epochs, total = calculate_batch_epoch_num(
                cfg.train.local_update_steps * cfg.grad.grad_accum_count,
                cfg.train.batch_or_epoch, ctx.num_train_data, loader_cfg.batch_size,
                loader_cfg.drop_last)
            ctx.num_train_batch = per_epoch
            ctx.num_train_batch_last_epoch = last
            ctx.num_train_epoch = epochs
            ctx.num_total_train_batch = total
            self._check_component(get_optimizer, ctx.model, "train.optimizer",
                                  **cfg.train.optimizer)

    @staticmethod
    def _check_component(build: Any, target: Any, key_path: str, **settings: Any) -> None:
        """Build a component once now, so a bad config section fails with its key path."""
        from trainer_core.errors import ConfigError

        try:
            build(target, **settings)
        except ConfigError as exc:
            raise ConfigError(exc.reason, key_path=key_path) from exc
        except TypeError as exc:
            raise ConfigError(str(exc), key_path=key_path) from exc

    def training_counts(self, split: str, settings: Any) -> Any:
        from trainer_core.engine.routine import RoutinePlan

        ctx, loader_cfg = self.ctx, self.cfg.dataloader
        per_epoch, last, epochs, _ = calculate_batch_epoch_num(
            settings.local_update_steps, settings.batch_or_epoch,
            ctx.get(f"num_{split}_data", 0), loader_cfg.batch_size, loader_cfg.drop_last)
        return RoutinePlan(epochs, per_epoch, last)

    # -- FederatedScope's default hooks --------------------------------------------------------
    # Static, reading ctx.cfg (the trainer's cfg), so every trainer shares the same hook
    # objects and a pipeline exported from one loads into another.
    @staticmethod
    def _hook_on_data_parallel_init(ctx: Any) -> None:
        """Wrap the model in ``DataParallel`` when ``train.data_para_dids`` lists devices.
        Writes: model (only then)."""
        if isinstance(ctx.model, torch.nn.DataParallel):
            return
        if len(ctx.cfg.train.data_para_dids):
            ctx.model = torch.nn.DataParallel(ctx.model,
                                              device_ids=ctx.cfg.train.data_para_dids)

    @staticmethod
    def _hook_on_fit_start_init(ctx: Any) -> None:
        """Model to the device; a fresh optimizer and scheduler in training modes (plain
        attributes, as in FederatedScope); the routine's statistics.

        Reads: model, device, cur_mode, cfg.{train|finetune}.optimizer/.scheduler.
        Writes: optimizer, scheduler (training modes), loss_batch_total, loss_regular_total,
        num_samples, ys_true, ys_prob (routine).
        """
        ctx.model.to(ctx.device)
        if ctx.cur_mode in TRAINING_MODES:
            section = ctx.cfg[ctx.cur_mode]
            ctx.optimizer = get_optimizer(ctx.model, **section.optimizer)
            ctx.scheduler = get_scheduler(ctx.optimizer, **section.scheduler)
        ctx.loss_batch_total = CtxVar(0.0, LIFECYCLE.ROUTINE)
        ctx.loss_regular_total = CtxVar(0.0, LIFECYCLE.ROUTINE)
        ctx.num_samples = CtxVar(0, LIFECYCLE.ROUTINE)
        ctx.ys_true = CtxVar([], LIFECYCLE.ROUTINE)
        ctx.ys_prob = CtxVar([], LIFECYCLE.ROUTINE)

    @staticmethod
    def _hook_on_fit_start_calculate_model_size(ctx: Any) -> None:
        """Count the models' parameters once. Reads: monitor, models."""
        if isinstance(ctx.get("monitor"), Monitor) and ctx.monitor.total_model_size == 0:
            ctx.monitor.track_model_size(ctx.models)

    @staticmethod
    def _hook_on_epoch_start(ctx: Any) -> None:
        """Start a fresh pass over the split. Reads/writes: {cur_split}_loader."""
        name = f"{ctx.cur_split}_loader"
        loader = ctx.get(name)
        if not isinstance(loader, ReIterator):
            setattr(ctx, name, ReIterator(loader, ctx))
        else:
            loader.reset()

    @staticmethod
    def _hook_on_batch_start_init(ctx: Any) -> None:
        """Fetch the next batch. Reads: {cur_split}_loader. Writes: data_batch (batch)."""
        ctx.data_batch = CtxVar(next(ctx.get(f"{ctx.cur_split}_loader")), LIFECYCLE.BATCH)

    @staticmethod
    def _hook_on_batch_forward(ctx: Any) -> None:
        """Forward pass and loss. Reads: data_batch, device, model, criterion.
        Writes: y_true, y_prob, loss_batch, batch_size (batch)."""
        x, label = [item.to(ctx.device) for item in ctx.data_batch]
        pred = ctx.model(x)
        if len(label.size()) == 0:
            label = label.unsqueeze(0)
        ctx.y_true = CtxVar(label, LIFECYCLE.BATCH)
        ctx.y_prob = CtxVar(pred, LIFECYCLE.BATCH)
        ctx.loss_batch = CtxVar(ctx.criterion(pred, label), LIFECYCLE.BATCH)
        ctx.batch_size = CtxVar(len(label), LIFECYCLE.BATCH)

    @staticmethod
    def _hook_on_batch_forward_regularizer(ctx: Any) -> None:
        """``loss_task = loss_batch + regularizer.mu * regularizer(ctx)``.
        Reads: loss_batch, regularizer, cfg.regularizer.mu. Writes: loss_regular, loss_task
        (batch)."""
        ctx.loss_regular = CtxVar(ctx.cfg.regularizer.mu * ctx.regularizer(ctx),
                                  LIFECYCLE.BATCH)
        ctx.loss_task = CtxVar(ctx.loss_batch + ctx.loss_regular, LIFECYCLE.BATCH)

    @staticmethod
    def _hook_on_batch_forward_flop_count(ctx: Any) -> None:
        """Measure the model's flops per sample once (``eval.count_flops``), then add them per
        batch to ``monitor.total_flops``. Reads: data_batch, model, batch_size, monitor."""
        monitor = ctx.get("monitor")
        if not isinstance(monitor, Monitor):
            return
        if ctx.cfg.eval.count_flops and monitor.flops_per_sample == 0:
            try:
                from torch.utils.flop_counter import FlopCounterMode

                x = ctx.data_batch[0].to(ctx.device)
                with FlopCounterMode(display=False) as counter, torch.no_grad():
                    ctx.model(x)
                flops = counter.get_total_flops()
                if ctx.mirrored_models:  # models alike: count one, times their number
                    flops *= len(ctx.models)
                monitor.track_avg_flops(flops, ctx.batch_size)
            except Exception as exc:
                logger.warning("cannot count the flops of %s: %s", type(ctx.model).__name__,
                               exc)
                monitor.flops_per_sample = -1
        if monitor.flops_per_sample > 0:
            monitor.total_flops += monitor.flops_per_sample * ctx.batch_size

    @staticmethod
    def _hook_on_batch_backward(ctx: Any) -> None:
        """Backward, clip (grad_clip > 0), optimizer and scheduler step.
        Reads: optimizer, loss_task, grad_clip, model, scheduler."""
        ctx.optimizer.zero_grad()
        ctx.loss_task.backward()
        if ctx.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(ctx.model.parameters(), ctx.grad_clip)
        ctx.optimizer.step()
        if ctx.get("scheduler") is not None:
            ctx.scheduler.step()

    @staticmethod
    def _hook_on_batch_end(ctx: Any) -> None:
        """Statistics, and the batch's labels and outputs kept for the metrics.
        Reads: batch_size, loss_batch, loss_regular, y_true, y_prob.
        Writes: num_samples, loss_batch_total, loss_regular_total; appends to ys_true,
        ys_prob."""
        ctx.num_samples += ctx.batch_size
        ctx.loss_batch_total += ctx.loss_batch.item() * ctx.batch_size
        loss_regular = ctx.get("loss_regular", 0.0)
        ctx.loss_regular_total += float(loss_regular.item() if hasattr(loss_regular, "item")
                                        else loss_regular)
        ctx.ys_true.append(ctx.y_true.detach().cpu().numpy())
        ctx.ys_prob.append(ctx.y_prob.detach().cpu().numpy())

    @staticmethod
    def _hook_on_fit_end(ctx: Any) -> None:
        """Concatenate ys_true / ys_prob (routine) and compute the metrics with the monitor.
        Writes: ys_true, ys_prob, eval_metrics."""
        ctx.ys_true = CtxVar(np.concatenate(ctx.ys_true), LIFECYCLE.ROUTINE)
        ctx.ys_prob = CtxVar(np.concatenate(ctx.ys_prob), LIFECYCLE.ROUTINE)
        ctx.eval_metrics = ctx.monitor.eval(ctx)

    # -- parameters -------------------------------------------------------------------------
    def _param_filter(self, state_dict: Mapping[str, Any],
                      filter_keywords: Sequence[str] | None = None) -> dict[str, Any]:
        """What leaves the client: no ``personalization.local_param`` names (substring match)
        and, unless ``share_non_trainable_para``, only trainable parameters; nothing for the
        'local' and 'global' methods."""
        cfg = self.cfg
        if str(cfg.federate.method).lower() in ("local", "global"):
            return {}
        keywords = cfg.personalization.local_param if filter_keywords is None \
            else filter_keywords
        share_all = cfg.personalization.share_non_trainable_para
        trainable = self.ctx.trainable_para_names
        return {name: value for name, value in state_dict.items()
                if (share_all or name in trainable)
                and filter_by_specified_keywords(name, keywords)}

    def get_model_para(self) -> dict[str, torch.Tensor]:
        """The shared part of the model's state (see :meth:`_param_filter`), detached."""
        return {k: v.detach().clone()
                for k, v in self._param_filter(self.ctx.model.state_dict()).items()}

    def update(self, model_parameters: Mapping[str, Any], strict: bool = False) -> None:
        """Merge received parameters into the model's own (the filtered names only)."""
        received = {k: param2tensor(v) for k, v in model_parameters.items()}
        merged = merge_param_dict(dict(self.ctx.model.state_dict()),
                                  self._param_filter(received))
        self.ctx.model.load_state_dict(merged, strict=strict)

    def discharge_model(self) -> None:
        """FederatedScope moves the model off the GPU after a routine; on CPU, nothing."""

    # -- results ----------------------------------------------------------------------------
    def evaluate(self, target_data_split_name: str = "test",
                 hooks_set: Any = None) -> dict[str, Any]:
        if not self.has_split(target_data_split_name):
            logger.warning("No %s_data or %s_loader in the trainer, will skip evaluation.",
                           target_data_split_name, target_data_split_name)
        return super().evaluate(target_data_split_name, hooks_set)


class GeneralMultiModelTrainer(MultiModelTrainer, GeneralTorchTrainer):
    """FederatedScope's GeneralMultiModelTrainer: ``ctx.models``, ``ctx.optimizers``, and
    ``hooks_in_train_multiple_models`` / ``hooks_in_eval_multiple_models`` built as in
    FederatedScope (model 0's sets first, then :meth:`register_multiple_model_hooks`, whose
    default gives every model model 0's sets)."""

    def __init__(self, model_nums: int, models_interact_mode: str = "sequential",
                 model: torch.nn.Module | None = None, data: Mapping[str, Any] | None = None,
                 device: Any = None, config: Any = None,
                 base_trainer: GeneralTorchTrainer | None = None) -> None:
        super().__init__(model_nums, models_interact_mode, model=model, data=data,
                         device="cpu" if device is None else device, config=config,
                         base_trainer=base_trainer)
        if base_trainer is not None and isinstance(base_trainer.ctx.get("monitor"), Monitor):
            self.ctx.monitor = base_trainer.ctx.monitor  # the client's, not a copy

    def _copied_config(self, base: TorchTrainer) -> Any:
        return base.cfg.clone() if isinstance(base.cfg, CfgNode) else base.cfg

    def init_multiple_models(self) -> None:
        """``ctx.models`` (model 0 and copies of it) and one optimizer each."""
        super().init_multiple_models()
        self.ctx.optimizers = [get_optimizer(m, **self.cfg.train.optimizer)
                               for m in self.ctx.models]

    def init_multiple_model_hooks(self, base_sets: Mapping[str, list[Any]] | None = None
                                  ) -> None:
        """Model 0's hook sets first (this trainer's, or the base trainer's hooks), then
        :meth:`register_multiple_model_hooks` fills the lists for the other models."""
        base_sets = base_sets or {}
        for kind in HOOKSET_KINDS:
            attribute = HOOKSET_ATTRIBUTES[kind]
            source = (base_sets.get(kind) or [getattr(self, attribute).snapshot()])[0]
            own = HookSet(self.hookset_label(kind, 0), source)
            setattr(self, attribute, own)
            setattr(self, f"{attribute}_multiple_models", [own])
        self.register_multiple_model_hooks()
        finetune = self.hooks_in_ft_multiple_models
        finetune.extend([finetune[0]] * (self.model_nums - len(finetune)))
        for kind in ("train", "eval"):
            sets = getattr(self, f"{HOOKSET_ATTRIBUTES[kind]}_multiple_models")
            if len(sets) != self.model_nums or not all(isinstance(s, HookSet) for s in sets):
                raise HookscopeError(
                    f"register_multiple_model_hooks left {len(sets)} {kind} hook set(s) for "
                    f"{self.model_nums} models; give every model one, e.g. model 0's: "
                    f"hooks_in_{kind}_multiple_models.extend([hooks_in_{kind}_multiple_models"
                    f"[0]] * {self.model_nums - 1})")

    def register_multiple_model_hooks(self) -> None:
        """FederatedScope's default: every model runs model 0's hook sets (the same
        objects, so an edit of one is an edit of all)."""
        for sets in (self.hooks_in_train_multiple_models, self.hooks_in_eval_multiple_models):
            sets.extend([sets[0]] * (self.model_nums - len(sets)))

    def _switch_model_ctx(self, next_model_idx: int | None = None,
                          own_scope: bool = False) -> None:
        """Make a model current, with its optimizer (``ctx.optimizers``), as FederatedScope
        does; the outgoing model's optimizer is kept, so parallel models never step each
        other's."""
        ctx = self.ctx
        optimizers = ctx.get("optimizers")
        if optimizers is not None and "optimizer" in ctx:
            optimizers[ctx.cur_model_idx] = ctx.optimizer
        super()._switch_model_ctx(next_model_idx, own_scope)
        if optimizers is not None:
            ctx.optimizer = optimizers[ctx.cur_model_idx]

    # -- results and parameters ----------------------------------------------------------------
    def sample_count(self, results: Sequence[LaneResult]) -> float:
        """FederatedScope reports the mean over the models."""
        return float(np.mean([r.num_samples for r in results])) if results else 0.0

    def results_metrics(self, results: Sequence[LaneResult]) -> dict[str, Any]:
        """The metrics of the last model that reported any (FederatedScope returns
        ``ctx.eval_metrics`` after the last model; FedEM's ensemble sets them there)."""
        reported = [r.metrics for r in results if r.metrics]
        return dict(reported[-1]) if reported else {}

    def get_model_para(self) -> Any:
        """Every model's shared parameters (one dict when there is one model)."""
        params = [{k: v.detach().clone() for k, v in
                   self._param_filter(m.state_dict()).items()} for m in self.ctx.models]
        return params if self.model_nums > 1 else params[0]

    def update(self, model_parameters: Any, strict: bool = False) -> None:
        """One dict per model (a list), merged into each model's own parameters."""
        if self.model_nums == 1 and isinstance(model_parameters, Mapping):
            model_parameters = [model_parameters]
        if not (isinstance(model_parameters, Sequence)
                and len(model_parameters) == self.model_nums):
            raise HookscopeError(f"update() needs a list of {self.model_nums} state dicts")
        for model, received in zip(self.ctx.models, model_parameters, strict=True):
            tensors = {k: param2tensor(v) for k, v in received.items()}
            merged = merge_param_dict(dict(model.state_dict()), self._param_filter(tensors))
            model.load_state_dict(merged, strict=strict)
