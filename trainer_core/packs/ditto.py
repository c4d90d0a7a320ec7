"""Ditto personalisation: a global and a personal model trained side by side.

Model 0 (global) trains as usual; model 1 (personal) adds ``lam / 2 * ||v - w||^2`` to its
loss, where ``w`` is the global model's current weights (Li et al., "Ditto: Fair and Robust
Federated Learning Through Personalization"). Needs a MultiModelTrainer with two models;
parallel mode lets both see each batch together.
"""

from __future__ import annotations

from typing import Any

from trainer_core.engine.context import CtxVar, Lifecycle
from trainer_core.errors import ConfigError


def ditto_personal_regularizer(ctx: Any) -> None:
    """Pull the personal model toward the global one.

    Reads: model, models[0], ditto_lambda, loss_task. Writes: loss_ditto, loss_task (batch).
    """
    global_params = [p.detach() for p in ctx.models[0].parameters()]
    penalty = sum(((v - w) ** 2).sum()
                  for v, w in zip(ctx.model.parameters(), global_params, strict=True))
    ctx.loss_ditto = CtxVar(ctx.ditto_lambda / 2 * penalty, Lifecycle.BATCH)
    ctx.loss_task = CtxVar(ctx.loss_task + ctx.loss_ditto, Lifecycle.BATCH)


HOOKS = (ditto_personal_regularizer,)


def install(trainer: Any, lam: float = 0.1) -> None:
    """Register the regulariser on model 1's training set (model 0 stays plain)."""
    if getattr(trainer, "model_nums", 1) < 2:
        raise ConfigError("ditto needs two models: trainer: {type: multi_model, model_nums: 2}",
                          key_path="packs.ditto")
    if lam < 0:
        raise ConfigError(f"must be >= 0, got {lam}", key_path="packs.ditto.lam")
    trainer.ctx.ditto_lambda = float(lam)
    trainer.hook_set("train", 1).register_after(ditto_personal_regularizer, "on_batch_forward",
                                                "_hook_on_batch_forward_regularizer")
