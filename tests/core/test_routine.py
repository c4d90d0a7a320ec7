"""The routine: call order and counts, points, when edits apply, errors, nesting, releases."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from trainer_core.engine.context import CtxVar, Lifecycle
from trainer_core.engine.points import ERROR, HOOK, HOOK_DONE, RELEASE, TRIGGER, PointKind
from trainer_core.engine.triggers import TRIGGERS
from trainer_core.errors import HookError


def recorder(log: list, label: str = "rec"):
    def hook(ctx):
        log.append((ctx.cur_mode, ctx.cur_epoch_i, ctx.cur_batch_i))
    hook.__name__ = label
    return hook


def trigger_counts(run) -> Counter:
    return Counter(p.trigger for p in run if p.kind is TRIGGER)


# -- counts and order ---------------------------------------------------------------------
@pytest.mark.parametrize(("n", "batch", "epochs", "drop_last", "per_epoch"), [
    (40, 8, 2, False, 5),
    (42, 8, 3, False, 6),
    (42, 8, 3, True, 5),
    (7, 8, 1, False, 1),
])
def test_epoch_mode_fires_each_trigger_the_expected_number_of_times(
        make_trainer, n, batch, epochs, drop_last, per_epoch):
    trainer = make_trainer(n, 0, **{"dataloader.batch_size": batch,
                                   "dataloader.drop_last": drop_last,
                                   "train.local_update_steps": epochs})
    counts = trigger_counts(trainer.iter_routine("train"))
    batches = epochs * per_epoch
    assert counts == {"on_fit_start": 1, "on_epoch_start": epochs, "on_batch_start": batches,
                      "on_batch_forward": batches, "on_batch_backward": batches,
                      "on_batch_end": batches, "on_epoch_end": epochs, "on_fit_end": 1}
    assert trainer.ctx.num_train_batch == per_epoch


@pytest.mark.parametrize(("steps", "epochs", "last"), [(7, 2, 2), (5, 1, 5), (10, 2, 5),
                                                       (3, 1, 3), (11, 3, 1)])
def test_batch_mode_cycles_the_loader_and_stops_the_last_epoch_early(make_trainer, steps,
                                                                     epochs, last):
    trainer = make_trainer(40, 0, **{"train.batch_or_epoch": "batch",
                                     "train.local_update_steps": steps})
    log: list = []
    trainer.register_hook_in_train(recorder(log), "on_batch_start")
    num_samples, _, metrics = trainer.train()
    per_epoch = [sum(1 for _, e, _ in log if e == i) for i in range(epochs)]
    assert per_epoch == [5] * (epochs - 1) + [last]
    assert len(log) == steps
    assert (trainer.ctx.num_train_epoch, trainer.ctx.num_train_batch_last_epoch) == (epochs,
                                                                                     last)
    assert num_samples == metrics["train_total"] == 8 * steps


def test_point_stream_has_trigger_then_hook_and_hook_done_pairs(make_trainer):
    trainer = make_trainer(8, 0, **{"train.local_update_steps": 1})
    assert not any(p.kind is RELEASE for p in trainer.iter_routine("train"))  # off by default
    run = trainer.iter_routine("train")
    run.release_points = True
    points = list(run)
    kinds = [(p.kind, p.trigger, p.hook_name) for p in points[:5]]
    assert kinds == [
        (TRIGGER, "on_fit_start", None),
        (HOOK, "on_fit_start", "_hook_on_fit_start_init"),
        (HOOK_DONE, "on_fit_start", "_hook_on_fit_start_init"),
        (TRIGGER, "on_epoch_start", None),
        (HOOK, "on_epoch_start", "_hook_on_epoch_start"),
    ]
    # one epoch, one batch: 8 trigger points, 2 points per default training hook, and the
    # RELEASE points after on_batch_end and on_epoch_end (scoped values still in ctx there)
    assert len(points) == 8 + 2 * 8 + 2
    releases = [(p.trigger, p.epoch_i, p.batch_i) for p in points if p.kind is RELEASE]
    assert releases == [("on_batch_end", 0, 0), ("on_epoch_end", 0, None)]
    after_batch = points.index(next(p for p in points if p.kind is RELEASE))
    assert points[after_batch - 1].trigger == "on_batch_end"  # right after its last hook
    assert [p.trigger for p in points if p.kind is TRIGGER] == list(TRIGGERS)
    forward = [p for p in points if p.trigger == "on_batch_forward" and p.kind is HOOK]
    assert [(p.position, p.epoch_i, p.batch_i, p.mode, p.split) for p in forward] == [
        (0, 0, 0, "train", "train"), (1, 0, 0, "train", "train")]
    assert points[0].epoch_i is None and points[0].batch_i is None


def test_eval_routine_runs_one_pass_with_the_eval_hooks(make_trainer):
    trainer = make_trainer(40, 20, **{"train.local_update_steps": 3})
    hooks = Counter(p.hook_name for p in trainer.iter_routine("test", "test")
                    if p.kind is HOOK)
    assert hooks["_hook_on_batch_forward"] == 3  # 20 samples / 8 = 3 batches, one epoch
    assert "_hook_on_batch_backward" not in hooks


# -- when edits apply --------------------------------------------------------------------------
def _advance_to(run, kind, trigger, batch_i=0, position=None):
    for point in run:
        if (point.kind is kind and point.trigger == trigger and point.batch_i == batch_i
                and (position is None or point.position == position)):
            return point
    raise AssertionError("point not reached")


def test_edit_at_trigger_point_applies_to_this_firing(make_trainer):
    trainer = make_trainer(16, 0, **{"train.local_update_steps": 1})
    run = trainer.iter_routine("train")
    _advance_to(run, TRIGGER, "on_batch_forward", 0)
    log: list = []
    trainer.register_hook_in_train(recorder(log), "on_batch_forward", insert_pos=0)
    run.drain()
    assert [b for _, _, b in log] == [0, 1]


def test_edit_at_hook_point_applies_from_next_firing(make_trainer):
    trainer = make_trainer(16, 0, **{"train.local_update_steps": 1})
    old_log: list = []
    new_log: list = []
    trainer.register_hook_in_train(recorder(old_log, "old"), "on_batch_forward")
    run = trainer.iter_routine("train")
    _advance_to(run, HOOK, "on_batch_forward", 0, position=0)
    trainer.reset_hook_in_train("on_batch_forward", "old")
    trainer.register_hook_in_train(recorder(new_log, "new"), "on_batch_forward")
    # the firing in progress finishes the list it read: "old" runs, "new" waits
    names = [p.hook_name for p in run if p.kind is HOOK and p.trigger == "on_batch_forward"]
    assert names == ["_hook_on_batch_forward_regularizer", "old",
                     "_hook_on_batch_forward", "_hook_on_batch_forward_regularizer", "new"]
    assert [b for _, _, b in old_log] == [0]
    assert [b for _, _, b in new_log] == [1]


def test_edit_between_two_train_calls(make_trainer):
    trainer = make_trainer(16, 0, **{"train.local_update_steps": 1})
    log: list = []
    trainer.train()
    trainer.register_hook_in_train(recorder(log), "on_batch_end")
    trainer.train()
    assert len(log) == 2
    trainer.reset_hook_in_train("on_batch_end", "rec")
    trainer.train()
    assert len(log) == 2


# -- errors ----------------------------------------------------------------------------------
def failing(at_batch: int, times: int = 10**9, label: str = "flaky"):
    state = {"left": times}

    def hook(ctx):
        if ctx.cur_batch_i == at_batch and state["left"] > 0:
            state["left"] -= 1
            raise ValueError(f"bad batch {ctx.cur_batch_i}")
    hook.__name__ = label
    return hook


def test_train_raises_hook_error_naming_hook_trigger_epoch_and_batch(make_trainer):
    trainer = make_trainer(40, 0)
    trainer.register_hook_in_train(failing(2), "on_batch_forward", insert_pos=0)
    with pytest.raises(HookError) as info:
        trainer.train()
    err = info.value
    assert (err.hook_name, err.trigger, err.epoch_i, err.batch_i, err.mode) == (
        "flaky", "on_batch_forward", 0, 2, "train")
    assert isinstance(err.original, ValueError) and err.__cause__ is err.original
    assert "test_routine.py:" in err.hook_location
    assert "hook 'flaky'" in str(err) and "epoch 0, batch 2" in str(err)
    assert err.user_frame()[2] == "hook"


def test_reading_a_released_attribute_is_explained_in_the_hook_error(make_trainer):
    trainer = make_trainer(16, 0)

    def late_reader(ctx):
        return ctx.loss_batch  # released at the end of the batch

    def typo(ctx):
        return ctx.loss_bach

    trainer.register_hook_in_train(late_reader, "on_epoch_end")
    with pytest.raises(HookError, match=r"ctx\.loss_batch is gone: it was a CtxVar with "
                                        r"lifecycle 'batch'.*at on_epoch_end, epoch 0"):
        trainer.train()
    trainer.reset_hook_in_train("on_epoch_end")
    trainer.register_hook_in_train(typo, "on_batch_end")
    with pytest.raises(HookError, match=r"did you mean 'loss_batch'"):
        trainer.train()


def test_failed_routine_leaves_no_stale_state(make_trainer):
    trainer = make_trainer(40, 0)
    trainer.ctx.model.eval()
    trainer.register_hook_in_train(failing(1), "on_batch_end")
    with pytest.raises(HookError):
        trainer.train()
    ctx = trainer.ctx
    assert (ctx.cur_mode, ctx.cur_split, ctx.cur_epoch_i, ctx.cur_batch_i) == (None,) * 4
    assert all(not ctx.scoped_names(lc) for lc in Lifecycle)
    assert "loss_batch" not in ctx and "num_samples" not in ctx
    assert ctx.model.training is False  # restored to what it was
    # and the trainer still works afterwards
    trainer.reset_hook_in_train("on_batch_end", "flaky")
    assert trainer.train()[2]["train_total"] == 80


def test_error_point_then_retry_runs_the_hook_again(make_trainer):
    trainer = make_trainer(16, 0, **{"train.local_update_steps": 1})
    trainer.register_hook_in_train(failing(1, times=1), "on_batch_end")
    run = trainer.iter_routine("train")
    error_points = []
    for point in run:
        if point.kind is ERROR:
            error_points.append(point)
            assert run.error is point.error
            run.resolve_error("retry")
    assert len(error_points) == 1
    assert error_points[0].error.batch_i == 1
    assert run.finished and run.results[0].num_samples == 16


def test_error_point_then_skip_goes_on_without_hook_done(make_trainer):
    trainer = make_trainer(16, 0, **{"train.local_update_steps": 1})
    trainer.register_hook_in_train(failing(0), "on_batch_forward", insert_pos=0)
    run = trainer.iter_routine("train")
    seen = []
    for point in run:
        if point.trigger == "on_batch_forward" and point.batch_i == 0:
            seen.append((point.kind, point.hook_name))
        if point.kind is ERROR:
            run.resolve_error("skip")
    assert seen[:4] == [(TRIGGER, None), (HOOK, "flaky"), (ERROR, "flaky"),
                        (HOOK, "_hook_on_batch_forward")]
    assert run.finished


def test_resolve_error_is_only_valid_at_an_error_point(make_trainer):
    run = make_trainer(8, 0).iter_routine("train")
    next(run)
    with pytest.raises(Exception, match="only valid at an ERROR point"):
        run.resolve_error("skip")


def test_closing_a_paused_run_restores_state(make_trainer):
    trainer = make_trainer(40, 0)
    run = trainer.iter_routine("train")
    _advance_to(run, HOOK, "on_batch_backward", 2)
    assert trainer.ctx.cur_mode == "train" and "loss_batch" in trainer.ctx
    run.close()
    assert trainer.ctx.cur_mode is None and "loss_batch" not in trainer.ctx
    assert "optimizer" not in trainer.ctx


# -- nesting ----------------------------------------------------------------------------------
def test_evaluate_inside_a_training_hook_leaves_the_outer_routine_intact(make_trainer):
    plain = make_trainer(40, 20)
    expected = plain.train()[2]

    trainer = make_trainer(40, 20)
    seen = []

    def validate_each_epoch(ctx):
        seen.append(trainer.evaluate("test"))
        seen.append((ctx.cur_mode, ctx.cur_split, ctx.cur_epoch_i, ctx.model.training))

    def check_mode(ctx):
        assert ctx.model.training and torch.is_grad_enabled()

    trainer.register_hook_in_train(validate_each_epoch, "on_epoch_end")
    trainer.register_hook_in_train(check_mode, "on_batch_forward", insert_pos=0)
    _, _, metrics = trainer.train()
    assert metrics == expected  # same data order, same losses, same counts
    assert seen[1] == ("train", "train", 0, True)
    assert seen[0]["test_total"] == 20 and seen[2]["test_total"] == 20


# -- lifecycle release --------------------------------------------------------------------------
def test_scoped_variables_are_released_at_the_end_of_each_batch_and_epoch(make_trainer):
    trainer = make_trainer(24, 0, **{"train.local_update_steps": 2})
    snapshots = []

    def look(ctx):
        snapshots.append((ctx.cur_epoch_i, ctx.cur_batch_i, "y_prob" in ctx,
                          "batch_iter" in ctx, "num_samples" in ctx, "epoch_note" in ctx))

    def note(ctx):
        ctx.epoch_note = CtxVar(ctx.cur_epoch_i, Lifecycle.EPOCH)

    trainer.register_hook_in_train(look, "on_batch_start", insert_pos=0)
    trainer.register_hook_in_train(look, "on_epoch_start", insert_pos=0)
    trainer.register_hook_in_train(note, "on_epoch_start")
    trainer.train()
    # per batch start: the previous batch's y_prob is gone, the epoch's iterator is alive
    assert snapshots == [
        (0, None, False, False, True, False),
        (0, 0, False, True, True, True), (0, 1, False, True, True, True),
        (0, 2, False, True, True, True),
        (1, None, False, False, True, False),
        (1, 0, False, True, True, True), (1, 1, False, True, True, True),
        (1, 2, False, True, True, True),
    ]
    assert "num_samples" not in trainer.ctx  # routine variables are gone after train()


def test_point_kind_values_are_stable_strings():
    assert [k.value for k in PointKind] == ["trigger", "hook", "hook_done", "error",
                                            "release"]


def test_schedule_is_the_routine_order_with_release_markers():
    from trainer_core.engine.routine import RoutinePlan, schedule

    steps = [(str(s), e, b) for s, e, b in schedule(RoutinePlan(2, 2, 1))]
    batch = ["on_batch_start", "on_batch_forward", "on_batch_backward", "on_batch_end", "batch"]
    expected = [("on_fit_start", None, None), ("on_epoch_start", 0, None)]
    expected += [(t, 0, 0) for t in batch] + [(t, 0, 1) for t in batch]
    expected += [("on_epoch_end", 0, None), ("epoch", 0, None), ("on_epoch_start", 1, None)]
    expected += [(t, 1, 0) for t in batch]
    expected += [("on_epoch_end", 1, None), ("epoch", 1, None), ("on_fit_end", None, None)]
    assert steps == expected
