"""TorchTrainer: data parsing, config, metrics, real learning, parameters and model files."""

from __future__ import annotations

import pytest
import torch
from sklearn.datasets import load_digits
from torch.utils.data import DataLoader, Dataset, TensorDataset

from tests.conftest import blobs, tiny_config, tiny_model
from trainer_core.errors import CheckpointError, ConfigError, DataSplitError, HookscopeError
from trainer_core.trainers.settings import TrainerConfig
from trainer_core.trainers.torch_trainer import TorchTrainer


class PlainDataset(Dataset):
    """A map-style Dataset that is not a TensorDataset (FederatedScope crashed on these)."""

    def __init__(self, data):
        self.x, self.y = data["x"], data["y"]

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def split_as(kind: str, data: dict):
    if kind == "dict":
        return data
    if kind == "tensor_dataset":
        return TensorDataset(data["x"], data["y"])
    if kind == "dataset":
        return PlainDataset(data)
    return DataLoader(TensorDataset(data["x"], data["y"]), batch_size=8, shuffle=True)


@pytest.mark.parametrize("kind", ["dict", "tensor_dataset", "dataset", "loader"])
def test_every_split_type_trains_and_evaluates(kind):
    data = {"train": split_as(kind, blobs(40, seed=1)), "test": split_as(kind, blobs(20, seed=2))}
    trainer = TorchTrainer(tiny_model(), data, config=tiny_config())
    num_samples, params, metrics = trainer.train()
    assert num_samples == 80 and metrics["train_total"] == 80
    assert set(params) == set(trainer.ctx.model.state_dict())
    result = trainer.evaluate("test")
    assert set(result) == {"test_loss", "test_total", "test_avg_loss", "test_acc"}
    assert result["test_total"] == 20
    assert result["test_avg_loss"] == pytest.approx(result["test_loss"] / 20)


@pytest.mark.parametrize(("data", "match"), [
    ({"train": [1, 2, 3]}, r"split 'train' has unsupported type list"),
    ({"train": "file.csv"}, r"split 'train' has unsupported type str"),
    ({"trian": blobs(8)}, r"data has key 'trian' \(did you mean 'train'\?\)"),
    ({"train": {"x": torch.zeros(3, 4)}}, r"split 'train' is a dict without key\(s\) y"),
    ([blobs(8)], r"data must be a dict of splits"),
])
def test_unsupported_data_raises_type_error_naming_the_split(data, match):
    with pytest.raises(TypeError, match=match) as info:
        TorchTrainer(tiny_model(), data)
    assert isinstance(info.value, DataSplitError)


def test_missing_split_rules(make_trainer):
    trainer = make_trainer(16, 0)
    assert trainer.evaluate("val") == {}  # FederatedScope's behaviour for absent splits
    with pytest.raises(DataSplitError, match=r"no data for split 'val'; this trainer has: train"):
        trainer.train("val")


def test_config_accepts_nested_dotted_and_typed_forms():
    nested = TrainerConfig.coerce({"train": {"local_update_steps": 3,
                                             "optimizer": {"type": "Adam", "lr": 0.01,
                                                           "weight_decay": 0.1}}})
    dotted = TrainerConfig.coerce({"train.local_update_steps": 3, "train.optimizer.type": "Adam",
                                   "train.optimizer.lr": 0.01,
                                   "train.optimizer.weight_decay": 0.1})
    assert nested == dotted
    assert nested.train.optimizer.kwargs == {"weight_decay": 0.1}
    assert TrainerConfig.coerce(nested) is nested


