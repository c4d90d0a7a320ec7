"""Typed errors. Every error says who, what and where, and keeps those facts as attributes.

The base class is :class:`HookscopeError`; the command-line front end turns any of them into
one clear message and exit code 2. Several also subclass the built-in error a Python user
would expect (``ValueError``, ``TypeError``), so FederatedScope-era ``except`` clauses keep
working.
"""

from __future__ import annotations

import difflib
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: Frames from here are the engine's, not the user's (left out of hook tracebacks).
_ENGINE_DIR = str(Path(__file__).resolve().parent) + "/"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean 'x'?)' when a close match exists, else ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class HookscopeError(Exception):
    """Base class of every error hookscope raises on purpose."""


class HookSetError(HookscopeError, ValueError):
    """An invalid edit of a hook set. Raised before anything changes.

    Attributes: ``hookset`` (its label, e.g. ``train``), ``trigger``, ``hooks`` (the names of
    the hooks at that trigger when the call was made).
    """

    def __init__(self, message: str, *, hookset: str = "", trigger: str = "",
                 hooks: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.hookset = hookset
        self.trigger = trigger
        self.hooks = hooks


class HookSignatureError(HookSetError, TypeError):
    """A hook that cannot be called as ``hook(ctx)``."""


class DataSplitError(HookscopeError, TypeError):
    """A data split of a type the trainer cannot batch, or a split that is missing."""

    def __init__(self, message: str, *, split: str = "") -> None:
        super().__init__(message)
        self.split = split


class TrainerArgumentError(HookscopeError, TypeError):
    """A trainer constructed with an argument of the wrong kind (a model that is not a
    module, a multi-model trainer with neither model nor base trainer)."""


class CheckpointError(HookscopeError):
    """A model file that cannot be written or read back into the model."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class ConfigError(HookscopeError, ValueError):
    """A configuration value that is missing, unknown or of the wrong type.

    ``key_path`` is dotted (``train.optimizer.lr``); ``source`` is the file and line when
    the value came from a file.
    """

    def __init__(self, message: str, *, key_path: str = "", source: str = "") -> None:
        where = ", ".join(p for p in (source, key_path) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.key_path = key_path
        self.source = source
        self.reason = message


class UnresolvedReference(HookscopeError, LookupError):
    """A reference (hook name, ``module:attr``, ``file.py:attr``) that leads nowhere.

    Keeps ``reference``, ``reason`` and ``kind`` ("hook", "model", ...).
    """

    def __init__(self, reference: str, reason: str, *, kind: str = "hook") -> None:
        super().__init__(f"{kind} reference '{reference}': {reason}")
        self.reference = reference
        self.reason = reason
        self.kind = kind


class HookError(HookscopeError):
    """A hook raised while a routine ran it.

    Keeps the original exception as ``original`` (also ``__cause__``) and says which hook,
    at which trigger, in which mode/split, epoch, batch and model, so a long run's failure
    can be found without reading a traceback.
    """

    def __init__(self, original: BaseException, *, hook_name: str, hook_location: str,
                 trigger: str, mode: str, split: str, epoch_i: int | None,
                 batch_i: int | None, model_idx: int, hint: str = "", position: int = -1,
                 pipeline: Mapping[str, Sequence[Any]] | None = None,
                 missing: str | None = None) -> None:
        self.original = original
        self.hint = hint
        #: Where the hook sat, the hook lists it ran in, and the ctx attribute it read but
        #: did not find (None for other errors): enough for a UI to explain an ordering bug.
        self.position = position
        self.pipeline = pipeline
        self.missing = missing
        self.hook_name = hook_name
        self.hook_location = hook_location
        self.trigger = trigger
        self.mode = mode
        self.split = split
        self.epoch_i = epoch_i
        self.batch_i = batch_i
        self.model_idx = model_idx
        super().__init__(self._message())

    def where(self) -> str:
        """'at on_batch_forward, epoch 0, batch 3 (train/train)' style position text."""
        parts = [f"at {self.trigger}", *position_parts(self.epoch_i, self.batch_i,
                                                       self.model_idx)]
        return ", ".join(parts) + f" ({self.mode}/{self.split})"

    def _message(self) -> str:
        kind = type(self.original).__name__
        hint = f" ({self.hint})" if self.hint else ""
        return (f"hook '{self.hook_name}' ({self.hook_location}) raised {kind}: "
                f"{self.original}{hint} {self.where()}")

    def user_frame(self) -> tuple[str, int, str] | None:
        """The innermost traceback frame (file, line, function) of the original error."""
        tb = self.original.__traceback__
        frames = traceback.extract_tb(tb) if tb is not None else []
        if not frames:
            return None
        last = frames[-1]
        return (last.filename, last.lineno or 0, last.name)

    def format_traceback(self) -> str:
        """The failing hook's traceback from the hook down. The engine's own frames (the
        routine calling the hook) are left out: what the user needs is their code."""
        original = self.original
        frames = [f for f in traceback.extract_tb(original.__traceback__)
                  if not f.filename.startswith(_ENGINE_DIR)]
        return "Traceback (most recent call last):\n" + "".join(
            traceback.format_list(frames)) + "".join(
            traceback.format_exception_only(type(original), original))


def position_parts(epoch_i: int | None, batch_i: int | None, model_idx: int = 0) -> list[str]:
    """The phrases of a routine position that apply: 'epoch 0', 'batch 3', 'model 1'."""
    parts = []
    if epoch_i is not None:
        parts.append(f"epoch {epoch_i}")
    if batch_i is not None:
        parts.append(f"batch {batch_i}")
    if model_idx:
        parts.append(f"model {model_idx}")
    return parts


def describe_type(value: Any) -> str:
    """Short type name for messages: 'int', 'torch.Tensor', 'list'."""
    cls = type(value)
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{module.split('.')[0]}.{cls.__qualname__}"
