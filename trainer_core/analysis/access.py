"""Which ctx attributes each hook reads and writes, and what an edit would break.

Reads come from the hook's source (``ctx.x`` loads, ``ctx["x"]``, ``getattr(ctx, "x")``;
``ctx.get("x")`` counts as an optional read, one that has a default). Writes come from the
source too, and from the routine: the session reports what each hook actually wrote the first
few times it ran (:meth:`AccessLog.observe`), which catches writes made through helpers.
Reads are not traced at run time on purpose: a traced ``ctx`` read costs every hook of every
batch, a parsed one costs once per hook.

:func:`check_edit` compares a hook set before and after an edit, walking each in routine
order (every trigger's hooks, triggers in TRIGGERS order): a read that had a writer earlier in
the routine before the edit and has none after it is broken, because the writer was moved
after the reader, the reader before the writer, or the writer removed or replaced.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from trainer_core.engine.context import Context
from trainer_core.engine.hooks import Hook, hook_function, hook_name
from trainer_core.engine.points import Point
from trainer_core.engine.triggers import TRIGGERS
from trainer_core.errors import HookError

#: Context methods: ``ctx.get(...)`` is a call, not a read of an attribute named "get".
_CTX_METHODS = frozenset(n for n in dir(Context) if not n.startswith("_"))


@dataclass(frozen=True, slots=True)
class HookAccess:
    """What one hook reads (needs), may read (has a default for) and writes in ctx."""

    reads: frozenset[str]
    optional: frozenset[str]
    writes: frozenset[str]
    parsed: bool  # False when the source could not be read (builtins, lambdas in a REPL)
    #: Names the hook sets from their own previous value (``ctx.n += 1``,
    #: ``ctx.n = ctx.get("n", 0) + 1``): running totals.
    accumulates: frozenset[str] = frozenset()

    def merged(self, writes: Sequence[str]) -> HookAccess:
        """The same access with observed writes added."""
        return HookAccess(self.reads, self.optional, self.writes | frozenset(writes),
                          self.parsed, self.accumulates)


NO_ACCESS = HookAccess(frozenset(), frozenset(), frozenset(), False)


def _ctx_parameter(hook: Hook) -> str | None:
    try:
        params = list(inspect.signature(hook).parameters)
    except (TypeError, ValueError):
        return None
    return params[0] if params else None


@functools.lru_cache(maxsize=1024)
def _parse(function: Any, param: str) -> HookAccess:
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return NO_ACCESS
    reads: set[str] = set()
    optional: set[str] = set()
    writes: set[str] = set()
    accumulates: set[str] = set()

    def is_ctx(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id == param

    def literal(node: ast.AST) -> str | None:
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_ctx(node.value):
            if node.attr in _CTX_METHODS:
                continue
            (reads if isinstance(node.ctx, ast.Load) else writes).add(node.attr)
        elif isinstance(node, ast.AugAssign):
            target = node.target
            if isinstance(target, ast.Attribute) and is_ctx(target.value):
                reads.add(target.attr)
                accumulates.add(target.attr)
        if isinstance(node, ast.Assign):
            used = _names_used(node.value, is_ctx, literal)
            accumulates.update(t.attr for t in node.targets if isinstance(t, ast.Attribute)
                               and is_ctx(t.value) and t.attr in used)
        elif isinstance(node, ast.Subscript) and is_ctx(node.value):
            key = literal(node.slice)
            if key:
                (reads if isinstance(node.ctx, ast.Load) else writes).add(key)
        elif isinstance(node, ast.Call) and node.args:
            func, args = node.func, node.args
            if isinstance(func, ast.Attribute) and is_ctx(func.value) and func.attr == "get":
                key = literal(args[0])
                if key:
                    optional.add(key)
            elif isinstance(func, ast.Name) and len(args) >= 2 and is_ctx(args[0]):
                key = literal(args[1])
                if key and func.id == "setattr":
                    writes.add(key)
                elif key and func.id == "getattr":
                    (optional if len(args) > 2 else reads).add(key)
                elif key and func.id == "hasattr":
                    optional.add(key)
    return HookAccess(frozenset(reads), frozenset(optional - reads), frozenset(writes), True,
                      frozenset(accumulates))


def _names_used(expression: ast.AST, is_ctx: Callable[[ast.AST], bool],
                literal: Callable[[ast.AST], str | None]) -> set[str]:
    """ctx attributes an expression reads (``ctx.x``, ``ctx.get("x")``, ``getattr(ctx, "x")``)."""
    used: set[str] = set()
    for node in ast.walk(expression):
        if isinstance(node, ast.Attribute) and is_ctx(node.value):
            used.add(node.attr)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and is_ctx(func.value) and func.attr == "get":
                key = literal(node.args[0])
            elif isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2 \
                    and is_ctx(node.args[0]):
                key = literal(node.args[1])
            else:
                key = None
            if key:
                used.add(key)
    return used


def static_access(hook: Hook) -> HookAccess:
    """What the hook's source reads and writes in its ctx argument (cached per function)."""
    param = _ctx_parameter(hook)
    function = hook_function(hook)
    if param is None:
        return NO_ACCESS
    try:
        return _parse(function, param)
    except TypeError:  # an unhashable callable
        return NO_ACCESS


