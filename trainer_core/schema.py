"""Typed sections: build frozen dataclasses from mappings, with errors that name the key.

One mechanism validates every config section (the trainer's settings, data, model, trainer
type): unknown keys are errors with a "did you mean", values are checked against the field's
type hint, nested dataclasses recurse, and the message carries the dotted key path and, when
the mapping came from a file, ``file:line`` (via a ``locate(key_path)`` callback).

A dataclass that sets ``EXTRA = "options"`` (a field name) collects keys it does not declare
into that field instead of rejecting them: model and optimizer keyword arguments, dataset
options.

A field declared with :func:`bounded` is also checked against its range or choices (each
item of a list field), and every float must be finite, so ``batch_size: 0`` or ``lr: .nan``
is an error naming the key, not a ZeroDivisionError or a silent NaN run.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from trainer_core.errors import ConfigError, describe_type, did_you_mean

T = TypeVar("T")
Locate = Callable[[str], str]

_EXPECTED = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def bounded(default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING,
            min: float | None = None, max: float | None = None,
            gt: float | None = None, lt: float | None = None,
            choices: tuple[Any, ...] | None = None) -> Any:
    """A dataclass field whose value (or each item of it) must lie in a range or be one of
    ``choices``; :func:`build` checks it and names the key."""
    limits = {k: v for k, v in (("min", min), ("max", max), ("gt", gt), ("lt", lt),
                                ("choices", choices)) if v is not None}
    return dataclasses.field(default=default, default_factory=default_factory,
                             metadata={"limits": limits})


def check_limits(value: Any, limits: dict[str, Any], path: str, locate: Locate | None) -> None:
    """Raise ConfigError naming ``path`` when ``value`` (or an item of it) breaks ``limits``."""
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_limits(item, limits, f"{path}[{i}]", locate)
        return
    choices = limits.get("choices")
    if choices is not None and value not in choices:
        leaf = path.rpartition(".")[2]
        allowed = " or ".join(repr(c) for c in choices) if len(choices) <= 2 else \
            "one of " + ", ".join(repr(c) for c in choices)
        raise fail(f"{leaf} must be {allowed}, got {value!r}"
                   f"{did_you_mean(str(value), [str(c) for c in choices])}", path, locate)
    for key, ok, text in (("min", lambda v, b: v >= b, ">="), ("max", lambda v, b: v <= b, "<="),
                          ("gt", lambda v, b: v > b, ">"), ("lt", lambda v, b: v < b, "<")):
        bound = limits.get(key)
        if bound is not None and isinstance(value, int | float) and not ok(value, bound):
            raise fail(f"must be {text} {bound}, got {value!r}", path, locate)


def where(locate: Locate | None, key_path: str) -> str:
    """``file:line`` for a key path, or '' when the mapping did not come from a file."""
    return locate(key_path) if locate is not None else ""


def fail(message: str, key_path: str, locate: Locate | None) -> ConfigError:
    """A ConfigError for ``key_path`` (use: ``raise fail(...)``)."""
    return ConfigError(message, key_path=key_path, source=where(locate, key_path))


def merge_dotted(base: Mapping[str, Any], updates: Mapping[str, Any],
                 locate: Locate | None = None) -> dict[str, Any]:
    """A copy of ``base`` with every key of ``updates`` set, where a key may be dotted
    (``{'train.lr': 0.1}`` sets ``['train']['lr']``): the one place dotted keys are read.

    A mapping value merges into a mapping already there (recursively); any other value
    replaces what was there. ``base`` is not changed.
    """
    merged = _copy_tree(base)
    for key, value in updates.items():
        if not isinstance(key, str):
            raise fail(f"keys must be strings, got {key!r}", "", locate)
        parts = key.split(".")
        node = merged
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise fail("is given both as a value and as a section", key, locate)
        leaf = parts[-1]
        if isinstance(value, Mapping) and isinstance(node.get(leaf), dict):
            node[leaf] = merge_dotted(node[leaf], value, locate)
        else:
            node[leaf] = _copy_tree(value)
    return merged


def _copy_tree(data: Any) -> Any:
    """Fresh dicts and lists all the way down (leaves shared), so merges never alias."""
    if isinstance(data, Mapping):
        return {k: _copy_tree(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy_tree(v) for v in data]
    return data


def build(cls: type[T], data: Any, path: str = "", locate: Locate | None = None) -> T:
    """An instance of dataclass ``cls`` from ``data``, every value checked."""
    if not isinstance(data, Mapping):
        raise fail(f"must be a mapping (a section of keys), got {describe_type(data)}", path,
                   locate)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    extra_field = getattr(cls, "EXTRA", None)
    declared = [n for n in fields if n != extra_field]
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        key_path = f"{path}.{key}" if path else str(key)
        if key not in declared:
            if extra_field is not None:
                extra[key] = value
                continue
            raise fail(f"unknown key '{key}'{did_you_mean(str(key), declared)}; known keys: "
                       f"{', '.join(declared)}", key_path, locate)
        kwargs[key] = convert(hints[key], value, key_path, locate)
        limits = fields[key].metadata.get("limits")
        if limits and kwargs[key] is not None:
            check_limits(kwargs[key], limits, key_path, locate)
    if extra:
        kwargs[extra_field] = extra  # type: ignore[index]
    missing = [n for n, f in fields.items() if n not in kwargs
               and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]  # type: ignore[misc]
    if missing:
        raise fail(f"missing required key(s): {', '.join(missing)}", path, locate)
    return cls(**kwargs)


def convert(hint: Any, value: Any, path: str, locate: Locate | None) -> Any:
    """Check (and lightly coerce) one value against a type hint."""
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path, locate)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:  # Optional[X]: X's own error, with its own key path
            return convert(options[0], value, path, locate)
        errors = []
        for option in options:
            try:
                return convert(option, value, path, locate)
            except ConfigError as exc:
                errors.append(exc.reason)
        raise fail(" or ".join(errors), path, locate)
    if origin is tuple:
        item = args[0] if args else Any
        if not isinstance(value, list | tuple):
            raise fail(f"must be a list, got {describe_type(value)} {value!r}", path, locate)
        return tuple(convert(item, v, f"{path}[{i}]", locate) for i, v in enumerate(value))
    if origin in (dict, Mapping) or hint in (dict, Mapping) or \
            (origin is not None and isinstance(origin, type) and issubclass(origin, Mapping)):
        if not isinstance(value, Mapping):
            raise fail(f"must be a mapping, got {describe_type(value)}", path, locate)
        return dict(value)
    if hint is Any:
        return value
    ok = {
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        bool: isinstance(value, bool),
        str: isinstance(value, str),
    }.get(hint, True)
    if not ok:
        raise fail(f"must be {_EXPECTED[hint]}, got {describe_type(value)} {value!r}", path,
                   locate)
    if hint is float and not math.isfinite(value):
        raise fail(f"must be a finite number, got {value!r}", path, locate)
    return float(value) if hint is float else value
