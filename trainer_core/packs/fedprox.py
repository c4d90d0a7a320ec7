"""FedProx's proximal term: keep local training near the model the round started from.

``loss_task += mu / 2 * ||w - w_start||^2`` (Li et al., "Federated Optimization in
Heterogeneous Networks"). In federated learning ``w_start`` is the global model a client
receives; here it is whatever the model was when the training routine started.
"""

from __future__ import annotations

from typing import Any

from trainer_core.engine.context import CtxVar, Lifecycle
from trainer_core.errors import ConfigError


def fedprox_store_start_weights(ctx: Any) -> None:
    """Remember the weights the training routine starts from.

    Reads: model, cur_mode. Writes: prox_start_params (routine).
    """
    if ctx.cur_mode == "train":
        ctx.prox_start_params = CtxVar([p.detach().clone() for p in ctx.model.parameters()],
                                       Lifecycle.ROUTINE)


def fedprox_proximal_term(ctx: Any) -> None:
    """Add the proximal term to the task loss.

    Reads: model, prox_start_params, prox_mu, loss_task. Writes: loss_proximal, loss_task (batch).
    """
    penalty = sum(((p - start) ** 2).sum()
                  for p, start in zip(ctx.model.parameters(), ctx.prox_start_params, strict=True))
    ctx.loss_proximal = CtxVar(ctx.prox_mu / 2 * penalty, Lifecycle.BATCH)
    ctx.loss_task = CtxVar(ctx.loss_task + ctx.loss_proximal, Lifecycle.BATCH)


HOOKS = (fedprox_store_start_weights, fedprox_proximal_term)


def install(trainer: Any, mu: float = 0.01) -> None:
    """Add the two hooks to every training hook set; ``mu`` is the penalty's weight."""
    if mu < 0:
        raise ConfigError(f"must be >= 0, got {mu}", key_path="packs.fedprox.mu")
    trainer.ctx.prox_mu = float(mu)
    for hookset in trainer.hook_sets_of("train"):
        hookset.register_after(fedprox_store_start_weights, "on_fit_start",
                               "_hook_on_fit_start_init")
        hookset.register_after(fedprox_proximal_term, "on_batch_forward",
                               "_hook_on_batch_forward_regularizer")
