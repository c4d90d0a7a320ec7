"""Duck-typed facts about ctx values (size, shape, dtype) without importing torch or numpy.

The lifecycle checker and the debugger's variable table both need "how big is this and what
is it"; this module answers for tensors, arrays, containers and scalars alike.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

_CONTAINERS = (list, tuple, dict, set, frozenset)


def is_tensor(value: Any) -> bool:
    """True for torch tensors (anything with ``grad_fn`` and ``element_size``)."""
    return hasattr(value, "grad_fn") and hasattr(value, "element_size")


def _never_raises(default: Any) -> Any:
    """Answer ``default`` for a value that cannot describe itself (an uninitialised lazy
    parameter raises on ``.shape``; a user's object may raise anywhere): these facts feed
    views and checks that must not fail."""
    def wrap(function: Any) -> Any:
        def safe(value: Any, *args: Any) -> Any:
            try:
                return function(value, *args)
            except Exception:
                return default(value) if callable(default) else default
        safe.__name__, safe.__doc__ = function.__name__, function.__doc__
        return safe
    return wrap


@_never_raises(0)
def nbytes(value: Any, _depth: int = 0) -> int:
    """Approximate memory held by ``value``: tensor/array data, containers summed (2 levels)."""
    if is_tensor(value):
        return int(value.nelement() * value.element_size())
    size = getattr(value, "nbytes", None)
    if isinstance(size, int):
        return size
    if isinstance(value, _CONTAINERS) and _depth < 2:
        items = value.values() if isinstance(value, dict) else value
        total = sys.getsizeof(value)
        for i, item in enumerate(items):
            if i >= 1000:  # long containers: extrapolate from the first thousand
                return total * len(value) // 1000
            total += nbytes(item, _depth + 1)
        return total
    try:
        return sys.getsizeof(value)
    except TypeError:
        return 0


@_never_raises(None)
def length(value: Any) -> int | None:
    """Growth measure: numel for tensors/arrays, len for containers, else None."""
    if is_tensor(value):
        return int(value.nelement())
    size = getattr(value, "size", None)
    if isinstance(size, int):  # numpy arrays
        return size
    if isinstance(value, _CONTAINERS):
        return len(value)
    return None


@_never_raises(False)
def holds_graph(value: Any) -> bool:
    """True when value is (or a container's last item is) a tensor with a live autograd graph."""
    if is_tensor(value):
        return value.grad_fn is not None
    if isinstance(value, list | tuple) and value:
        last = value[-1]
        return is_tensor(last) and last.grad_fn is not None
    return False


@dataclass(frozen=True, slots=True)
class ValueSummary:
    """What a table row shows about a value."""

    type: str
    shape: str
    dtype: str
    device: str
    nbytes: int
    requires_grad: bool
    has_graph: bool


@_never_raises(lambda value: ValueSummary(type(value).__name__, "?", "", "", 0, False, False))
def summarize(value: Any) -> ValueSummary:
    """Type, shape (or length), dtype, device and size of any ctx value."""
    cls = type(value)
    type_name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__name__}"
    shape, dtype, device = "", "", ""
    requires_grad = has_graph = False
    if is_tensor(value):
        shape = "[" + ", ".join(str(d) for d in value.shape) + "]"
        dtype = str(value.dtype).replace("torch.", "")
        device = str(value.device)
        requires_grad = bool(value.requires_grad)
        has_graph = value.grad_fn is not None
    elif hasattr(value, "shape") and hasattr(value, "dtype"):
        shape = "[" + ", ".join(str(d) for d in value.shape) + "]"
        dtype = str(value.dtype)
    elif isinstance(value, _CONTAINERS):
        shape = f"len {len(value)}"
    else:
        try:
            shape = f"len {len(value)}" if not isinstance(value, str | bytes) else ""
        except TypeError:
            shape = ""
    return ValueSummary(type_name, shape, dtype, device, nbytes(value), requires_grad,
                        has_graph)


def format_bytes(count: float) -> str:
    """Binary units, named right: 1536 -> '1.5 KiB', 1_200_000 -> '1.1 MiB'."""
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{int(count)} B"
