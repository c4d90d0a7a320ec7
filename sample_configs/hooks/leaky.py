"""Hooks that leak, one per kind of lifecycle finding (used by leaky_hooks.yaml).

Each is the kind of code that works, passes a quick test, and then eats memory or time in
a long run; the fix is in each docstring.
"""

import torch


def cache_preds(ctx):
    """Keeps every batch's predictions in a plain list (fix: CtxVar([], Lifecycle.ROUTINE))."""
    if "all_preds" not in ctx:
        ctx.all_preds = []
    ctx.all_preds.append(ctx.y_prob.detach())


def running_loss(ctx):
    """Sums loss tensors, keeping every batch's graph alive (fix: add loss_batch.item())."""
    ctx.running_loss = ctx.get("running_loss", 0) + ctx.loss_batch


def remember_labels(ctx):
    """Stores the labels as a plain attribute (fix: CtxVar(ctx.y_true, Lifecycle.BATCH))."""
    ctx.last_labels = ctx.y_true


def epoch_buffer(ctx):
    """Allocates a 1.2 MB buffer per epoch and never frees it (fix: Lifecycle.EPOCH)."""
    ctx.epoch_buffer = torch.zeros(300_000)
