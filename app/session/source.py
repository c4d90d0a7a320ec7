"""A hook's source as it is on disk now, and putting an edited hook file into effect.

The detail pane shows the hook's source (read fresh, so an edit shows at once) with the line
the run is at marked. When a hook raised and its file was saved since, Retry should run the
*new* code: :func:`reload_in_place` re-runs the module's code in the module's own namespace
(as ``importlib.reload`` does) and gives the very function objects the hook sets and the
waiting routine hold the new code, so the retry, and every later call, runs what is in the
file. Only plain functions can be given new code; a lambda, a bound method or a callable
object is reported as not reloadable.
"""

from __future__ import annotations

import linecache
import os
import sys
from collections.abc import Iterable
from types import FunctionType
from typing import Any

from trainer_core.engine.hooks import Hook, hook_function

#: At most this many lines of a hook are shown.
MAX_LINES = 60


def source_lines(hook: Hook) -> tuple[str, tuple[tuple[int, str], ...]]:
    """(file, ((line number, text), ...)) of the hook's function as the file is now; empty
    when the source cannot be read (a builtin, a lambda typed at a prompt)."""
    function = hook_function(hook)
    code = getattr(function, "__code__", None)
    if code is None:
        return "", ()
    path = code.co_filename
    linecache.checkcache(path)
    lines = linecache.getlines(path)
    first = code.co_firstlineno
    if not lines or first > len(lines):
        return path, ()
    block = [lines[first - 1]]
    indent = len(block[0]) - len(block[0].lstrip())
    for text in lines[first:]:  # the def's body: until a line as far left as the def
        stripped = text.strip()
        if stripped and len(text) - len(text.lstrip()) <= indent and \
                not stripped.startswith((")", "]", "}")):
            break
        block.append(text)
        if len(block) >= MAX_LINES:
            break
    while block and not block[-1].strip():
        block.pop()
    return path, tuple((first + i, text.rstrip("\n")) for i, text in enumerate(block))


def file_stamp(path: str) -> int | None:
    """The file's modification time (ns), or None when it cannot be read."""
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def reload_in_place(hook: Hook, others: Iterable[Hook] = ()) -> str:
    """Re-run the hook's module from its file and give ``hook`` (and ``others`` from the
    same module) their new code; returns what happened, for the log. Raises the module's
    error (a SyntaxError, an exception at import) without changing any function."""
    function = hook_function(hook)
    if not isinstance(function, FunctionType):
        return f"{getattr(hook, '__name__', hook)!r} is not a plain function: not reloaded"
    module = sys.modules.get(function.__module__)
    path = getattr(module, "__file__", None)
    if module is None or not path or function.__globals__ is not module.__dict__:
        return f"{function.__qualname__}: its module cannot be reloaded"
    with open(path, encoding="utf-8") as handle:
        code = compile(handle.read(), path, "exec")  # a syntax error stops here, unchanged
    old = dict(module.__dict__)
    try:
        exec(code, module.__dict__)
    except BaseException:
        module.__dict__.clear()
        module.__dict__.update(old)
        raise
    linecache.checkcache(path)
    swapped = []
    for candidate in {id(f): f for f in (function, *map(hook_function, others))}.values():
        if not isinstance(candidate, FunctionType) or candidate.__globals__ is not \
                module.__dict__:
            continue
        new = _lookup(module.__dict__, candidate.__qualname__)
        if isinstance(new, FunctionType) and new is not candidate:
            candidate.__code__ = new.__code__
            candidate.__defaults__ = new.__defaults__
            candidate.__kwdefaults__ = new.__kwdefaults__
            candidate.__doc__ = new.__doc__
            swapped.append(candidate.__qualname__)
    _forget_parsed_sources()
    if not swapped:
        return f"{os.path.basename(path)} reloaded, but {function.__qualname__} is no " \
               f"longer in it: the old code runs"
    return f"{os.path.basename(path)} reloaded: {', '.join(sorted(swapped))} run(s) the " \
           f"new code"


def _lookup(namespace: dict[str, Any], qualname: str) -> Any:
    obj: Any = namespace
    for part in qualname.split("."):
        if "<" in part:
            return None  # a closure or lambda: no stable name to find it again
        obj = obj.get(part) if isinstance(obj, dict) else getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _forget_parsed_sources() -> None:
    """What was read from the old source (reads/writes, statement lines) is stale now."""
    from trainer_core.analysis import access, mutations

    access.forget_parsed_sources()
    mutations.forget_parsed_sources()
