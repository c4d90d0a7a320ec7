"""Where in a hook's source a ctx attribute is assigned or changed in place.

A finding that says *which line* grows ``ctx.history`` saves reading the hook: the line of
``ctx.history = ...``, ``ctx.history += ...``, ``ctx.history.append(...)``,
``ctx.stats.losses.append(...)``, ``ctx.outputs["logits"] = ...``, ``setattr(ctx,
"history", ...)``. Read from the source once per function (cached); a hook whose source
cannot be read (a builtin, a lambda typed at a prompt) has no lines.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from typing import Any

from trainer_core.engine.hooks import Hook, hook_function

#: Methods that change a container in place.
MUTATORS = frozenset({"append", "extend", "insert", "add", "update", "setdefault",
                      "appendleft", "extendleft", "__setitem__", "__iadd__", "add_",
                      "copy_"})


def _root_attribute(node: ast.AST, param: str) -> str | None:
    """``ctx.a.b[1].c`` -> 'a' (the ctx attribute a chain starts from), else None."""
    attribute = None
    while isinstance(node, ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == param:
            return node.attr
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id == param and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            return node.slice.value
        node = node.value
    return attribute


@functools.lru_cache(maxsize=1024)
def _sites(function: Any, param: str) -> dict[tuple[str, bool], tuple[int, ...]]:
    try:
        lines, first = inspect.getsourcelines(function)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return {}
    offset = first - 1
    found: dict[tuple[str, bool], set[int]] = {}

    def note(name: str | None, node: ast.AST, in_place: bool = False) -> None:
        if name is not None:
            found.setdefault((name, in_place), set()).add(node.lineno + offset)

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, ast.Attribute | ast.Subscript) and \
                            isinstance(getattr(part, "ctx", None), ast.Store):
                        # ctx.x = ... rebinds; ctx.x[k] = ..., ctx.x.y = ..., += change it
                        whole = isinstance(part, ast.Attribute) and isinstance(
                            part.value, ast.Name) and part.value.id == param
                        note(_root_attribute(part, param), node,
                             in_place=not whole or isinstance(node, ast.AugAssign))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in MUTATORS:
                note(_root_attribute(func.value, param), node, in_place=True)
            elif isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2 \
                    and isinstance(node.args[0], ast.Name) and node.args[0].id == param \
                    and isinstance(node.args[1], ast.Constant):
                note(str(node.args[1].value), node)
    return {name: tuple(sorted(lines)) for name, lines in found.items()}


def mutation_lines(hook: Hook, name: str, *, in_place_first: bool = False
                   ) -> tuple[int, ...]:
    """Line numbers (in the hook's file) where it assigns or changes ``ctx.<name>``: the
    assignments first, or with ``in_place_first`` the in-place changes (``.append``,
    ``[k] = ``, ``+=``) first, which is where a container grows."""
    function = hook_function(hook)
    try:
        params = list(inspect.signature(function).parameters)
        param = params[1] if params and params[0] == "self" and len(params) > 1 else params[0]
    except (TypeError, ValueError, IndexError):
        return ()
    try:
        sites = _sites(function, param)
    except TypeError:  # an unhashable callable
        return ()
    in_place, rebinds = sites.get((name, True), ()), sites.get((name, False), ())
    return in_place + rebinds if in_place_first else rebinds + in_place


def forget_parsed_sources() -> None:
    """Drop what was parsed from hook sources (after a hook file was reloaded in place)."""
    _sites.cache_clear()
