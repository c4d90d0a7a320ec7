"""Model files: written atomically, read and checked completely before the model is touched.

A file is ``torch.save`` of ``{format, version, cur_round, model, [models], checksum}``:
``model`` is model 0's state dict (FederatedScope's layout, so its tools read our files),
``models`` every model of a multi-model trainer, and ``checksum`` a SHA-256 over every
tensor's name, dtype, shape and bytes. torch's zip container does not notice a flipped byte
inside a tensor; the checksum does. FederatedScope's own files (``{cur_round, model}``, no
checksum) load too, with every check but the checksum.

Loading is all-or-nothing: :func:`read_checkpoint` validates the whole file (container,
format, version, round, key and value types, checksum), :func:`check_state` every key,
shape and dtype against the model, and only then is anything copied. Every failure, writing
or reading, is a :class:`CheckpointError` naming the file.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from trainer_core.errors import CheckpointError
from trainer_core.files import atomic_write

FORMAT = "hookscope-checkpoint"
VERSION = 1

State = Mapping[str, torch.Tensor]


@dataclass(frozen=True)
class Checkpoint:
    """A validated model file: its round and one state dict per model."""

    path: Path
    cur_round: int
    states: tuple[dict[str, torch.Tensor], ...]
    verified: bool  # False for a file without a checksum (FederatedScope's)


def state_checksum(states: Sequence[State]) -> str:
    """SHA-256 over each state's tensors in key order: name, dtype, shape and raw bytes."""
    digest = hashlib.sha256()
    for index, state in enumerate(states):
        digest.update(f"state {index}\n".encode())
        for key in sorted(state):
            tensor = state[key]
            digest.update(f"{key}\0{tensor.dtype}\0{tuple(tensor.shape)}\n".encode())
            flat = tensor.detach().to("cpu").contiguous().reshape(-1)
            digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike[str], states: Sequence[State], *,
                    cur_round: int = -1) -> Path:
    """Write the model file atomically (temp file beside ``path``, then rename)."""
    states = [dict(state) for state in states]
    try:
        payload: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                                   "cur_round": int(cur_round), "model": states[0],
                                   "checksum": state_checksum(states)}
        if len(states) > 1:
            payload["models"] = states
        return atomic_write(path, lambda handle: torch.save(payload, handle))
    except OSError as exc:
        raise CheckpointError(f"cannot write model file {path}: {exc.strerror or exc}",
                              path=str(path)) from exc
    except Exception as exc:  # a state that cannot be checksummed or pickled
        raise CheckpointError(f"cannot write model file {path}: {type(exc).__name__}: {exc}",
                              path=str(path)) from exc


def read_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read and validate a model file; CheckpointError (naming the file) if anything is off."""
    source = Path(path)

    def bad(reason: str) -> CheckpointError:
        return CheckpointError(f"{source}: {reason}", path=str(source))

    if not source.is_file():
        raise CheckpointError(f"model file {source} does not exist", path=str(source))
    try:
        with warnings.catch_warnings():  # a damaged file's warnings: the error says it all
            warnings.simplefilter("ignore")
            payload = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged file
        raise bad(f"not a readable model file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(payload, dict):
        raise bad(f"holds a {type(payload).__name__}, not a model file's mapping")
    if "format" in payload and payload["format"] != FORMAT:
        raise bad(f"format {payload['format']!r} is not {FORMAT!r}")
    version = payload.get("version", VERSION)
    if version != VERSION:
        raise bad(f"version {version!r}: this hookscope reads version {VERSION}")
    cur_round = payload.get("cur_round", -1)
    if isinstance(cur_round, bool) or not isinstance(cur_round, int):
        raise bad(f"cur_round is {cur_round!r}, not an integer")
    if "model" not in payload:
        raise bad("holds no 'model' state dict")
    states = [_checked_state(payload["model"], "model", bad)]
    if "models" in payload:
        models = payload["models"]
        if not isinstance(models, (list, tuple)) or not models:
            raise bad("'models' is not a list of state dicts")
        states = [_checked_state(s, f"models[{i}]", bad) for i, s in enumerate(models)]
    checksum = payload.get("checksum")
    if checksum is None and "format" in payload:
        raise bad("the checksum is missing (the file is damaged)")
    if checksum is not None and checksum != state_checksum(states):
        raise bad("the contents do not match the checksum written with them (the file is "
                  "damaged: a flipped or truncated byte)")
    return Checkpoint(source, cur_round, tuple(states), verified=checksum is not None)


def _checked_state(state: Any, where: str, bad: Any) -> dict[str, torch.Tensor]:
    if not isinstance(state, Mapping):
        raise bad(f"'{where}' is a {type(state).__name__}, not a state dict")
    for key, value in state.items():
        if not isinstance(key, str):
            raise bad(f"'{where}' has a key {key!r} that is not a string")
        if not isinstance(value, torch.Tensor):
            raise bad(f"'{where}' entry '{key}' is a {type(value).__name__}, not a tensor")
    return dict(state)


def _dtype_fits(value: torch.dtype, wanted: torch.dtype, *, exact: bool) -> bool:
    if value == wanted:
        return True
    if exact:
        return False
    # what load_state_dict copies without losing the kind of number
    kinds = (lambda d: d.is_complex, lambda d: d.is_floating_point,
             lambda d: d == torch.bool)
    return all(kind(value) == kind(wanted) for kind in kinds)


def check_state(model: torch.nn.Module, state: Mapping[str, Any], *, strict: bool,
                source: str = "parameters", exact_dtypes: bool = False) -> None:
    """Raise CheckpointError unless ``state`` loads into ``model`` without a partial copy:
    every key known (``strict``: and present), every value a tensor of the model's shape
    and of its dtype (``exact_dtypes``) or of the same kind of number."""
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
        elif not _dtype_fits(value.dtype, own[key].dtype, exact=exact_dtypes):
            problems.append(f"'{key}' is {str(value.dtype).removeprefix('torch.')}, the "
                            f"model's is {str(own[key].dtype).removeprefix('torch.')}")
    if strict:
        problems.extend(f"missing key '{key}'" for key in own if key not in state)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more"
                                           if len(problems) > 5 else "")
        raise CheckpointError(f"{source} do not fit the model: {shown}", path=source)


def load_states(models: Sequence[torch.nn.Module], checkpoint: Checkpoint) -> None:
    """Copy a validated checkpoint into the models: one state per model, or model 0's
    alone from a single-model file (as FederatedScope's multi-model trainer loads
    ``model``); every state is checked before anything is copied."""
    states = checkpoint.states
    if len(states) not in (1, len(models)):
        raise CheckpointError(f"{checkpoint.path} holds {len(states)} models, this trainer "
                              f"has {len(models)}", path=str(checkpoint.path))
    pairs = list(zip(models, states, strict=False))
    for index, (model, state) in enumerate(pairs):
        label = f"the tensors in {checkpoint.path}" + (
            f" for model {index}" if len(pairs) > 1 else "")
        check_state(model, state, strict=True, source=label, exact_dtypes=True)
    for model, state in pairs:
        model.load_state_dict(state)
