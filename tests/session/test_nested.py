"""A routine started inside a hook (``evaluate()`` at on_epoch_end): the session steps into
it, over it, out of it, breaks in it, and abandons it cleanly."""

from __future__ import annotations

import threading

import pytest

from app.session import RunState
from trainer_core.engine.points import HOOK, HOOK_DONE, TRIGGER


@pytest.fixture
def nested(make_session):
    """A session paused at the HOOK point of a training hook that evaluates on 'test'."""
    session = make_session(**{"train.local_update_steps": 1})
    results = []

    def evaluate_now(ctx):
        results.append(session.trainer.evaluate("test"))

    session.trainer.register_hook_in_train(evaluate_now, "on_epoch_end")
    session.add_breakpoint(hook="evaluate_now")
    session.continue_()
    assert session.point.hook_name == "evaluate_now" and session.point.kind is HOOK
    session.results = results
    return session


def test_step_enters_the_routine_the_hook_starts(nested):
    point = nested.step()
    assert point.kind is TRIGGER and point.trigger == "on_fit_start"
    assert point.run.depth == 1 and point.run.parent is nested.run
    status = nested.status()
    assert status.stack == "train/train > test/test"
    assert (status.mode, status.split) == ("test", "test")
    assert status.total_batches == 5  # progress still counts the session's routine
    assert nested.ctx.cur_mode == "test"  # ctx is the nested routine's now


def test_next_trigger_steps_over_it_and_the_hook_got_its_result(nested):
    point = nested.step_trigger()
    assert point.run is nested.run and point.trigger == "on_fit_end"
    assert nested.results and nested.results[0]["test_total"] == 20
    assert nested.ctx.cur_mode == "train"


def test_step_out_finishes_it_and_stops_back_in_the_hook_that_started_it(nested):
    nested.step()
    nested.step_trigger()  # inside: stays inside (on_epoch_start of the evaluation)
    assert nested.point.run.depth == 1 and nested.point.trigger == "on_epoch_start"
    point = nested.step_out()
    assert point.run is nested.run
    assert point.kind is HOOK_DONE and point.hook_name == "evaluate_now"
    assert nested.results[0]["test_total"] == 20 and nested.status().stack == ""


def test_a_breakpoint_inside_it_stops_there(nested):
    nested.add_breakpoint(trigger="on_batch_end")
    point = nested.continue_()
    assert point.run.depth == 1 and point.trigger == "on_batch_end"
    assert nested.ctx.cur_split == "test"


def test_an_error_inside_it_can_be_skipped(make_session):
    session = make_session(**{"train.local_update_steps": 1})
    session.trainer.register_hook_in_train(lambda ctx: session.trainer.evaluate("test"),
                                           "on_epoch_end")

    def broken(ctx):
        raise ValueError("bad eval batch")

    session.trainer.register_hook_in_eval(broken, "on_batch_end")
    point = session.continue_()
    assert session.state is RunState.ERROR and point.run.depth == 1
    session.resolve_error("remove")
    session.run_to_end()
    assert session.state is RunState.FINISHED


def test_closing_inside_it_restores_every_routine_and_ends_its_thread(nested):
    nested.step()
    nested.step_trigger()
    assert nested.ctx.cur_mode == "test"
    threads = threading.active_count()
    nested.close()
    assert nested.state is RunState.IDLE
    ctx = nested.ctx
    assert (ctx.cur_mode, ctx.cur_split, ctx.cur_epoch_i) == (None, None, None)
    assert "loss_batch_total" not in ctx and "batch_iter" not in ctx
    assert threading.active_count() == threads - 1
    assert nested.trainer.train()[0] == 40  # the trainer is whole again


def test_restart_inside_it_starts_over(nested):
    nested.step()
    point = nested.restart()
    assert point.run.depth == 0 and point.trigger == "on_fit_start"
    nested.run_to_end()
    assert nested.state is RunState.FINISHED and len(nested.results) == 1
