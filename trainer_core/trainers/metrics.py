"""Metrics accumulated batch by batch, in constant memory, and reported at ``on_fit_end``.

Always present: ``{split}_loss`` (summed over samples), ``{split}_total`` (samples) and
``{split}_avg_loss``. Named metrics (``eval.metrics``) add ``{split}_{name}``. Every metric
here is a ratio of sums, so the batch-end hook adds each batch's share to
:class:`RunningMetrics` and nothing grows with the length of the routine (FederatedScope keeps
every batch's predictions until ``on_fit_end``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from trainer_core.errors import ConfigError, did_you_mean


def _correct(y_true: torch.Tensor, y_prob: torch.Tensor) -> tuple[float, int]:
    if y_prob.dim() > 1 and y_prob.shape[-1] > 1:
        predicted = y_prob.argmax(dim=-1)
    else:  # one logit per sample: binary
        predicted = (y_prob.reshape(-1) > 0).long()
    if y_true.shape != predicted.shape:  # a reshape costs ~1.5 us per batch: only if needed
        y_true = y_true.reshape(predicted.shape)
    return float((predicted == y_true).sum()), predicted.numel()


def _difference(y_true: torch.Tensor, y_prob: torch.Tensor) -> torch.Tensor:
    if y_prob.numel() != y_true.numel():
        raise ValueError(f"mse/mae need one prediction per target; got predictions of shape "
                         f"{list(y_prob.shape)} for targets of shape {list(y_true.shape)} "
                         f"(use 'acc' for classification)")
    return y_prob.detach().reshape(y_true.shape).float() - y_true.float()


def _squared_error(y_true: torch.Tensor, y_prob: torch.Tensor) -> tuple[float, int]:
    diff = _difference(y_true, y_prob)
    return float((diff * diff).sum()), diff.numel()


def _absolute_error(y_true: torch.Tensor, y_prob: torch.Tensor) -> tuple[float, int]:
    diff = _difference(y_true, y_prob)
    return float(diff.abs().sum()), diff.numel()


@dataclass(frozen=True, slots=True)
class Metric:
    """A metric as (sum over a batch, how many items it covers); value = total sum / total count."""

    batch_share: Callable[[torch.Tensor, torch.Tensor], tuple[float, int]]
    description: str


METRICS: dict[str, Metric] = {
    "acc": Metric(_correct, "fraction of samples whose arg-max class is the label"),
    "mse": Metric(_squared_error, "mean squared error per output element"),
    "mae": Metric(_absolute_error, "mean absolute error per output element"),
}


def check_metric_names(names: Sequence[str]) -> None:
    """Raise ConfigError for a metric name hookscope does not compute."""
    for name in names:
        if name not in METRICS:
            raise ConfigError(f"unknown metric '{name}'{did_you_mean(name, METRICS)}; "
                              f"metrics: {', '.join(METRICS)}", key_path="eval.metrics")


class RunningMetrics:
    """Sums of each named metric over the batches of one routine."""

    __slots__ = ("_shares", "counts", "names", "sums")

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self._shares = tuple(METRICS[n].batch_share for n in self.names)
        self.sums = [0.0] * len(self.names)
        self.counts = [0] * len(self.names)

    def update(self, y_true: torch.Tensor, y_prob: torch.Tensor) -> None:
        """Add one batch."""
        for i, share in enumerate(self._shares):
            total, count = share(y_true, y_prob)
            self.sums[i] += total
            self.counts[i] += count

    def values(self) -> dict[str, float]:
        """Each metric's value so far (0.0 before any batch)."""
        return {n: (s / c if c else 0.0)
                for n, s, c in zip(self.names, self.sums, self.counts, strict=True)}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.values().items())
        return f"RunningMetrics({shown}; {max(self.counts, default=0)} items)"


def compute_metrics(split: str, loss_total: float, num_samples: int,
                    running: RunningMetrics | None = None) -> dict[str, float | int]:
    """The metrics dict a routine stores as ``ctx.eval_metrics``."""
    results: dict[str, float | int] = {
        f"{split}_loss": float(loss_total),
        f"{split}_total": int(num_samples),
        f"{split}_avg_loss": float(loss_total) / num_samples if num_samples else 0.0,
    }
    if running is not None:
        for name, value in running.values().items():
            results[f"{split}_{name}"] = value
    return results
