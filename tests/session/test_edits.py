"""Live edits through HookSet, with exact undo / redo, marks, references and pipelines."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer_core.engine.hooks import hook_name
from trainer_core.errors import HookSetError, UnresolvedReference

ROOT = Path(__file__).resolve().parents[2]


def noop(ctx):
    return None


def names(session, trigger, mode="train", model_idx=0):
    return session.hookset(mode, model_idx).names(trigger)


EDITS = [
    ("insert", lambda s: s.insert(noop, "on_batch_end", 0)),
    ("remove", lambda s: s.remove("on_batch_end", 0, confirm=True)),
    ("replace", lambda s: s.replace("on_batch_forward", "_hook_on_batch_forward",
                                    "tests.core.sample_hooks:log_loss", confirm=True)),
    ("move", lambda s: s.move_by("on_batch_forward", 0, 1, confirm=True)),
    ("move-to-trigger", lambda s: s.move("on_batch_end", 0, 0, "on_epoch_end", confirm=True)),
    ("reset", lambda s: s.reset("on_batch_backward", confirm=True)),
]


@pytest.mark.parametrize(("kind", "edit"), EDITS, ids=[k for k, _ in EDITS])
def test_every_edit_kind_undoes_and_redoes_exactly(make_session, kind, edit):
    session = make_session()
    train, evaluation = session.hookset("train"), session.hookset("eval")
    before, eval_before = train.snapshot(), evaluation.snapshot()
    outcome = edit(session)
    assert outcome.applied
    after = train.snapshot()
    assert after != before
    assert evaluation.snapshot() == eval_before  # the other hook set is untouched
    assert session.undo() == outcome.description
    assert train.snapshot() == before
    assert session.redo() == outcome.description
    assert train.snapshot() == after
    assert session.undo() and train.snapshot() == before
    assert session.undo() is None and session.redo() is not None


def test_edits_address_the_eval_set_and_one_model_of_a_multi_model_trainer(make_trainer):
    from app.session import DebugSession
    from trainer_core.trainers.multi_model import MultiModelTrainer

    trainer = MultiModelTrainer(2, "parallel", base_trainer=make_trainer())
    session = DebugSession(trainer)
    session.start()
    session.insert(noop, "on_fit_end", mode="eval", model_idx=1)
    assert names(session, "on_fit_end", "eval", 1)[-1] == "noop"
    assert "noop" not in names(session, "on_fit_end", "eval", 0)
    assert "noop" not in names(session, "on_fit_end", "train", 1)
    session.undo()
    assert "noop" not in names(session, "on_fit_end", "eval", 1)


def test_references_by_registered_name_module_and_file(make_session):
    session = make_session()
    session.base_dir = ROOT / "sample_configs"
    session.insert("tests.core.sample_hooks:log_loss", "on_batch_end", 0)
    session.insert("hooks/custom.py:grad_norm", "on_batch_backward", -1)
    session.insert("_hook_on_epoch_start", "on_epoch_end", -1, confirm=True)
    assert names(session, "on_batch_end")[0] == "log_loss"
    assert names(session, "on_batch_backward")[-1] == "grad_norm"
    assert names(session, "on_epoch_end")[-1] == "_hook_on_epoch_start"
    with pytest.raises(UnresolvedReference, match="no_such"):
        session.insert("tests.core.sample_hooks:no_such", "on_batch_end")


def test_an_invalid_edit_raises_and_changes_nothing(make_session):
    session = make_session()
    before = session.hookset().snapshot()
    with pytest.raises(HookSetError, match="on_batch_end"):
        session.remove("on_batch_end", 7)
    with pytest.raises(Exception, match="cannot move on_fit_end #0 further down"):
        session.move_by("on_fit_end", 0, 1)
    with pytest.raises(Exception, match="no trigger before on_fit_start"):
        session.move_by("on_fit_start", 0, -1)
    assert session.hookset().snapshot() == before
    assert session.undo() is None


def test_moving_past_a_triggers_edge_moves_to_the_next_trigger(make_session):
    session = make_session()
    before = session.hookset().snapshot()
    session.move_by("on_batch_end", 0, 1, confirm=True)  # down past the last
    assert names(session, "on_batch_end") == []
    assert names(session, "on_epoch_end")[0] == "_hook_on_batch_end"
    session.move_by("on_epoch_end", 0, -1, confirm=True)  # and back up: the end before
    assert names(session, "on_batch_end") == ["_hook_on_batch_end"]
    session.undo()
    session.undo()
    assert session.hookset().snapshot() == before


def test_edited_hooks_are_marked_until_undone(make_session):
    session = make_session()
    session.insert(noop, "on_batch_end", 0)
    session.move_by("on_batch_forward", 1, -1, confirm=True)
    edited = {(r.trigger, r.name) for r in session.hook_rows() if r.edited}
    assert edited == {("on_batch_end", "noop"),
                      ("on_batch_forward", "_hook_on_batch_forward_regularizer")}
    session.undo()
    session.undo()
    assert not any(r.edited for r in session.hook_rows())


def test_an_edit_made_while_paused_applies_at_the_next_firing(make_session):
    session = make_session()
    calls = []

    def count(ctx):
        calls.append((ctx.cur_epoch_i, ctx.cur_batch_i))

    session.step_trigger()  # epoch 0 start
    session.step_trigger()  # batch 0 on_batch_start: paused at its TRIGGER point
    session.step_hook()     # paused at the first hook of on_batch_start (list already read)
    session.insert(count, "on_batch_start", -1)
    session.step_batch()
    assert calls == []      # this firing finishes the list it read
    session.step_batch()
    assert calls == [(0, 1)]


def test_export_and_load_a_pipeline_round_trip(make_session, tmp_path):
    session = make_session()
    session.base_dir = ROOT / "sample_configs"
    session.insert("tests.core.sample_hooks:log_loss", "on_batch_end", 0)
    session.move_by("on_batch_forward", 1, -1, confirm=True)
    edited = {label: hs.snapshot() for label, hs in
              (("train", session.hookset("train")), ("eval", session.hookset("eval")))}
    path = session.export_pipeline(tmp_path / "pipe.yaml")
    assert path.exists() and "log_loss" in path.read_text()
    session.undo()
    session.undo()
    before = session.hookset("train").snapshot()
    # the file moves the regularizer before forward: a broken read, shown, nothing loaded
    findings = session.load_pipeline(path)
    assert [f.attribute for f in findings] == ["loss_batch"]
    assert session.hookset("train").snapshot() == before
    assert session.load_pipeline(path, confirm=True) == findings
    assert session.hookset("train").snapshot() == edited["train"]
    assert session.hookset("eval").snapshot() == edited["eval"]
    session.undo()  # loading is one undoable step
    assert "log_loss" not in names(session, "on_batch_end")


def test_hook_rows_mark_the_current_hook_done_triggers_and_breakpoints(make_session):
    session = make_session()
    session.add_breakpoint(hook="_hook_on_batch_backward")
    session.toggle_breakpoint(trigger="on_batch_end")
    point = session.continue_()
    assert point.hook_name == "_hook_on_batch_backward"
    rows = session.hook_rows()
    current = [r for r in rows if r.current]
    assert [(r.trigger, r.name) for r in current] == [("on_batch_backward",
                                                       "_hook_on_batch_backward")]
    done = {r.trigger for r in rows if r.done and r.is_trigger}
    assert done == {"on_batch_start", "on_batch_forward"}
    flagged = {r.name for r in rows if r.breakpoint}
    assert flagged == {"_hook_on_batch_backward", "on_batch_end"}
    assert all(hook_name(h) for h in session.hookset()["on_batch_end"])
    assert not any(r.current for r in session.hook_rows("eval"))


@pytest.mark.parametrize("label, edit", EDITS, ids=[label for label, _ in EDITS])
def test_unsaved_edits_follow_the_pipeline_not_the_history(make_session, tmp_path, label, edit):
    session = make_session()
    assert not session.unsaved_edits
    edit(session)
    assert session.unsaved_edits
    session.undo()
    assert not session.unsaved_edits  # undone back to where it started: nothing to lose
    session.redo()
    written = session.export_pipeline(tmp_path / "p.yaml")
    assert not session.unsaved_edits and session.pipeline_file == written.resolve()
    session.undo()
    assert session.unsaved_edits  # the file holds the edit; the hook sets no longer do
    session.load_pipeline(written, confirm=True)
    assert not session.unsaved_edits
