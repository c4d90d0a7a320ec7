"""HookSet ordering and editing rules: one small helper, one list assertion per case."""

from __future__ import annotations

import functools

import pytest

from trainer_core.engine.hooks import HookSet, describe_hook, hook_name
from trainer_core.engine.triggers import TRIGGERS
from trainer_core.errors import HookSetError, HookSignatureError


def named(name: str):
    def hook(ctx):
        return None
    hook.__name__ = name
    return hook


A, B, C, D, NEW = (named(n) for n in ("a", "b", "c", "d", "new"))
T = "on_batch_forward"


def filled(*hooks) -> HookSet:
    hs = HookSet("train")
    for h in hooks:
        hs.register(h, T)
    return hs


def names(hs: HookSet, trigger: str = T) -> list[str]:
    return hs.names(trigger)


# -- register: positions ---------------------------------------------------------------
def test_register_without_position_appends():
    assert names(filled(A, B, C)) == ["a", "b", "c"]


@pytest.mark.parametrize(("pos", "expected"), [
    (0, ["new", "a", "b", "c"]),
    (1, ["a", "new", "b", "c"]),
    (3, ["a", "b", "c", "new"]),
    (-1, ["a", "b", "c", "new"]),
])
def test_register_at_insert_pos(pos, expected):
    hs = filled(A, B, C)
    assert hs.register(NEW, T, insert_pos=pos) == expected.index("new")
    assert names(hs) == expected


def test_register_into_empty_trigger_at_zero():
    hs = HookSet()
    hs.register(NEW, "on_fit_end", insert_pos=0)
    assert names(hs, "on_fit_end") == ["new"]


def test_before_inserts_immediately_before_base_hook():
    # FederatedScope computes base_pos - 1 and would give [a, new, b, c].
    hs = filled(A, B, C)
    hs.register(NEW, T, base_hook=C, insert_mode="before")
    assert names(hs) == ["a", "b", "new", "c"]


def test_before_first_hook_prepends():
    hs = filled(A, B)
    hs.register(NEW, T, base_hook=A, insert_mode="before")
    assert names(hs) == ["new", "a", "b"]


def test_after_inserts_immediately_after_base_hook():
    hs = filled(A, B, C)
    hs.register(NEW, T, base_hook=A, insert_mode="after")
    assert names(hs) == ["a", "new", "b", "c"]


def test_after_last_hook_appends():
    hs = filled(A, B)
    hs.register(NEW, T, base_hook=B, insert_mode="after")
    assert names(hs) == ["a", "b", "new"]


def test_base_hook_may_be_given_by_name():
    hs = filled(A, B, C)
    hs.register(NEW, T, base_hook="b", insert_mode="before")
    assert names(hs) == ["a", "new", "b", "c"]


def test_insert_pos_wins_over_base_hook():
    hs = filled(A, B, C)
    hs.register(NEW, T, insert_pos=0, base_hook=C, insert_mode="after")
    assert names(hs) == ["new", "a", "b", "c"]


# -- register: invalid calls change nothing ----------------------------------------------
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"trigger": "on_batch_foward"}, r"unknown trigger 'on_batch_foward'.*did you mean "
                                     r"'on_batch_forward'"),
    ({"insert_pos": 4}, r"insert_pos 4 is out of range \(use 0\.\.3.*\[a, b, c\]"),
    ({"insert_pos": -2}, r"insert_pos -2 is out of range"),
    ({"insert_pos": "1"}, r"insert_pos must be an int"),
    ({"base_hook": D}, r"base_hook 'd' is not registered.*train hooks at on_batch_forward: "
                       r"\[a, b, c\]"),
    ({"base_hook": "bb"}, r"did you mean 'b'"),
    ({"base_hook": A, "insert_mode": "between"}, r"insert_mode must be 'before' or 'after'"),
])
def test_invalid_register_raises_and_changes_nothing(kwargs, match):
    hs = filled(A, B, C)
    before = hs.snapshot()
    trigger = kwargs.pop("trigger", T)
    with pytest.raises(HookSetError, match=match) as info:
        hs.register(NEW, trigger, **kwargs)
    assert hs.snapshot() == before
    assert info.value.hookset == "train"


