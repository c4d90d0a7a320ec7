"""Models a config can name: logistic regression, an MLP, a small CNN, or any class.

``model.type``: ``logreg``, ``mlp`` (``hidden: [64, 32]``, optional ``dropout``), ``cnn``
(for square single-channel images given as flat features, such as digits' 8x8), or
``module:Class`` / ``file.py:Class`` called with the section's other keys as keyword
arguments. Initialisation is seeded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from trainer_core.config.registry import load_object
from trainer_core.config.specs import ModelSpec
from trainer_core.errors import ConfigError, UnresolvedReference, did_you_mean


def logreg(spec: ModelSpec, num_features: int, num_outputs: int) -> nn.Module:
    """One linear layer (softmax / sigmoid live in the criterion)."""
    return nn.Linear(num_features, num_outputs)


def mlp(spec: ModelSpec, num_features: int, num_outputs: int) -> nn.Module:
    """Linear layers of ``hidden`` widths with ReLU (and dropout if set) between them."""
    layers: list[nn.Module] = []
    width = num_features
    for size in spec.hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        if spec.dropout:
            layers.append(nn.Dropout(spec.dropout))
        width = size
    layers.append(nn.Linear(width, num_outputs))
    return nn.Sequential(*layers)


def cnn(spec: ModelSpec, num_features: int, num_outputs: int) -> nn.Module:
    """Two 3x3 convolutions over a square image given as flat features."""
    side = math.isqrt(num_features)
    if side * side != num_features:
        raise ConfigError(f"cnn needs square images as flat features; {num_features} "
                          f"features is not a square", key_path="model.type")
    channels = spec.hidden[:2] if len(spec.hidden) >= 2 else (8, 16)
    return nn.Sequential(
        nn.Unflatten(1, (1, side, side)),
        nn.Conv2d(1, channels[0], 3, padding=1), nn.ReLU(),
        nn.Conv2d(channels[0], channels[1], 3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(channels[1] * side * side, num_outputs))


BUILDERS: dict[str, Callable[[ModelSpec, int, int], nn.Module]] = {
    "logreg": logreg, "mlp": mlp, "cnn": cnn}


def build_model(spec: ModelSpec, *, num_features: int, num_outputs: int, seed: int,
                base_dir: Path) -> nn.Module:
    """The model a spec names, initialised with ``seed``."""
    torch.manual_seed(seed)
    if spec.type in BUILDERS:
        if spec.options:
            extra = ", ".join(spec.options)
            raise ConfigError(f"unknown key(s) for model type '{spec.type}': {extra}; known: "
                              f"type, hidden, dropout", key_path="model")
        return BUILDERS[spec.type](spec, num_features, num_outputs)
    if ":" in spec.type:
        try:
            cls = load_object(spec.type, base_dir=base_dir, kind="model")
        except UnresolvedReference as exc:
            raise ConfigError(str(exc), key_path="model.type") from exc
        try:
            model = cls(**spec.options)
        except TypeError as exc:
            raise ConfigError(f"{spec.type} rejects its options: {exc}",
                              key_path="model") from exc
        except Exception as exc:
            raise ConfigError(f"{spec.type} raised {type(exc).__name__}: {exc}",
                              key_path="model.type") from exc
        if not isinstance(model, nn.Module):
            raise ConfigError(f"{spec.type} built a {type(model).__name__}, not a "
                              f"torch.nn.Module", key_path="model.type")
        return model
    raise ConfigError(f"unknown model type '{spec.type}'{did_you_mean(spec.type, BUILDERS)}; "
                      f"use {', '.join(BUILDERS)} or 'module:Class'", key_path="model.type")
