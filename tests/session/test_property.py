"""Random edits, undos and redos against a reference model of plain lists."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.session import DebugSession, SessionError
from trainer_core.engine.triggers import TRIGGERS
from trainer_core.errors import HookscopeError
from trainer_core.trainers.base import Trainer


def make_hook(i):
    def hook(ctx):
        return None
    hook.__name__ = f"h{i}"
    return hook


HOOKS = [make_hook(i) for i in range(4)]
trigger = st.sampled_from(TRIGGERS[:4])
position = st.integers(-1, 6)
ops = st.one_of(
    st.tuples(st.just("insert"), trigger, st.integers(0, 3), position),
    st.tuples(st.just("remove"), trigger, position),
    st.tuples(st.just("move"), trigger, position, position, trigger),
    st.tuples(st.just("reset"), trigger),
    st.tuples(st.just("replace"), trigger, st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
)


def reference_apply(lists, op):
    """The expected effect of ``op`` on plain lists; None when the op must be refused."""
    kind = op[0]
    new = {t: list(v) for t, v in lists.items()}
    if kind == "insert":
        _, t, h, pos = op
        if pos == -1:
            pos = len(new[t])
        if not 0 <= pos <= len(new[t]):
            return None
        new[t].insert(pos, HOOKS[h])
    elif kind == "remove":
        _, t, pos = op
        if not -len(new[t]) <= pos < len(new[t]):
            return None
        del new[t][pos]
    elif kind == "move":
        _, t, pos, to, target = op
        if not -len(new[t]) <= pos < len(new[t]):
            return None
        hook = new[t].pop(pos)
        if to == -1:
            to = len(new[target])
        if not 0 <= to <= len(new[target]):
            return None
        new[target].insert(to, hook)
    elif kind == "reset":
        new[op[1]] = []
    elif kind == "replace":
        _, t, old, h = op
        if HOOKS[old] not in new[t]:
            return None
        new[t] = [HOOKS[h] if x is HOOKS[old] else x for x in new[t]]
    return new


class Bare(Trainer):
    """The base trainer with no data and no default hooks."""

    def parse_data(self, data):
        return {}


@settings(max_examples=150, deadline=None)
@given(st.lists(ops, max_size=25))
def test_random_edits_and_undos_match_a_list_model(sequence):
    session = DebugSession(Bare(None, None))
    hookset = session.hookset()
    current = {t: [] for t in TRIGGERS}
    undo: list[dict] = []
    redo: list[dict] = []
    for op in sequence:
        kind = op[0]
        if kind in ("undo", "redo"):
            stack, other = (undo, redo) if kind == "undo" else (redo, undo)
            result = session.undo() if kind == "undo" else session.redo()
            assert (result is None) == (not stack)
            if stack:
                other.append(current)
                current = stack.pop()
        else:
            expected = reference_apply(current, op)
            try:
                if kind == "insert":
                    session.insert(HOOKS[op[2]], op[1], op[3], confirm=True)
                elif kind == "remove":
                    session.remove(op[1], op[2], confirm=True)
                elif kind == "move":
                    session.move(op[1], op[2], op[3], op[4], confirm=True)
                elif kind == "reset":
                    session.reset(op[1], confirm=True)
                else:
                    session.replace(op[1], HOOKS[op[2]].__name__, HOOKS[op[3]], confirm=True)
                applied = True
            except (HookscopeError, SessionError):
                applied = False
            assert applied == (expected is not None), op
            if applied:
                undo.append(current)
                redo.clear()
                current = expected
        for t in TRIGGERS:
            assert list(hookset[t]) == current[t], (op, t)
