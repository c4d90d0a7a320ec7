"""Lifecycle findings: what outlived its lifecycle or grows, who did it, and a fix that fits.

A finding names the attribute (and the path inside it, ``ctx.outputs["logits"]``), the hook
blamed (the one that grew or set it, with the line of the statement when its source shows
one), the routine's mode and split as they were, the retained size and, for growth, its
rate and where it is headed. The fix hint depends on the kind *and* on what the value is: a
list of losses is not fixed by ``ctx.x = loss.item()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trainer_core.analysis.values import format_bytes
from trainer_core.engine.hooks import HookInfo


class FindingKind(StrEnum):
    """What outlived its lifecycle, and how."""

    OUTLIVES_BATCH = "outlives-batch"
    GROWS = "grows"                        # rises over a routine's batches
    GROWS_PER_ROUND = "grows-per-round"    # rises from one routine (FL round) to the next
    KEEPS_GRAPH = "keeps-autograd-graph"
    BIG_ACROSS_EPOCHS = "big-across-epochs"
    PERSONAL_SENT = "personal-sent"        # a client's personal part reaches its update


#: Report order: the costliest kinds first.
KIND_ORDER = (FindingKind.KEEPS_GRAPH, FindingKind.PERSONAL_SENT, FindingKind.GROWS,
              FindingKind.GROWS_PER_ROUND, FindingKind.BIG_ACROSS_EPOCHS,
              FindingKind.OUTLIVES_BATCH)


@dataclass(frozen=True, slots=True)
class Finding:
    """One lifecycle problem, with who caused it and how to fix it."""

    kind: FindingKind
    attribute: str              # the ctx attribute (for a group: the first of them)
    hook: HookInfo | None
    trigger: str | None
    mode: str
    split: str
    epoch_i: int | None
    batch_i: int | None
    model_idx: int
    nbytes: int
    length: int | None
    message: str
    hint: str
    path: str = ""              # inside the attribute: '["logits"]', '.history[3]'
    site: str | None = None     # file:line of the statement, when the source shows it
    rate: float | None = None   # bytes per batch (GROWS) or per round (GROWS_PER_ROUND)
    projected: int | None = None  # bytes at the end of the routine / after more rounds
    attributes: tuple[str, ...] = field(default=())  # a group: every name it covers

    @property
    def where(self) -> str:
        """``ctx.outputs["logits"]``."""
        return f"ctx.{self.attribute}{self.path}"

    @property
    def source(self) -> str:
        """'hook_name (file:line) at trigger', or 'outside any hook'."""
        if self.hook is None:
            return "outside any hook"
        return f"{self.hook.name} ({self.site or self.hook.location}) at {self.trigger}"

    @property
    def blame(self) -> str:
        """'by <source>', or for what a client sends, where it was seen."""
        if self.hook is None and self.kind is FindingKind.PERSONAL_SENT:
            return "seen in what the client sends"
        return f"by {self.source}"

    def describe(self) -> str:
        """Two lines: what and where, then the fix."""
        return f"[{self.kind}] {self.where}: {self.message}; {self.blame}\n" \
               f"    fix: {self.hint}"

    def sort_key(self) -> tuple[Any, ...]:
        """Deterministic report order: kind, then attribute."""
        return (KIND_ORDER.index(self.kind), self.attribute, self.path)

    def as_dict(self, relative: Any = None) -> dict[str, Any]:
        """Plain data for JSON output and golden files (``relative``: a function that
        shortens file paths)."""
        shorten = relative or (lambda text: text)
        return {"kind": self.kind.value, "attribute": self.attribute, "path": self.path,
                "where": self.where, "attributes": list(self.attributes or (self.attribute,)),
                "hook": self.hook.qualname if self.hook else None,
                "location": shorten(self.hook.location) if self.hook else None,
                "site": shorten(self.site) if self.site else None,
                "trigger": self.trigger, "mode": self.mode, "split": self.split,
                "epoch_i": self.epoch_i, "batch_i": self.batch_i, "model_idx": self.model_idx,
                "nbytes": self.nbytes, "length": self.length, "rate": self.rate,
                "projected": self.projected, "message": self.message, "hint": self.hint}


# -- fix hints, by kind and by what the value is ------------------------------------------
_NUMBERS = (int, float, bool)


def merge_by_client(per_client: Mapping[int, Sequence[Finding]]) -> list[Finding]:
    """Federated clients' findings (each client's ctx is checked on its own) as one list:
    the same finding (kind, place, trigger, hook) in several clients is one, naming them;
    in report order."""
    seen: dict[tuple[Any, ...], tuple[Finding, list[int]]] = {}
    for client, findings in sorted(per_client.items()):
        for finding in findings:
            key = (finding.kind, finding.where, finding.trigger,
                   finding.hook.qualname if finding.hook else None)
            seen.setdefault(key, (finding, []))[1].append(client)
    merged = [dataclasses.replace(f, message=f"{f.message} (client"
                                  f"{'s' if len(clients) > 1 else ''} "
                                  f"{', '.join(map(str, clients))})")
              for f, clients in seen.values()]
    return sorted(merged, key=Finding.sort_key)


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "grad_fn") and hasattr(value, "element_size")


def _items(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())[-3:]
    if isinstance(value, list | tuple):
        return list(value[-3:])
    try:
        return list(value)[-3:] if hasattr(value, "maxlen") else []
    except TypeError:
        return []


def _holds_tensors(value: Any) -> bool:
    return any(_is_tensor(item) or (isinstance(item, list | dict) and _holds_tensors(item))
               for item in _items(value))


def _scalar_tensors(value: Any) -> bool:
    items = _items(value)
    return bool(items) and all(_is_tensor(i) and i.dim() == 0 for i in items)


def outlives_hint(name: str, value: Any, accumulates: bool) -> str:
    """A plain attribute set in a batch: this batch's value, or a running total."""
    if accumulates or isinstance(value, _NUMBERS):
        initial = "0" if isinstance(value, _NUMBERS) or _is_tensor(value) else \
            "[]" if isinstance(value, list) else "{}" if isinstance(value, dict) else "..."
        return (f"it carries over into the next routine (the next FL round): start it at "
                f"on_fit_start with ctx.{name} = CtxVar({initial}, Lifecycle.ROUTINE)"
                + (" and add loss.item(), not the tensor" if _is_tensor(value) else ""))
    return (f"ctx.{name} = CtxVar(value, Lifecycle.BATCH) if it is this batch's value; if "
            f"later batches need it, CtxVar(value, Lifecycle.ROUTINE) set at on_fit_start")


