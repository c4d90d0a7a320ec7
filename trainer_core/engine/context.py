"""Context (``ctx``): every learning attribute, plus a record of who set each one.

Hooks keep FederatedScope's style: ``ctx.loss_batch = ...`` and ``ctx.get("foo")``. Values
wrapped in ``CtxVar(value, Lifecycle.BATCH | EPOCH | ROUTINE)`` are released when that
lifecycle ends (the routine calls :meth:`Context.release` at the end of *each* batch, epoch
and routine). Plain attributes live until deleted.

Provenance: every assignment records the routine point current at the time (the hook about
to run, its trigger, epoch, batch and model). ``provenance(name)`` gives the point that first
set an attribute and the one that last changed it; None means "set outside any hook" (the
trainer's constructor, a script). Reads are ordinary attribute reads; only writes pay for
the records (~0.5 µs each).

Frames (nested routines, one scope per model) are :mod:`trainer_core.engine.scopes`'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trainer_core.engine.scopes import (
    _MISSING,
    LABELS,
    LIFECYCLE,
    ROUTINE_MANAGED,
    CtxVar,
    Lifecycle,
    Scopes,
)
from trainer_core.errors import DataSplitError, did_you_mean

if TYPE_CHECKING:
    from trainer_core.engine.points import Point

# Lifecycle, LIFECYCLE and CtxVar are defined with the frames that release them; hooks import
# them from here, as FederatedScope's from its context module.
__all__ = ["LIFECYCLE", "ROUTINE_MANAGED", "Context", "CtxVar", "Lifecycle", "Provenance",
           "VarRecord", "set_current_point"]


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which routine points first set and last changed an attribute (None: outside hooks)."""

    first: Point | None
    last: Point | None


@dataclass(frozen=True, slots=True)
class VarRecord:
    """One ctx attribute as a debugger row sees it."""

    name: str
    value: Any
    lifecycle: Lifecycle | None
    routine_managed: bool
    first: Point | None
    last: Point | None


