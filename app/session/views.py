"""Plain-data views of a Context for a UI: rows, one value in detail, and diffs between stops.

Nothing here imports textual; every function takes a ctx and returns dataclasses or strings.
A *fingerprint* is a cheap per-attribute token (identity, shape, dtype, in-place version for
tensors; the value itself for small scalars) taken at each stop, so "what changed since the
last stop" and "diff between two stops" need no copy of any tensor.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

from trainer_core.analysis.values import format_bytes, is_tensor, summarize
from trainer_core.engine.context import ROUTINE_MANAGED
from trainer_core.engine.points import Point
from trainer_core.errors import position_parts

Fingerprint = dict[str, tuple[Any, ...]]
_SCALARS = (int, float, bool, str, type(None))


def point_label(point: Point | None) -> str:
    """'_hook_on_batch_forward @ on_batch_forward', or 'setup' for writes outside hooks."""
    if point is None:
        return "setup"
    if point.hook is None:
        return f"routine @ {point.trigger}"
    return f"{point.hook_name} @ {point.trigger}"


@dataclass(frozen=True, slots=True)
class VarRow:
    """One ctx attribute as the Context table shows it."""

    name: str
    type: str
    shape: str
    dtype: str
    device: str
    nbytes: int
    lifecycle: str
    set_by: str
    changed_by: str
    changed: bool
    releasing: bool = False  # released when the batch / epoch ends (the stop is its end)

    @property
    def size(self) -> str:
        """Human-readable bytes."""
        return format_bytes(self.nbytes)


def lifecycle_label(name: str, lifecycle: Any) -> str:
    """What the table and the detail pane both call an attribute's lifecycle: its CtxVar
    lifecycle, 'routine-managed' for what the routine itself sets and resets (cur_mode,
    cur_split...), else 'plain'."""
    if lifecycle is not None:
        return lifecycle.value
    return "routine-managed" if name in ROUTINE_MANAGED else "plain"


def variable_rows(ctx: Any, changed: set[str] | frozenset[str] = frozenset(),
                  releasing: set[str] | frozenset[str] = frozenset(), *,
                  model_idx: int | None = None) -> list[VarRow]:
    """Every ctx attribute, in insertion order, with where it came from (as model
    ``model_idx`` of a parallel multi-model routine sees them, when given)."""
    rows: list[VarRow] = []
    records = ctx.records() if model_idx is None else ctx.records_of_model(model_idx)
    for record in records:
        summary = summarize(record.value)
        lifecycle = lifecycle_label(record.name, record.lifecycle)
        rows.append(VarRow(record.name, summary.type, summary.shape, summary.dtype,
                           summary.device, summary.nbytes, lifecycle,
                           point_label(record.first), point_label(record.last),
                           record.name in changed, record.name in releasing))
    return rows


@dataclass(frozen=True, slots=True)
class VarDetail:
    """One value in detail: labelled facts, and a bounded text preview."""

    name: str
    facts: list[tuple[str, str]]
    preview: str


def _where(point: Point | None) -> str:
    if point is None:
        return "outside any hook (trainer setup)"
    info = point.hook_info()
    place = f" ({info.location})" if info is not None else ""
    position = ", ".join(position_parts(point.epoch_i, point.batch_i, point.model_idx))
    return f"{point_label(point)}{place}, {position or 'fit'}"


def tensor_stats(value: Any) -> list[tuple[str, str]]:
    """min / max / mean / norm (floating tensors), requires_grad and grad_fn."""
    try:
        facts: list[tuple[str, str]] = [
            ("requires_grad", str(bool(value.requires_grad))),
            ("grad_fn", type(value.grad_fn).__name__ if value.grad_fn is not None else "None")]
        if value.numel() == 0:
            return facts
        return facts + _value_stats(value.detach())
    except Exception as exc:  # a layout, device or lazy parameter torch cannot reduce
        reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        return [("stats", f"not available ({reason})")]


def _value_stats(data: Any) -> list[tuple[str, str]]:
    prefix = ""
    if data.is_sparse:  # over the stored entries: densifying could take any amount of memory
        data, prefix = data.coalesce().values(), "stored "
    if data.is_complex():
        data, prefix = data.abs(), prefix + "|x| "
    elif not data.is_floating_point():
        data = data.double()
    facts = [(prefix + "min", _num(data.min().item())), (prefix + "max", _num(data.max().item())),
             (prefix + "mean", _num(data.mean().item())),
             (prefix + "norm", _num(data.norm().item()))]
    nan = int(data.isnan().sum().item())
    if nan:
        facts.append(("NaN", str(nan)))
    return facts


def _object_stats(value: Any) -> list[tuple[str, str]]:
    """Facts for a model (sizes, norms, NaNs: what a broken hook usually damages) or an
    optimizer (learning rates, state); nothing for other objects."""
    import torch

    try:
        if isinstance(value, torch.nn.Module):
            return module_stats(value)
        if isinstance(value, torch.optim.Optimizer):
            return optimizer_stats(value)
    except Exception as exc:  # a model on the meta device, a half-built optimizer...
        return [("stats", f"not available ({type(exc).__name__}: {str(exc)[:60]})")]
    return []


def module_stats(module: Any) -> list[tuple[str, str]]:
    """Parameter count, train/eval mode, parameter and gradient norms, NaN/Inf counts."""
    import torch

    params = list(module.parameters())
    count = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    facts = [("parameters", f"{count:,} in {len(params)} tensors ({trainable:,} trainable)"),
             ("mode", "train" if module.training else "eval")]
    if not params:
        return facts
    with torch.no_grad():
        grads = [p.grad for p in params if p.grad is not None]
        facts.append(("param norm", _num(float(torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(p.float()) for p in params]))))))
        facts.append(("grad norm", _num(float(torch.linalg.vector_norm(torch.stack(
            [torch.linalg.vector_norm(g.float()) for g in grads])))) if grads
            else "no gradients yet"))
        bad_params = sum(int((~torch.isfinite(p)).sum()) for p in params)
        bad_grads = sum(int((~torch.isfinite(g)).sum()) for g in grads)
    if bad_params or bad_grads:
        facts.append(("NaN/Inf", f"{bad_params} in parameters, {bad_grads} in gradients"))
    return facts


def optimizer_stats(optimizer: Any) -> list[tuple[str, str]]:
    """Learning rate per parameter group, and how much state the optimizer keeps."""
    groups = optimizer.param_groups
    facts = [("lr", ", ".join(_num(float(g["lr"])) for g in groups)),
             ("param groups", str(len(groups))),
             ("state", f"{len(optimizer.state)} parameter(s) with state")]
    momentum = [g["momentum"] for g in groups if g.get("momentum")]
    if momentum:
        facts.append(("momentum", ", ".join(_num(float(m)) for m in momentum)))
    return facts


def _num(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)


def variable_detail(ctx: Any, name: str, *, preview_chars: int = 1200,
                    model_idx: int | None = None) -> VarDetail:
    """Facts about ``ctx.<name>`` (KeyError explaining why it is missing), as model
    ``model_idx`` of a parallel multi-model routine sees it, when given."""
    if model_idx is None:
        value, lifecycle = ctx[name], ctx.lifecycle_of(name)
        origin = ctx.provenance(name)
        first, last = origin.first, origin.last
    else:
        record = next((r for r in ctx.records_of_model(model_idx) if r.name == name), None)
        if record is None:
            raise KeyError(f"ctx.{name} is not set for model {model_idx}")
        value, lifecycle, first, last = record.value, record.lifecycle, record.first, record.last
    return value_detail(name, value, preview_chars=preview_chars, extra=[
        ("lifecycle", lifecycle_label(name, lifecycle)),
        ("set by", _where(first)), ("last changed by", _where(last))])


def value_detail(name: str, value: Any, *, preview_chars: int = 1200,
                 extra: list[tuple[str, str]] | None = None) -> VarDetail:
    """Facts about any value (type, shape, size, tensor/model/optimizer stats) and a bounded
    preview: what the detail pane and the console show."""
    summary = summarize(value)
    facts = [("type", f"{type(value).__module__}.{type(value).__qualname__}"),
             *(extra or [])[:1], ("size", format_bytes(summary.nbytes)), *(extra or [])[1:]]
    if summary.shape:
        facts.insert(1, ("shape", summary.shape))
    if summary.dtype:
        facts.insert(2, ("dtype", summary.dtype))
    if summary.device:
        facts.insert(3, ("device", summary.device))
    if is_tensor(value):
        facts += tensor_stats(value)
    else:
        facts += _object_stats(value)
    text = bounded_repr(value)
    if len(text) > preview_chars:
        text = text[:preview_chars] + f"… ({len(text) - preview_chars} more characters)"
    return VarDetail(name, facts, text)


def bounded_repr(value: Any, seconds: float = 1.0) -> str:
    """``repr(value)``, or a note when it raises or takes longer than ``seconds`` (a user's
    ``__repr__`` may do anything; the view must answer)."""
    if type(value) in _SCALARS or is_tensor(value):
        try:
            return repr(value)
        except Exception as exc:
            return f"<repr failed: {type(exc).__name__}: {exc}>"
    result: list[str] = []

    def run() -> None:
        try:
            result.append(repr(value))
        except Exception as exc:
            result.append(f"<repr failed: {type(exc).__name__}: {exc}>")

    worker = threading.Thread(target=run, daemon=True, name="hookscope repr")
    worker.start()
    worker.join(seconds)
    return result[0] if result else f"<repr did not finish within {seconds:g} s>"


def fingerprint_value(value: Any) -> tuple[Any, ...]:
    """A token that changes when the value is replaced or (for tensors) changed in place."""
    if type(value) in _SCALARS:
        return ("=", value) if not isinstance(value, str) or len(value) < 200 else \
            ("id", id(value))
    try:
        if is_tensor(value):
            return ("t", id(value), tuple(value.shape), value._version)
        return ("c", id(value), len(value))
    except Exception:
        return ("id", id(value))


def fingerprint(ctx: Any) -> Fingerprint:
    """Fingerprints of every attribute now."""
    return {name: fingerprint_value(value) for name, value in list(ctx.__dict__.items())}


@dataclass(frozen=True, slots=True)
class CtxDiff:
    """What differs between two stops."""

    added: list[str]
    removed: list[str]
    changed: list[str]

    def names(self) -> set[str]:
        """Added or changed (what a table highlights)."""
        return set(self.added) | set(self.changed)

    def describe(self) -> str:
        """'+a +b  -c  ~d' style one-liner."""
        parts = [f"+{n}" for n in self.added] + [f"-{n}" for n in self.removed] + \
            [f"~{n}" for n in self.changed]
        return " ".join(parts) if parts else "no change"


def diff(before: Fingerprint, after: Fingerprint) -> CtxDiff:
    """Attributes added, removed and changed from ``before`` to ``after``."""
    return CtxDiff([n for n in after if n not in before],
                   [n for n in before if n not in after],
                   [n for n in after if n in before and before[n] != after[n]])
