"""A NaN/Inf loss is caught after the hook that made it, with its epoch and batch."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest
import torch

from trainer_core.analysis.finite import FiniteGuard, FiniteWatch, NonFiniteLoss, is_finite


def poison(epoch_i: int, batch_i: int, value: float = math.nan):
    def poison_loss(ctx):
        if (ctx.cur_epoch_i, ctx.cur_batch_i) == (epoch_i, batch_i):
            ctx.loss_batch = ctx.loss_batch * value
    return poison_loss


@pytest.mark.parametrize(("value", "finite"), [
    (1.5, True), (math.nan, False), (-math.inf, False), (3, True),
    (torch.tensor(2.0), True), (torch.tensor(math.inf), False),
    (torch.tensor([1.0, math.nan, 2.0]), False), (torch.ones(4, requires_grad=True), True),
    (np.float32("nan"), False), (np.array([1.0, 2.0]), True), (np.array(["a"]), True),
    (torch.tensor(7), True), ("nan", True), (None, True),
])
def test_is_finite(value, finite):
    assert is_finite(value) is finite


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_the_guard_stops_train_at_the_hook_epoch_and_batch(make_trainer, value):
    trainer = make_trainer()
    trainer.register_hook_in_train(poison(1, 2, value), "on_batch_forward", insert_pos=1)
    trainer.routine_driver = FiniteGuard()
    with pytest.raises(NonFiniteLoss) as info:
        trainer.train()
    found = info.value.found
    assert (found.attribute, found.trigger, found.epoch_i, found.batch_i) == (
        "loss_batch", "on_batch_forward", 1, 2)
    assert found.hook.name == "poison_loss" and found.hook.location.endswith(
        f"test_non_finite.py:{poison.__code__.co_firstlineno + 1}")
    assert found.value == str(value)
    assert "train/train epoch 1 batch 2 at on_batch_forward" in str(info.value)
    ctx = trainer.ctx
    assert (ctx.cur_mode, ctx.cur_split, ctx.cur_batch_i) == (None, None, None)
    # the weights never saw the NaN: the guard stopped before backward
    assert all(torch.isfinite(p).all() for p in ctx.model.parameters())


def test_without_the_guard_the_nan_reaches_the_weights(make_trainer):
    """Why the guard exists: nothing raises, and the model is ruined."""
    trainer = make_trainer()
    trainer.register_hook_in_train(poison(0, 1), "on_batch_forward", insert_pos=1)
    trainer.train()
    assert not all(torch.isfinite(p).all() for p in trainer.ctx.model.parameters())


def test_the_guard_watches_evaluation_too(make_trainer):
    trainer = make_trainer()
    trainer.register_hook_in_eval(poison(0, 1), "on_batch_forward")
    trainer.routine_driver = FiniteGuard()
    trainer.train()
    with pytest.raises(NonFiniteLoss, match=r"test/test epoch 0 batch 1 at on_batch_forward"):
        trainer.evaluate("test")


def test_the_watch_reports_each_loss_once_and_keeps_no_loss_alive(make_trainer):
    trainer = make_trainer()
    refs = []
    trainer.register_hook_in_train(poison(0, 3), "on_batch_forward")
    trainer.register_hook_in_train(lambda ctx: refs.append(weakref.ref(ctx.loss_batch)),
                                   "on_batch_end")
    watch = FiniteWatch()
    for point in trainer.iter_routine("train"):
        watch.check(point)
    assert [(f.epoch_i, f.batch_i) for f in watch.found] == [(0, 3)]  # later NaNs: not again
    gc.collect()
    assert all(ref() is None for ref in refs)  # the watch held no graph


def test_a_finite_run_has_no_findings(make_trainer):
    trainer = make_trainer()
    watch = FiniteWatch()
    for point in trainer.iter_routine("train"):
        watch.check(point)
    assert watch.found == []