@pytest.mark.parametrize(("call", "kind", "match"), [
    (lambda hs: hs.register(42, T), HookSignatureError, r"callable as hook\(ctx\); got int 42"),
    (lambda hs: hs.register(lambda a, b: 0, T), HookSignatureError, r"takes parameters \(a, b\)"),
    (lambda hs: hs.replace("new", T, "a"), HookSignatureError, r"got str 'new'"),
    (lambda hs: hs.set_hooks(T, [A, None]), HookSignatureError, r"got NoneType None"),
    (lambda hs: hs.register(NEW, T, base_hook=7), HookSetError,
     r"base_hook must be a hook or a hook's name, got int 7"),
    (lambda hs: hs.replace(NEW, T, 3.5), HookSetError,
     r"target_hook_name must be a hook's name \(a str\), got float 3\.5"),
    (lambda hs: hs.reset(T, ["a"]), HookSetError, r"got list \['a'\]"),
])
def test_a_bad_argument_names_the_trigger_and_its_hooks(call, kind, match):
    """As every other hook-set error does: which trigger, and what is there."""
    hs = filled(A, B)
    before = hs.snapshot()
    with pytest.raises(kind, match=match) as info:
        call(hs)
    assert str(info.value).endswith("; train hooks at on_batch_forward: [a, b]")
    assert (info.value.trigger, info.value.hooks) == (T, ("a", "b"))
    assert hs.snapshot() == before


def test_error_carries_trigger_and_hook_names():
    hs = filled(A, B)
    with pytest.raises(HookSetError) as info:
        hs.register(NEW, T, insert_pos=9)
    assert info.value.trigger == T
    assert info.value.hooks == ("a", "b")


def test_non_callable_hook_is_rejected():
    hs = filled(A)
    with pytest.raises(HookSignatureError, match=r"must be callable.*int 3"):
        hs.register(3, T)
    assert names(hs) == ["a"]


def test_hook_with_wrong_signature_is_rejected():
    def two_args(ctx, extra):
        return None

    hs = HookSet()
    with pytest.raises(HookSignatureError, match=r"two_args' takes parameters \(ctx, extra\)"):
        hs.register(two_args, T)
    assert hs[T] == ()


def test_hooks_with_defaults_or_varargs_are_accepted():
    def with_default(ctx, scale=2):
        return None

    def star(*args):
        return None

    hs = HookSet()
    hs.register(with_default, T)
    hs.register(star, T)
    hs.register(functools.partial(lambda k, ctx: None, 1), T)
    assert len(hs[T]) == 3


# -- replace / reset / remove / move -----------------------------------------------------
def test_replace_keeps_order_and_returns_replaced():
    hs = filled(A, B, C)
    assert hs.replace(NEW, T, "b") == (B,)
    assert names(hs) == ["a", "new", "c"]


def test_replace_every_hook_of_that_name():
    hs = filled(A, B, A)
    assert hs.replace(NEW, T, "a") == (A, A)
    assert names(hs) == ["new", "b", "new"]


def test_replace_unknown_name_changes_nothing():
    hs = filled(A, B)
    with pytest.raises(HookSetError, match=r"no hook named 'x'"):
        hs.replace(NEW, T, "x")
    assert names(hs) == ["a", "b"]


def test_reset_clears_trigger_and_returns_removed():
    hs = filled(A, B)
    assert hs.reset(T) == (A, B)
    assert names(hs) == []


def test_reset_by_name_removes_only_those():
    hs = filled(A, B, A, C)
    assert hs.reset(T, "a") == (A, A)
    assert names(hs) == ["b", "c"]


