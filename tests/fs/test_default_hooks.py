"""GeneralTorchTrainer: FederatedScope's default pipeline, its hook-set semantics, its
counts, filters and monitor, each checked against FederatedScope's rule."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from tests.conftest import tiny_model
from trainer_core.errors import DataSplitError
from trainer_core.fs import GeneralTorchTrainer, Monitor

from .conftest import fs_cfg, fs_data

FS_TRAIN = {
    "on_fit_start": ["_hook_on_data_parallel_init", "_hook_on_fit_start_init",
                     "_hook_on_fit_start_calculate_model_size"],
    "on_epoch_start": ["_hook_on_epoch_start"],
    "on_batch_start": ["_hook_on_batch_start_init"],
    "on_batch_forward": ["_hook_on_batch_forward", "_hook_on_batch_forward_regularizer",
                         "_hook_on_batch_forward_flop_count"],
    "on_batch_backward": ["_hook_on_batch_backward"],
    "on_batch_end": ["_hook_on_batch_end"],
    "on_epoch_end": [],
    "on_fit_end": ["_hook_on_fit_end"],
}


def test_the_default_pipelines_are_federatedscopes(make_fs):
    trainer = make_fs()
    assert {t: trainer.hooks_in_train.names(t) for t in FS_TRAIN} == FS_TRAIN
    # evaluation: no model size, regularizer, flop count or backward
    assert trainer.hooks_in_eval.names("on_fit_start") == ["_hook_on_data_parallel_init",
                                                           "_hook_on_fit_start_init"]
    assert trainer.hooks_in_eval.names("on_batch_forward") == ["_hook_on_batch_forward"]
    assert trainer.hooks_in_eval.names("on_batch_backward") == []


def test_ys_lists_grow_per_batch_and_become_arrays_at_fit_end(make_fs):
    # FS rule: ys_true/ys_prob are routine lists, one array appended per batch, concatenated
    # by _hook_on_fit_end; the metrics come from them (2 epochs x 5 batches, 80 samples).
    trainer = make_fs()
    lengths, final = [], {}

    def after_batch_end(ctx):
        lengths.append(len(ctx.ys_prob))

    def after_fit_end(ctx):
        final.update(true=ctx.ys_true, prob=ctx.ys_prob, metrics=dict(ctx.eval_metrics))

    trainer.register_hook_in_train(after_batch_end, "on_batch_end",
                                   base_hook="_hook_on_batch_end", insert_mode="after")
    trainer.register_hook_in_train(after_fit_end, "on_fit_end")
    num_samples, _, metrics = trainer.train()
    assert lengths == list(range(1, 11))
    assert final["prob"].shape == (80, 3) and final["true"].shape == (80,)
    acc = float(np.mean(final["prob"].argmax(axis=1) == final["true"]))
    assert num_samples == 80 and metrics["train_total"] == 80
    assert metrics["train_acc"] == pytest.approx(acc)
    assert metrics["train_avg_loss"] == pytest.approx(metrics["train_loss"] / 80)
    assert list(metrics) == ["train_loss", "train_avg_loss", "train_total", "train_acc"]


@pytest.mark.parametrize(("steps", "batches"), [(1, 1), (3, 3), (7, 7), (10, 10)])
def test_batch_mode_counts_as_calculate_batch_epoch_num(steps, batches):
    # FS rule: per epoch min(5, steps) batches, ceil(steps / that) epochs, the last epoch
    # stopping after steps % per_epoch (or a full one): `steps` batches in all.
    trainer = GeneralTorchTrainer(tiny_model(), fs_data(), "cpu",
                                  fs_cfg(**{"train.batch_or_epoch": "batch",
                                            "train.local_update_steps": steps}))
    assert trainer.train()[0] == 8 * batches
    assert trainer.ctx.num_total_train_batch == steps


def test_reset_and_replace_keep_federatedscopes_semantics(make_fs, caplog):
    trainer = make_fs()
    forward = "on_batch_forward"
    assert trainer.reset_hook_in_train(forward, "_hook_on_batch_forward_regularizer") == 1
    assert trainer.hooks_in_train.names(forward) == ["_hook_on_batch_forward",
                                                     "_hook_on_batch_forward_flop_count"]
    with caplog.at_level(logging.WARNING, logger="trainer_core.fs"):
        assert trainer.reset_hook_in_train(forward, "no_such_hook") is None
    assert "can't find the target hook named no_such_hook" in caplog.text
    assert len(trainer.hooks_in_train[forward]) == 2

    def new_forward(ctx):
        pass

    trainer.replace_hook_in_train(new_forward, forward, "_hook_on_batch_forward")
    assert trainer.hooks_in_train.names(forward)[0] == "new_forward"  # same index
    assert trainer.reset_hook_in_train("on_epoch_end") == -1
    trainer.replace_hook_in_train(new_forward, "on_fit_end", None)  # the whole trigger
    assert trainer.hooks_in_train.names("on_fit_end") == ["new_forward"]


def test_before_inserts_immediately_before_the_base_hook(make_fs):
    trainer = make_fs()

    def mine(ctx):
        pass

    trainer.register_hook_in_train(mine, "on_batch_forward",
                                   base_hook="_hook_on_batch_forward_flop_count")
    assert trainer.hooks_in_train.names("on_batch_forward")[1:3] == [
        "_hook_on_batch_forward_regularizer", "mine"]


def test_the_upload_leaves_out_local_and_non_trainable_parameters():
    model = tiny_model()
    model[0].bias.requires_grad = False
    trainer = GeneralTorchTrainer(model, fs_data(), "cpu",
                                  fs_cfg(**{"personalization.local_param": ["2"]}))
    assert set(trainer.get_model_para()) == {"0.weight"}
    trainer.cfg.personalization.share_non_trainable_para = True
    assert set(trainer.get_model_para()) == {"0.weight", "0.bias"}
    trainer.cfg.federate.method = "local"
    assert trainer.get_model_para() == {}


def test_update_merges_only_the_shared_parameters():
    trainer = GeneralTorchTrainer(tiny_model(), fs_data(), "cpu",
                                  fs_cfg(**{"personalization.local_param": ["2"]}))
    before = {k: v.clone() for k, v in trainer.ctx.model.state_dict().items()}
    received = {k: np.zeros(tuple(v.shape), dtype=np.float32) for k, v in before.items()}
    trainer.update(received)
    after = trainer.ctx.model.state_dict()
    assert torch.count_nonzero(after["0.weight"]) == 0  # shared: replaced (given as numpy)
    assert torch.equal(after["2.weight"], before["2.weight"])  # local: kept


def test_a_missing_split_evaluates_to_nothing_but_cannot_train(make_fs, caplog):
    trainer = make_fs()
    with caplog.at_level(logging.WARNING, logger="trainer_core.fs"):
        assert trainer.evaluate("val") == {}
    assert "No val_data or val_loader" in caplog.text
    with pytest.raises(DataSplitError, match="no data for split 'val'"):
        trainer.train("val")


def test_the_monitor_counts_model_size_and_flops():
    # 4->8->3 MLP: 67 parameters; 2*(4*8 + 8*3) = 112 flops per sample; 80 samples trained
    monitor = Monitor(None)
    trainer = GeneralTorchTrainer(tiny_model(), fs_data(), "cpu",
                                  fs_cfg(**{"eval.count_flops": True}), monitor=monitor)
    trainer.train()
    assert trainer.ctx.monitor is monitor
    assert monitor.total_model_size == 67
    assert monitor.flops_per_sample == 112 and monitor.total_flops == 112 * 80


def test_without_a_regularizer_the_penalty_is_zero(make_fs):
    trainer = make_fs()
    seen = []
    trainer.register_hook_in_train(lambda ctx: seen.append(ctx.loss_regular),
                                   "on_batch_forward")
    trainer.train()
    assert set(seen) == {0.0} and len(seen) == 10


@pytest.mark.parametrize("mode", ["sequential", "parallel"])
def test_a_multi_model_trainer_built_from_model_and_data_trains_every_model(mode):
    # FS's own constructor failed on this path (no monitor); FS's parallel mode lost every
    # hook. Here both train each model: 2 epochs x 40 samples, the same batches per model.
    from trainer_core.fs import GeneralMultiModelTrainer

    trainer = GeneralMultiModelTrainer(2, mode, tiny_model(), fs_data(), "cpu", fs_cfg())
    batches = {0: [], 1: []}
    trainer.register_hook_in_train(
        lambda ctx: batches[ctx.cur_model_idx].append(ctx.data_batch[1].tolist()),
        "on_batch_forward", 0)
    before = [{k: v.clone() for k, v in m.state_dict().items()} for m in trainer.ctx.models]
    num_samples, params, _ = trainer.train()
    assert num_samples == 80.0 and len(params) == 2
    assert batches[0] == batches[1] and len(batches[0]) == 10
    for old, model in zip(before, trainer.ctx.models, strict=True):
        assert all(not torch.equal(old[k], v) for k, v in model.state_dict().items())