class Context(Scopes):
    """The learning context handed to every hook. See the module docstring.

    Attributes a TorchTrainer sets up (FederatedScope's names):

    * static: ``model``, ``models`` (multi-model), ``cfg``, ``data``, ``device``,
      ``criterion``, ``regularizer``, ``grad_clip``, ``{split}_data``, ``{split}_loader``,
      ``num_{split}_data``, ``num_{split}_batch``, ``num_train_epoch``,
      ``num_train_batch_last_epoch``, ``num_total_train_batch``;
    * routine-managed: ``cur_mode``, ``cur_split``, ``cur_epoch_i``, ``cur_batch_i``,
      ``cur_model_idx``;
    * set by the default hooks: ``optimizer`` (routine), ``batch_iter`` (epoch),
      ``data_batch``, ``y_true``, ``y_prob``, ``loss_batch``, ``loss_regular``,
      ``loss_task``, ``batch_size`` (batch), ``num_samples``, ``loss_batch_total``,
      ``loss_regular_total``, ``running_metrics`` (routine) and ``eval_metrics``.
    """

    __slots__ = ("__dict__", "_dirty", "_first", "_lane", "_lane_frames", "_last",
                 "_last_released", "_lc", "_point", "_released", "_scoped")

    model: Any
    cfg: Any
    device: Any
    cur_mode: str | None
    cur_split: str | None
    cur_epoch_i: int | None
    cur_batch_i: int | None
    cur_model_idx: int

    def __init__(self, **attributes: Any) -> None:
        init = object.__setattr__
        init(self, "_lc", {})
        init(self, "_scoped", {lc: set() for lc in Lifecycle})
        init(self, "_first", {})
        init(self, "_last", {})
        init(self, "_point", None)
        init(self, "_dirty", set())
        init(self, "_released", {})
        init(self, "_last_released", {})
        init(self, "_lane", 0)
        init(self, "_lane_frames", {})
        d = self.__dict__
        for name in ROUTINE_MANAGED:
            d[name] = None
        d["cur_model_idx"] = 0
        for name, value in attributes.items():
            setattr(self, name, value)

    # -- writes (the hot path) ---------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if type(value) is CtxVar:
            lifecycle = value.lifecycle
            value = value.obj
            if lifecycle is not None:
                old = self._lc.get(name)
                if old is not lifecycle:
                    if old is not None:
                        self._scoped[old].discard(name)
                    self._lc[name] = lifecycle
                    self._scoped[lifecycle].add(name)
        d = self.__dict__
        point = self._point
        if name not in d:
            self._first[name] = point
        self._last[name] = point
        self._dirty.add(name)
        d[name] = value

    def __delattr__(self, name: str) -> None:
        if name not in self.__dict__:
            raise AttributeError(self.explain_missing(name), name=name, obj=self)
        del self.__dict__[name]
        self._forget(name)

    def _forget(self, name: str) -> None:
        lifecycle = self._lc.pop(name, None)
        if lifecycle is not None:
            self._scoped[lifecycle].discard(name)
        self._first.pop(name, None)
        self._last.pop(name, None)

    # -- reads -------------------------------------------------------------------------
    # No __getattr__ on purpose: defining one routes every ctx.x read through CPython's slow
    # slot_tp_getattr_hook and stops 3.11 from specialising the reads (measured: ~30k extra
    # instructions per W1 batch). A hook's failed read is explained by HookError instead,
    # using explain_missing().

    def explain_missing(self, name: str) -> str:
        """Why ``ctx.<name>`` is missing: released with its lifecycle, or a close name."""
        released = self._released.get(name)
        if released is not None:
            return (f"ctx.{name} is gone: it was a CtxVar with lifecycle '{released}' and was "
                    f"released when that {released} ended")
        return f"ctx has no attribute '{name}'{did_you_mean(name, self.__dict__)}"

    def get(self, name: str, default: Any = None) -> Any:
        """FederatedScope's ``ctx.get(name, default)``."""
        return self.__dict__.get(name, default)

    def __getitem__(self, name: str) -> Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise KeyError(self.explain_missing(name)) from None

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self, name, value)

    def __delitem__(self, name: str) -> None:
        delattr(self, name)

    def __contains__(self, name: object) -> bool:
        return name in self.__dict__

    def keys(self) -> list[str]:
        """Names of the attributes present now."""
        return list(self.__dict__)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.__dict__))

    def __repr__(self) -> str:
        scoped = sum(len(s) for s in self._scoped.values())
        return (f"<Context {len(self.__dict__)} attributes ({scoped} scoped), "
                f"mode={self.cur_mode} split={self.cur_split} epoch={self.cur_epoch_i} "
                f"batch={self.cur_batch_i}>")

    # -- FederatedScope's helpers --------------------------------------------------------
    def check_split(self, target_split_name: str, skip: bool = False) -> bool:
        """True when ctx holds data for the split (``{split}_data`` or ``{split}_loader``);
        otherwise False with ``skip``, else DataSplitError naming the splits there are."""
        d = self.__dict__
        if d.get(f"{target_split_name}_data") is not None or \
                d.get(f"{target_split_name}_loader") is not None:
            return True
        if skip:
            return False
        present = sorted(n[:-7] for n, v in d.items() if n.endswith("_loader") and v is not None)
        raise DataSplitError(f"no {target_split_name}_data or {target_split_name}_loader in "
                             f"ctx; it has: {', '.join(present) or 'none'}",
                             split=target_split_name)

    def track_mode(self, mode: str) -> None:
        """FederatedScope's mode stack: push ``mode``, make it ``cur_mode``, and put the model
        in training or evaluation mode accordingly."""
        self.__dict__.setdefault("mode_stack", []).append(mode)
        self._change_mode(mode)

    def reset_mode(self) -> None:
        """Pop the mode stack; ``cur_mode`` (and the model's mode) follow what is left."""
        stack = self.__dict__.get("mode_stack") or []
        if stack:
            stack.pop()
        if stack:
            self._change_mode(stack[-1])
        else:
            self.__dict__["cur_mode"] = None

    def _change_mode(self, mode: str) -> None:
        self.__dict__["cur_mode"] = mode
        train = getattr(self.__dict__.get("model"), "train", None)
        if callable(train):
            train(mode in ("train", "finetune"))

    def track_split(self, dataset: str) -> None:
        """FederatedScope's split stack: push ``dataset`` and make it ``cur_split``."""
        self.__dict__.setdefault("split_stack", []).append(dataset)
        self.__dict__["cur_split"] = dataset

    def reset_split(self) -> None:
        """Pop the split stack; ``cur_split`` follows what is left."""
        stack = self.__dict__.get("split_stack") or []
        if stack:
            stack.pop()
        self.__dict__["cur_split"] = stack[-1] if stack else None

    def merge_from_dict(self, other_dict: dict[str, Any]) -> None:
        """Set every item as an attribute."""
        for name, value in other_dict.items():
            setattr(self, name, value)

    # -- records -----------------------------------------------------------------------
    def lifecycle_of(self, name: str) -> Lifecycle | None:
        """The CtxVar lifecycle of an attribute, or None for a plain one."""
        return self._lc.get(name)

    @property
    def lifecycles(self) -> Mapping[str, Lifecycle]:
        """name -> lifecycle of every scoped attribute, live (for per-batch checks)."""
        return self._lc

    def provenance(self, name: str) -> Provenance:
        """Points that first set and last changed ``name`` (None: outside any hook)."""
        if name not in self.__dict__:
            raise AttributeError(self.explain_missing(name), name=name, obj=self)
        return Provenance(self._first.get(name), self._last.get(name))

    def records(self) -> list[VarRecord]:
        """Every attribute with its lifecycle and provenance, in insertion order."""
        managed = set(ROUTINE_MANAGED)
        return [VarRecord(name, value, self._lc.get(name), name in managed,
                          self._first.get(name), self._last.get(name))
                for name, value in self.__dict__.items()]

    def records_of_model(self, model_idx: int) -> list[VarRecord]:
        """:meth:`records` as model ``model_idx`` of a parallel multi-model routine sees
        them: its own batch/epoch/routine values (kept aside while another model's hooks
        run) with the shared attributes, ``model`` and ``cur_model_idx`` its own. For the
        model whose turn it is, or with one set of scoped values, the same as records()."""
        if model_idx == self._lane or not self._lane_frames:
            return self.records()
        own = self._lane_frames.get(model_idx, {})
        mine = {"cur_model_idx": model_idx}
        models = self.__dict__.get("models")
        if isinstance(models, list | tuple) and 0 <= model_idx < len(models):
            mine["model"] = models[model_idx]
        rows = [VarRecord(r.name, mine.get(r.name, r.value), r.lifecycle, r.routine_managed,
                          r.first, r.last) for r in self.records() if r.name not in self._lc]
        rows += [VarRecord(name, value, lifecycle, False, first, last)
                 for name, (value, lifecycle, first, last) in own.items()
                 if value is not _MISSING]
        return rows

    @property
    def last_writes(self) -> Mapping[str, Point | None]:
        """name -> the point of its last assignment, live (not a copy): a watcher that
        compares these points by identity sees every new write without holding a value."""
        return self._last

    def last_writer(self, name: str) -> Point | None:
        """The point whose hook last set ``name`` (None: never set, or set outside hooks)."""
        return self._last.get(name) if name in self.__dict__ else None

    def written_by(self, point: Point) -> list[str]:
        """Attributes present now whose last change was made at ``point`` (a hook's HOOK point)."""
        d = self.__dict__
        return [name for name, last in self._last.items() if last is point and name in d]

    def scoped_names(self, lifecycle: Lifecycle) -> frozenset[str]:
        """Names that will be released when ``lifecycle`` ends."""
        return frozenset(self._scoped[lifecycle])

    def take_dirty(self) -> set[str]:
        """Names assigned since the last call (for incremental checks)."""
        dirty = self._dirty
        object.__setattr__(self, "_dirty", set())
        return dirty

    @property
    def current_point(self) -> Point | None:
        """The routine point whose hook is running (or last ran)."""
        return self._point

    # -- routine interface -------------------------------------------------------------
    def set_position(self, epoch_i: int | None, batch_i: int | None) -> None:
        """Where the routine is now (``cur_epoch_i``, ``cur_batch_i``): the routine's own
        writes, so they carry no provenance."""
        d = self.__dict__
        d["cur_epoch_i"] = epoch_i
        d["cur_batch_i"] = batch_i

    def release(self, lifecycle: Lifecycle) -> list[str]:
        """Delete every attribute whose lifecycle ends now; returns their names."""
        names = self._scoped[lifecycle]
        if not names:
            return []
        released = list(names)
        names.clear()
        d, lcs = self.__dict__, self._lc
        for name in released:  # provenance entries go stale and are overwritten on next set
            d.pop(name, None)
            del lcs[name]
        last = self._last_released
        if released != last.get(lifecycle):  # batch after batch it is the same names
            self._released.update(dict.fromkeys(released, LABELS[lifecycle]))
            last.clear()  # another lifecycle's names may have been relabelled just now
            last[lifecycle] = released
        return released


#: ``set_current_point(ctx, point)``: what the routine calls before every hook (14 times a
#: batch) so the hook's writes are attributed to its point. It is the ``_point`` slot's own
#: setter, a C call (~30 ns here, against ~90 ns for a method doing the same).
set_current_point = Context._point.__set__  # type: ignore[attr-defined]