class AccessLog:
    """Hook accesses: parsed once per hook, plus writes seen while the routine ran.

    ``observe(hook_point, done_point)`` is cheap but not free, so each hook is observed only
    for its first ``samples`` calls; a hook's writes rarely change from batch to batch.
    """

    def __init__(self, samples: int = 3) -> None:
        self.samples = samples
        self.observed: dict[int, set[str]] = {}
        #: id(hook) -> hook, for hooks observed ``samples`` times (the hot-path check). Keys
        #: are ids so unhashable callables work; the value keeps the id from being reused.
        self.saturated: dict[int, Hook] = {}
        self._calls: dict[int, int] = {}

    def observe(self, ctx: Any, hook_point: Point) -> None:
        """Note what the hook at ``hook_point`` wrote (call right after it returned)."""
        hook = hook_point.hook
        key = id(hook)
        calls = self._calls[key] = self._calls.get(key, 0) + 1
        self.observed.setdefault(key, set()).update(ctx.written_by(hook_point))
        if calls >= self.samples:
            self.saturated[key] = hook

    def access(self, hook: Hook) -> HookAccess:
        """Static access of ``hook`` with the writes observed for it."""
        base = static_access(hook)
        seen = self.observed.get(id(hook))
        return base.merged(sorted(seen)) if seen else base


class DependencyKind(StrEnum):
    """How an edit leaves a read without its writer."""

    WRITER_AFTER_READER = "writer-after-reader"  # the writer now runs after the reader
    WRITER_REMOVED = "writer-removed"            # the writer was removed or replaced
    NEVER_WRITTEN = "never-written"              # nothing in the routine writes it


@dataclass(frozen=True, slots=True)
class DependencyFinding:
    """An edit that leaves a hook reading an attribute nothing has written yet."""

    kind: DependencyKind
    attribute: str
    reader: str
    reader_trigger: str
    writer: str | None
    writer_trigger: str | None
    message: str

    def describe(self) -> str:
        """One line for a preview."""
        return self.message

    def as_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"kind": self.kind.value, "attribute": self.attribute, "reader": self.reader,
                "reader_trigger": self.reader_trigger, "writer": self.writer,
                "writer_trigger": self.writer_trigger, "message": self.message}


RoutineOrder = list[tuple[str, int, Hook]]


def routine_order(hooks: Mapping[str, Sequence[Hook]]) -> RoutineOrder:
    """Every (trigger, position, hook) in the order one batch-level pass meets them."""
    return [(trigger, position, hook) for trigger in TRIGGERS
            for position, hook in enumerate(hooks.get(trigger, ()))]


def _occurrences(order: RoutineOrder) -> dict[tuple[Any, int], int]:
    """(hook, n-th occurrence) -> index in ``order``, so a hook is matched across edits."""
    seen: dict[Any, int] = {}
    index: dict[tuple[Any, int], int] = {}
    for i, (_, _, hook) in enumerate(order):
        key = id(hook)
        n = seen.get(key, 0)
        seen[key] = n + 1
        index[(key, n)] = i
    return index


def _satisfied(order: RoutineOrder, access: Callable[[Hook], HookAccess]
               ) -> list[dict[str, tuple[str, int, Hook]]]:
    """For each hook in ``order``: read attribute -> the last earlier hook that writes it."""
    last_writer: dict[str, tuple[str, int, Hook]] = {}
    result: list[dict[str, tuple[str, int, Hook]]] = []
    for trigger, position, hook in order:
        reads = access(hook).reads
        result.append({a: last_writer[a] for a in reads if a in last_writer})
        for attribute in access(hook).writes:
            last_writer[attribute] = (trigger, position, hook)
    return result