def growth_hint(name: str, value: Any, path: str) -> str:
    """A container or tensor that keeps growing."""
    where = f"ctx.{name}{path}"
    if _is_tensor(value):
        return (f"{where} is re-grown by concatenation each batch: collect into a "
                f"CtxVar([], Lifecycle.ROUTINE) list and concatenate at on_fit_end, or keep "
                f"a running sum")
    if isinstance(value, dict):
        return (f"the values of {where} keep growing: give the dict a lifecycle "
                f"(CtxVar({{}}, Lifecycle.ROUTINE) at on_fit_start), or bound each value "
                f"(collections.deque(maxlen=N))")
    items = ("append x.item() for scalar tensors, x.detach().cpu() for others; "
             if _holds_tensors(value) else "")
    return (f"{items}give it a lifecycle (ctx.{name} = CtxVar([], Lifecycle.ROUTINE) at "
            f"on_fit_start) or keep a bounded window (collections.deque(maxlen=N)); a plain "
            f"attribute grows for as long as the trainer lives")


def graph_hint(name: str, value: Any, path: str) -> str:
    """A live autograd graph kept past its batch."""
    where = f"ctx.{name}{path}"
    if _is_tensor(value) and not path:
        if value.dim() == 0:
            return f"store a number: ctx.{name} = loss.item() (or += loss.item())"
        return f"store a detached tensor: ctx.{name} = tensor.detach()"
    if isinstance(value, dict):
        return (f"store detached values in {where.rsplit('[', 1)[0]}: "
                f"{{k: v.detach() for k, v in outputs.items()}}")
    if _scalar_tensors(value):
        return f"append loss.item() (a number) to ctx.{name}, not the loss tensor"
    return (f"keep detached tensors in ctx.{name}: append x.detach() (x.detach().cpu() to "
            f"free device memory too)")


def round_hint(name: str, value: Any) -> str:
    """Grows from one routine to the next: it is never reset."""
    initial = "[]" if isinstance(value, list) else "{}" if isinstance(value, dict) else "..."
    return (f"it is never reset between routines (rounds): give it a lifecycle "
            f"(ctx.{name} = CtxVar({initial}, Lifecycle.ROUTINE) at on_fit_start), or "
            f"reset it at on_fit_start, or keep only the last round")


def size_text(nbytes: int, truncated: bool = False) -> str:
    """'1.2 MiB' (or 'at least 1.2 MiB' when the measurement was cut short)."""
    return ("at least " if truncated else "") + format_bytes(nbytes)
