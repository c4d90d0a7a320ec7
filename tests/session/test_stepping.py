"""Each step kind reaches exactly the point its rule names; pause stops within one point."""

from __future__ import annotations

import threading

import torch
from torch.utils.data import DataLoader, TensorDataset

from app.session import RunState
from tests.conftest import blobs
from trainer_core.engine.points import HOOK, HOOK_DONE, RELEASE, TRIGGER


def expected_points(trainer, mode="train"):
    """Every point of a routine, RELEASE points included (a session asks for them)."""
    run = trainer.iter_routine(mode)
    run.release_points = True
    return [(p.kind, p.trigger, p.epoch_i, p.batch_i, p.position) for p in run]


def where(point):
    return (point.kind, point.trigger, point.epoch_i, point.batch_i, point.position)


def test_start_pauses_at_fit_start_and_step_visits_every_point_in_order(make_session,
                                                                        make_trainer):
    session = make_session()
    assert session.state is RunState.PAUSED
    assert where(session.point) == (TRIGGER, "on_fit_start", None, None, -1)
    seen = [where(session.point)]
    while session.step() is not None:
        seen.append(where(session.point))
    assert seen == expected_points(make_trainer())
    assert session.state is RunState.FINISHED


def test_step_hook_stops_only_at_hooks_about_to_run(make_session):
    session = make_session()
    names = []
    while (point := session.step_hook()) is not None:
        assert point.kind is HOOK
        names.append((point.trigger, point.hook_name))
    # 2 epochs x 5 batches x 5 batch hooks, plus fit start/end and 2 x epoch start
    assert len(names) == 1 + 2 + 2 * 5 * 5 + 1
    assert names[:4] == [("on_fit_start", "_hook_on_fit_start_init"),
                         ("on_epoch_start", "_hook_on_epoch_start"),
                         ("on_batch_start", "_hook_on_batch_start_init"),
                         ("on_batch_forward", "_hook_on_batch_forward")]


def test_step_trigger_visits_each_firing(make_session):
    session = make_session()
    fired = []
    while (point := session.step_trigger()) is not None:
        assert point.kind is TRIGGER
        fired.append(point.trigger)
    assert len(fired) == 2 * 5 * 4 + 2 * 2 + 1  # the first on_fit_start was the start point
    assert fired[-1] == "on_fit_end"


def test_step_batch_stops_at_the_end_of_the_batch_before_its_values_go(make_session):
    session = make_session()
    point = session.step_batch()  # from outside a batch: to the end of the next one (batch 0)
    assert where(point) == (RELEASE, "on_batch_end", 0, 0, -1)
    assert {"y_true", "y_prob", "loss_batch", "data_batch"} <= session.releasing
    assert all(name in session.ctx for name in session.releasing)  # still readable
    rows = {row.name: row.releasing for row in session.variables()}
    assert rows["y_prob"] and not rows["model"]
    assert session.status().releasing == len(session.releasing)
    session.step_hook()
    session.step_hook()  # inside batch 1, at the forward hook
    assert session.point.trigger == "on_batch_forward" and session.releasing == frozenset()
    assert where(session.step_batch()) == (RELEASE, "on_batch_end", 0, 1, -1)
    assert where(session.step_batch()) == (RELEASE, "on_batch_end", 0, 2, -1)  # the next
    session.step_batch()
    assert where(session.step_batch()) == (RELEASE, "on_batch_end", 0, 4, -1)
    assert session.status().batches_done == 5
    session.step_hook()  # the values went with the batch
    assert "y_prob" not in session.ctx


def test_step_epoch_stops_after_on_epoch_end_before_its_values_go(make_session):
    session = make_session()
    assert where(session.step_epoch()) == (RELEASE, "on_epoch_end", 0, None, -1)
    assert "batch_iter" in session.releasing  # epoch-scoped, still there
    assert where(session.step_epoch()) == (RELEASE, "on_epoch_end", 1, None, -1)
    assert session.status().batches_done == 10


def test_continue_without_breakpoints_trains_exactly_like_train(make_session, make_trainer):
    session = make_session()
    assert session.continue_() is None
    assert session.state is RunState.FINISHED
    twin = make_trainer()
    _, params, metrics = twin.train()
    for name, value in session.trainer.get_model_para().items():
        assert torch.equal(value, params[name]), name
    label, recorded = session.metric_history[-1]
    assert label == "train/train" and recorded == metrics
    assert len(session.losses) == 10


def test_pause_called_by_a_hook_stops_at_the_very_next_point(make_session):
    session = make_session()

    def pause_at_batch_2(ctx):
        if ctx.cur_batch_i == 2:
            session.pause()

    session.insert(pause_at_batch_2, "on_batch_forward", 0)
    point = session.continue_()
    assert point.kind is HOOK_DONE and point.hook_name == "pause_at_batch_2"
    assert (point.epoch_i, point.batch_i) == (0, 2)
    assert session.reason == "paused"


