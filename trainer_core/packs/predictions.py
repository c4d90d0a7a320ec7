"""FederatedScope's ``ctx.ys_true`` / ``ctx.ys_prob``, for hooks ported from it.

FederatedScope's batch-end hook keeps every batch's labels and predictions and its fit-end
hook concatenates them, so custom metrics (an AUC, an F1) are written as ``on_fit_end`` hooks
reading ``ctx.ys_true`` and ``ctx.ys_prob``. hookscope's defaults keep running sums instead,
in constant memory. ``packs: {predictions: {}}`` gives ported hooks the two attributes back:
lists during the routine, numpy arrays from the start of ``on_fit_end``, released (routine
lifecycle) when the routine ends. Memory grows with the split, as it does in FederatedScope.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer_core.engine.context import CtxVar, Lifecycle

NAMES = ("ys_true", "ys_prob")


def collect_predictions(ctx: Any) -> None:
    """Keep the batch's labels and predictions (detached, on the CPU, as numpy).

    Reads: y_true, y_prob, ys_true and ys_prob (optional). Writes: ys_true, ys_prob (routine).
    """
    if ctx.get("ys_true") is None:
        ctx.ys_true = CtxVar([], Lifecycle.ROUTINE)
        ctx.ys_prob = CtxVar([], Lifecycle.ROUTINE)
    ctx.ys_true.append(ctx.y_true.detach().cpu().numpy())
    ctx.ys_prob.append(ctx.y_prob.detach().cpu().numpy())


def concat_predictions(ctx: Any) -> None:
    """Turn the kept batches into one array each, as FederatedScope's fit-end hook does.

    Reads: ys_true, ys_prob (optional). Writes: ys_true, ys_prob (routine).
    """
    for name in NAMES:
        parts = ctx.get(name)
        if isinstance(parts, list):
            setattr(ctx, name, CtxVar(np.concatenate(parts) if parts else np.empty(0),
                                      Lifecycle.ROUTINE))


HOOKS = (collect_predictions, concat_predictions)


def install(trainer: Any) -> None:
    """Add both hooks to every hook set (train and eval, every model): collecting after
    ``_hook_on_batch_end``, concatenating first at ``on_fit_end``."""
    for ref in trainer.hook_sets():
        hookset = ref.hookset
        hookset.register_after(collect_predictions, "on_batch_end", "_hook_on_batch_end")
        hookset.register(concat_predictions, "on_fit_end", insert_pos=0)
