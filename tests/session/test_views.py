"""What the UI shows, as plain data: status, variables, details, diffs, timings, histories."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from app.session import DebugSession

ROOT = Path(__file__).resolve().parents[2]


def test_status_follows_the_routine(make_session):
    session = make_session()
    status = session.status()
    assert (status.state, status.mode, status.num_epochs, status.total_batches) == (
        "paused", "train", 2, 10)
    session.step_batch()
    session.step_hook()
    status = session.status()
    assert (status.epoch_i, status.batch_i, status.batches_in_epoch) == (0, 1, 5)
    assert (status.trigger, status.hook, status.kind) == (
        "on_batch_start", "_hook_on_batch_start_init", "hook")
    assert status.batches_done == 1 and status.progress == 0.1
    session.continue_()
    assert session.status().state == "finished" and session.status().progress == 1.0


def test_progress_totals_follow_a_hook_that_changes_the_epoch_count(make_session):
    session = make_session()

    def one_more_epoch(ctx):
        ctx.num_train_epoch += 1

    session.trainer.register_hook_in_train(one_more_epoch, "on_fit_start")
    assert (session.status().num_epochs, session.status().total_batches) == (2, 10)
    session.step_trigger()  # past on_fit_start's hooks: now the routine knows 3 epochs
    assert (session.status().num_epochs, session.status().total_batches) == (3, 15)
    session.run_to_end()
    assert session.status().state == "finished" and session.status().batches_done == 15


def test_variable_rows_say_what_changed_and_who_set_it(make_session):
    session = make_session()
    session.add_breakpoint(trigger="on_batch_backward")
    session.continue_()
    rows = {row.name: row for row in session.variables()}
    loss = rows["loss_batch"]
    assert (loss.type, loss.shape, loss.dtype, loss.lifecycle) == ("Tensor", "[]", "float32",
                                                                   "batch")
    assert loss.set_by == "_hook_on_batch_forward @ on_batch_forward"
    assert loss.changed and rows["y_prob"].changed and not rows["model"].changed
    assert rows["optimizer"].lifecycle == "routine"
    assert rows["model"].set_by == "setup"
    assert rows["y_prob"].nbytes == 8 * 3 * 4


def test_variable_detail_has_tensor_stats(make_session):
    session = make_session()
    session.add_breakpoint(trigger="on_batch_end")
    session.continue_()
    detail = dict(session.variable("y_prob").facts)
    y_prob = session.ctx.y_prob
    assert float(detail["min"]) == float(f"{y_prob.min().item():.6g}")
    assert float(detail["norm"]) == float(f"{y_prob.norm().item():.6g}")
    assert detail["requires_grad"] == "True" and detail["grad_fn"] == "AddmmBackward0"
    assert "_hook_on_batch_forward" in detail["set by"] and ".py:" in detail["set by"]
    assert session.variable("model").preview.startswith("Sequential(")


def test_ctx_diff_between_stops(make_session):
    session = make_session()
    session.step_trigger()  # epoch start
    session.step_trigger()  # batch 0 start
    session.step_hook()
    session.step()          # the batch-start hook has run
    change = session.ctx_diff()
    assert change.added == ["data_batch"] and change.removed == []
    session.step_batch()  # the end of the batch: its values are all still there
    later = session.ctx_diff()
    assert {"y_prob", "loss_batch"} <= set(later.added) and later.removed == []
    assert "num_samples" in later.changed
    assert "+data_batch" in change.describe()
    session.step()  # released
    assert {"data_batch", "y_prob"} <= set(session.ctx_diff().removed)


def test_timings_count_every_call(make_session):
    session = make_session()
    session.continue_()
    rows = {row.name: row for row in session.timing_rows()}
    assert rows["_hook_on_batch_forward"].calls == 10
    assert rows["_hook_on_fit_end"].calls == 1
    assert rows["_hook_on_batch_forward"].mean_us > 0


def test_histories_are_bounded(make_trainer):
    session = DebugSession(make_trainer(**{"train.local_update_steps": 60,
                                           "train.batch_or_epoch": "batch"}),
                           loss_history=7, history=5)
    session.start()
    for _ in range(12):
        session.step_batch()
    session.continue_()
    assert len(session.losses) == 7 and len(session.stops) == 5
    assert all(isinstance(v, float) for v in session.losses)


def test_lifecycle_findings_of_the_leaky_sample():
    session = DebugSession.from_config(ROOT / "sample_configs" / "leaky_hooks.yaml",
                                       {"train.local_update_steps": 6,
                                        "train.batch_or_epoch": "batch"})
    session.start()
    session.continue_()
    kinds = {(f.kind.value, f.attribute) for f in session.findings}
    assert len(kinds) >= 3
    assert all(f.hook is not None and "leaky.py" in f.hook.location for f in session.findings)


def test_the_default_config_has_no_findings_and_loss_falls():
    session = DebugSession.from_config(ROOT / "sample_configs" / "default.yaml",
                                       {"train.local_update_steps": 2})
    session.start()
    session.continue_()
    assert session.findings == []
    losses = list(session.losses)
    assert sum(losses[-10:]) < sum(losses[:10])
    assert torch.is_tensor(next(iter(session.trainer.get_model_para().values())))


def test_hook_detail_says_where_a_hook_is_and_what_it_touches(make_session):
    session = make_session()
    session.step_epoch()
    detail = session.hook_detail("on_batch_forward", 1)
    assert detail.name == "_hook_on_batch_forward_regularizer"
    assert detail.location.endswith(".py:" + detail.location.rsplit(":", 1)[1])
    assert "torch_trainer.py" in detail.location
    assert {"loss_batch", "regularizer"} <= set(detail.reads)
    assert "loss_task" in detail.writes and detail.observed
    assert detail.calls == 5 and detail.mean_us > 0
    assert detail.summary.startswith("Add the configured penalty")
    assert not detail.breakpoint


def test_a_hook_not_in_the_pipeline_yet_is_described_from_its_source(make_session):
    from trainer_core.errors import HookscopeError

    session = make_session()
    detail = session.describe_reference("tests.core.sample_hooks:log_loss")
    assert detail.name == "log_loss" and "sample_hooks.py:" in detail.location
    assert detail.calls == 0 and not detail.observed
    assert "loss_batch" in detail.reads
    with pytest.raises(HookscopeError, match="nope"):
        session.describe_reference("tests.core.sample_hooks:nope")


def test_value_details_of_unusual_tensors_never_fail():
    from app.session.views import tensor_stats

    complex_facts = dict(tensor_stats(torch.tensor([3 + 4j, 0j])))
    assert complex_facts["|x| max"] == "5" and complex_facts["|x| min"] == "0"
    sparse_facts = dict(tensor_stats(torch.eye(3).to_sparse()))
    assert sparse_facts["stored mean"] == "1"  # over the stored entries, not the 9 cells
    meta_facts = dict(tensor_stats(torch.zeros(2, device="meta")))
    assert meta_facts["stats"].startswith("not available")
    assert dict(tensor_stats(torch.tensor([1.0, float("nan")])))["NaN"] == "1"


def test_the_model_and_optimizer_details_show_what_a_broken_hook_damages(make_session):
    session = make_session()
    session.step_batch()
    model = dict(session.variable("model").facts)
    assert model["parameters"].startswith("67 in 4 tensors")  # 4*8+8 + 8*3+3
    assert model["mode"] == "train" and float(model["grad norm"]) > 0
    assert "NaN/Inf" not in model
    first = next(session.trainer.ctx.model.parameters())
    first.grad[0, 0] = float("nan")
    assert dict(session.variable("model").facts)["NaN/Inf"] == "0 in parameters, 1 in gradients"
    optimizer = dict(session.variable("optimizer").facts)
    assert optimizer["lr"] == "0.1" and optimizer["param groups"] == "1"


def test_values_that_cannot_describe_themselves_never_break_a_view(make_session):
    import time as _time

    from app.session.views import bounded_repr

    class Loud:
        def __repr__(self):
            raise RuntimeError("no repr for you")

    class Slow:
        def __repr__(self):
            _time.sleep(30)
            return "late"

    session = make_session()

    def odd_values(ctx):
        ctx.lazy_weight = torch.nn.LazyLinear(3).weight  # uninitialised: no shape yet
        ctx.loud = Loud()

    session.trainer.register_hook_in_train(odd_values, "on_batch_start")
    session.add_breakpoint(trigger="on_batch_end")
    session.continue_()  # fingerprints, rows and lifecycle checks all ran over them
    rows = {row.name: row for row in session.variables()}
    assert rows["lazy_weight"].shape == "?" and rows["loud"].type == "Loud"
    assert dict(session.variable("lazy_weight").facts)["stats"].startswith("not available")
    assert "repr failed: RuntimeError: no repr for you" in session.variable("loud").preview
    assert bounded_repr(Slow(), seconds=0.2) == "<repr did not finish within 0.2 s>"


def test_the_table_and_the_detail_agree_on_every_lifecycle_and_setter(make_session):
    session = make_session()
    session.step_batch()
    rows = session.variables()
    kinds = {row.lifecycle for row in rows}
    assert {"routine-managed", "batch", "plain"} <= kinds  # every kind is compared below
    for row in rows:
        facts = dict(session.variable(row.name).facts)
        assert facts["lifecycle"] == row.lifecycle, row.name
        assert facts["set by"].startswith(row.set_by.split(" @ ")[0]) or row.set_by == "setup"


def test_each_model_of_a_parallel_routine_has_its_own_ctx_view(make_trainer):
    from trainer_core.trainers.multi_model import MultiModelTrainer

    trainer = MultiModelTrainer(2, "parallel", base_trainer=make_trainer())
    with torch.no_grad():  # the models start alike: make their losses differ
        for parameter in trainer.ctx.models[1].parameters():
            parameter.mul_(0.5)
    session = DebugSession(trainer, name="two")
    losses: dict[int, float] = {}

    def note_loss(ctx):
        losses[ctx.cur_model_idx] = ctx.loss_batch.item()

    for model_idx in (0, 1):
        session.insert(note_loss, "on_batch_forward", model_idx=model_idx)
    session.start()
    session.add_breakpoint(trigger="on_batch_backward", condition="model_idx == 1")
    session.continue_()
    assert session.point.model_idx == 1 and losses[0] != losses[1]

    def row(model_idx, name):
        return next(r for r in session.variables(model_idx) if r.name == name)

    assert f"{losses[0]:.4f}" in session.variable("loss_batch", 0).preview
    assert f"{losses[1]:.4f}" in session.variable("loss_batch", 1).preview
    assert session.ctx.loss_batch.item() == pytest.approx(losses[1], rel=1e-5)
    assert row(0, "loss_batch").lifecycle == row(1, "loss_batch").lifecycle == "batch"
    seen_by_0 = {r.name: r.value for r in session.ctx.records_of_model(0)}
    assert seen_by_0["model"] is trainer.ctx.models[0] and seen_by_0["cur_model_idx"] == 0
    assert session.ctx.model is trainer.ctx.models[1]  # the view changed nothing in ctx
    session.close()
