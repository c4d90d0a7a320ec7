"""Breakpoints: on a trigger, on a hook (by name), or on a condition over ctx and the point.

A condition is a Python *expression* checked before it is ever evaluated: no statements, no
imports, no lambdas, no names or attributes with double underscores, and only the names in
:data:`ALLOWED_BUILTINS`, the point's fields, ``ctx``, ``torch``, ``math`` and the ctx
attributes themselves (so ``loss_batch > 2`` and ``ctx.loss_batch > 2`` both work).

Attributes come and go with their lifecycles, so a condition that reads a ctx attribute not
present at a point is simply false there (``loss_batch > 2`` checked at on_epoch_start); the
breakpoint notes what it is waiting for. A condition that raises anything else (a TypeError,
a bad call) disables its breakpoint and keeps the message: a condition never kills the run.

Where a breakpoint is checked:
* a trigger breakpoint stops at that trigger's TRIGGER point (before any of its hooks);
* a hook breakpoint stops at the HOOK point of every hook with that name (before it runs);
* a condition is checked at the points its trigger / hook would stop at, or, when it names
  neither, at every TRIGGER point; such an "any trigger" breakpoint stops once per batch (at
  the first of the batch's triggers where it holds) unless it is made with ``every=True``.
"""

from __future__ import annotations

import ast
import builtins
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from trainer_core.engine.points import HOOK, TRIGGER, Point
from trainer_core.engine.triggers import as_trigger
from trainer_core.errors import HookscopeError

ALLOWED_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in ("abs", "all", "any", "bool", "float", "int", "isinstance", "len", "max",
                 "min", "round", "str", "sum")
}

POINT_FIELDS = ("trigger", "epoch_i", "batch_i", "model_idx", "position", "mode", "split",
                "hook_name", "kind")
#: Names a federated course adds: the round (from 0) and the client whose routine runs.
COURSE_FIELDS = ("round_i", "client")


class BreakpointError(HookscopeError, ValueError):
    """A breakpoint that cannot be set (bad condition, unknown trigger, no target)."""


def check_condition(expression: str) -> ast.Expression:
    """Parse ``expression`` and refuse anything beyond a side-effect-free expression."""
    if not isinstance(expression, str) or not expression.strip():
        raise BreakpointError("a condition must be a non-empty expression, e.g. batch_i == 3")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise BreakpointError(f"condition {expression!r} is not a Python expression: "
                              f"{exc.msg} (column {exc.offset})") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda | ast.NamedExpr | ast.Await | ast.Yield |
                      ast.YieldFrom | ast.GeneratorExp | ast.ListComp | ast.SetComp |
                      ast.DictComp):
            raise BreakpointError(f"condition {expression!r}: "
                                  f"{type(node).__name__} is not allowed in a condition")
        name = node.attr if isinstance(node, ast.Attribute) else \
            node.id if isinstance(node, ast.Name) else None
        if name is not None and name.startswith("__"):
            raise BreakpointError(f"condition {expression!r}: names with double underscores "
                                  f"are not allowed ({name})")
    return tree


def _resolve(name: str, ctx: Any, point: Point, extra: dict[str, Any]) -> Any:
    """The value a condition's ``name`` stands for at ``point`` (``extra``: the course's
    round and client, when there is one)."""
    if name in POINT_FIELDS:
        return getattr(point, name)
    if name in extra:
        return extra[name]
    if name == "ctx":
        return ctx
    if name == "point":
        return point
    if name == "math":
        return math
    if name == "torch":
        import torch
        return torch
    if name in ALLOWED_BUILTINS:
        return ALLOWED_BUILTINS[name]
    values = ctx.__dict__
    if name in values:
        return values[name]
    raise MissingAttribute(name)


class MissingAttribute(NameError):
    """A condition read a ctx attribute that is not there at this point (not an error)."""


def _free_names(tree: ast.Expression) -> tuple[str, ...]:
    """Names a condition reads, so each evaluation looks up only those."""
    return tuple(sorted({node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}))


def ctx_reads(tree: ast.Expression) -> tuple[str, ...]:
    """Ctx attributes a condition reads: bare names that are not point fields, builtins or
    modules, and ``ctx.<name>``."""
    special = {*POINT_FIELDS, *COURSE_FIELDS, *ALLOWED_BUILTINS, "ctx", "point", "torch",
               "math"}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in special}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
              and isinstance(n.value, ast.Name) and n.value.id == "ctx"}
    return tuple(sorted(names))


