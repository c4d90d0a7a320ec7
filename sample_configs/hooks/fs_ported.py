"""A custom metric hook as FederatedScope users write them, ported to hookscope.

In FederatedScope the hook would import ``CtxVar`` and ``LIFECYCLE`` from
``federatedscope.core.trainers.context``; here they come from ``trainer_core``, and the body
is unchanged. It reads ``ctx.ys_true`` / ``ctx.ys_prob``, which hookscope keeps only when the
``predictions`` pack is on (see fs_port.yaml).
"""

import numpy as np
from sklearn.metrics import roc_auc_score

from trainer_core import LIFECYCLE, CtxVar


def _hook_on_fit_end_auc(ctx):
    """Add ``{split}_auc`` to the routine's metrics (binary classification).

    Reads: ys_true, ys_prob, eval_metrics, cur_split. Writes: eval_metrics, auc (routine).
    """
    logits = ctx.ys_prob
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    positive = shifted[:, 1] / shifted.sum(axis=1)
    ctx.auc = CtxVar(float(roc_auc_score(ctx.ys_true, positive)), LIFECYCLE.ROUTINE)
    ctx.eval_metrics = {**ctx.eval_metrics, f"{ctx.cur_split}_auc": ctx.auc}
