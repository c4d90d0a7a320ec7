"""Breakpoints on triggers, hooks and conditions; bad conditions never kill a run."""

from __future__ import annotations

import pytest

from app.session import BreakpointError, RunState
from trainer_core.engine.points import HOOK, TRIGGER


def test_a_trigger_breakpoint_stops_at_each_firing_before_its_hooks(make_session):
    session = make_session()
    bp = session.add_breakpoint(trigger="on_batch_backward")
    point = session.continue_()
    assert (point.kind, point.trigger, point.batch_i) == (TRIGGER, "on_batch_backward", 0)
    assert session.continue_().batch_i == 1
    assert bp.hits == 2 and session.reason.startswith(f"breakpoint #{bp.id}")


def test_a_hook_breakpoint_stops_before_the_hook_runs(make_session):
    session = make_session()
    session.add_breakpoint(hook="_hook_on_batch_end")
    point = session.continue_()
    assert (point.kind, point.hook_name, point.batch_i) == (HOOK, "_hook_on_batch_end", 0)
    assert session.ctx.num_samples == 0  # the hook has not run yet


def test_conditions_over_point_fields_and_ctx_attributes(make_session):
    session = make_session()
    session.add_breakpoint(condition="batch_i == 3")
    point = session.continue_()
    assert (point.trigger, point.epoch_i, point.batch_i) == ("on_batch_start", 0, 3)
    session.breakpoints.clear()
    session.add_breakpoint(trigger="on_batch_end", condition="loss_batch.item() < 10 and "
                                                              "ctx.batch_size == 8")
    point = session.continue_()
    assert (point.trigger, point.batch_i) == ("on_batch_end", 3)
    session.breakpoints.clear()
    nan = session.add_breakpoint(trigger="on_batch_end", condition="torch.isnan(loss_batch)")
    assert session.continue_() is None  # never NaN: runs to the end
    assert nan.enabled and not nan.message  # evaluated at every batch end, never failed


def test_a_condition_comparing_a_tensor_with_a_number_stops_there(make_session):
    session = make_session()
    bp = session.add_breakpoint(condition="loss_batch > 0.01 and batch_i == 1")
    point = session.continue_()
    assert point is not None and (point.trigger, point.batch_i) == ("on_batch_backward", 1)
    assert bp.enabled and not bp.message and bp.hits == 1
    high = session.add_breakpoint(trigger="on_batch_end", condition="y_prob.max() > 1e9")
    assert session.continue_() is not None  # stops at the first again
    session.breakpoints.remove(bp.id)
    assert session.continue_() is None and high.enabled and not high.message


def test_a_condition_that_raises_disables_itself_and_the_run_goes_on(make_session):
    session = make_session()
    bp = session.add_breakpoint(condition="loss_batch > 'a'")
    assert session.continue_() is None
    assert session.state is RunState.FINISHED
    assert not bp.enabled and "TypeError" in bp.message
    assert any("disabled" in line for line in session.log)


def test_a_condition_on_an_attribute_not_there_yet_waits_instead_of_failing(make_session):
    session = make_session()
    bp = session.add_breakpoint(condition="loss_batch.item() > 0 and batch_i == 2")
    point = session.continue_()  # false at fit and epoch start, where loss_batch is absent
    assert (point.trigger, point.batch_i) == ("on_batch_backward", 2)
    assert bp.enabled and bp.hits == 1
    with pytest.raises(BreakpointError, match=r"reads loss_btch, which no hook writes and ctx "
                                              r"does not hold \(did you mean 'loss_batch'\?\)"):
        session.add_breakpoint(trigger="on_batch_end", condition="ctx.loss_btch > 1")
    typo = session.add_breakpoint(trigger="on_batch_end", condition="ctx.loss_btch > 1",
                                  force=True)  # "add it anyway": it waits for the attribute
    session.breakpoints.remove(bp.id)
    assert session.continue_() is None
    assert typo.enabled and "waiting for ctx.loss_btch" in typo.message


@pytest.mark.parametrize("condition", ["__import__('os').system('true')", "(x := 1)",
                                       "(lambda: 1)()", "ctx.__class__", "import os", ""])
def test_conditions_that_could_do_harm_or_do_not_parse_are_refused(make_session, condition):
    session = make_session()
    with pytest.raises(BreakpointError):
        session.add_breakpoint(condition=condition)
    assert len(session.breakpoints) == 0


def test_unknown_trigger_is_refused_with_the_known_ones():
    from app.session import Breakpoints

    with pytest.raises(BreakpointError, match="on_batch_forward"):
        Breakpoints().add(trigger="on_batch_forwrd")


def test_enable_disable_toggle_list_clear(make_session):
    session = make_session()
    bps = session.breakpoints
    bp = session.toggle_breakpoint(trigger="on_epoch_end")
    assert bp is not None and bps.at("on_epoch_end")
    bps.set_enabled(bp.id, False)
    assert not bps.at("on_epoch_end")
    assert session.continue_() is None  # a disabled breakpoint never stops
    session.restart()
    bps.set_enabled(bp.id, True)
    assert session.continue_().trigger == "on_epoch_end"
    assert bps.listing()[0]["hits"] == 1
    assert session.toggle_breakpoint(trigger="on_epoch_end") is None  # toggled off
    assert len(bps) == 0
    session.add_breakpoint(hook="_hook_on_batch_forward")
    bps.clear()
    assert session.continue_() is None
    with pytest.raises(BreakpointError, match="no breakpoint #99"):
        bps.remove(99)


def test_run_to_end_ignores_breakpoints(make_session):
    session = make_session()
    session.add_breakpoint(trigger="on_batch_start")
    assert session.run_to_end() is None


def test_a_condition_on_any_trigger_stops_once_per_batch_unless_every(make_session):
    session = make_session()
    session.add_breakpoint(condition="batch_i is not None and batch_i < 2")
    stops = []
    while (point := session.continue_()) is not None and len(stops) < 10:
        stops.append((point.epoch_i, point.batch_i, point.trigger))
    assert stops[:3] == [(0, 0, "on_batch_start"), (0, 1, "on_batch_start"),
                         (1, 0, "on_batch_start")]
    every = make_session()
    every.add_breakpoint(condition="batch_i == 0", every=True)
    triggers = [every.continue_().trigger for _ in range(4)]
    assert triggers == ["on_batch_start", "on_batch_forward", "on_batch_backward",
                        "on_batch_end"]


def test_edit_enable_and_delete_by_number(make_session):
    session = make_session()
    bp = session.add_breakpoint(trigger="on_batch_end", condition="batch_i == 3")
    session.enable_breakpoint(bp.id, False)
    assert session.breakpoints.listing()[0]["enabled"] is False
    edited = session.edit_breakpoint(bp.id, "batch_i == 1")
    assert (edited.id, edited.condition, edited.enabled) == (bp.id, "batch_i == 1", False)
    session.enable_breakpoint(bp.id, True)
    assert session.continue_().batch_i == 1
    with pytest.raises(BreakpointError):
        session.edit_breakpoint(bp.id, "import os")
    assert session.breakpoints.get(bp.id).condition == "batch_i == 1"  # unchanged
    session.remove_breakpoint(bp.id)
    assert len(session.breakpoints) == 0 and any("deleted" in line for line in session.log)
    with pytest.raises(BreakpointError, match="no breakpoint #1"):
        session.remove_breakpoint(bp.id)