def _as_function(tree: ast.Expression, names: tuple[str, ...]) -> Any:
    """The checked expression as ``lambda <names>: <expression>``, with no usable builtins.

    A call with the names' values costs a fraction of ``eval`` with a dict of them, and the
    condition is evaluated at every point its breakpoint applies to.
    """
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in names], kwonlyargs=[],
                         kw_defaults=[], defaults=[])
    function = ast.Expression(body=ast.Lambda(args=args, body=tree.body))
    ast.fix_missing_locations(function)
    # No builtins for the expression itself, but __import__ stays: C code called from the
    # condition's frame (a tensor comparison in torch) imports through that frame's builtins.
    # The expression cannot name it (double-underscore names are refused).
    return eval(compile(function, "<breakpoint>", "eval"),
                {"__builtins__": {"__import__": builtins.__import__}})


_ids = itertools.count(1)


@dataclass(eq=False)
class Breakpoint:
    """One breakpoint; ``trigger``/``hook`` say where, ``condition`` (optional) says when."""

    trigger: str | None = None
    hook: str | None = None
    condition: str | None = None
    every: bool = False  # an "any trigger" condition: stop at every trigger, not once a batch
    enabled: bool = True
    hits: int = 0
    message: str = ""
    id: int = field(default_factory=lambda: next(_ids))
    _code: Any = field(default=None, repr=False)
    _names: tuple[str, ...] = field(default=(), repr=False)
    reads: tuple[str, ...] = field(default=(), repr=False)  # ctx attributes it reads
    _stopped_in: Any = field(default=None, repr=False)  # (run, epoch, batch) of its last stop

    def __post_init__(self) -> None:
        if self.trigger is not None:
            try:
                self.trigger = str(as_trigger(self.trigger))
            except HookscopeError as exc:
                raise BreakpointError(str(exc)) from None
        if self.trigger is not None and self.hook is not None:
            raise BreakpointError("a breakpoint is on a trigger or on a hook, not both")
        if self.condition is not None:
            self.condition = self.condition.strip()
            tree = check_condition(self.condition)
            self._names = _free_names(tree)
            self.reads = ctx_reads(tree)
            self._code = _as_function(tree, self._names)
        elif self.trigger is None and self.hook is None:
            raise BreakpointError("a breakpoint needs a trigger, a hook or a condition")

    @property
    def kind(self) -> str:
        """'trigger', 'hook' or 'condition' (any trigger)."""
        return "trigger" if self.trigger else "hook" if self.hook else "condition"

    def describe(self) -> str:
        """'on_batch_forward', 'hook _hook_on_batch_end', or 'batch_i == 3 at …'."""
        where = self.trigger or (f"hook {self.hook}" if self.hook else
                                 "any trigger" if self.every else "any batch")
        text = f"{where} if {self.condition}" if self.condition else where
        state = "" if self.enabled else " (disabled" + (f": {self.message})" if self.message
                                                         else ")")
        return text + state

    def applies(self, point: Point) -> bool:
        """True when ``point`` is where this breakpoint is checked."""
        if self.hook is not None:
            return point.kind is HOOK and point.hook_name == self.hook
        if point.kind is not TRIGGER:
            return False
        return self.trigger is None or point.trigger == self.trigger

    def holds(self, ctx: Any, point: Point, extra: dict[str, Any] | None = None) -> bool:
        """Evaluate the condition (True without one); a raising condition disables itself."""
        if self._code is None:
            return True
        extra = extra or {}
        try:
            result = bool(self._code(*[_resolve(name, ctx, point, extra)
                                       for name in self._names]))
        except MissingAttribute as exc:
            self.message = f"waiting for ctx.{exc} (absent at {point.trigger})"
            return False
        except AttributeError as exc:
            if getattr(exc, "obj", None) is ctx:
                self.message = f"waiting for ctx.{exc.name} (absent at {point.trigger})"
                return False
            self._disable(exc)
            return False
        except Exception as exc:
            self._disable(exc)
            return False
        self.message = ""  # no longer waiting for anything
        return result

    def _disable(self, exc: Exception) -> None:
        self.enabled = False
        self.message = f"{type(exc).__name__}: {exc}"


