"""Hooks that keep state correctly: the checker must say nothing about any of them.

Several look like the leaks in leaky.py at a glance (a list appended every batch, a dict of
tensors, a value that outlives the batch); what makes each correct is in its docstring.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import torch

from trainer_core.engine.context import CtxVar, Lifecycle


def start_ys(ctx):
    ctx.ys_true = CtxVar([], Lifecycle.ROUTINE)
    ctx.ys_prob = CtxVar([], Lifecycle.ROUTINE)


def collect_ys(ctx):
    """FederatedScope's ys_true/ys_prob: ROUTINE lists of detached numpy arrays."""
    ctx.ys_true.append(ctx.y_true.numpy())
    ctx.ys_prob.append(ctx.y_prob.detach().numpy())


def label_for_this_batch(ctx):
    ctx.label = CtxVar(ctx.y_true, Lifecycle.BATCH)


def start_loss_sum(ctx):
    ctx.loss_sum = CtxVar(0.0, Lifecycle.ROUTINE)


def add_loss_item(ctx):
    """A running sum of numbers, not of tensors."""
    ctx.loss_sum += ctx.loss_batch.item()


def start_recent(ctx):
    ctx.recent = deque(maxlen=10)


def push_recent(ctx):
    """Bounded: the deque drops its oldest item."""
    ctx.recent.append(ctx.y_prob.detach().clone())


def start_last_ten(ctx):
    ctx.last_ten = []


def keep_last_ten(ctx):
    """Trimmed to its last 10 items: grows for 10 batches, then stays."""
    ctx.last_ten.append(ctx.y_prob.detach().clone())
    del ctx.last_ten[:-10]


def start_counts(ctx):
    ctx.class_counts = {0: 0, 1: 0, 2: 0}


def count_classes(ctx):
    """A dict of counters with fixed keys."""
    for label in ctx.y_true.tolist():
        ctx.class_counts[label] += 1


def epoch_scratch(ctx):
    ctx.scratch = CtxVar(torch.zeros(300_000), Lifecycle.EPOCH)


def two_optimizers(ctx):
    ctx.optimizer_a = ctx.optimizer
    ctx.optimizer_b = torch.optim.SGD(ctx.model.parameters(), lr=0.01)


def pick_optimizer(ctx):
    """Ditto: a flag and an alias of an optimizer set at fit start."""
    ctx.use_a = ctx.cur_batch_i % 2 == 0
    ctx.optimizer = ctx.optimizer_a if ctx.use_a else ctx.optimizer_b


def reuse_batch(ctx):
    """pFedMe: a batch cached by the hook that reuses it the next batch."""
    if ctx.cur_batch_i % 2 == 0:
        ctx.batch_cache = tuple(t.clone() for t in ctx.data_batch)
    else:
        ctx.data_batch = CtxVar(ctx.batch_cache, Lifecycle.BATCH)


def settings_at_start(ctx):
    """Set once, never changed."""
    ctx.run_settings = {"clip": 5.0, "tags": ["a", "b"]}


def start_weights(ctx):
    """FedProx: the starting weights, detached, for the routine."""
    ctx.start_weights = CtxVar([p.detach().clone() for p in ctx.model.parameters()],
                               Lifecycle.ROUTINE)


def grad_norm(ctx):
    total = sum(float(p.grad.norm()) for p in ctx.model.parameters() if p.grad is not None)
    ctx.grad_norm = CtxVar(total, Lifecycle.BATCH)


def best_accuracy(ctx):
    """A plain number updated each round: a number cannot grow."""
    ctx.best_acc = max(ctx.get("best_acc", 0.0), float(ctx.num_samples))


def start_epoch_losses(ctx):
    ctx.epoch_losses = CtxVar([], Lifecycle.ROUTINE)


def record_epoch_loss(ctx):
    """One number per epoch, for the routine."""
    ctx.epoch_losses.append(ctx.loss_batch_total / max(ctx.num_samples, 1))


def start_ring(ctx):
    ctx.ring = torch.zeros(64)


def write_ring(ctx):
    """A buffer preallocated and written in place."""
    ctx.ring[ctx.cur_batch_i % 64] = ctx.loss_batch.item()


