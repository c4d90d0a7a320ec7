"""The debugger stops after the hook that first makes a loss NaN/Inf (on unless switched off)."""

from __future__ import annotations

import math

from app.session import RunState
from trainer_core.engine.points import HOOK_DONE


def nan_at_epoch_1_batch_2(ctx):
    if (ctx.cur_epoch_i, ctx.cur_batch_i) == (1, 2):
        ctx.loss_batch = ctx.loss_batch * math.nan


def poisoned(make_session, **options):
    session = make_session(start=False)
    session.insert(nan_at_epoch_1_batch_2, "on_batch_forward", 1)
    for name, value in options.items():
        setattr(session, name, value)
    session.start()
    return session


def test_continue_stops_after_the_hook_that_made_the_loss_nan(make_session):
    session = poisoned(make_session)
    point = session.continue_()
    assert session.state is RunState.PAUSED and session.reason == "NaN/Inf loss"
    assert (point.kind, point.hook_name, point.epoch_i, point.batch_i) == (
        HOOK_DONE, "nan_at_epoch_1_batch_2", 1, 2)
    assert math.isnan(session.ctx.loss_batch.item())
    assert any("ctx.loss_batch became nan in hook nan_at_epoch_1_batch_2" in line
               for line in session.log)
    # the weights are still clean: the stop comes before backward
    assert all(p.isfinite().all() for p in session.ctx.model.parameters())
    assert session.continue_() is None and session.state is RunState.FINISHED  # once


def test_restart_stops_there_again(make_session):
    session = poisoned(make_session)
    session.continue_()
    session.restart()
    point = session.continue_()
    assert (point.hook_name, point.epoch_i, point.batch_i) == ("nan_at_epoch_1_batch_2", 1, 2)


def test_switched_off_the_run_goes_through_and_the_log_still_says_so(make_session):
    session = poisoned(make_session, break_on_nonfinite=False)
    assert session.continue_() is None and session.state is RunState.FINISHED
    assert not any("non-finite" in line for line in session.log)
    session.break_on_nonfinite = True
    session.restart()
    assert session.continue_().hook_name == "nan_at_epoch_1_batch_2"


def test_run_to_end_ignores_it_but_logs_it(make_session):
    session = poisoned(make_session)
    assert session.run_to_end() is None
    assert any("non-finite loss: ctx.loss_batch" in line for line in session.log)
