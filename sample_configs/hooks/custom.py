"""Custom hooks for custom_hooks.yaml and the multi-model samples.

Each hook is a plain function of ctx; its docstring lists what it reads and writes, and
everything it stores has a declared lifecycle.
"""

import torch

from trainer_core import CtxVar, Lifecycle


def smoothed_forward(ctx):
    """Forward pass with label smoothing (0.1), in place of _hook_on_batch_forward.

    Reads: data_batch, model. Writes: y_true, y_prob, loss_batch, batch_size (batch).
    """
    x, label = ctx.data_batch[0], ctx.data_batch[1]
    pred = ctx.model(x)
    ctx.y_true = CtxVar(label, Lifecycle.BATCH)
    ctx.y_prob = CtxVar(pred, Lifecycle.BATCH)
    ctx.loss_batch = CtxVar(torch.nn.functional.cross_entropy(pred, label, label_smoothing=0.1),
                            Lifecycle.BATCH)
    ctx.batch_size = CtxVar(label.shape[0], Lifecycle.BATCH)


def grad_norm(ctx):
    """The total gradient norm after the backward pass. Reads: model. Writes: grad_norm (batch)."""
    norms = [p.grad.norm() for p in ctx.model.parameters() if p.grad is not None]
    ctx.grad_norm = CtxVar(float(torch.stack(norms).norm()) if norms else 0.0, Lifecycle.BATCH)


def start_history(ctx):
    """An empty per-epoch loss history. Writes: epoch_loss_history (routine)."""
    ctx.epoch_loss_history = CtxVar([], Lifecycle.ROUTINE)


def record_epoch_loss(ctx):
    """Append the mean training loss so far. Reads: loss_batch_total, num_samples."""
    ctx.epoch_loss_history.append(ctx.loss_batch_total / max(1, ctx.num_samples))
