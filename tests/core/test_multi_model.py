"""MultiModelTrainer: interleaving, per-model state, per-model hook sets, copying."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import blobs, tiny_config, tiny_model
from trainer_core.engine.context import CtxVar, Lifecycle
from trainer_core.engine.points import TRIGGER
from trainer_core.errors import ConfigError, HookscopeError
from trainer_core.trainers.multi_model import MultiModelTrainer
from trainer_core.trainers.torch_trainer import TorchTrainer


def make_multi(mode: str, n: int = 16, models: int = 2, **overrides) -> MultiModelTrainer:
    config = tiny_config(**{"train.local_update_steps": 1, **overrides})
    return MultiModelTrainer(models, mode, model=tiny_model(), data={"train": blobs(n, seed=1),
                                                                     "test": blobs(8, seed=2)},
                             config=config)


def trigger_sequence(trainer, mode="train", split="train"):
    return [(p.model_idx, p.trigger) for p in trainer.iter_routine(mode, split)
            if p.kind is TRIGGER]


def test_sequential_runs_one_model_routine_after_the_other():
    seq = trigger_sequence(make_multi("sequential", n=8))
    single = ["on_fit_start", "on_epoch_start", "on_batch_start", "on_batch_forward",
              "on_batch_backward", "on_batch_end", "on_epoch_end", "on_fit_end"]
    assert seq == [(0, t) for t in single] + [(1, t) for t in single]


def test_sequential_models_share_routine_values_until_the_last_model_ends():
    # FedEM's pattern: a routine-lifecycle accumulator created by model 0 gathers every
    # model's contribution; it is released once the routine (all models) ended.
    trainer = make_multi("sequential", models=3)
    seen = []

    def gather(ctx):
        if ctx.get("ensemble") is None:
            ctx.ensemble = CtxVar(0, Lifecycle.ROUTINE)
        ctx.ensemble += ctx.cur_model_idx + 1
        seen.append(ctx.ensemble)

    for idx in range(3):
        trainer.register_hook_in_eval(gather, "on_fit_end", idx)
    trainer.evaluate("test")
    assert seen == [1, 3, 6] and "ensemble" not in trainer.ctx


def test_evaluate_returns_only_metrics_that_routine_produced():
    trainer = make_multi("sequential")
    trainer.evaluate("test")  # leaves ctx.eval_metrics behind
    trainer.reset_hook_in_eval("on_fit_end", model_idx=1)  # model 1 no longer reports
    metrics = trainer.evaluate("test")
    assert "test_acc" in metrics and not any(k.startswith("model1_") for k in metrics)


def test_parallel_interleaves_models_at_every_trigger():
    seq = trigger_sequence(make_multi("parallel", n=8))
    assert seq[:6] == [(0, "on_fit_start"), (1, "on_fit_start"), (0, "on_epoch_start"),
                       (1, "on_epoch_start"), (0, "on_batch_start"), (1, "on_batch_start")]
    assert len(seq) == 16 and seq[-1] == (1, "on_fit_end")


def test_parallel_models_each_keep_their_own_batch_state_and_see_the_same_batches():
    trainer = make_multi("parallel", n=24)
    forward, backward, batches = [], [], []

    def after_forward(ctx):
        forward.append((ctx.cur_model_idx, ctx.cur_batch_i, ctx.loss_batch.item()))
        batches.append((ctx.cur_model_idx, ctx.data_batch[1].tolist()))

    def before_backward(ctx):
        backward.append((ctx.cur_model_idx, ctx.cur_batch_i, ctx.loss_batch.item()))
        assert ctx.model is ctx.models[ctx.cur_model_idx]

    for idx in range(2):
        trainer.register_hook_in_train(after_forward, "on_batch_forward", idx)
        trainer.register_hook_in_train(before_backward, "on_batch_backward", idx, insert_pos=0)
    trainer.train()
    assert backward == forward  # model 1's forward never overwrote model 0's loss
    model0 = [b for i, b in batches if i == 0]
    model1 = [b for i, b in batches if i == 1]
    assert model0 == model1 and len(model0) == 3


def test_identical_models_on_identical_batches_stay_identical_until_their_hooks_differ():
    trainer = make_multi("parallel", n=24)
    trainer.train()
    m0, m1 = trainer.ctx.models
    assert all(torch.equal(a, b) for a, b in zip(m0.parameters(), m1.parameters(), strict=True))

    def doubled_loss(ctx):
        ctx.loss_task = ctx.loss_task * 2

    trainer.register_hook_in_train(doubled_loss, "on_batch_forward", model_idx=1)
    assert "doubled_loss" not in trainer.hook_set("train", 0).names("on_batch_forward")
    trainer.train()
    assert not torch.equal(m0[0].weight, m1[0].weight)


def test_results_params_and_metrics_per_model():
    trainer = make_multi("sequential", n=16, models=3)
    num_samples, params, metrics = trainer.train()
    assert num_samples == 16
    assert isinstance(params, list) and len(params) == 3
    assert {"train_total", "model1_train_total", "model2_train_total"} <= set(metrics)
    evaluated = trainer.evaluate("test")
    assert evaluated["test_total"] == evaluated["model2_test_total"] == 8


def test_get_model_para_and_update_round_trip_every_model():
    trainer = make_multi("parallel", n=16, models=2)
    before = trainer.get_model_para()
    assert isinstance(before, list) and len(before) == 2
    trainer.train()
    trained = trainer.get_model_para()
    assert any(not torch.equal(trained[1][k], before[1][k]) for k in before[1])
    trainer.update(before, strict=True)
    for now, then in zip(trainer.get_model_para(), before, strict=True):
        assert all(torch.equal(now[k], then[k]) for k in then)
    single = make_multi("sequential", n=16, models=1)
    assert isinstance(single.get_model_para(), dict)  # one model: one state dict


def test_every_model_has_its_own_finetune_set():
    base = TorchTrainer(tiny_model(), {"train": blobs(16)},
                        config=tiny_config(**{"finetune": {"before_eval": True,
                                                          "local_update_steps": 1}}))
    trainer = MultiModelTrainer(2, "parallel", base_trainer=base)
    labels = [ref.label for ref in trainer.hook_sets() if ref.kind == "finetune"]
    assert labels == ["finetune[0]", "finetune[1]"]
    seen = []
    trainer.register_hook_in_ft(lambda ctx: seen.append(ctx.cur_model_idx), "on_fit_end",
                                model_idx=1)
    num_samples, params, _ = trainer.finetune()
    assert seen == [1] and num_samples == 16 and len(params) == 2
    assert len(trainer.hook_set("finetune", 0)["on_fit_end"]) == 1


def test_edits_address_one_models_hook_set():
    trainer = make_multi("sequential")
    trainer.reset_hook_in_train("on_fit_end", model_idx=1)
    trainer.move_hook_in_train("on_batch_forward", 0, 1, model_idx=0)
    assert trainer.hook_set("train", 1).names("on_fit_end") == []
    assert trainer.hook_set("train", 0).names("on_fit_end") == ["_hook_on_fit_end"]
    assert trainer.hook_set("train", 0).names("on_batch_forward")[0] == \
        "_hook_on_batch_forward_regularizer"
    assert trainer.hook_set("train", 1).names("on_batch_forward")[0] == "_hook_on_batch_forward"
    assert [ref.label for ref in trainer.hook_sets()] == ["train[0]", "train[1]",
                                                              "eval[0]", "eval[1]"]
    with pytest.raises(HookscopeError, match=r"model_idx 2 is out of range.*0\.\.1"):
        trainer.hook_set("train", 2)


def test_copying_a_trainer_keeps_its_hooks_and_stays_independent():
    base = TorchTrainer(tiny_model(), {"train": blobs(16)}, config=tiny_config())

    class Counter:
        calls = 0

        def count(self, ctx):
            Counter.calls += 1

    counter = Counter()
    base.register_hook_in_train(counter.count, "on_batch_end")
    multi = MultiModelTrainer(2, "parallel", base_trainer=base)
    for idx in range(2):
        assert multi.hook_set("train", idx).names("on_batch_end") == ["_hook_on_batch_end",
                                                                      "count"]
    multi.reset_hook_in_train("on_batch_end", "count", model_idx=0)
    assert base.hooks_in_train.names("on_batch_end") == ["_hook_on_batch_end", "count"]
    multi.train()
    assert Counter.calls == 4  # model 1 only: 2 batches x 2 epochs
    assert multi.ctx.models[0] is not base.ctx.model


def test_bound_method_hooks_of_the_base_are_rebound_to_the_copy():
    class MyTrainer(TorchTrainer):
        def _hook_on_fit_end(self, ctx):
            ctx.eval_metrics = {"owner": type(self).__name__, "trainer_id": id(self)}

    base = MyTrainer(tiny_model(), {"train": blobs(16)}, config=tiny_config())
    multi = MultiModelTrainer(2, base_trainer=base)
    assert multi.train()[2]["trainer_id"] == id(multi)


def test_save_and_load_every_model(tmp_path):
    trainer = make_multi("parallel")
    trainer.register_hook_in_train(lambda ctx: setattr(ctx, "loss_task", ctx.loss_task * 3),
                                   "on_batch_forward", model_idx=1)
    trainer.train()
    path = trainer.save_model(tmp_path / "multi.pt", cur_round=2)
    fresh = make_multi("parallel")
    assert fresh.load_model(path) == 2
    for a, b in zip(fresh.ctx.models, trainer.ctx.models, strict=True):
        assert torch.equal(a[0].weight, b[0].weight)
    fresh.update([m.state_dict() for m in reversed(trainer.ctx.models)])
    assert torch.equal(fresh.ctx.models[0][0].weight, trainer.ctx.models[1][0].weight)


@pytest.mark.parametrize(("args", "match"), [
    ((0, "sequential"), "model_nums must be an integer >= 1"),
    ((2, "together"), "models_interact_mode must be 'sequential' or 'parallel'"),
])
def test_invalid_construction(args, match):
    with pytest.raises(ConfigError, match=match):
        MultiModelTrainer(*args, model=tiny_model(), data={"train": blobs(8)})
