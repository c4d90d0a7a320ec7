"""Model files: written atomically, checked completely before anything is loaded."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from trainer_core.errors import CheckpointError
from trainer_core.files import atomic_write


def save_checkpoint(path: str | os.PathLike[str], payload: Mapping[str, Any]) -> Path:
    """Write ``payload`` with torch.save, atomically (temp file beside ``path``, rename)."""
    return atomic_write(path, lambda handle: torch.save(dict(payload), handle))


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a file written by :func:`save_checkpoint`; CheckpointError if it is not one."""
    source = Path(path)
    if not source.is_file():
        raise CheckpointError(f"model file {source} does not exist", path=str(source))
    try:
        payload = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged file
        raise CheckpointError(f"{source} is not a readable model file: {exc}",
                              path=str(source)) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("model"), Mapping):
        raise CheckpointError(f"{source} holds no 'model' state dict", path=str(source))
    return payload


def check_state(model: torch.nn.Module, state: Mapping[str, Any], *, strict: bool,
                source: str = "parameters") -> None:
    """Raise CheckpointError unless ``state`` loads into ``model`` without a partial copy."""
    own = model.state_dict()
    problems = []
    for key, value in state.items():
        if key not in own:
            if strict:
                problems.append(f"unexpected key '{key}'")
            continue
        if not isinstance(value, torch.Tensor):
            problems.append(f"'{key}' is {type(value).__name__}, not a tensor")
        elif value.shape != own[key].shape:
            problems.append(f"'{key}' has shape {list(value.shape)}, the model has "
                            f"{list(own[key].shape)}")
    if strict:
        problems.extend(f"missing key '{key}'" for key in own if key not in state)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more"
                                           if len(problems) > 5 else "")
        raise CheckpointError(f"{source} do not fit the model: {shown}", path=source)
