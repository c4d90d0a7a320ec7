"""A hook that raises: the session stops at it and offers retry, skip and remove."""

from __future__ import annotations

import pytest

from app.session import RunState, SessionError
from trainer_core.engine.points import ERROR, HOOK_DONE


class Flaky:
    """A hook that raises at batch 2 of epoch 0 until told to stop."""

    __name__ = "flaky"

    def __init__(self):
        self.failing = True
        self.calls = 0

    def __call__(self, ctx):
        self.calls += 1
        ctx.flaky_seen = ctx.cur_batch_i
        if self.failing and ctx.cur_batch_i == 2:
            raise ValueError("bad batch")


def flaky_session(make_session):
    session = make_session()
    hook = Flaky()
    session.insert(hook, "on_batch_end", 0)
    point = session.continue_()
    return session, hook, point


def test_the_session_stops_at_the_failing_hook_with_its_traceback(make_session):
    session, hook, point = flaky_session(make_session)
    assert hook.calls == 3  # batches 0, 1 and the failing 2
    assert session.state is RunState.ERROR
    assert (point.kind, point.hook_name, point.batch_i) == (ERROR, "flaky", 2)
    assert "ValueError: bad batch" in session.error_traceback()
    assert __file__ in session.error_traceback()  # the user's own frame is in it
    assert "flaky" in str(session.error) and "batch 2" in str(session.error)
    assert session.ctx.flaky_seen == 2  # ctx left as the hook left it
    with pytest.raises(SessionError, match="retry, skip or remove"):
        session.step()


def test_retry_runs_the_hook_again(make_session):
    session, hook, _ = flaky_session(make_session)
    assert session.resolve_error("retry").kind is ERROR  # still failing
    hook.failing = False
    point = session.resolve_error("retry")
    assert (point.kind, point.hook_name) == (HOOK_DONE, "flaky")
    assert session.continue_() is None and session.state is RunState.FINISHED


def test_skip_goes_on_with_the_next_hook(make_session):
    session, hook, _ = flaky_session(make_session)
    point = session.resolve_error("skip")
    assert point.hook_name == "_hook_on_batch_end"  # next hook of the same firing
    calls = hook.calls
    hook.failing = False
    assert session.continue_() is None
    assert hook.calls > calls  # still in the pipeline


def test_remove_takes_the_hook_out_and_goes_on(make_session):
    session, hook, _ = flaky_session(make_session)
    session.resolve_error("remove")
    assert "flaky" not in session.hookset().names("on_batch_end")
    calls = hook.calls
    assert session.continue_() is None
    assert hook.calls == calls
    assert session.undo() is not None  # removal is an ordinary, undoable edit
    assert "flaky" in session.hookset().names("on_batch_end")


def test_resolving_without_an_error_or_with_a_bad_decision_is_refused(make_session):
    session = make_session()
    with pytest.raises(SessionError, match="no error"):
        session.resolve_error("retry")
    session, _, _ = flaky_session(make_session)
    with pytest.raises(SessionError, match="retry, skip or remove"):
        session.resolve_error("ignore")


def test_restart_from_an_error_abandons_the_failing_run_cleanly(make_session):
    session, hook, _ = flaky_session(make_session)
    hook.failing = False
    point = session.restart()
    assert session.state is RunState.PAUSED and point.trigger == "on_fit_start"
    assert "data_batch" not in session.ctx  # the abandoned run's batch variables are gone
    assert session.continue_() is None and session.state is RunState.FINISHED


def reads_loss_task_at_batch_start(ctx):
    return ctx.loss_task


def reads_an_attribute_nothing_writes(ctx):
    return ctx.momentum_buffer


def test_a_read_before_its_writer_is_explained_with_the_writer(make_session):
    session = make_session()
    session.insert(reads_loss_task_at_batch_start, "on_batch_start", 0, confirm=True)
    session.continue_()
    assert session.state is RunState.ERROR and session.error.missing == "loss_task"
    hint = session.error_hint()
    assert "written by '_hook_on_batch_forward_regularizer' (on_batch_forward #1)" in hint
    assert "at on_batch_forward, after 'reads_loss_task_at_batch_start'" in hint


def test_a_move_that_puts_a_reader_first_at_its_trigger_is_explained(make_session):
    session = make_session()
    session.move("on_batch_forward", 1, 0, confirm=True)  # regularizer before forward
    session.continue_()
    hint = session.error_hint()
    assert "ctx.loss_batch is written by '_hook_on_batch_forward' (on_batch_forward #1)" in hint
    assert "later at the same trigger" in hint


def test_an_attribute_no_hook_writes_and_other_errors(make_session):
    session = make_session()
    session.insert(reads_an_attribute_nothing_writes, "on_batch_end", 0, confirm=True)
    session.continue_()
    assert "no hook in this train pipeline writes ctx.momentum_buffer" in session.error_hint()
    session.resolve_error("remove")
    flaky = flaky_session(make_session)[0]
    assert flaky.state is RunState.ERROR and flaky.error_hint() == ""  # a ValueError


def test_a_value_released_by_its_lifecycle_gets_no_ordering_hint(make_session):
    session = make_session()
    session.insert(reads_loss_task_at_batch_start, "on_epoch_end", 0, confirm=True)
    session.continue_()  # loss_task was written earlier in the batch, then released
    assert session.state is RunState.ERROR
    assert session.error_hint() == ""
    assert "released when that batch ended" in str(session.error)
