"""The ``data`` and ``model`` sections as validated values, nothing built yet.

Kept apart from the loaders and builders (which import torch, numpy and scikit-learn) so a
config can be read and checked in a blink: ``hookscope tui`` reports a broken file before it
draws anything, and draws its first frame before torch is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from trainer_core.schema import bounded


@dataclass(frozen=True)
class ClientSpec:
    """``data.clients``: partition the samples across ``num`` clients and keep one."""

    num: int = bounded(min=1)
    index: int = bounded(0, min=0)
    partition: str = bounded("iid", choices=("iid", "dirichlet"))
    alpha: float = bounded(0.5, gt=0.0)


@dataclass(frozen=True)
class DataSpec:
    """``data``: where samples come from and how they are split."""

    EXTRA: ClassVar[str] = "options"

    type: str = "digits"
    splits: Mapping[str, float] = field(
        default_factory=lambda: {"train": 0.7, "val": 0.1, "test": 0.2})
    standardize: bool = True
    clients: ClientSpec | None = None
    path: str = ""
    target: str = ""
    task: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    """``model``: which network, and its options."""

    EXTRA: ClassVar[str] = "options"

    type: str = "mlp"
    hidden: tuple[int, ...] = bounded((64,), min=1)
    dropout: float = bounded(0.0, min=0.0, lt=1.0)
    options: Mapping[str, Any] = field(default_factory=dict)
