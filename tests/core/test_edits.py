"""The engine's edit values: each applies through HookSet, says what it placed, and leaves
the hook set untouched when it is invalid."""

from __future__ import annotations

import pytest

import trainer_core
from trainer_core.engine.edits import (
    Insert,
    Move,
    Remove,
    Replace,
    Reset,
    apply_to_copy,
    retarget,
)
from trainer_core.engine.hooks import HookSet
from trainer_core.errors import HookSetError

from .test_hookset import NEW, A, B, C, D, T, filled, names


@pytest.mark.parametrize(("edit", "expected", "placed"), [
    (Insert(T, NEW), ["a", "b", "c", "new"], ["new"]),
    (Insert(T, NEW, 1), ["a", "new", "b", "c"], ["new"]),
    (Insert(T, NEW, before="b"), ["a", "new", "b", "c"], ["new"]),
    (Insert(T, NEW, after="b"), ["a", "b", "new", "c"], ["new"]),
    (Remove(T, 1), ["a", "c"], []),
    (Remove(T, -1), ["a", "b"], []),
    (Replace(T, "b", NEW), ["a", "new", "c"], ["new"]),
    (Move(T, 0, 2), ["b", "c", "a"], ["a"]),
    (Move(T, 2), ["a", "b", "c"], ["c"]),
    (Reset(T, "a"), ["b", "c"], []),
    (Reset(T), [], []),
])
def test_each_edit_applies_and_returns_what_it_placed(edit, expected, placed):
    hs = filled(A, B, C)
    assert [h.__name__ for h in edit.apply(hs)] == placed
    assert names(hs) == expected
    assert edit.target == T


def test_a_move_to_another_trigger_places_the_hook_there():
    hs = filled(A, B)
    edit = Move(T, 1, 0, "on_batch_end")
    assert edit.apply(hs) == (B,) and edit.target == "on_batch_end"
    assert names(hs) == ["a"] and names(hs, "on_batch_end") == ["b"]


@pytest.mark.parametrize("edit", [Insert(T, NEW, before="zz"), Remove(T, 5), Move(T, 0, 9),
                                  Replace(T, "zz", NEW), Reset("on_nothing")])
def test_an_invalid_edit_raises_and_changes_nothing(edit):
    hs = filled(A, B, C)
    before = hs.snapshot()
    with pytest.raises(HookSetError):
        edit.apply(hs)
    assert hs.snapshot() == before


def test_apply_to_copy_shows_the_result_without_touching_the_hook_set():
    hs = filled(A, B, C)
    assert [h.__name__ for h in apply_to_copy(Move(T, 0, 2), hs)[T]] == ["b", "c", "a"]
    assert names(hs) == ["a", "b", "c"]


@pytest.mark.parametrize(("edit", "text"), [
    (Insert(T, NEW, before="b"), "insert new at on_batch_forward before b"),
    (Insert(T, NEW), "insert new at on_batch_forward end"),
    (Move(T, 0, 2, "on_batch_end"), "move on_batch_forward #0 to on_batch_end #2"),
    (Reset(T, "a"), "reset on_batch_forward (a)"),
])
def test_describe_says_what_the_edit_does(edit, text):
    assert edit.describe() == text


def test_every_public_name_of_the_package_resolves():
    missing = [name for name in trainer_core.__all__ if not hasattr(trainer_core, name)]
    assert missing == []
    assert isinstance(trainer_core.HookSet(), HookSet)


# -- one edit for hook sets that have come to differ (federated clients) ----------------
@pytest.mark.parametrize(("edit", "expected"), [
    (Remove(T, 1), ["d", "a", "c"]),                 # b: at 1 in the source, 2 in the target
    (Remove(T, -1), ["d", "a", "b"]),                # negative positions too
    (Insert(T, NEW, 1), ["d", "a", "new", "b", "c"]),  # before b, wherever b is
    (Insert(T, NEW, -1), ["d", "a", "b", "c", "new"]),
    (Move(T, 0, 1), ["d", "b", "a", "c"]),           # a to just before c
    (Move(T, 2, 0), ["d", "c", "a", "b"]),           # c to just before a
    (Move(T, 0, -1), ["d", "b", "c", "a"]),
    (Replace(T, "b", NEW), ["d", "a", "new", "c"]),  # by name already: unchanged
])
def test_retarget_edits_the_same_hooks_where_they_now_stand(edit, expected):
    source, target = filled(A, B, C), filled(D, A, B, C)
    mine = retarget(edit, source, target, label="client 2")
    mine.apply(target)
    assert names(target) == expected
    edit.apply(source)  # the source gets the edit as written, the same change
    assert names(source) == [n for n in expected if n != "d"]


def test_retarget_tells_which_hook_of_a_name_it_means():
    source, target = filled(A, B, A), filled(A, C, A)
    retarget(Remove(T, 2), source, target).apply(target)  # the second a, not the first
    assert names(target) == ["a", "c"]


def test_retarget_names_the_hook_set_that_lacks_the_hook():
    with pytest.raises(HookSetError, match="client 3 has no hook 'b' at on_batch_forward"):
        retarget(Remove(T, 1), filled(A, B), filled(A, C), label="client 3")
    with pytest.raises(HookSetError, match="no hook #5"):
        retarget(Move(T, 5, 0), filled(A, B), filled(A, B))
