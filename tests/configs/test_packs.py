"""Behaviour packs do what they say: proximal pull, clipped and noised steps, personalisation."""

from __future__ import annotations

import pytest
import torch

from tests.conftest import blobs, tiny_config, tiny_model
from trainer_core.errors import ConfigError
from trainer_core.packs import ditto, dp, fedprox, install_packs
from trainer_core.trainers.multi_model import MultiModelTrainer
from trainer_core.trainers.torch_trainer import TorchTrainer


def distance_from_start(mu: float) -> float:
    trainer = TorchTrainer(tiny_model(), {"train": blobs(80, seed=1)},
                           config=tiny_config(**{"train.local_update_steps": 5,
                                                 "train.optimizer.lr": 0.5}))
    start = [p.detach().clone() for p in trainer.ctx.model.parameters()]
    fedprox.install(trainer, mu=mu)
    trainer.train()
    return sum(float(((p.detach() - s) ** 2).sum()) for p, s in
               zip(trainer.ctx.model.parameters(), start, strict=True))


def test_fedprox_keeps_weights_near_the_start():
    assert distance_from_start(1.0) < 0.5 * distance_from_start(0.0)


def test_fedprox_hooks_sit_after_the_defaults():
    trainer = TorchTrainer(tiny_model(), {"train": blobs(16)}, config=tiny_config())
    fedprox.install(trainer, mu=0.1)
    assert trainer.hooks_in_train.names("on_batch_forward") == [
        "_hook_on_batch_forward", "_hook_on_batch_forward_regularizer", "fedprox_proximal_term"]
    assert trainer.hooks_in_train.names("on_fit_start")[-1] == "fedprox_store_start_weights"


def dp_trainer(**options) -> TorchTrainer:
    trainer = TorchTrainer(tiny_model(), {"train": blobs(64, seed=1)},
                           config=tiny_config(**{"train.local_update_steps": 1,
                                                 "train.optimizer.lr": 0.0}))
    dp.install(trainer, **options)
    return trainer


def test_dp_clips_then_adds_noise_of_the_configured_scale():
    trainer = dp_trainer(clip=0.05, noise_multiplier=4.0, seed=1)
    grads = []

    def capture(ctx):
        grads.append(torch.cat([p.grad.flatten() for p in ctx.model.parameters()]))

    trainer.register_hook_in_train(capture, "on_batch_backward")
    norms = []
    trainer.register_hook_in_train(lambda ctx: norms.append(ctx.dp_grad_norm), "on_batch_end")
    trainer.train()
    noiseless = dp_trainer(clip=0.05, noise_multiplier=0.0)
    clean = []
    noiseless.register_hook_in_train(
        lambda ctx: clean.append(torch.cat([p.grad.flatten()
                                            for p in ctx.model.parameters()])),
        "on_batch_backward")
    noiseless.train()
    assert all(float(g.norm()) <= 0.05 + 1e-6 for g in clean)
    noise = torch.cat([g - c for g, c in zip(grads, clean, strict=True)])
    expected_std = 4.0 * 0.05 / 8
    assert float(noise.std()) == pytest.approx(expected_std, rel=0.15)
    assert norms and min(norms) > 0


def test_dp_replaces_the_backward_hook():
    trainer = dp_trainer()
    assert trainer.hooks_in_train.names("on_batch_backward") == ["dp_clip_and_noise"]


def ditto_gap(lam: float) -> tuple[float, float]:
    trainer = MultiModelTrainer(2, "sequential", model=tiny_model(),
                                data={"train": blobs(80, seed=1)},
                                config=tiny_config(**{"train.local_update_steps": 3,
                                                      "train.optimizer.lr": 0.3}))
    start = [p.detach().clone() for p in trainer.ctx.models[1].parameters()]
    ditto.install(trainer, lam=lam)
    trainer.train()
    glob, personal = trainer.ctx.models
    gap = sum(float(((a.detach() - b.detach()) ** 2).sum()) for a, b in
              zip(glob.parameters(), personal.parameters(), strict=True))
    moved = sum(float(((a.detach() - b) ** 2).sum()) for a, b in
                zip(personal.parameters(), start, strict=True))
    return gap, moved


def test_ditto_personal_model_differs_and_lambda_pulls_it_to_the_global_one():
    loose_gap, loose_moved = ditto_gap(0.01)
    tight_gap, _ = ditto_gap(3.0)
    assert loose_gap > 0 and loose_moved > 0
    assert tight_gap < loose_gap


def test_ditto_needs_two_models_and_pack_options_are_checked():
    trainer = TorchTrainer(tiny_model(), {"train": blobs(16)}, config=tiny_config())
    with pytest.raises(ConfigError, match="ditto needs two models"):
        ditto.install(trainer)
    with pytest.raises(ConfigError, match=r"packs\.fedprox\.mu: must be >= 0"):
        install_packs(trainer, {"fedprox": {"mu": -1}})
    with pytest.raises(ConfigError, match=r"unknown pack 'fedporx' \(did you mean 'fedprox'"):
        install_packs(trainer, {"fedporx": {}})
    with pytest.raises(ConfigError, match=r"packs\.predictions\.keep: unknown option 'keep'; "
                                          r"the predictions pack takes no options"):
        install_packs(trainer, {"predictions": {"keep": 1}})


def test_predictions_pack_gives_ported_fit_end_hooks_ys_true_and_ys_prob():
    from trainer_core.analysis.lifecycle import LifecycleChecker

    trainer = TorchTrainer(tiny_model(), {"train": blobs(40, seed=1), "test": blobs(20, seed=2)},
                           config=tiny_config())
    install_packs(trainer, {"predictions": {}})
    seen = {}

    def ported_accuracy(ctx):  # a FederatedScope-style custom metric at on_fit_end
        seen[ctx.cur_split] = (ctx.ys_true.shape, float((ctx.ys_prob.argmax(1) ==
                                                         ctx.ys_true).mean()))

    for register in (trainer.register_hook_in_train, trainer.register_hook_in_eval):
        register(ported_accuracy, "on_fit_end")
    assert trainer.hooks_in_eval.names("on_fit_end")[0] == "concat_predictions"
    assert trainer.hooks_in_train.names("on_batch_end") == ["_hook_on_batch_end",
                                                            "collect_predictions"]
    metrics = trainer.evaluate("test")
    assert seen["test"][0] == (20,)
    assert seen["test"][1] == pytest.approx(metrics["test_acc"])
    assert "ys_true" not in trainer.ctx  # released with the routine
    trainer.train()
    assert seen["train"][0] == (80,)  # 2 epochs of 40: kept for the whole routine, as in FS
    checker = LifecycleChecker()
    checker.drain(trainer.iter_routine("train"))
    assert checker.findings == []  # routine-scoped: growing during the routine is no leak
