"""The console evaluates against the paused ctx; watches follow values from stop to stop."""

from __future__ import annotations

import pytest
import torch

from app.session import ConsoleError, RunState


def at_forward_done(make_session):
    """A session stopped right after the forward hook of batch 0 (loss_batch exists)."""
    session = make_session()
    session.add_breakpoint(trigger="on_batch_backward")
    session.continue_()
    assert session.point.trigger == "on_batch_backward"
    return session


def test_an_expression_is_shown_as_the_detail_pane_shows_values(make_session):
    session = at_forward_done(make_session)
    result = session.console.run("loss_batch * 2")
    assert result.ok and result.detail.name == "loss_batch * 2"
    facts = dict(result.detail.facts)
    assert facts["type"] == "torch.Tensor" and "mean" in facts
    model = dict(session.console.run("ctx.model").detail.facts)
    assert "parameters" in model


@pytest.mark.parametrize(("text", "expected"), [
    ("batch_i", "0"), ("trigger", "'on_batch_backward'"), ("mode", "'train'"),
    ("len([p for p in ctx.model.parameters()])", "4"),
    ("[k + batch_i + len(y_true) for k in range(2)]", "[8, 9]"),  # names in a comprehension
    ("int(np.arange(3).sum())", "3"), ("math.floor(2.5)", "2"),
    ("torch.zeros(2).sum().item()", "0.0"),
])
def test_names_resolve_to_ctx_the_point_and_the_usual_modules(make_session, text, expected):
    session = at_forward_done(make_session)
    result = session.console.run(text)
    assert result.ok, result.error
    assert result.detail.preview == expected


def test_assignments_edit_ctx_through_the_context_and_are_logged(make_session):
    session = at_forward_done(make_session)
    result = session.console.run("ctx.lr_scale = 0.5")
    assert result.ok and result.assigned == "ctx.lr_scale" and session.ctx.lr_scale == 0.5
    assert "console: ctx.lr_scale = 0.5 (an edit of ctx.lr_scale)" in session.log
    assert session.console.run("ctx.lr_scale += 1").ok and session.ctx.lr_scale == 1.5
    session.console.run('ctx.optimizer.param_groups[0]["lr"] = 0.01')
    assert session.ctx.optimizer.param_groups[0]["lr"] == 0.01
    assert any("an edit of ctx.optimizer" in line for line in session.log)


def test_console_variables_live_across_entries(make_session):
    session = at_forward_done(make_session)
    assert session.console.run("x = loss_batch.item() * 2").ok
    assert session.console.run("x += 1").ok
    expected = session.ctx.loss_batch.item() * 2 + 1
    assert session.console.run("x").detail.preview == repr(expected)
    assert "x" not in session.ctx


@pytest.mark.parametrize(("text", "error"), [
    ("import os", "only an expression or one assignment"),
    ("for i in range(3): pass", "only an expression or one assignment"),
    ("no_such_name + 1", "NameError: name 'no_such_name' is not defined"),
    ("1 / 0", "ZeroDivisionError: division by zero"),
    ("exit()", "SystemExit (ignored)"),
    ("ctx.loss_batch +", "SyntaxError"),
    ("", "type an expression"),
])
def test_what_the_console_refuses_or_hits_is_shown_not_raised(make_session, text, error):
    session = at_forward_done(make_session)
    result = session.console.run(text)
    assert not result.ok and error in result.error
    assert session.state is RunState.PAUSED


def test_nothing_is_evaluated_while_the_routine_runs(make_session):
    session = at_forward_done(make_session)
    session.state = RunState.RUNNING  # as seen from the UI thread during a continue
    assert "pause it" in session.console.run("1 + 1").error
    session.state = RunState.PAUSED


def test_history_keeps_entries_once_in_a_row(make_session):
    session = at_forward_done(make_session)
    for text in ("batch_i", "batch_i", "trigger", "batch_i"):
        session.console.run(text)
    assert list(session.console.history) == ["batch_i", "trigger", "batch_i"]


def test_watches_show_old_and_new_at_each_stop_and_errors_in_place(make_session):
    session = at_forward_done(make_session)
    batch = session.console.add_watch("batch_i")
    graph = session.console.add_watch("loss_batch.grad_fn is not None")
    gone = session.console.add_watch("ctx.y_prob.shape[0]")
    assert (batch.value, batch.changed) == ("0", False)
    session.continue_()  # the next batch's on_batch_backward
    assert (batch.previous, batch.value, batch.changed) == ("0", "1", True)
    assert graph.value == "True" and not graph.changed
    session.breakpoints.clear()
    session.add_breakpoint(trigger="on_epoch_end")
    session.continue_()  # y_prob was released with its batch
    assert gone.error.startswith("AttributeError") and gone.changed
    assert (batch.previous, batch.value) == ("1", "None")  # no batch at on_epoch_end
    session.console.remove_watch(0)
    assert [w.expression for w in session.console.watches] == [
        "loss_batch.grad_fn is not None", "ctx.y_prob.shape[0]"]
    with pytest.raises(ConsoleError, match="no watch #9"):
        session.console.remove_watch(8)
    with pytest.raises(ConsoleError, match="a watch is an expression"):
        session.console.add_watch("x = 1")


def test_a_watch_on_a_tensor_shows_its_value_or_shape(make_session):
    session = at_forward_done(make_session)
    scalar = session.console.add_watch("loss_batch")
    matrix = session.console.add_watch("y_prob")
    assert float(scalar.value) == pytest.approx(session.ctx.loss_batch.item(), rel=1e-5)
    assert matrix.value == "tensor[8, 3] float32"
    assert torch.is_tensor(session.ctx.y_prob)