@pytest.mark.parametrize(("config", "match"), [
    ({"train": {"local_update_step": 2}}, r"train\.local_update_step: unknown key "
                                          r"'local_update_step' \(did you mean "
                                          r"'local_update_steps'\?\)"),
    ({"grad.grad_clip": "big"}, r"grad\.grad_clip: must be a number, got str 'big'"),
    ({"dataloader.batch_size": 2.5}, r"dataloader\.batch_size: must be an integer"),
    ({"eval.metrics": ["acc", 3]}, r"eval\.metrics\[1\]: must be a string, got int 3"),
    ({"train.optimizer.type": "SGDD"}, r"unknown optimizer 'SGDD' \(did you mean 'SGD'\?\)"),
    ({"train.optimizer.momentun": 0.9}, r"SGD rejects its settings"),
    ({"criterion.type": "CrossEntropy"}, r"unknown criterion 'CrossEntropy'"),
    ({"eval.metrics": ["accuracy"]}, r"unknown metric 'accuracy'"),
    ({"train.batch_or_epoch": "step"}, r"batch_or_epoch must be 'epoch' or 'batch'"),
    ({"regularizer.type": "l3"}, r"unknown regularizer 'l3'"),
    ({"train.scheduler.type": "StepLr"}, r"unknown scheduler 'StepLr' \(did you mean 'StepLR'"),
    ({"train.scheduler.type": "StepLR"}, r"StepLR rejects its settings"),  # no step_size
    ({"train.scheduler.type": "ReduceLROnPlateau"}, r"steps on a metric"),
])
def test_bad_config_raises_config_error_with_key_path(config, match):
    with pytest.raises((ConfigError, Exception), match=match):
        TorchTrainer(tiny_model(), {"train": blobs(16)}, config=config)


def test_training_on_real_data_lowers_the_loss_and_reaches_good_accuracy():
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float32) / 16
    y = torch.tensor(y)
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(y), generator=gen)
    train, test = order[:1400], order[1400:]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    trainer = TorchTrainer(model, {"train": {"x": x[train], "y": y[train]},
                                   "test": {"x": x[test], "y": y[test]}},
                           config={"train.local_update_steps": 1, "dataloader.batch_size": 32,
                                   "train.optimizer": {"type": "SGD", "lr": 0.1,
                                                       "momentum": 0.9}})
    before = trainer.evaluate("test")
    epoch_losses = [trainer.train()[2]["train_avg_loss"] for _ in range(6)]
    after = trainer.evaluate("test")
    assert epoch_losses == sorted(epoch_losses, reverse=True)
    assert after["test_avg_loss"] < before["test_avg_loss"] / 4
    assert after["test_acc"] > 0.93 and before["test_acc"] < 0.3


def test_scheduler_steps_after_every_optimizer_step_and_restarts_with_each_routine(
        make_trainer):
    trainer = make_trainer(40, 0, **{"train.optimizer.lr": 1.0, "dataloader.batch_size": 8,
                                     "train.local_update_steps": 1,
                                     "train.scheduler": {"type": "StepLR", "step_size": 2,
                                                         "gamma": 0.5}})
    seen = []

    def record_lr(ctx):
        seen.append(ctx.optimizer.param_groups[0]["lr"])

    trainer.register_hook_in_train(record_lr, "on_batch_start")
    trainer.train()  # 5 batches: lr halves after every second optimizer step
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert "scheduler" not in trainer.ctx  # routine-scoped, like the optimizer
    seen.clear()
    trainer.train()
    assert seen[:2] == [1.0, 1.0]


def test_without_a_scheduler_the_learning_rate_stays(make_trainer):
    trainer = make_trainer(40, 0, **{"train.optimizer.lr": 0.3, "dataloader.batch_size": 8,
                                     "train.local_update_steps": 1})
    lrs = []
    trainer.register_hook_in_train(lambda ctx: lrs.append(ctx.optimizer.param_groups[0]["lr"]),
                                   "on_batch_end")
    trainer.train()
    assert lrs == [0.3] * 5


def test_grad_clip_bounds_the_gradient_norm(make_trainer):
    trainer = make_trainer(40, 0, **{"grad.grad_clip": 0.01, "train.optimizer.lr": 1.0})
    norms = []

    def measure(ctx):
        grads = [p.grad.norm() for p in ctx.model.parameters() if p.grad is not None]
        norms.append(float(torch.stack(grads).norm()))

    trainer.register_hook_in_train(measure, "on_batch_backward")
    trainer.train()
    assert norms and max(norms) <= 0.01 + 1e-6


def test_l2_regularizer_adds_to_the_task_loss(make_trainer):
    trainer = make_trainer(16, 0, **{"regularizer.type": "l2", "regularizer.mu": 0.5})
    gaps = []
    trainer.register_hook_in_train(
        lambda ctx: gaps.append(float((ctx.loss_task - ctx.loss_batch).detach())),
        "on_batch_backward", insert_pos=0)
    trainer.train()
    assert gaps and min(gaps) > 0


