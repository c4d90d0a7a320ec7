"""Differential-privacy style training step: clip the gradient, add Gaussian noise.

Replaces ``_hook_on_batch_backward``: after backward, the batch gradient is clipped to norm
``clip`` and noise ``N(0, (noise_multiplier * clip / batch_size)^2)`` is added to every
gradient entry before the optimizer step. This is DP-SGD's shape with per-batch instead of
per-example clipping, meant to show the hook pattern, not to certify privacy.
"""

from __future__ import annotations

from typing import Any

import torch

from trainer_core.engine.context import CtxVar, Lifecycle
from trainer_core.errors import ConfigError


def dp_clip_and_noise(ctx: Any) -> None:
    """Backward, clip to ``dp_clip``, add seeded Gaussian noise, step.

    Reads: optimizer, loss_task, model, batch_size, dp_clip, dp_noise_multiplier,
    dp_generator. Writes: dp_grad_norm (batch: the norm before clipping).
    """
    optimizer = ctx.optimizer
    optimizer.zero_grad()
    ctx.loss_task.backward()
    params = [p for p in ctx.model.parameters() if p.grad is not None]
    norm = torch.nn.utils.clip_grad_norm_(params, ctx.dp_clip)
    ctx.dp_grad_norm = CtxVar(float(norm), Lifecycle.BATCH)
    std = ctx.dp_noise_multiplier * ctx.dp_clip / ctx.batch_size
    if std > 0:
        for p in params:
            noise = torch.randn(p.grad.shape, generator=ctx.dp_generator)
            p.grad.add_(noise.to(p.grad.device), alpha=std)
    optimizer.step()


HOOKS = (dp_clip_and_noise,)


def install(trainer: Any, clip: float = 1.0, noise_multiplier: float = 1.0,
            seed: int = 0) -> None:
    """Replace the backward hook of every training hook set with :func:`dp_clip_and_noise`."""
    if clip <= 0:
        raise ConfigError(f"must be > 0, got {clip}", key_path="packs.dp.clip")
    if noise_multiplier < 0:
        raise ConfigError(f"must be >= 0, got {noise_multiplier}",
                          key_path="packs.dp.noise_multiplier")
    ctx = trainer.ctx
    ctx.dp_clip = float(clip)
    ctx.dp_noise_multiplier = float(noise_multiplier)
    ctx.dp_generator = torch.Generator().manual_seed(seed)
    for hookset in trainer.hook_sets_of("train"):
        if "_hook_on_batch_backward" in hookset.names("on_batch_backward"):
            hookset.replace(dp_clip_and_noise, "on_batch_backward", "_hook_on_batch_backward")
        else:
            hookset.register(dp_clip_and_noise, "on_batch_backward")
