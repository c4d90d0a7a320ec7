"""TorchTrainer: data parsing, default hooks, model modes and parameters for PyTorch.

The default hooks are small static methods named as in FederatedScope, so a subclass can
override one (``def _hook_on_batch_forward(self, ctx)``) and ported code can refer to them
by name. Each docstring lists the ctx fields it reads and writes; batch-level values are
``CtxVar(..., Lifecycle.BATCH)`` so nothing outlives its batch (the lifecycle checker stays
silent on the defaults).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import torch

from trainer_core.engine.context import CtxVar, Lifecycle
from trainer_core.engine.modes import SPLITS, TRAINING_MODES
from trainer_core.errors import DataSplitError, TrainerArgumentError, describe_type, did_you_mean
from trainer_core.trainers.base import Trainer
from trainer_core.trainers.batching import make_batches
from trainer_core.trainers.builders import (
    build_criterion,
    build_optimizer,
    build_regularizer,
    build_scheduler,
    check_training_section,
)
from trainer_core.trainers.checkpoint import (
    check_state,
    load_states,
    read_checkpoint,
    save_checkpoint,
)
from trainer_core.trainers.metrics import RunningMetrics, check_metric_names, compute_metrics
from trainer_core.trainers.settings import TrainerConfig

BATCH, EPOCH, ROUTINE = Lifecycle.BATCH, Lifecycle.EPOCH, Lifecycle.ROUTINE


class TorchTrainer(Trainer):
    """FederatedScope's GeneralTorchTrainer, with its known defects fixed.

    ``data`` maps split names (train / val / test) to a Dataset, a DataLoader or
    ``{"x": tensor, "y": tensor}``; ``config`` is a TrainerConfig or a mapping of
    FederatedScope keys.
    """

    def __init__(self, model: torch.nn.Module, data: Mapping[str, Any],
                 device: str | torch.device = "cpu",
                 config: TrainerConfig | Mapping[str, Any] | None = None,
                 only_for_eval: bool = False) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TrainerArgumentError(f"model must be a torch.nn.Module, got "
                                       f"{describe_type(model)}")
        super().__init__(model, data, torch.device(device), config, only_for_eval)

    # -- data and running variables ---------------------------------------------------
    def parse_data(self, data: Any) -> dict[str, Any]:
        """Per split: ``{split}_data``, ``{split}_loader`` (a Batches) and ``num_{split}_data``."""
        if not isinstance(data, Mapping):
            raise DataSplitError(f"data must be a dict of splits ({', '.join(SPLITS)}), "
                                 f"got {describe_type(data)}")
        loader_cfg = self.cfg.dataloader
        attributes: dict[str, Any] = {}
        for split, value in data.items():
            if split not in SPLITS:
                raise DataSplitError(f"data has key '{split}'{did_you_mean(split, SPLITS)}; "
                                     f"splits are {', '.join(SPLITS)}", split=str(split))
            if value is None:
                continue
            batches = make_batches(split, value, batch_size=loader_cfg.batch_size,
                                   shuffle=loader_cfg.shuffle and split == "train",
                                   drop_last=loader_cfg.drop_last, seed=self.cfg.seed,
                                   device=self.ctx.device)
            attributes[f"{split}_data"] = value
            attributes[f"{split}_loader"] = batches
            attributes[f"num_{split}_data"] = batches.num_samples
        return attributes

    def setup_vars(self) -> None:
        """Criterion, regularizer, grad clip and the batch/epoch counts FederatedScope keeps."""
        ctx, cfg = self.ctx, self.cfg
        ctx.criterion = build_criterion(cfg.criterion)
        ctx.regularizer = build_regularizer(cfg.regularizer)
        ctx.grad_clip = cfg.grad.grad_clip
        check_metric_names(cfg.eval.metrics)
        for split in SPLITS:
            loader = ctx.get(f"{split}_loader")
            if loader is not None:
                setattr(ctx, f"num_{split}_batch", len(loader))
        if ctx.get("train_loader") is not None and not self.only_for_eval:
            if cfg.finetune.before_eval:
                check_training_section(ctx.model, cfg.finetune, "finetune", ctx.num_train_batch)
            self.set_training_counts(check_training_section(ctx.model, cfg.train, "train",
                                                            ctx.num_train_batch))

    # -- default hooks ----------------------------------------------------------------
    #: FederatedScope's default pipeline, one row per hook: (name, trigger, whether the
    #: evaluation set has it too). Training and fine-tuning run every row.
    DEFAULT_HOOKS: tuple[tuple[str, str, bool], ...] = (
        ("_hook_on_fit_start_init", "on_fit_start", True),
        ("_hook_on_epoch_start", "on_epoch_start", True),
        ("_hook_on_batch_start_init", "on_batch_start", True),
        ("_hook_on_batch_forward", "on_batch_forward", True),
        ("_hook_on_batch_forward_regularizer", "on_batch_forward", False),
        ("_hook_on_batch_backward", "on_batch_backward", False),
        ("_hook_on_batch_end", "on_batch_end", True),
        ("_hook_on_fit_end", "on_fit_end", True),
    )

    def _register_defaults(self, kind: str) -> None:
        hookset = self.hook_set(kind)
        for name, trigger, in_eval in self.DEFAULT_HOOKS:
            if kind != "eval" or in_eval:
                hookset.register(getattr(self, name), trigger)

    def register_default_hooks_train(self) -> None:
        """FederatedScope's training pipeline."""
        self._register_defaults("train")

    def register_default_hooks_ft(self) -> None:
        """Fine-tuning runs the training pipeline (its own optimizer and step count)."""
        self._register_defaults("finetune")

    def register_default_hooks_eval(self) -> None:
        """FederatedScope's evaluation pipeline (no regularizer, no backward)."""
        self._register_defaults("eval")

    @staticmethod
    def _hook_on_fit_start_init(ctx: Any) -> None:
        """Prepare the model, the optimizer (training modes) and the routine's statistics.

        Reads: model, device, cur_mode, cfg.train (cfg.finetune when fine-tuning),
        cfg.eval.metrics. Writes: optimizer and scheduler (routine, training modes only;
        scheduler None unless its type is set), num_samples, loss_batch_total,
        loss_regular_total, running_metrics (routine).
        """
        ctx.model.to(ctx.device)
        mode = ctx.cur_mode
        if mode in TRAINING_MODES:
            settings = getattr(ctx.cfg, mode)  # the train or the finetune section
            optimizer = build_optimizer(ctx.model, settings.optimizer, mode)
            ctx.optimizer = CtxVar(optimizer, ROUTINE)
            ctx.scheduler = CtxVar(build_scheduler(optimizer, settings.scheduler, mode), ROUTINE)
        ctx.num_samples = CtxVar(0, ROUTINE)
        ctx.loss_batch_total = CtxVar(0.0, ROUTINE)
        ctx.loss_regular_total = CtxVar(0.0, ROUTINE)
        ctx.running_metrics = CtxVar(RunningMetrics(ctx.cfg.eval.metrics), ROUTINE)

    @staticmethod
    def _hook_on_epoch_start(ctx: Any) -> None:
        """Start one pass over the split's batches.

        Reads: cur_split, {cur_split}_loader, cur_model_idx. Writes: batch_iter (epoch).
        """
        loader = ctx.get(f"{ctx.cur_split}_loader")
        ctx.batch_iter = CtxVar(loader.epoch(ctx.cur_model_idx), EPOCH)

    @staticmethod
    def _hook_on_batch_start_init(ctx: Any) -> None:
        """Fetch the next batch. Reads: batch_iter. Writes: data_batch (batch)."""
        ctx.data_batch = CtxVar(next(ctx.batch_iter), BATCH)

    @staticmethod
    def _hook_on_batch_forward(ctx: Any) -> None:
        """Forward pass and loss.

        Reads: data_batch, device, model, criterion.
        Writes: y_true, y_prob, loss_batch, batch_size (batch).
        """
        batch = ctx.data_batch
        x, label = batch[0], batch[1]
        device = ctx.device
        if x.device != device:
            x, label = x.to(device), label.to(device)
        pred = ctx.model(x)
        if label.dim() == 0:
            label = label.unsqueeze(0)
        ctx.y_true = CtxVar(label, BATCH)
        ctx.y_prob = CtxVar(pred, BATCH)
        ctx.loss_batch = CtxVar(ctx.criterion(pred, label), BATCH)
        ctx.batch_size = CtxVar(label.shape[0], BATCH)  # len(tensor) is Python-level in torch

    @staticmethod
    def _hook_on_batch_forward_regularizer(ctx: Any) -> None:
        """Add the configured penalty: loss_task = loss_batch + mu * regularizer(ctx).

        Reads: loss_batch, regularizer, cfg.regularizer.mu.
        Writes: loss_task, and loss_regular when a regularizer is configured (batch).
        """
        regularizer = ctx.regularizer
        if regularizer is None:
            ctx.loss_task = CtxVar(ctx.loss_batch, BATCH)
            return
        loss_regular = ctx.cfg.regularizer.mu * regularizer(ctx)
        ctx.loss_regular = CtxVar(loss_regular, BATCH)
        ctx.loss_task = CtxVar(ctx.loss_batch + loss_regular, BATCH)

    @staticmethod
    def _hook_on_batch_backward(ctx: Any) -> None:
        """Backward pass, gradient clipping (grad_clip > 0), optimizer and scheduler step.

        Reads: optimizer, loss_task, grad_clip, model, scheduler (optional).
        Writes: nothing in ctx.
        """
        optimizer = ctx.optimizer
        optimizer.zero_grad()
        ctx.loss_task.backward()
        if ctx.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(ctx.model.parameters(), ctx.grad_clip)
        optimizer.step()
        scheduler = ctx.get("scheduler")
        if scheduler is not None:
            scheduler.step()

    @staticmethod
    def _hook_on_batch_end(ctx: Any) -> None:
        """Add the batch to the routine's statistics (numbers only: no tensor is kept).

        Reads: batch_size, loss_batch, loss_regular, y_true, y_prob.
        Writes: num_samples, loss_batch_total, loss_regular_total; updates running_metrics.
        """
        size = ctx.batch_size
        ctx.num_samples += size
        ctx.loss_batch_total += ctx.loss_batch.item() * size
        loss_regular = ctx.get("loss_regular")
        if loss_regular is not None:
            ctx.loss_regular_total += (loss_regular.item() if hasattr(loss_regular, "item")
                                       else float(loss_regular))
        ctx.running_metrics.update(ctx.y_true, ctx.y_prob)

    @staticmethod
    def _hook_on_fit_end(ctx: Any) -> None:
        """Report the metrics. Reads: the routine's statistics. Writes: eval_metrics."""
        ctx.eval_metrics = compute_metrics(ctx.cur_split, ctx.loss_batch_total,
                                           ctx.num_samples, ctx.running_metrics)

    # -- routine host: modes -----------------------------------------------------------
    def _models(self) -> Sequence[torch.nn.Module]:
        """The modules to put in train or eval mode (a hook may have deleted or replaced
        ctx.model: only modules count)."""
        models = self.ctx.get("models") or [self.ctx.get("model")]
        return [m for m in models if isinstance(m, torch.nn.Module)]

    def _enter_mode(self, mode: str) -> Any:
        previous = [m.training for m in self._models()]
        for model in self._models():
            model.train(mode in TRAINING_MODES)
        return previous, super()._enter_mode(mode)

    def _exit_mode(self, token: Any) -> None:
        previous, counts = token
        for model, was_training in zip(self._models(), previous, strict=False):
            model.train(was_training)
        super()._exit_mode(counts)

    def _hook_guard(self, mode: str) -> Callable[[], AbstractContextManager[Any]] | None:
        # Gradient mode is thread-local and a paused routine may resume on another thread,
        # so evaluation hooks run under no_grad one call at a time.
        return None if mode in TRAINING_MODES else torch.no_grad

    # -- parameters and files ---------------------------------------------------------
    def get_model_para(self) -> dict[str, torch.Tensor]:
        """A detached copy of the model's state dict."""
        return {k: v.detach().clone() for k, v in self.ctx.model.state_dict().items()}

    def update(self, model_parameters: Mapping[str, torch.Tensor], strict: bool = False) -> None:
        """Load parameters into the model; CheckpointError (model untouched) if they don't fit."""
        check_state(self.ctx.model, model_parameters, strict=strict)
        self.ctx.model.load_state_dict(dict(model_parameters), strict=strict)

    def save_model(self, path: str | Path, cur_round: int = -1) -> Path:
        """Write the model atomically (see trainers/checkpoint.py for the format)."""
        return save_checkpoint(path, [self.ctx.model.state_dict()], cur_round=cur_round)

    def load_model(self, path: str | Path) -> int:
        """Load a file written by save_model (or FederatedScope's); returns its round.
        A damaged or unfitting file is a CheckpointError and the model is unchanged."""
        checkpoint = read_checkpoint(path)
        load_states([self.ctx.model], checkpoint)
        return checkpoint.cur_round
