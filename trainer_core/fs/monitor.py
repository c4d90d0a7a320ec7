"""FederatedScope's ``Monitor``: the counters trainers feed, and ``eval(ctx)`` for metrics.

``ctx.monitor`` is what FederatedScope's default hooks and plug-ins call: ``total_flops``,
``total_model_size``, ``flops_per_sample``, ``track_model_size``, ``track_avg_flops``,
``track_upload_bytes``, ``track_download_bytes``, and ``eval(ctx)``, which turns the
routine's ``ys_true`` / ``ys_prob`` and statistics into ``{split}_{metric}`` results.

Kept: result keys use the split (``test_acc``), ``{split}_loss`` is the sum of per-sample
losses, ``avg_loss`` and ``total`` are always there. Changed on purpose: results come in a
fixed order (loss, avg_loss, total, then ``eval.metrics`` in order; FederatedScope's came
from a set), ``track_avg_flops`` keeps a true per-sample mean (FederatedScope counted calls,
not samples), and ``avg_loss`` of an empty routine is 0 instead of a ZeroDivisionError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from trainer_core.errors import ConfigError, did_you_mean

Metric = Callable[..., Any]


def _loss(ctx: Any, **_: Any) -> float:
    return ctx.loss_batch_total


def _avg_loss(ctx: Any, **_: Any) -> float:
    return ctx.loss_batch_total / ctx.num_samples if ctx.num_samples else 0.0


def _total(ctx: Any, **_: Any) -> int:
    return ctx.num_samples


def _loss_regular(ctx: Any, **_: Any) -> float:
    return ctx.get("loss_regular_total", 0.0)


def _labelled(y_true: np.ndarray, column: int) -> np.ndarray:
    return y_true[:, column] == y_true[:, column]  # not NaN


def _correct(y_true: np.ndarray, y_pred: np.ndarray, **_: Any) -> float:
    counts = [np.sum(y_true[_labelled(y_true, i), i] == y_pred[_labelled(y_true, i), i])
              for i in range(y_true.shape[1])]
    return float(np.mean(counts))


def _acc(y_true: np.ndarray, y_pred: np.ndarray, **_: Any) -> float:
    rates = [np.mean(y_true[_labelled(y_true, i), i] == y_pred[_labelled(y_true, i), i])
             for i in range(y_true.shape[1])]
    return float(np.mean(rates))


def _f1(y_true: np.ndarray, y_pred: np.ndarray, **_: Any) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro"))


def _softmax(x: np.ndarray) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _roc_auc(y_true: np.ndarray, y_prob: np.ndarray, **_: Any) -> float:
    from sklearn.metrics import roc_auc_score

    scores = []
    for i in range(y_true.shape[1]):
        if np.sum(y_true[:, i] == 1) > 0 and np.sum(y_true[:, i] == 0) > 0:
            prob = _softmax(y_prob[:, :, i])
            prob = prob[:, 1] if prob.shape[1] == 2 else prob
            scores.append(roc_auc_score(y_true[:, i], prob, multi_class="ovr"))
    return float(np.mean(scores)) if scores else 0.5


def _ap(y_true: np.ndarray, y_pred: np.ndarray, **_: Any) -> float:
    from sklearn.metrics import average_precision_score

    scores = [average_precision_score(y_true[:, i], y_pred[:, i])
              for i in range(y_true.shape[1])
              if np.sum(y_true[:, i] == 1) > 0 and np.sum(y_true[:, i] == 0) > 0]
    return float(np.mean(scores)) if scores else 0.0


def _mse(y_true: np.ndarray, y_prob: np.ndarray, **_: Any) -> float:
    return float(np.mean((np.asarray(y_true, dtype=float).reshape(-1)
                          - np.asarray(y_prob, dtype=float).reshape(-1)) ** 2))


def _rmse(y_true: np.ndarray, y_prob: np.ndarray, **_: Any) -> float:
    return float(np.sqrt(_mse(y_true, y_prob)))


#: name -> (function, larger is better), as FederatedScope's SUPPORT_METRICS.
METRICS: dict[str, tuple[Metric, bool]] = {
    "loss": (_loss, False), "avg_loss": (_avg_loss, False), "total": (_total, False),
    "correct": (_correct, True), "acc": (_acc, True), "ap": (_ap, True), "f1": (_f1, True),
    "roc_auc": (_roc_auc, True), "rmse": (_rmse, False), "mse": (_mse, False),
    "loss_regular": (_loss_regular, False),
}
_ALWAYS = ("loss", "avg_loss", "total")


class MetricCalculator:
    """The metrics of one routine from ctx (``ys_true``, ``ys_prob``, the loss totals)."""

    def __init__(self, eval_metric: str | Iterable[str]) -> None:
        names = [eval_metric] if isinstance(eval_metric, str) else list(eval_metric)
        unknown = [n for n in names if n not in METRICS]
        if unknown:
            raise ConfigError(f"unknown metric {unknown[0]!r}"
                              f"{did_you_mean(unknown[0], METRICS)}; metrics: "
                              f"{', '.join(METRICS)}", key_path="eval.metrics")
        self.names = list(dict.fromkeys([*_ALWAYS, *names]))
        self.eval_metric = {n: METRICS[n] for n in self.names}

    def eval(self, ctx: Any) -> dict[str, Any]:
        y_true, y_pred, y_prob = self._parse(ctx)
        return {f"{ctx.cur_split}_{name}": func(ctx=ctx, y_true=y_true, y_pred=y_pred,
                                                y_prob=y_prob)
                for name, (func, _) in self.eval_metric.items()}

    @staticmethod
    def _parse(ctx: Any) -> tuple[np.ndarray, Any, Any]:
        y_true, y_prob = ctx.get("ys_true"), ctx.get("ys_prob")
        if y_true is None:
            raise KeyError("Missing key ys_true!")
        if y_prob is None:
            raise KeyError("Missing key ys_prob!")
        y_true = np.asarray(_numpy(y_true))
        y_prob = np.asarray(_numpy(y_prob))
        cfg = ctx.get("cfg")
        task = str(getattr(getattr(cfg, "model", None), "task", "") or "")
        if "regression" in task.lower():
            return y_true, None, y_prob
        if y_true.ndim == 1:
            y_true = y_true[:, None]
        if y_prob.ndim == 2:
            y_prob = y_prob[:, :, None]
        y_pred = np.argmax(y_prob, axis=1) if y_prob.size else np.zeros_like(y_true)
        return y_true, y_pred, y_prob


def _numpy(value: Any) -> Any:
    detach = getattr(value, "detach", None)
    return detach().cpu().numpy() if callable(detach) else value


class Monitor:
    """What a FederatedScope worker's monitor offers a trainer."""

    def __init__(self, cfg: Any = None, monitored_object: Any = None) -> None:
        self.cfg = cfg
        self.monitored_object = monitored_object
        metrics = getattr(getattr(cfg, "eval", None), "metrics", None) or []
        self.metric_calculator = MetricCalculator(metrics)
        self.total_model_size = 0
        self.flops_per_sample = 0.0
        self.flop_count = 0
        self.total_flops = 0.0
        self.total_upload_bytes = 0
        self.total_download_bytes = 0

    def eval(self, ctx: Any) -> dict[str, Any]:
        """The routine's metrics, ``{split}_{metric}``."""
        return self.metric_calculator.eval(ctx)

    def track_model_size(self, models: Any) -> None:
        """Add up the parameters (their count) of a model or a list of models."""
        for model in models if isinstance(models, Iterable) else [models]:
            self.total_model_size += sum(p.numel() for p in model.parameters())

    def track_avg_flops(self, flops: float, sample_num: int = 1) -> None:
        """Fold ``flops`` spent on ``sample_num`` samples into the per-sample mean."""
        total = self.flops_per_sample * self.flop_count + flops
        self.flop_count += sample_num
        self.flops_per_sample = total / self.flop_count if self.flop_count else 0.0

    def track_upload_bytes(self, bytes: int) -> None:
        self.total_upload_bytes += bytes

    def track_download_bytes(self, bytes: int) -> None:
        self.total_download_bytes += bytes

    def get_sys_metrics(self) -> dict[str, Any]:
        """The counters as one record."""
        return {"total_model_size": self.total_model_size, "total_flops": self.total_flops,
                "flops_per_sample": self.flops_per_sample,
                "total_upload_bytes": self.total_upload_bytes,
                "total_download_bytes": self.total_download_bytes}

    def __repr__(self) -> str:
        return (f"<Monitor model_size={self.total_model_size} flops={self.total_flops:.0f} "
                f"metrics={self.metric_calculator.names}>")