def test_evaluation_runs_without_gradients(make_trainer):
    trainer = make_trainer(16, 16)
    seen = []
    probe = lambda ctx: seen.append((ctx.cur_mode, ctx.y_prob.requires_grad))  # noqa: E731
    trainer.register_hook_in_train(probe, "on_batch_end")
    trainer.register_hook_in_eval(probe, "on_batch_end")
    trainer.train()
    trainer.evaluate("test")
    assert {("train", True), ("test", False)} == set(seen)
    assert torch.is_grad_enabled()


def test_regression_with_mse(make_trainer):
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1
    trainer = TorchTrainer(torch.nn.Linear(3, 1), {"train": {"x": x, "y": y.unsqueeze(1)}},
                           config={"criterion.type": "MSELoss", "eval.metrics": ["mse", "mae"],
                                   "train.local_update_steps": 30,
                                   "train.optimizer.lr": 0.1, "dataloader.batch_size": 16})
    first = trainer.evaluate("train")
    trainer.train()
    after = trainer.evaluate("train")
    assert after["train_mse"] < first["train_mse"] / 20
    assert after["train_mae"] < first["train_mae"] / 4
    with torch.no_grad():
        direct = float(((trainer.ctx.model(x).squeeze(1) - y) ** 2).mean())
    assert after["train_mse"] == pytest.approx(direct, rel=1e-4)


# -- parameters and files ---------------------------------------------------------------------
def test_get_model_para_is_a_copy_and_update_loads(make_trainer):
    trainer, other = make_trainer(16, 0), make_trainer(16, 0, model=tiny_model(seed=5))
    params = trainer.get_model_para()
    params["0.weight"].zero_()
    assert trainer.ctx.model[0].weight.abs().sum() > 0
    other.update(trainer.get_model_para(), strict=True)
    assert torch.equal(other.ctx.model[0].weight, trainer.ctx.model[0].weight)


def test_update_with_bad_shapes_leaves_the_model_untouched(make_trainer):
    trainer = make_trainer(16, 0)
    before = trainer.get_model_para()
    bad = dict(before)
    bad["0.bias"] = torch.ones(8)
    bad["2.weight"] = torch.ones(2, 2)
    with pytest.raises(CheckpointError, match=r"'2\.weight' has shape \[2, 2\]"):
        trainer.update(bad)
    with pytest.raises(CheckpointError, match="unexpected key 'extra'"):
        trainer.update({**before, "extra": torch.ones(1)}, strict=True)
    assert all(torch.equal(v, trainer.ctx.model.state_dict()[k]) for k, v in before.items())


def test_save_and_load_round_trip(tmp_path, make_trainer):
    trainer = make_trainer(16, 0)
    trainer.train()
    path = trainer.save_model(tmp_path / "sub" / "model.pt", cur_round=7)
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]  # no temp files left
    fresh = make_trainer(16, 0, model=tiny_model(seed=9))
    assert fresh.load_model(path) == 7
    assert all(torch.equal(a, b) for a, b in zip(fresh.ctx.model.state_dict().values(),
                                                 trainer.ctx.model.state_dict().values(),
                                                 strict=True))


@pytest.mark.parametrize(("content", "match"), [
    (b"not a torch file", "not a readable model file"),
    (None, "does not exist"),
])
def test_bad_model_file_gives_clear_error_and_leaves_model(tmp_path, make_trainer, content,
                                                         match):
    trainer = make_trainer(16, 0)
    before = trainer.get_model_para()
    path = tmp_path / "bad.pt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        trainer.load_model(path)
    assert all(torch.equal(v, trainer.ctx.model.state_dict()[k]) for k, v in before.items())


def test_model_file_of_another_architecture_is_refused(tmp_path, make_trainer):
    big = TorchTrainer(tiny_model(features=5), {"train": blobs(8, features=5)})
    path = big.save_model(tmp_path / "m.pt")
    trainer = make_trainer(16, 0)
    before = trainer.get_model_para()
    with pytest.raises(CheckpointError, match=r"do not fit the model: '0\.weight' has shape"):
        trainer.load_model(path)
    assert torch.equal(before["0.weight"], trainer.ctx.model[0].weight)


def test_hooks_are_independent_between_train_and_eval(make_trainer):
    trainer = make_trainer(16, 16)
    trainer.register_hook_in_train(lambda ctx: None, "on_fit_end")
    trainer.reset_hook_in_eval("on_batch_end")
    assert len(trainer.hooks_in_train["on_fit_end"]) == 2
    assert len(trainer.hooks_in_eval["on_fit_end"]) == 1
    assert trainer.hooks_in_train.names("on_batch_end") == ["_hook_on_batch_end"]
    assert trainer.hooks_in_eval.names("on_batch_forward") == ["_hook_on_batch_forward"]


