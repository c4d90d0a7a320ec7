"""What a ctx value keeps alive: deep bytes, and where inside it a live autograd graph hangs.

``measure(value)`` walks the value the way memory is held: containers (list, tuple, dict,
set, deque), plain objects (their ``__dict__`` and ``__slots__``), numpy arrays (their
bytes) and tensors (their *storage*, each storage counted once, so a view of a big tensor
counts the big tensor and two names for one tensor count it once). Objects that are not data
(modules and optimizers, functions, classes, iterators, devices) end the walk there.

The walk is bounded: a container longer than ``SAMPLE`` is measured from its first and last
``SAMPLE // 2`` items and scaled, and at most ``budget`` objects are visited (``truncated``
then says the figure is a lower bound). The first tensor with a ``grad_fn`` found is
reported with its path inside the value (``["logits"]``, ``.history[3]``), which is what a
fix needs: the autograd graph it keeps holds every activation of its batch.

Torch-free: tensors are recognised by their methods, so ``analysis`` stays importable
without torch.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

#: Longer containers are measured from their first and last SAMPLE // 2 items, scaled.
SAMPLE = 256
#: Objects one measurement visits at most.
BUDGET = 4000

_LEAVES = (int, float, bool, complex, str, bytes, type(None))
_SEQUENCES = (list, tuple, set, frozenset, deque)
_NOT_DATA = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)


@dataclass(frozen=True, slots=True)
class Retained:
    """The measure of one value."""

    nbytes: int
    graphs: int               # tensors with a live grad_fn inside (scaled like nbytes)
    graph_path: str | None    # path of the first one, from the value ('' = the value itself)
    truncated: bool           # the budget ran out: nbytes is a lower bound
    identity: int = 0         # changes when any object inside is replaced (same size or not)

    @property
    def holds_graph(self) -> bool:
        return self.graphs > 0


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "grad_fn") and hasattr(value, "untyped_storage")


def _not_data(value: Any) -> bool:
    """Modules, optimizers, iterators and the like: measured by what they are, not walked
    (a model is not a ctx attribute that grows; its parameters are its own business)."""
    if isinstance(value, _NOT_DATA):
        return True
    cls = type(value)
    if hasattr(cls, "__next__") or hasattr(cls, "send"):  # iterators and generators
        return True
    return hasattr(value, "state_dict") and (hasattr(value, "parameters")
                                            or hasattr(value, "param_groups"))


def _path(chain: Any) -> str:
    steps = []
    while chain is not None:
        chain, step = chain
        steps.append(step)
    return "".join(reversed(steps))


def _tensor_bytes(tensor: Any, storages: set[int]) -> int:
    try:
        storage = tensor.untyped_storage()
        key = storage.data_ptr() or id(storage)
        if key in storages:
            return 0
        storages.add(key)
        return int(storage.nbytes())
    except Exception:  # meta, sparse or other exotic tensors: their own size
        try:
            return int(tensor.nelement() * tensor.element_size())
        except Exception:
            return 0


def measure(value: Any, *, budget: int = BUDGET) -> Retained:
    """Deep bytes of ``value``, and the first live autograd graph inside it (see module)."""
    getsizeof = sys.getsizeof
    total = 0.0
    graphs = 0.0
    graph_path: str | None = None
    seen: set[int] = set()
    storages: set[int] = set()
    # (object, weight, path chain): weight scales what a sampled container's items add
    stack: list[tuple[Any, float, Any]] = [(value, 1.0, None)]
    visited = 0
    identity = 0
    truncated = False
    while stack:
        obj, weight, chain = stack.pop()
        cls = type(obj)
        if cls in _LEAVES:
            total += getsizeof(obj) * weight
            continue
        key = id(obj)
        if key in seen:
            continue
        seen.add(key)
        identity = (identity * 31 + key) & 0xFFFFFFFFFFFFFFFF
        visited += 1
        if visited > budget:
            truncated = True
            break
        try:
            if _is_tensor(obj):
                total += _tensor_bytes(obj, storages) * weight
                if obj.grad_fn is not None:
                    graphs += weight
                    if graph_path is None:
                        graph_path = _path(chain)
                continue
            size = getattr(obj, "nbytes", None)
            if isinstance(size, int) and hasattr(obj, "dtype"):  # a numpy array
                total += size * weight
                continue
            total += getsizeof(obj) * weight
            if isinstance(obj, dict):
                items = list(obj.items())
                step_weight = weight
                if len(items) > SAMPLE:
                    step_weight = weight * len(items) / SAMPLE
                    items = items[:SAMPLE // 2] + items[-SAMPLE // 2:]
                for k, v in items:
                    if type(k) in _LEAVES:
                        total += getsizeof(k) * step_weight
                    stack.append((v, step_weight, (chain, f"[{k!r}]")))
            elif isinstance(obj, _SEQUENCES):
                if isinstance(obj, set | frozenset):
                    items = [(None, v) for v in obj]
                else:
                    items = list(enumerate(obj))
                step_weight = weight
                if len(items) > SAMPLE:
                    step_weight = weight * len(items) / SAMPLE
                    items = items[:SAMPLE // 2] + items[-SAMPLE // 2:]
                for i, v in items:
                    stack.append((v, step_weight, (chain, "[…]" if i is None else f"[{i}]")))
            elif not _not_data(obj):
                fields = getattr(obj, "__dict__", None)
                if isinstance(fields, dict):
                    for name, v in fields.items():
                        stack.append((v, weight, (chain, f".{name}")))
                for name in getattr(cls, "__slots__", ()):
                    if isinstance(name, str) and name != "__dict__" and hasattr(obj, name):
                        stack.append((getattr(obj, name), weight, (chain, f".{name}")))
        except Exception:  # a user's object that fights introspection: what we have so far
            continue
    return Retained(int(total), round(graphs), graph_path, truncated, identity)

