"""Stepping a federated course in the debugger's session: clients and rounds in turn, the
same course as `run`, breakpoints on round and client."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from app.session import RunState
from app.session.course import CourseSession
from trainer_core.config.course import load_course
from trainer_core.errors import HookSetError

ROOT = Path(__file__).resolve().parents[2]
FEDAVG = ROOT / "sample_configs" / "fedavg.yaml"
SHORT = {"federate.total_round_num": 3, "train.local_update_steps": 1}


@pytest.fixture
def session():
    opened = CourseSession.from_course_config(FEDAVG, SHORT)
    opened.start()
    yield opened
    opened.close()


def test_the_session_opens_at_the_first_clients_first_point(session):
    status = session.status()
    first = session.course.sample(0)
    assert (status.round_i, status.client, status.round_clients) == (0, first[0], first)
    assert status.total_rounds == 3 and session.point.trigger == "on_fit_start"
    assert session.trainer is session.course.trainers[first[0]]


def test_next_client_and_next_round_walk_the_course(session):
    order = [session.client]
    session.next_client()
    order.append(session.client)
    assert order == list(session.course.sample(0)[:2])
    assert session.point.trigger == "on_fit_start" and session.ctx is session.trainer.ctx
    session.next_round()
    status = session.status()
    assert status.round_i == 1 and status.client == session.course.sample(1)[0]
    assert len(session.reports) == 1 and session.reports[0].global_metrics["test_acc"] > 0


def test_continue_runs_the_whole_course_as_run_does(session):
    assert session.continue_() is None
    assert session.state is RunState.FINISHED and session.reason == "course finished"
    reference = load_course(FEDAVG, SHORT).course
    reports = list(reference.rounds())
    assert [r.clients for r in session.reports] == [r.clients for r in reports]
    assert all(torch.equal(session.course.global_state[k], reference.global_state[k])
               for k in reference.global_state)  # stepping changed nothing


def test_a_breakpoint_on_round_and_client_stops_there(session):
    client = session.course.sample(1)[-1]
    session.add_breakpoint(trigger="on_batch_end", condition=f"round_i == 1 and client == {client}")
    point = session.continue_()
    assert point is not None and point.trigger == "on_batch_end"
    status = session.status()
    assert (status.round_i, status.client) == (1, client)
    assert status.batch_i == 0 and "breakpoint #1" in session.reason


def test_a_step_past_a_clients_end_lands_on_the_next_client(session):
    first = session.client
    session.add_breakpoint(trigger="on_fit_end")
    session.continue_()
    assert session.point.trigger == "on_fit_end" and session.client == first
    session.step_trigger()  # the routine ends: the next client's on_fit_start
    assert session.client == session.course.sample(0)[1]
    assert session.point.trigger == "on_fit_start"


def note_batch(ctx):
    ctx.noted = ctx.cur_batch_i  # a plain attribute: a lifecycle finding, harmless here


def test_an_edit_goes_to_every_client_by_default_and_undoes_as_one(session):
    trainers = session.course.trainers
    before = [t.hook_set("train", 0).names("on_batch_end") for t in trainers]
    outcome = session.insert(note_batch, "on_batch_end", 0)
    assert outcome.applied and session.unsaved_edits
    assert all(t.hook_set("train", 0).names("on_batch_end")[0] == "note_batch"
               for t in trainers)
    session.undo()
    assert [t.hook_set("train", 0).names("on_batch_end") for t in trainers] == before
    assert not session.unsaved_edits


def test_an_edit_for_one_client_leaves_the_others(session):
    session.edit_all_clients = False
    session.insert(note_batch, "on_batch_end", 0)
    edited = [i for i, t in enumerate(session.course.trainers)
              if "note_batch" in t.hook_set("train", 0).names("on_batch_end")]
    assert edited == [session.client]
    session.edit_all_clients = True  # a second edit to all: client lists differ, still fits
    outcome = session.remove("on_batch_end", -1, confirm=True)
    assert outcome.applied


def test_an_edit_to_all_clients_changes_the_same_hooks_when_their_lists_differ(session):
    running = session.course.trainers[session.client]
    first = running.hook_set("train", 0).names("on_batch_end")[0]
    session.edit_all_clients = False
    session.insert(note_batch, "on_batch_end", 0)  # only the running client: its list shifts
    session.edit_all_clients = True
    # position 1 is now `first` in the running client's list, position 0 in the others'
    assert session.remove("on_batch_end", 1, confirm=True).applied
    for client, trainer in enumerate(session.course.trainers):
        left = trainer.hook_set("train", 0).names("on_batch_end")
        assert first not in left, (client, left)
    # a hook only one client has cannot be edited in all of them: nothing changes
    before = [t.hook_set("train", 0).names("on_batch_end") for t in session.course.trainers]
    with pytest.raises(HookSetError, match=r"client \d+ has no hook 'note_batch'"):
        session.remove("on_batch_end", 0, confirm=True)
    assert [t.hook_set("train", 0).names("on_batch_end")
            for t in session.course.trainers] == before


def keep_every_round(ctx):
    history = ctx.get("round_history", None) or []
    history.append(torch.zeros(2000))
    ctx.round_history = history  # a plain attribute: it grows round after round


def test_a_hook_that_grows_per_round_is_one_warning_naming_the_clients():
    session = CourseSession.from_course_config(FEDAVG, {**SHORT, "federate.total_round_num": 5,
                                                        "federate.sample_client_num": 5})
    session.start()
    session.insert(keep_every_round, "on_fit_end", 0)
    session.continue_()
    growing = [f for f in session.findings if f.kind.value == "grows-per-round"]
    assert len(growing) == 1 and growing[0].where == "ctx.round_history"
    assert growing[0].message.endswith("(clients 0, 1, 2, 3, 4)")
    assert growing[0].hook.name == "keep_every_round"
    session.close()


def test_the_console_knows_the_round_the_client_and_the_course(session):
    session.next_client()
    result = session.console.run("(round_i, client, len(course.history))")
    assert not result.error, result.error
    assert result.detail.preview == f"(0, {session.client}, 0)"


def remember(ctx):
    ctx.seen_by_hook = ctx.get("seen_by_hook", 0) + 1  # a plain attribute a hook adds


def test_restart_course_replays_the_course_from_round_0(session):
    session.insert(remember, "on_fit_end")
    session.next_round()
    session.next_client()  # one round done, the next in progress
    assert len(session.reports) == 1
    assert any("seen_by_hook" in t.ctx.__dict__ for t in session.course.trainers)
    session.restart_course()
    status = session.status()
    assert (status.round_i, status.client) == (0, session.course.sample(0)[0])
    assert session.reports == [] and session.course.history == []
    assert all("seen_by_hook" not in t.ctx.__dict__ for t in session.course.trainers)
    assert all("remember" in t.hook_set("train", 0).names("on_fit_end")  # edits stay
               for t in session.course.trainers)
    session.continue_()
    reference = load_course(FEDAVG, SHORT).course  # a fresh course, the same hook added
    for trainer in reference.trainers:
        trainer.register_hook_in_train(remember, "on_fit_end")
    reports = list(reference.rounds())
    assert [r.clients for r in session.reports] == [r.clients for r in reports]
    assert all(torch.equal(session.course.global_state[k], reference.global_state[k])
               for k in reference.global_state)  # models, data order, global: all reset