def test_pause_from_another_thread_stops_a_running_continue(make_session):
    session = make_session(**{"train.local_update_steps": 100_000,
                              "train.batch_or_epoch": "batch"})
    reached = threading.Event()

    def signal(ctx):
        if ctx.cur_batch_i == 3:
            reached.set()

    session.insert(signal, "on_batch_end")
    worker = threading.Thread(target=session.continue_)
    worker.start()
    assert reached.wait(30)
    session.pause()
    worker.join(30)
    assert not worker.is_alive()
    where = (session.state, session.reason, session.point, list(session.log)[-3:])
    assert session.state is RunState.PAUSED and session.reason == "paused", where
    assert 0 < session.status().batches_done < 100_000
    # and it goes on from there
    before = (session.point.epoch_i, session.point.batch_i)
    session.step_batch()
    where = (before, session.state, session.reason, session.point, list(session.log)[-3:])
    assert session.state is RunState.PAUSED and session.point.kind is RELEASE, where
    # the end of the batch it paused in, or of the next when it paused between batches
    # (at an epoch's start or end, where batch_i is None: a pause lands wherever it lands)
    assert session.point.batch_i is not None, where
    if before[1] is None:
        assert session.point.epoch_i >= before[0], where
    else:
        assert (session.point.epoch_i, session.point.batch_i) >= before, where


def test_restart_replays_from_the_same_weights(make_session):
    session = make_session()
    initial = session.trainer.get_model_para()
    session.step_epoch()
    changed = session.trainer.get_model_para()
    assert any(not torch.equal(changed[k], initial[k]) for k in initial)
    point = session.restart()
    assert where(point) == (TRIGGER, "on_fit_start", None, None, -1)
    assert session.status().batches_done == 0
    for name, value in session.trainer.get_model_para().items():
        assert torch.equal(value, initial[name])


def test_an_evaluation_routine_on_a_chosen_split(make_session):
    session = make_session(start=False)
    point = session.start("test", "test")
    assert (point.run.mode, point.run.split) == ("test", "test")
    session.continue_()
    label, metrics = session.metric_history[-1]
    assert label == "test/test" and metrics["test_total"] == 20
    assert session.state is RunState.FINISHED
    assert session.step_hook() is None  # stepping a finished routine is a no-op


def test_restart_replays_the_same_batches_and_losses(make_session):
    session = make_session(**{"dataloader.shuffle": True})
    session.step_epoch()
    session.step_epoch()
    first = list(session.losses)
    assert len(first) == 10
    session.restart()
    session.step_epoch()
    session.step_epoch()
    assert list(session.losses) == first  # and the abandoned run's losses are gone


def test_restart_replays_a_users_dataloader_with_its_own_generator(make_session):
    data = blobs(40, seed=3)
    loader = DataLoader(TensorDataset(data["x"], data["y"]), batch_size=8, shuffle=True,
                        generator=torch.Generator().manual_seed(7))
    session = make_session(data={"train": loader})
    seen: list[list[int]] = []

    def record_labels(ctx):
        seen.append(ctx.y_true.tolist())

    session.insert(record_labels, "on_batch_end", 0)
    for _ in range(6):  # one epoch of 5 batches and the first of the next
        session.step_batch()
    first, seen[:] = list(seen), []
    session.restart()
    for _ in range(6):
        session.step_batch()
    assert len(first) == 6 and seen == first


def test_restart_puts_back_every_model_of_a_multi_model_trainer(make_trainer):
    from app.session import DebugSession
    from trainer_core.trainers.multi_model import MultiModelTrainer

    trainer = MultiModelTrainer(2, "parallel", base_trainer=make_trainer())
    session = DebugSession(trainer, name="two")
    session.start()
    initial = trainer.get_model_para()
    session.step_epoch()
    assert any(not torch.equal(trainer.get_model_para()[1][k], initial[1][k])
               for k in initial[1])
    point = session.restart()
    assert where(point) == (TRIGGER, "on_fit_start", None, None, -1)
    for now, then in zip(trainer.get_model_para(), initial, strict=True):
        assert all(torch.equal(now[k], then[k]) for k in then)


def test_end_of_batch_from_between_batches_is_the_next_batchs_end(make_session):
    """Where a pause can land (an epoch's start, batch_i None): b goes to the end of the
    epoch's first batch."""
    session = make_session()
    session.add_breakpoint(trigger="on_epoch_start", condition="epoch_i == 1")
    session.continue_()
    assert (session.point.trigger, session.point.epoch_i, session.point.batch_i) == \
        ("on_epoch_start", 1, None)
    session.step_batch()
    assert session.point.kind is RELEASE
    assert (session.point.epoch_i, session.point.batch_i) == (1, 0)