def start_ema(ctx):
    ctx.ema = {k: v.detach().clone() for k, v in ctx.model.state_dict().items()}


def update_ema(ctx):
    """An exponential moving average of the weights, updated in place."""
    with torch.no_grad():
        for k, v in ctx.model.state_dict().items():
            ctx.ema[k].mul_(0.9).add_(v.detach(), alpha=0.1)


def start_last_pred(ctx):
    ctx.last_pred = torch.zeros(8, 3)


def overwrite_last_pred(ctx):
    """A plain attribute from fit start, overwritten with a detached, same-sized tensor."""
    if ctx.y_prob.shape == ctx.last_pred.shape:
        ctx.last_pred = ctx.y_prob.detach().clone()


def read_only(ctx):
    """Reads, writes nothing."""
    return len(ctx.data) + ctx.cur_batch_i


def start_epoch_list(ctx):
    ctx.this_epoch = []


def append_this_epoch(ctx):
    """Cleared at every epoch start: bounded by an epoch's batches."""
    ctx.this_epoch.append(ctx.y_prob.detach().clone())


def clear_this_epoch(ctx):
    ctx.this_epoch.clear()


def routine_metrics(ctx):
    ctx.metric_box = CtxVar({"seen": 0, "correct": 0}, Lifecycle.ROUTINE)


def update_metric_box(ctx):
    """Fixed keys, numbers only."""
    ctx.metric_box["seen"] += ctx.batch_size
    ctx.metric_box["correct"] += int((ctx.y_prob.argmax(1) == ctx.y_true).sum())


def keep_round_scalar(ctx: Any) -> None:
    """The last round's loss as a number: replaced, never accumulated."""
    ctx.last_round_loss = float(ctx.loss_batch_total)


CORRECT: dict[str, tuple[tuple[Any, str], ...]] = {
    "ys_true/ys_prob as ROUTINE lists of numpy": ((start_ys, "on_fit_start"),
                                                  (collect_ys, "on_batch_end")),
    "a BATCH-scoped label": ((label_for_this_batch, "on_batch_forward"),),
    "a ROUTINE running sum of numbers": ((start_loss_sum, "on_fit_start"),
                                         (add_loss_item, "on_batch_end")),
    "a deque with maxlen": ((start_recent, "on_fit_start"), (push_recent, "on_batch_end")),
    "a list trimmed to its last 10": ((start_last_ten, "on_fit_start"),
                                      (keep_last_ten, "on_batch_end")),
    "a dict of counters": ((start_counts, "on_fit_start"), (count_classes, "on_batch_end")),
    "an EPOCH-scoped big buffer": ((epoch_scratch, "on_epoch_start"),),
    "Ditto's optimizer switch": ((two_optimizers, "on_fit_start"),
                                 (pick_optimizer, "on_batch_start")),
    "pFedMe's batch reuse": ((reuse_batch, "on_batch_start"),),
    "settings set once": ((settings_at_start, "on_fit_start"),),
    "FedProx's start weights": ((start_weights, "on_fit_start"),),
    "a BATCH-scoped grad norm": ((grad_norm, "on_batch_backward"),),
    "a plain best accuracy": ((best_accuracy, "on_fit_end"),),
    "a ROUTINE list of epoch losses": ((start_epoch_losses, "on_fit_start"),
                                       (record_epoch_loss, "on_epoch_end")),
    "a ring buffer written in place": ((start_ring, "on_fit_start"),
                                       (write_ring, "on_batch_end")),
    "an EMA of the weights": ((start_ema, "on_fit_start"), (update_ema, "on_batch_end")),
    "a same-sized overwrite": ((start_last_pred, "on_fit_start"),
                               (overwrite_last_pred, "on_batch_end")),
    "a hook that only reads": ((read_only, "on_batch_start"),),
    "a list cleared every epoch": ((start_epoch_list, "on_fit_start"),
                                   (clear_this_epoch, "on_epoch_start"),
                                   (append_this_epoch, "on_batch_end")),
    "a ROUTINE dict of counters": ((routine_metrics, "on_fit_start"),
                                   (update_metric_box, "on_batch_end")),
    "the last round's loss as a number": ((keep_round_scalar, "on_fit_end"),),
}