class Breakpoints:
    """The session's breakpoints, indexed so a run with none that apply costs a set lookup."""

    def __init__(self) -> None:
        #: more names for conditions (a course's round_i and client), kept current by the
        #: session
        self.extra: dict[str, Any] = {}
        self._items: dict[int, Breakpoint] = {}
        self._numbers = itertools.count(1)
        self.triggers: frozenset[str] = frozenset()
        self.hooks: frozenset[str] = frozenset()
        self.anywhere = False
        self._live = ()
        self.disabled_messages: list[str] = []

    def __iter__(self) -> Iterator[Breakpoint]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def add(self, trigger: str | None = None, hook: str | None = None,
            condition: str | None = None, *, every: bool = False) -> Breakpoint:
        """Add a breakpoint (validated); returns it."""
        bp = Breakpoint(trigger=trigger, hook=hook, condition=condition, every=every)
        bp.id = next(self._numbers)  # numbered per session: #1 is this session's first
        self._items[bp.id] = bp
        self._reindex()
        return bp

    def find(self, trigger: str | None = None, hook: str | None = None) -> Breakpoint | None:
        """The unconditional breakpoint on exactly this trigger or hook, if any."""
        for bp in self._items.values():
            if bp.condition is None and bp.trigger == trigger and bp.hook == hook:
                return bp
        return None

    def toggle(self, trigger: str | None = None, hook: str | None = None) -> Breakpoint | None:
        """Add an unconditional breakpoint there, or remove the one that is there.

        Returns the new breakpoint, or None when one was removed.
        """
        existing = self.find(trigger, hook)
        if existing is not None:
            self.remove(existing.id)
            return None
        return self.add(trigger=trigger, hook=hook)

    def get(self, bp_id: int) -> Breakpoint:
        """The breakpoint with this id (BreakpointError naming the ids there are)."""
        try:
            return self._items[bp_id]
        except KeyError:
            raise BreakpointError(f"no breakpoint #{bp_id}; there are: "
                                  f"{sorted(self._items) or 'none'}") from None

    def remove(self, bp_id: int) -> Breakpoint:
        """Delete one breakpoint."""
        bp = self.get(bp_id)
        del self._items[bp_id]
        self._reindex()
        return bp

    def set_enabled(self, bp_id: int, enabled: bool) -> Breakpoint:
        """Enable or disable one breakpoint (enabling clears its error message)."""
        bp = self.get(bp_id)
        bp.enabled = enabled
        if enabled:
            bp.message = ""
        self._reindex()
        return bp

    def edit(self, bp_id: int, condition: str | None) -> Breakpoint:
        """Give a breakpoint a new condition (validated first: a bad one changes nothing);
        its hit count starts again."""
        old = self.get(bp_id)
        new = Breakpoint(trigger=old.trigger, hook=old.hook, condition=condition or None,
                         every=old.every, enabled=old.enabled)
        if new.trigger is None and new.hook is None and new.condition is None:
            raise BreakpointError("a breakpoint on any trigger needs a condition")
        new.id = bp_id
        self._items[bp_id] = new
        self._reindex()
        return new

    def clear(self) -> None:
        """Remove every breakpoint."""
        self._items.clear()
        self._reindex()

    def _reindex(self) -> None:
        live = [bp for bp in self._items.values() if bp.enabled]
        self._live: tuple[Breakpoint, ...] = tuple(live)
        self.triggers = frozenset(bp.trigger for bp in live if bp.trigger is not None)
        self.hooks = frozenset(bp.hook for bp in live if bp.hook is not None)
        self.anywhere = any(bp.trigger is None and bp.hook is None for bp in live)

    def at(self, trigger: str) -> bool:
        """True when an enabled breakpoint names this trigger."""
        return trigger in self.triggers

    def on_hook(self, name: str) -> bool:
        """True when an enabled breakpoint names this hook."""
        return name in self.hooks

    def hit(self, ctx: Any, point: Point) -> Breakpoint | None:
        """The first enabled breakpoint that stops at ``point``; counts the hit."""
        for bp in self._live:
            if bp.enabled and bp.applies(point):
                where = (point.run, point.epoch_i, point.batch_i)
                once = bp.trigger is None and bp.hook is None and not bp.every and \
                    point.batch_i is not None
                if once and bp._stopped_in is not None and bp._stopped_in[0] is where[0] \
                        and bp._stopped_in[1:] == where[1:]:
                    continue  # stopped in this batch already
                if bp.holds(ctx, point, self.extra):
                    bp.hits += 1
                    bp._stopped_in = where if once else None
                    return bp
                if not bp.enabled:
                    self.disabled_messages.append(
                        f"breakpoint #{bp.id} ({bp.condition}) disabled: {bp.message}")
                    self._reindex()
        return None

    def listing(self) -> list[dict[str, Any]]:
        """Plain rows for a UI or JSON."""
        return [{"id": bp.id, "kind": bp.kind, "where": bp.trigger or bp.hook or "*",
                 "condition": bp.condition, "enabled": bp.enabled, "hits": bp.hits,
                 "message": bp.message} for bp in self._items.values()]

