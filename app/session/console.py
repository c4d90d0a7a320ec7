"""The debugger's console and watches: evaluate Python against the paused ctx.

What a debugging person reaches for first (pdb's ``p``, an IDE's debug console): type an
expression at a stop and see its value, rendered as the detail pane renders values (tensor
stats, a model's parameters and gradients, an optimizer's learning rates). Names resolve to
the console's own variables, then ctx attributes, then ``ctx``, ``torch``, ``np``, ``math``,
``trainer``, ``point`` and the point's fields (``trigger``, ``epoch_i``, ``batch_i``...).

Statements: assignments only (``ctx.lr_scale = 0.5``, ``ctx.optimizer.param_groups[0]["lr"]
= 0.01``, ``x = ctx.y_prob[0]``, ``+=``). A write to ctx goes through the Context, so it has
provenance like any other, and the session log records it as an edit of ctx. Anything else
(imports, loops, definitions) is refused: this is a console for looking and nudging, not a
second program.

Watches are expressions pinned to be re-evaluated at every stop; each remembers its previous
value, so a stop shows ``old → new``. An expression that raises shows its error in place.
The console evaluates only while the routine is paused (its thread is parked); the TUI runs
it in a worker, so an expression that takes long does not freeze the screen.
"""

from __future__ import annotations

import ast
import builtins
import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.session.views import VarDetail, bounded_repr, value_detail

if TYPE_CHECKING:
    from app.session.core import DebugSession

#: How many past entries the console keeps (up/down walks them).
HISTORY = 200
_PREVIEW = 160


class ConsoleError(ValueError):
    """Input the console does not run (not an expression or an assignment)."""


@dataclass(frozen=True)
class ConsoleResult:
    """One evaluation: the input, and the value's detail, or the error."""

    text: str
    detail: VarDetail | None = None
    error: str = ""
    assigned: str = ""  # for an assignment: what was set, e.g. 'ctx.lr_scale'

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class Watch:
    """A pinned expression, its value at the last stop, and the one before."""

    expression: str
    value: str = ""
    previous: str | None = None
    error: str = ""
    changed: bool = False
    evaluations: int = 0


def _ctx_target(node: ast.AST) -> str | None:
    """'ctx.x' for an assignment target rooted at ctx (``ctx.x``, ``ctx.x[0]``, ``ctx.x.y``)."""
    root = node
    while isinstance(root, ast.Attribute | ast.Subscript):
        if isinstance(root, ast.Attribute) and isinstance(root.value, ast.Name) and \
                root.value.id == "ctx":
            return f"ctx.{root.attr}"
        root = root.value
    return None


