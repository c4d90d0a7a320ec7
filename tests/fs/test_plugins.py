"""FederatedScope-style plug-ins (tests/fs/plugins.py) on GeneralTorchTrainer: epochs,
batches, samples, which parameters changed and the metrics, each against FederatedScope's
rule, stated in the test. The data: 40 training samples in 5 batches of 8, 20 test samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import blobs, tiny_model
from trainer_core.engine.points import TRIGGER
from trainer_core.fs import GeneralTorchTrainer, ProximalRegularizer

from . import plugins
from .conftest import fs_cfg, fs_data


def params(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def changed(before, after) -> set[str]:
    return {k for k in before if not torch.equal(before[k], after[k])}


def epochs_run(trainer, mode="train") -> int:
    return sum(1 for p in trainer.iter_routine(mode) if p.kind is TRIGGER
               and p.trigger == "on_epoch_start")


def test_ditto_like_adds_the_personal_epoch_and_trains_the_personal_model_first():
    # FS rule (epoch mode): num_train_epoch += personal epochs (2 + 1 = 3); the local model
    # trains while cur_epoch_i < 1, the global model after; the reported samples leave the
    # local model's out (3 * 40 - 40 = 80).
    client_model = tiny_model()
    original = params(client_model)
    trainer = plugins.wrap_ditto_like(GeneralTorchTrainer(
        client_model, fs_data(), "cpu", fs_cfg(**{"personalization.local_update_steps": 1})))
    ctx = trainer.ctx
    local_before, global_before = params(ctx.local_model), params(ctx.global_model)
    used = []
    trainer.register_hook_in_train(lambda c: used.append(c.model is c.local_model),
                                   "on_batch_forward")
    num_samples, _, metrics = trainer.train()
    assert used == [True] * 5 + [False] * 10
    assert num_samples == 80 and metrics["train_total"] == 80
    assert metrics["train_total_local_model"] == 40
    assert changed(local_before, params(ctx.local_model)) == set(local_before)
    assert changed(global_before, params(ctx.global_model)) == set(global_before)
    assert changed(original, params(client_model)) == set()  # Ditto trains copies
    # evaluation runs the personal model, then puts the global one back
    x, y = blobs(20, seed=2)["x"], blobs(20, seed=2)["y"]
    with torch.no_grad():
        acc = float((ctx.local_model(x).argmax(dim=1) == y).float().mean())
    assert trainer.evaluate("test")["test_acc"] == pytest.approx(acc)
    assert ctx.model is ctx.global_model


def test_pfedme_like_replaces_a_whole_trigger_and_reuses_each_batch_k_times():
    # FS rule: num_train_epoch *= K (1 * 2 = 2 epochs, 10 steps); the replaced trigger's old
    # hooks fetch a batch only every K-th step (a counter not reset per epoch): 5 fetches,
    # and steps 2i and 2i+1 see the same batch.
    trainer = plugins.wrap_pfedme_like(GeneralTorchTrainer(
        tiny_model(), fs_data(), "cpu", fs_cfg(**{"train.local_update_steps": 1,
                                                  "personalization.K": 2})))
    assert trainer.reset_index is None  # FederatedScope's replace returns nothing
    assert trainer.hooks_in_train.names("on_batch_start") == [
        "_hook_on_batch_start_reuse_batch"]
    assert [h.__name__ for h in trainer.ctx.original_hook_on_batch_start_train] == [
        "_hook_on_batch_start_init"]
    labels = []
    trainer.register_hook_in_train(lambda c: labels.append(c.data_batch[1].tolist()),
                                   "on_batch_forward")
    num_samples, _, _ = trainer.train()
    assert (num_samples, len(labels), trainer.ctx.pfedme_fetches) == (80, 10, 5)
    assert all(labels[i] == labels[i + 1] for i in range(0, 10, 2))


def test_fedrep_like_trains_the_head_first_then_the_body():
    # FS rule: num_train_epoch = epoch_feature + epoch_linear (1 + 2 = 3), set again at every
    # fit start; epochs 0-1 train the head ("2.*"), epoch 2 the body ("0.*").
    trainer = plugins.wrap_fedrep_like(GeneralTorchTrainer(
        tiny_model(), fs_data(), "cpu", fs_cfg(**{"personalization.local_param": ["2"]})))
    snapshots = [params(trainer.ctx.model)]
    trainer.register_hook_in_train(lambda c: snapshots.append(params(c.model)),
                                   "on_epoch_end")
    num_samples, shared, _ = trainer.train()
    head, body = {"2.weight", "2.bias"}, {"0.weight", "0.bias"}
    assert num_samples == 120 and len(snapshots) == 4
    assert changed(snapshots[0], snapshots[1]) == head
    assert changed(snapshots[1], snapshots[2]) == head
    assert changed(snapshots[2], snapshots[3]) == body
    assert set(shared) == body  # the head is personal: not uploaded
    trainer.ctx.num_train_epoch = 7  # the plug-in sets it again at fit start
    assert epochs_run(trainer) == 3


def test_nbafl_like_edits_a_defrosted_config_and_adds_the_proximal_term_and_noise():
    # FS rule: regularizer.mu = nbafl.mu, loss += mu * ||w - w_init||^2 / 2 (0 at the first
    # batch, > 0 after); noise of scale w_clip * rounds * constant / n / epsilon =
    # 1 * 50 * 30 / 40 / 100 = 0.375 added to the upload.
    trainer = plugins.wrap_nbafl_like(GeneralTorchTrainer(
        tiny_model(), fs_data(), "cpu", fs_cfg(**{"nbafl.mu": 0.5})))
    cfg = trainer.cfg
    assert cfg.is_frozen() and (cfg.regularizer.type, cfg.regularizer.mu) == (
        "proximal_regularizer", 0.5)
    with pytest.raises(AttributeError, match="immutable"):
        cfg.regularizer.mu = 1.0
    assert isinstance(trainer.ctx.regularizer, ProximalRegularizer)
    assert trainer.ctx.nbafl_scale_u == pytest.approx(0.375)
    penalties, before_noise = [], {}
    trainer.register_hook_in_train(lambda c: penalties.append(float(c.loss_regular.detach())),
                                   "on_batch_forward", insert_mode="after",
                                   base_hook="_hook_on_batch_forward_regularizer")
    trainer.register_hook_in_train(lambda c: before_noise.update(params(c.model)),
                                   "on_fit_end", base_hook="_hook_inject_noise_in_upload")
    trainer.train()
    assert penalties[0] == 0.0 and all(p > 0 for p in penalties[1:])
    noise = torch.cat([(params(trainer.ctx.model)[k] - before_noise[k]).flatten()
                       for k in before_noise])
    assert 0.25 < float(noise.std()) < 0.5
    assert trainer.ctx.weight_init is None


def test_simple_tuning_like_sets_the_finetune_epochs_and_training_keeps_its_own():
    # FS reads num_train_epoch in every training mode; the plug-in sets it to
    # finetune.epoch_linear (3) at the finetune routine's fit start; training keeps 2.
    trainer = plugins.wrap_simple_tuning_like(GeneralTorchTrainer(
        tiny_model(), fs_data(), "cpu", fs_cfg(**{"finetune.before_eval": True,
                                                  "finetune.epoch_linear": 3})))
    assert trainer.finetune()[0] == 120
    assert trainer.ctx.num_train_epoch == 2 and trainer.train()[0] == 80


def test_fedem_like_shares_model_0s_hooks_evaluates_inside_fit_start_and_ensembles():
    base = GeneralTorchTrainer(tiny_model(), fs_data(), "cpu", fs_cfg())
    base_before = params(base.ctx.model)
    trainer = plugins.FedEMLikeTrainer(2, base_trainer=base)
    train_sets, eval_sets = (trainer.hooks_in_train_multiple_models,
                             trainer.hooks_in_eval_multiple_models)
    assert train_sets[1] is train_sets[0] and eval_sets[1] is eval_sets[0]
    for idx in range(2):
        assert trainer.hook_set("train", idx).names("on_fit_start")[0] == \
            "_hook_on_fit_start_mixture_weights_update"
        assert trainer.hook_set("eval", idx).names("on_fit_end") == [
            "_hook_on_fit_end_ensemble_eval"]
    models_before = [params(m) for m in trainer.ctx.models]
    num_samples, shared, _ = trainer.train()
    # FS rule: the E-step evaluates once per train() (model 0's fit start), every model
    assert trainer.ctx.nested_evaluations == 1
    assert bool((trainer.ctx.all_losses_model_batch > 0).all())
    assert num_samples == 80.0 and len(shared) == 2  # mean over models; one dict each
    for before, model in zip(models_before, trainer.ctx.models, strict=True):
        assert changed(before, params(model)) == set(before)
    assert changed(base_before, params(base.ctx.model)) == set()
    # the ensemble: sum of w_i * outputs_i over the models, judged on the test split
    weights = trainer.weights_internal_models
    x, y = blobs(20, seed=2)["x"], blobs(20, seed=2)["y"]
    with torch.no_grad():
        mix = sum(w.item() * m(x).numpy() for w, m in zip(weights, trainer.ctx.models,
                                                          strict=True))
    metrics = trainer.evaluate("test")
    assert metrics["test_acc"] == pytest.approx(float(np.mean(mix.argmax(axis=1) ==
                                                              y.numpy())))
    assert metrics["test_total"] == 20


def test_a_plugin_registered_on_the_base_trainer_survives_the_multi_model_copy():
    base = plugins.wrap_nbafl_like(GeneralTorchTrainer(tiny_model(), fs_data(), "cpu",
                                                       fs_cfg(**{"nbafl.mu": 0.5})))
    trainer = plugins.FedEMLikeTrainer(2, base_trainer=base)
    assert "_hook_inject_noise_in_upload" in trainer.hook_set("train", 1).names("on_fit_end")
    assert trainer.ctx.nbafl_scale_u == base.ctx.nbafl_scale_u  # copied with the ctx
    assert trainer.cfg is not base.cfg and trainer.cfg.regularizer.mu == 0.5
    assert trainer.ctx.monitor is base.ctx.monitor  # counts reach the client's monitor
    trainer.train()
    assert trainer.ctx.weight_init is None


def test_a_multi_model_override_that_forgets_the_other_models_is_told_so():
    class Forgetful(plugins.FedEMLikeTrainer):
        def register_multiple_model_hooks(self):
            pass

    with pytest.raises(Exception, match=r"left 1 train hook set\(s\) for 2 models"):
        Forgetful(2, base_trainer=GeneralTorchTrainer(tiny_model(), fs_data(), "cpu",
                                                      fs_cfg()))


@pytest.mark.parametrize("source", [Path(plugins.__file__), plugins.DITTO],
                         ids=["plugins", "fs_ditto"])
def test_ported_plugins_import_only_from_trainer_core_fs(source):
    lines = source.read_text(encoding="utf-8").splitlines()
    imports = [line for line in lines if line.startswith(("from trainer_core",
                                                           "import trainer_core"))]
    assert imports and all(line.startswith("from trainer_core.fs import") for line in imports)


@pytest.mark.parametrize("build", [
    lambda: GeneralTorchTrainer(tiny_model(), fs_data(), "cpu", fs_cfg()),
    lambda: plugins.wrap_ditto_like(GeneralTorchTrainer(tiny_model(), fs_data(), "cpu",
                                                        fs_cfg())),
    lambda: plugins.wrap_pfedme_like(GeneralTorchTrainer(tiny_model(), fs_data(), "cpu",
                                                         fs_cfg())),
    lambda: plugins.wrap_fedrep_like(GeneralTorchTrainer(
        tiny_model(), fs_data(), "cpu", fs_cfg(**{"personalization.local_param": ["2"]}))),
    lambda: plugins.wrap_nbafl_like(GeneralTorchTrainer(tiny_model(), fs_data(), "cpu",
                                                        fs_cfg(**{"nbafl.mu": 0.5}))),
    lambda: plugins.FedEMLikeTrainer(2, base_trainer=GeneralTorchTrainer(
        tiny_model(), fs_data(), "cpu", fs_cfg())),
], ids=["default", "ditto", "pfedme", "fedrep", "nbafl", "fedem"])
def test_the_debugger_raises_no_false_alarm_on_federatedscopes_patterns(build):
    from app.session import DebugSession
    from trainer_core.engine.edits import Insert

    session = DebugSession(build())
    for mode, split in (("train", "train"), ("test", "test")) * 3:  # three rounds
        session.start(mode, split)
        session.run_to_end()
        assert session.state == "finished"
    session.checker.finish(session.ctx)
    assert session.findings == []

    def no_op(ctx):
        pass

    hookset = session.hookset("train")
    for trigger in hookset:
        for position in range(len(hookset[trigger]) + 1):
            assert session.preview(Insert(trigger, no_op, position)) == []
