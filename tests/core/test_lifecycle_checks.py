"""The lifecycle checker on small cases: messages, hints, thresholds (the corpus of leaky and
correct hooks is in tests/lifecycle)."""

from __future__ import annotations

import torch

from trainer_core.analysis.lifecycle import FindingKind, LifecycleChecker
from trainer_core.engine.context import CtxVar, Lifecycle


def checked(trainer, mode="train", split=None, checker=None):
    checker = checker or LifecycleChecker()
    checker.drain(trainer.iter_routine(mode, split))
    return checker


def kinds(checker) -> set[tuple[FindingKind, str]]:
    return {(f.kind, f.attribute) for f in checker.findings}


def test_default_hooks_produce_no_finding(make_trainer):
    trainer = make_trainer(40, 20, **{"train.local_update_steps": 3})
    checker = checked(trainer)
    checked(trainer, "test", "test", checker)
    checked(trainer, "train", checker=checker)
    assert checker.findings == []


def cache_preds(ctx):
    """The FederatedScope tutorial's old style: a plain list, appended every batch."""
    if "all_preds" not in ctx:
        ctx.all_preds = []
    ctx.all_preds.append(ctx.y_prob.detach())


def test_plain_list_appended_every_batch_is_one_growth_finding_at_the_append(make_trainer):
    """One cause, one finding: the list grows (that it outlives its batch is the same bug)."""
    trainer = make_trainer(40, 0, **{"train.local_update_steps": 2})
    trainer.register_hook_in_train(cache_preds, "on_batch_end")
    checker = checked(trainer)
    assert kinds(checker) == {(FindingKind.GROWS, "all_preds")}
    [grows] = checker.findings
    assert grows.hook.name == "cache_preds" and grows.trigger == "on_batch_end"
    append_line = cache_preds.__code__.co_firstlineno + 4
    assert grows.site.endswith(f"test_lifecycle_checks.py:{append_line}")
    assert grows.length == 10 and grows.nbytes > 0 and grows.rate > 0
    assert grows.projected >= grows.nbytes
    assert "ctx.all_preds" in grows.describe() and "cache_preds" in grows.describe()
    assert "CtxVar([], Lifecycle.ROUTINE)" in grows.hint and "per batch" in grows.message


def test_growth_is_blamed_on_the_hook_that_appends_not_the_one_that_created():
    from tests.conftest import blobs, tiny_config, tiny_model
    from trainer_core.trainers.torch_trainer import TorchTrainer

    trainer = TorchTrainer(tiny_model(), {"train": blobs(40)}, config=tiny_config())

    def make_list(ctx):
        ctx.history = []

    def remember(ctx):
        ctx.history.append(ctx.loss_batch.item())

    def innocent_bystander(ctx):
        return len(ctx.history)

    trainer.register_hook_in_train(make_list, "on_fit_start")
    trainer.register_hook_in_train(remember, "on_batch_end")
    trainer.register_hook_in_train(innocent_bystander, "on_batch_end")
    checker = checked(trainer)
    assert kinds(checker) == {(FindingKind.GROWS, "history")}
    assert checker.findings[0].hook.name == "remember"
    assert checker.findings[0].trigger == "on_batch_end"


def test_running_total_that_keeps_the_graph_is_flagged(make_trainer):
    trainer = make_trainer(40, 0)

    def running_loss(ctx):
        ctx.running = CtxVar(ctx.get("running", 0) + ctx.loss_batch, Lifecycle.ROUTINE)

    trainer.register_hook_in_train(running_loss, "on_batch_end")
    checker = checked(trainer)
    assert kinds(checker) == {(FindingKind.KEEPS_GRAPH, "running")}
    assert "loss.item()" in checker.findings[0].hint


def test_plain_batch_attribute_is_flagged_once(make_trainer):
    trainer = make_trainer(40, 0, **{"train.local_update_steps": 3})

    def old_style_label(ctx):
        ctx.label = ctx.y_true

    trainer.register_hook_in_train(old_style_label, "on_batch_forward")
    checker = checked(trainer)
    assert kinds(checker) == {(FindingKind.OUTLIVES_BATCH, "label")}
    assert len(checker.findings) == 1


def test_a_plain_running_count_is_flagged_with_the_routine_lifecycle_as_the_fix(make_trainer):
    trainer = make_trainer(40, 0, **{"train.local_update_steps": 1})

    def count_steps(ctx):
        ctx.step_count = ctx.get("step_count", 0) + 1

    trainer.register_hook_in_train(count_steps, "on_batch_end")
    trainer.train()
    assert trainer.ctx.step_count == 5
    trainer.train()
    assert trainer.ctx.step_count == 10  # what the finding warns about: it carried over
    checker = checked(trainer)
    [finding] = checker.findings
    assert finding.kind is FindingKind.OUTLIVES_BATCH and finding.attribute == "step_count"
    assert "ctx.step_count = CtxVar(0, Lifecycle.ROUTINE)" in finding.hint
    assert "on_fit_start" in finding.hint and "next routine" in finding.hint


def test_big_tensor_held_across_epochs_is_flagged(make_trainer):
    trainer = make_trainer(16, 0, **{"train.local_update_steps": 2})

    def epoch_cache(ctx):
        ctx.cache = torch.zeros(300_000)

    trainer.register_hook_in_train(epoch_cache, "on_epoch_start")
    checker = checked(trainer)
    assert kinds(checker) == {(FindingKind.BIG_ACROSS_EPOCHS, "cache")}
    assert checker.findings[0].nbytes == 1_200_000
    small = checked(trainer, checker=LifecycleChecker(big_bytes=2_000_000))
    assert small.findings == []


def test_epoch_scoped_big_tensor_is_fine(make_trainer):
    trainer = make_trainer(16, 0, **{"train.local_update_steps": 2})
    trainer.register_hook_in_train(
        lambda ctx: setattr(ctx, "cache", CtxVar(torch.zeros(300_000), Lifecycle.EPOCH)),
        "on_epoch_start")
    assert checked(trainer).findings == []


def test_findings_are_plain_data():
    from tests.conftest import blobs, tiny_config, tiny_model
    from trainer_core.trainers.torch_trainer import TorchTrainer

    trainer = TorchTrainer(tiny_model(), {"train": blobs(40)}, config=tiny_config())
    trainer.register_hook_in_train(cache_preds, "on_batch_end")
    row = checked(trainer).findings[0].as_dict()
    assert row["attribute"] == "all_preds" and row["hook"] == "cache_preds"
    assert row["kind"] == "grows" and row["where"] == "ctx.all_preds"
    assert row["rate"] > 0 and row["site"].endswith(".py:" + row["site"].rsplit(":", 1)[1])


def test_a_copy_of_the_batch_that_nothing_reads_again_is_flagged(make_trainer):
    trainer = make_trainer(40, 0)

    def remember(ctx):
        ctx.last_batch = tuple(t.clone() for t in ctx.data_batch)

    trainer.register_hook_in_train(remember, "on_batch_start")
    assert kinds(checked(trainer)) == {(FindingKind.OUTLIVES_BATCH, "last_batch")}