def check_edit(before: Mapping[str, Sequence[Hook]], after: Mapping[str, Sequence[Hook]],
               access: Callable[[Hook], HookAccess], *,
               present: Callable[[str], bool] = lambda name: False) -> list[DependencyFinding]:
    """Reads an edit breaks, going from hook set ``before`` to ``after``.

    ``present(name)`` tells whether ctx holds ``name`` outside any hook (model, cfg, ...), so a
    newly inserted hook reading it is fine.
    """
    old, new = routine_order(before), routine_order(after)
    old_ok, new_ok = _satisfied(old, access), _satisfied(new, access)
    old_index = _occurrences(old)
    writers_now: dict[str, list[tuple[str, int, Hook]]] = {}
    for trigger, position, hook in new:
        for attribute in access(hook).writes:
            writers_now.setdefault(attribute, []).append((trigger, position, hook))
    findings: list[DependencyFinding] = []
    seen: dict[int, int] = {}
    for i, (trigger, _, hook) in enumerate(new):
        n = seen.get(id(hook), 0)
        seen[id(hook)] = n + 1
        j = old_index.get((id(hook), n))
        reader = hook_name(hook)
        if j is not None:
            for attribute, (w_trigger, _, writer) in sorted(old_ok[j].items()):
                if attribute in new_ok[i]:
                    continue
                later = [w for w in writers_now.get(attribute, []) if w[2] is writer]
                if later:
                    message = (f"{reader} ({trigger}) reads ctx.{attribute}, which "
                               f"{hook_name(writer)} writes; {hook_name(writer)} would now run "
                               f"after it ({later[0][0]} #{later[0][1]})")
                    kind = DependencyKind.WRITER_AFTER_READER
                else:
                    message = (f"{reader} ({trigger}) reads ctx.{attribute}, which "
                               f"{hook_name(writer)} ({w_trigger}) writes; that hook would be "
                               f"gone")
                    kind = DependencyKind.WRITER_REMOVED
                findings.append(DependencyFinding(kind, attribute, reader, trigger,
                                                  hook_name(writer), w_trigger, message))
        else:
            for attribute in sorted(access(hook).reads - set(new_ok[i])):
                writers = [w for w in writers_now.get(attribute, []) if w[2] is not hook]
                if not writers and attribute in access(hook).writes:
                    continue  # it reads what it wrote when it last ran (an accumulator)
                if writers:
                    w_trigger, w_pos, writer = writers[0]
                    findings.append(DependencyFinding(
                        DependencyKind.WRITER_AFTER_READER, attribute, reader, trigger,
                        hook_name(writer), w_trigger,
                        f"{reader} ({trigger}) reads ctx.{attribute}, which is only written "
                        f"later, by {hook_name(writer)} ({w_trigger} #{w_pos})"))
                elif not present(attribute):
                    findings.append(DependencyFinding(
                        DependencyKind.NEVER_WRITTEN, attribute, reader, trigger, None, None,
                        f"{reader} ({trigger}) reads ctx.{attribute}, which no hook writes "
                        f"and ctx does not hold"))
    return findings


def ordering_hint(error: HookError, access: Callable[[Hook], HookAccess] = static_access
                  ) -> str:
    """For a hook that failed reading a ctx attribute: which hook of its pipeline writes that
    attribute and whether it runs after the reader (the usual cause after a reorder), or
    that no hook writes it. '' when the error is of another kind or nothing can be said."""
    name, pipeline = error.missing, error.pipeline
    if name is None or pipeline is None or error.position < 0:
        return ""
    order = routine_order(pipeline)
    try:
        at = next(i for i, (trigger, position, _) in enumerate(order)
                  if trigger == error.trigger and position == error.position)
    except StopIteration:
        return ""
    writers = [(i, trigger, position, hook) for i, (trigger, position, hook) in enumerate(order)
               if name in access(hook).writes]
    if not writers:
        return (f"no hook in this {error.mode} pipeline writes ctx.{name}; insert one that does "
                f"before '{error.hook_name}', or read it with ctx.get('{name}')")
    first, trigger, position, hook = writers[0]
    if first <= at:  # a writer runs earlier: the value was there and is gone
        return ""
    where = "later at the same trigger" if trigger == error.trigger else f"at {trigger}"
    return (f"ctx.{name} is written by '{hook_name(hook)}' ({trigger} #{position}), which runs "
            f"{where}, after '{error.hook_name}' ({error.trigger} #{error.position}): move one "
            f"of them")


def forget_parsed_sources() -> None:
    """Drop what was parsed from hook sources (after a hook file was reloaded in place)."""
    _parse.cache_clear()