def test_reset_unknown_name_changes_nothing():
    hs = filled(A)
    with pytest.raises(HookSetError, match="no hook named 'zz'"):
        hs.reset(T, "zz")
    assert names(hs) == ["a"]


def test_remove_by_position():
    hs = filled(A, B, C)
    assert hs.remove(T, 1) is B
    assert hs.remove(T, -1) is C
    assert names(hs) == ["a"]
    with pytest.raises(HookSetError, match="position 5 is out of range"):
        hs.remove(T, 5)


@pytest.mark.parametrize(("src", "dst", "expected"), [
    (0, 2, ["b", "c", "a"]),
    (2, 0, ["c", "a", "b"]),
    (1, -1, ["a", "c", "b"]),
    (1, 1, ["a", "b", "c"]),
])
def test_move_within_trigger(src, dst, expected):
    hs = filled(A, B, C)
    hs.move(T, src, dst)
    assert names(hs) == expected


def test_move_to_another_trigger():
    hs = filled(A, B)
    hs.register(C, "on_batch_end")
    hs.move(T, 0, 0, to_trigger="on_batch_end")
    assert names(hs) == ["b"]
    assert names(hs, "on_batch_end") == ["a", "c"]


def test_invalid_move_changes_nothing():
    hs = filled(A, B)
    before = hs.snapshot()
    with pytest.raises(HookSetError):
        hs.move(T, 0, 5)
    with pytest.raises(HookSetError):
        hs.move(T, 3, 0)
    with pytest.raises(HookSetError):
        hs.move(T, 0, 0, to_trigger="nowhere")
    assert hs.snapshot() == before


def test_set_hooks_and_setitem_validate():
    hs = HookSet()
    hs[T] = [A, B]
    assert names(hs) == ["a", "b"]
    with pytest.raises(HookSignatureError):
        hs[T] = [A, "not a hook"]
    assert names(hs) == ["a", "b"]


def test_restore_returns_to_snapshot():
    hs = filled(A, B)
    snap = hs.snapshot()
    hs.register(C, "on_fit_start")
    hs.reset(T)
    hs.restore(snap)
    assert hs.snapshot() == snap


# -- reading, copying, listening -----------------------------------------------------------
def test_mapping_shape_and_immutability():
    hs = filled(A)
    assert list(hs) == list(TRIGGERS)
    assert len(hs) == 8
    assert isinstance(hs[T], tuple)
    with pytest.raises(AttributeError):
        hs[T].append(B)  # type: ignore[attr-defined]


def test_copy_is_independent():
    hs = filled(A)
    twin = hs.copy("eval")
    twin.register(B, T)
    assert names(hs) == ["a"]
    assert names(twin) == ["a", "b"]


def test_listeners_see_before_and_after_and_can_unsubscribe():
    hs = filled(A)
    seen = []
    unsubscribe = hs.subscribe(seen.append)
    hs.register(B, T, insert_pos=0)
    hs.move(T, 0, 0, to_trigger="on_fit_end")
    unsubscribe()
    hs.reset(T)
    assert [c.op for c in seen] == ["register", "move"]
    assert seen[0].before == {T: (A,)} and seen[0].after == {T: (B, A)}
    assert seen[1].after == {T: (A,), "on_fit_end": (B,)}


def test_failed_edit_notifies_nobody():
    hs = filled(A)
    seen = []
    hs.subscribe(seen.append)
    with pytest.raises(HookSetError):
        hs.register(B, T, insert_pos=7)
    assert seen == []


def test_hook_names_and_locations_for_any_callable():
    class Callable_:
        def __call__(self, ctx):
            return None

    part = functools.partial(lambda k, ctx: None, 1)
    assert hook_name(A) == "a"
    assert hook_name(Callable_()) == "Callable_"
    assert hook_name(part) == "<lambda>"
    info = describe_hook(Callable_())
    assert info.file.endswith("test_hookset.py") and info.line > 0
    assert describe_hook(A).location.startswith(info.file)