def test_only_for_eval_registers_no_training_hooks():
    trainer = TorchTrainer(tiny_model(), {"test": blobs(8)}, only_for_eval=True)
    assert all(not hooks for hooks in trainer.hooks_in_train.values())
    assert trainer.evaluate("test")["test_total"] == 8


def test_running_metrics_equal_a_direct_computation_in_constant_memory():
    data = blobs(50, seed=3)
    trainer = TorchTrainer(tiny_model(seed=4), {"test": data},
                           config={"dataloader.batch_size": 7})
    sizes = []
    trainer.register_hook_in_eval(
        lambda ctx: sizes.append(len(ctx.keys())), "on_batch_end")
    result = trainer.evaluate("test")
    with torch.no_grad():
        logits = trainer.ctx.model(data["x"])
    assert result["test_acc"] == pytest.approx(float((logits.argmax(1) == data["y"]).float()
                                                      .mean()))
    loss = torch.nn.functional.cross_entropy(logits, data["y"], reduction="sum")
    assert result["test_loss"] == pytest.approx(float(loss), rel=1e-5)
    assert len(set(sizes)) == 1  # nothing accumulates per batch in ctx


def test_regression_metrics_on_classification_outputs_explain_themselves():
    trainer = TorchTrainer(tiny_model(), {"test": blobs(8)}, config={"eval.metrics": ["mse"]})
    with pytest.raises(HookscopeError, match=r"mse/mae need one prediction per target.*"
                                             r"use 'acc' for classification"):
        trainer.evaluate("test")


def test_repr_summarises_splits_and_hooks(make_trainer):
    text = repr(make_trainer(40, 20))
    assert text.startswith("<TorchTrainer model=Sequential models=1")
    assert "train 40 samples / 5 batches" in text and "test 20 samples / 3 batches" in text
    assert "hooks=[train 8, eval 6]" in text


def test_finetune_runs_its_own_hook_set_steps_and_optimizer(make_trainer):
    trainer = make_trainer(40, 20, **{
        "finetune": {"before_eval": True, "local_update_steps": 3, "batch_or_epoch": "batch",
                     "optimizer": {"type": "SGD", "lr": 0.01}}})
    assert trainer.finetune_enabled
    assert [ref.kind for ref in trainer.hook_sets()] == ["train", "eval", "finetune"]
    assert trainer.hooks_in_ft.names("on_batch_forward") == \
        trainer.hooks_in_train.names("on_batch_forward")
    seen = []
    trainer.register_hook_in_ft(
        lambda ctx: seen.append((ctx.cur_mode, ctx.optimizer.param_groups[0]["lr"])),
        "on_batch_end")
    num_samples, params, metrics = trainer.finetune()
    assert seen == [("finetune", 0.01)] * 3  # 3 batches, finetune's own optimizer
    assert num_samples == 24 and metrics["train_total"] == 24
    assert "<lambda>" not in trainer.hooks_in_train.names("on_batch_end")  # independent sets
    assert isinstance(params, dict)


def test_finetune_is_off_unless_configured_or_used(make_trainer):
    trainer = make_trainer(40, 0)
    assert not trainer.finetune_enabled
    assert [ref.kind for ref in trainer.hook_sets()] == ["train", "eval"]
    assert trainer.finetune()[0] == 0  # an empty hook set counts nothing, as in FS
    trainer.register_hook_in_ft(lambda ctx: None, "on_fit_end")
    assert [ref.kind for ref in trainer.hook_sets()][-1] == "finetune"


def test_a_bad_finetune_section_is_named_by_its_key_path(make_trainer):
    with pytest.raises(ConfigError, match=r"finetune\.optimizer\.type: unknown optimizer"):
        make_trainer(16, 0, **{"finetune": {"before_eval": True,
                                            "optimizer": {"type": "Adamm"}}})
    with pytest.raises(ConfigError, match=r"finetune\.scheduler\.type: unknown scheduler"):
        make_trainer(16, 0, **{"finetune": {"before_eval": True,
                                            "scheduler": {"type": "Nope"}}})