class Console:
    """Evaluation and watches for one session (see the module docstring)."""

    def __init__(self, session: DebugSession) -> None:
        self.session = session
        self.history: deque[str] = deque(maxlen=HISTORY)
        self.watches: list[Watch] = []
        self.variables: dict[str, Any] = {}

    # -- evaluating --------------------------------------------------------------------
    def _namespace(self) -> dict[str, Any]:
        """A real dict (comprehensions look names up as globals): the fixed names, then
        ctx's attributes over them, then the console's variables over those."""
        import numpy as np
        import torch

        session = self.session
        point = session.point
        names: dict[str, Any] = {"__builtins__": builtins, "torch": torch, "np": np,
                                 "math": math, "trainer": session.trainer, "point": point}
        if point is not None:
            names.update(trigger=point.trigger, epoch_i=point.epoch_i, batch_i=point.batch_i,
                         model_idx=point.model_idx, mode=point.mode, split=point.split,
                         hook_name=point.hook_name)
        names.update(session.breakpoints.extra)  # a federated course's round_i and client
        if hasattr(session, "course"):
            names["course"] = session.course
        names.update(session.ctx.__dict__)
        names["ctx"] = session.ctx
        names.update(self.variables)
        return names

    def _check_paused(self) -> None:
        from app.session.state import RunState

        if self.session.state is RunState.RUNNING:
            raise ConsoleError("the routine is running: pause it (p) to evaluate")

    def run(self, text: str) -> ConsoleResult:
        """Evaluate an expression or run an assignment; never raises for the input's sake."""
        text = text.strip()
        if not text:
            return ConsoleResult(text, error="type an expression, e.g. ctx.loss_batch")
        if not self.history or self.history[-1] != text:
            self.history.append(text)
        try:
            self._check_paused()
            tree = self._parse(text)
        except (ConsoleError, SyntaxError) as exc:
            return ConsoleResult(text, error=_message(exc))
        namespace = self._namespace()
        try:
            if isinstance(tree, ast.Expression):
                value = eval(compile(tree, "<console>", "eval"), namespace)
                return ConsoleResult(text, detail=value_detail(text, value))
            return self._assign(text, tree, namespace)
        except BaseException as exc:  # the console reports whatever it hit
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                return ConsoleResult(text, error=f"{type(exc).__name__} (ignored)")
            return ConsoleResult(text, error=_message(exc))

    def _parse(self, text: str) -> ast.Expression | ast.Module:
        try:
            return ast.parse(text, mode="eval")
        except SyntaxError:
            module = ast.parse(text, mode="exec")
        if len(module.body) != 1 or not isinstance(
                module.body[0], ast.Assign | ast.AugAssign | ast.AnnAssign):
            raise ConsoleError("only an expression or one assignment (x = ..., ctx.x = ..., "
                               "ctx.x += ...) runs here")
        return module

    def _assign(self, text: str, tree: ast.Module, namespace: dict[str, Any]
                ) -> ConsoleResult:
        statement = tree.body[0]
        targets = statement.targets if isinstance(statement, ast.Assign) else [
            statement.target]
        exec(compile(tree, "<console>", "exec"), namespace)
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        for name in names:  # a bare name is the console's own variable
            self.variables[name] = namespace[name]
        ctx_targets = [t for t in (_ctx_target(t) for t in targets) if t]
        for target in ctx_targets:
            self.session.log.append(f"console: {text} (an edit of {target})")
        shown = ctx_targets[0] if ctx_targets else names[0] if names else ""
        if not shown:  # e.g. point.x = 1: done, nothing to show
            return ConsoleResult(text, assigned=text)
        value = eval(compile(shown, "<console>", "eval"), self._namespace())
        return ConsoleResult(text, detail=value_detail(shown, value), assigned=shown)

    # -- watches -------------------------------------------------------------------------
    def add_watch(self, expression: str) -> Watch:
        """Pin an expression; it is evaluated now and at every stop."""
        expression = expression.strip()
        if not expression:
            raise ConsoleError("a watch needs an expression")
        try:
            ast.parse(expression, mode="eval")
        except SyntaxError as exc:
            raise ConsoleError(f"a watch is an expression: {_message(exc)}") from None
        watch = Watch(expression)
        self.watches.append(watch)
        self._evaluate_watch(watch, self._namespace())
        watch.changed = False
        return watch

    def remove_watch(self, index: int) -> Watch:
        """Unpin the watch at ``index`` (0-based)."""
        try:
            return self.watches.pop(index)
        except IndexError:
            raise ConsoleError(f"no watch #{index + 1}; there are {len(self.watches)}"
                               ) from None

    def refresh_watches(self) -> None:
        """Re-evaluate every watch (the session calls this at each stop)."""
        if not self.watches:
            return
        namespace = self._namespace()
        for watch in self.watches:
            self._evaluate_watch(watch, namespace)

    def _evaluate_watch(self, watch: Watch, namespace: dict[str, Any]) -> None:
        try:
            value = eval(compile(watch.expression, "<watch>", "eval"), namespace)
            text, error = _short(value), ""
        except Exception as exc:  # shown in place of the value
            text, error = "", _message(exc)
        shown = text or error
        previous_shown = watch.value or watch.error
        watch.changed = watch.evaluations > 0 and shown != previous_shown
        if watch.changed:
            watch.previous = previous_shown
        watch.value, watch.error = text, error
        watch.evaluations += 1


def _short(value: Any) -> str:
    """A one-line value for a watch: tensors as their summary, the rest as a bounded repr."""
    if hasattr(value, "grad_fn") and hasattr(value, "shape") and getattr(value, "dim",
                                                                         None) is not None:
        try:
            if value.dim() == 0:
                return f"{value.item():.6g}" if value.is_floating_point() else str(value.item())
            return f"tensor{list(value.shape)} {str(value.dtype).removeprefix('torch.')}"
        except Exception:  # a tensor that cannot describe itself
            pass
    text = bounded_repr(value).replace("\n", " ")
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "…"


def _message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg}"
    explain = getattr(getattr(exc, "obj", None), "explain_missing", None)
    if isinstance(exc, AttributeError) and callable(explain) and exc.name:
        return f"AttributeError: {explain(exc.name)}"  # released with its batch? a typo?
    return f"{type(exc).__name__}: {exc}"
