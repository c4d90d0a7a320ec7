"""Metrics computed at ``on_fit_end`` from what the batch-end hook collected.

Always present: ``{split}_loss`` (summed over samples), ``{split}_total`` (samples) and
``{split}_avg_loss``. Named metrics (``eval.metrics``) add ``{split}_{name}``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from trainer_core.errors import ConfigError, did_you_mean


def _accuracy(y_true: torch.Tensor, y_prob: torch.Tensor) -> float:
    if y_prob.dim() > 1 and y_prob.shape[-1] > 1:
        predicted = y_prob.argmax(dim=-1)
    else:  # one logit per sample: binary
        predicted = (y_prob.reshape(-1) > 0).long()
    return float((predicted == y_true.reshape(predicted.shape)).float().mean())


def _mse(y_true: torch.Tensor, y_prob: torch.Tensor) -> float:
    return float(((y_prob.reshape(y_true.shape).float() - y_true.float()) ** 2).mean())


def _mae(y_true: torch.Tensor, y_prob: torch.Tensor) -> float:
    return float((y_prob.reshape(y_true.shape).float() - y_true.float()).abs().mean())


METRICS: dict[str, Callable[[torch.Tensor, torch.Tensor], float]] = {
    "acc": _accuracy,
    "mse": _mse,
    "mae": _mae,
}


def check_metric_names(names: Sequence[str]) -> None:
    """Raise ConfigError for a metric name hookscope does not compute."""
    for name in names:
        if name not in METRICS:
            raise ConfigError(f"unknown metric '{name}'{did_you_mean(name, METRICS)}; "
                              f"metrics: {', '.join(METRICS)}", key_path="eval.metrics")


def compute_metrics(split: str, ys_true: Sequence[torch.Tensor],
                    ys_prob: Sequence[torch.Tensor], loss_total: float, num_samples: int,
                    names: Sequence[str]) -> dict[str, float | int]:
    """The metrics dict a routine stores as ``ctx.eval_metrics``."""
    results: dict[str, float | int] = {
        f"{split}_loss": float(loss_total),
        f"{split}_total": int(num_samples),
        f"{split}_avg_loss": float(loss_total) / num_samples if num_samples else 0.0,
    }
    if names and ys_true:
        y_true, y_prob = torch.cat(list(ys_true)), torch.cat(list(ys_prob))
        for name in names:
            results[f"{split}_{name}"] = METRICS[name](y_true, y_prob)
    return results
