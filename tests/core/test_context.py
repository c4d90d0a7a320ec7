"""Context: attribute access, CtxVar lifecycles, provenance records, frames."""

from __future__ import annotations

import pytest

from trainer_core.engine.context import LIFECYCLE, Context, CtxVar, Lifecycle
from trainer_core.engine.points import HOOK


def test_plain_and_dict_style_access():
    ctx = Context(alpha=1)
    ctx.beta = 2
    ctx["gamma"] = 3
    assert (ctx.alpha, ctx["beta"], ctx.get("gamma"), ctx.get("nope", 7)) == (1, 2, 3, 7)
    assert "beta" in ctx and "nope" not in ctx
    del ctx.beta
    assert "beta" not in ctx


def test_missing_attribute_is_explained_with_a_close_name():
    ctx = Context(loss_task=1)
    with pytest.raises(AttributeError) as info:
        _ = ctx.loss_tsak
    assert (info.value.name, info.value.obj) == ("loss_tsak", ctx)
    assert "did you mean 'loss_task'" in ctx.explain_missing("loss_tsak")


def test_context_has_no_getattr_hook():
    # A __getattr__ would slow every ctx read (CPython's slot_tp_getattr_hook).
    assert "__getattr__" not in vars(Context)


def test_ctxvar_values_are_released_with_their_lifecycle_and_explained_after():
    ctx = Context()
    ctx.a = CtxVar(1, Lifecycle.BATCH)
    ctx.b = CtxVar(2, "epoch")
    ctx.c = CtxVar(3, LIFECYCLE.ROUTINE)
    ctx.d = CtxVar(4, None)
    assert ctx.release(Lifecycle.BATCH) == ["a"]
    assert "a" not in ctx and ctx.b == 2
    assert "released when that batch ended" in ctx.explain_missing("a")
    assert sorted(ctx.release(Lifecycle.EPOCH) + ctx.release(Lifecycle.ROUTINE)) == ["b", "c"]
    assert ctx.d == 4 and ctx.lifecycle_of("d") is None


def test_the_explanation_names_the_lifecycle_a_name_was_last_released_with():
    ctx = Context()
    for lifecycle in (Lifecycle.BATCH, Lifecycle.BATCH, Lifecycle.EPOCH, Lifecycle.BATCH):
        ctx.x = CtxVar(1, lifecycle)
        ctx.release(lifecycle)
        assert f"released when that {lifecycle.value} ended" in ctx.explain_missing("x")
    ctx.y = CtxVar(2, Lifecycle.BATCH)
    ctx.release(Lifecycle.BATCH)  # other names than last time: y is explained too
    assert "released when that batch ended" in ctx.explain_missing("y")


def test_plain_reassignment_keeps_the_lifecycle():
    ctx = Context()
    ctx.total = CtxVar(0, Lifecycle.ROUTINE)
    ctx.total += 5
    assert ctx.lifecycle_of("total") is Lifecycle.ROUTINE
    ctx.release(Lifecycle.ROUTINE)
    assert "total" not in ctx


def test_unknown_lifecycle_is_rejected():
    with pytest.raises(ValueError, match="unknown lifecycle 'forever'"):
        CtxVar(1, "forever")


def test_provenance_names_the_hook_trigger_epoch_and_batch(make_trainer):
    trainer = make_trainer(24, 0, **{"train.local_update_steps": 2})

    def tag(ctx):
        if ctx.cur_epoch_i == 0 and ctx.cur_batch_i in (0, 2):
            ctx.tag = ctx.cur_batch_i

    trainer.register_hook_in_train(tag, "on_batch_end")
    run = trainer.iter_routine("train")
    for point in run:
        if point.kind is HOOK and point.trigger == "on_batch_end" and point.epoch_i == 1 \
                and point.batch_i == 1 and point.position == 0:
            break
    ctx = trainer.ctx
    loss = ctx.provenance("loss_batch")
    assert (loss.first.hook_name, loss.first.trigger, loss.first.epoch_i,
            loss.first.batch_i) == ("_hook_on_batch_forward", "on_batch_forward", 1, 1)
    tag_record = ctx.provenance("tag")
    assert (tag_record.first.epoch_i, tag_record.first.batch_i) == (0, 0)
    assert (tag_record.last.epoch_i, tag_record.last.batch_i) == (0, 2)
    assert tag_record.last.hook_name == "tag"
    assert ctx.provenance("model").first is None  # set by the constructor
    rows = {r.name: r for r in ctx.records()}
    assert rows["loss_batch"].lifecycle is Lifecycle.BATCH
    assert rows["cur_batch_i"].routine_managed and rows["cur_batch_i"].value == 1
    run.close()


def test_lanes_keep_their_own_scoped_variables():
    ctx = Context(shared=0)
    ctx.loss = CtxVar("model0", Lifecycle.BATCH)
    ctx.switch_lane(1)
    assert "loss" not in ctx
    ctx.loss = CtxVar("model1", Lifecycle.BATCH)
    ctx.shared = 1
    ctx.switch_lane(0)
    assert ctx.loss == "model0" and ctx.shared == 1
    ctx.release_all_lanes(Lifecycle.BATCH)
    assert "loss" not in ctx
    ctx.switch_lane(1)
    assert "loss" not in ctx


def test_nested_routine_gets_a_clean_scope_and_gives_the_outer_one_back():
    ctx = Context()
    ctx.__dict__.update(cur_mode="train", cur_epoch_i=3)
    ctx.num_samples = CtxVar(10, Lifecycle.ROUTINE)
    token = ctx.enter_routine("test", "test")
    assert "num_samples" not in ctx
    ctx.num_samples = CtxVar(99, Lifecycle.ROUTINE)
    ctx.cur_mode = "test"
    ctx.exit_routine(token)
    assert ctx.num_samples == 10 and ctx.cur_mode == "train" and ctx.cur_epoch_i == 3


def test_repr_is_readable():
    assert "mode=None" in repr(Context())


def test_federatedscopes_context_helpers(make_trainer):
    from trainer_core.errors import DataSplitError

    trainer = make_trainer(16, 0)
    ctx = trainer.ctx
    assert ctx.check_split("train") and not ctx.check_split("val", skip=True)
    with pytest.raises(DataSplitError, match="no val_data or val_loader in ctx; it has: train"):
        ctx.check_split("val")
    ctx.track_mode("test")
    ctx.track_split("val")
    assert (ctx.cur_mode, ctx.cur_split, ctx.model.training) == ("test", "val", False)
    ctx.track_mode("train")
    assert ctx.model.training and ctx.mode_stack == ["test", "train"]
    ctx.reset_mode()
    ctx.reset_split()
    assert (ctx.cur_mode, ctx.cur_split, ctx.model.training) == ("test", None, False)
    ctx.reset_mode()
    assert ctx.cur_mode is None
    ctx.merge_from_dict({"a": 1, "b": 2})
    assert (ctx.a, ctx.b) == (1, 2)
