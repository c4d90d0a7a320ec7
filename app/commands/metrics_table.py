"""Metric dicts ({split}_{metric}, model{i}_{split}_{metric}) as one table per run."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from app.safe_text import plain

_KEY = re.compile(r"^(?:model(?P<model>\d+)_)?(?P<split>train|val|test)_(?P<metric>.+)$")
_ORDER = ("total", "avg_loss", "loss")


def metric_rows(results: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (routine, model): {'split', 'model', metric: value...}; a routine is
    named by its key in ``results`` (fine-tuning reports ``train_*`` metrics too)."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for label, metrics in results.items():
        for key, value in metrics.items():
            match = _KEY.match(key)
            if not match:
                continue
            model = int(match["model"] or 0)
            row = rows.setdefault((label, model), {"split": label, "model": model})
            row[match["metric"]] = value
    return list(rows.values())


def metrics_table(results: Mapping[str, Mapping[str, Any]], title: str = "") -> Table:
    """A rich table: rows are splits (and models), columns are metrics."""
    rows = metric_rows(results)
    names = sorted({k for r in rows for k in r} - {"split", "model"},
                   key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    multi = any(r["model"] for r in rows)
    table = Table(title=plain(title) if title else None, title_justify="left")
    table.add_column("split")
    if multi:
        table.add_column("model", justify="right")
    for name in names:
        table.add_column("samples" if name == "total" else plain(name), justify="right")
    for row in rows:
        cells = [plain(row["split"])] + ([str(row["model"])] if multi else [])
        for name in names:
            value = row.get(name)
            cells.append("" if value is None else f"{value:.4f}" if isinstance(value, float)
                         else plain(value))
        table.add_row(*cells)
    return table
