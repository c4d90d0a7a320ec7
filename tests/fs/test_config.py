"""FederatedScope's config node: yacs semantics, FederatedScope's defaults, engine checks."""

from __future__ import annotations

import pickle

import pytest

from trainer_core.errors import ConfigError
from trainer_core.fs import CfgNode, fs_config, fs_defaults


def test_keys_read_and_write_as_attributes_and_items():
    cfg = CfgNode({"train": {"optimizer": {"type": "SGD", "lr": 0.1}}})
    assert cfg.train.optimizer.lr == cfg["train"]["optimizer"]["lr"] == 0.1
    cfg.train.optimizer.momentum = 0.9
    assert dict(**cfg.train.optimizer) == {"type": "SGD", "lr": 0.1, "momentum": 0.9}
    with pytest.raises(AttributeError):
        _ = cfg.train.missing
    assert not hasattr(cfg, "missing")


def test_a_frozen_node_refuses_every_write_until_defrosted():
    cfg = CfgNode({"regularizer": {"type": "", "mu": 0.0}})
    cfg.freeze()
    assert cfg.is_frozen() and cfg.regularizer.is_frozen()
    for write in (lambda: setattr(cfg.regularizer, "mu", 1.0),
                  lambda: cfg.regularizer.__setitem__("mu", 1.0),
                  lambda: delattr(cfg.regularizer, "mu")):
        with pytest.raises(AttributeError, match="immutable"):
            write()
    cfg.defrost()
    cfg.regularizer.mu = 1.0
    assert cfg.regularizer.mu == 1.0


def test_clone_is_deep():
    cfg = CfgNode({"train": {"local_update_steps": 1}})
    twin = cfg.clone()
    twin.train.local_update_steps = 5
    assert cfg.train.local_update_steps == 1


def test_merges_check_keys_and_coerce_types():
    cfg = fs_defaults()
    cfg.merge_from_list(["train.local_update_steps", "3", "train.optimizer.lr", "1",
                         "eval.metrics", "['acc']"])
    assert (cfg.train.local_update_steps, cfg.train.optimizer.lr, cfg.eval.metrics) == (
        3, 1.0, ["acc"])
    assert isinstance(cfg.train.optimizer.lr, float)
    with pytest.raises(KeyError, match="Non-existent config key"):
        cfg.merge_from_list(["train.no_such_key", 1])
    with pytest.raises(KeyError, match=r"train\.nope"):
        cfg.merge_from_other_cfg({"train": {"nope": 1}})
    with pytest.raises(ConfigError, match=r"train.local_update_steps: Type mismatch"):
        cfg.merge_from_other_cfg({"train": {"local_update_steps": "many"}})
    cfg.merge_from_other_cfg({"train": {"optimizer": {"momentum": 0.5}}})  # an open node
    assert cfg.train.optimizer.momentum == 0.5


def test_a_float_is_not_truncated_into_an_int_key():
    cfg = fs_defaults()
    with pytest.raises(ConfigError, match="Type mismatch"):
        cfg.merge_from_list(["train.local_update_steps", "2.7"])


def test_defaults_are_federatedscopes_not_hookscopes():
    cfg = fs_config()
    assert (cfg.train.batch_or_epoch, cfg.train.local_update_steps,
            cfg.criterion.type, cfg.eval.metrics, cfg.dataloader.batch_size) == (
        "batch", 1, "MSELoss", [], 64)
    assert cfg.finetune.batch_or_epoch == "epoch"


def test_a_mapping_keeps_unknown_sections_and_fills_personalization_from_train():
    cfg = fs_config({"train.local_update_steps": 4, "train.optimizer.lr": 0.05,
                     "my_plugin": {"alpha": 2}, "finetune": {"epoch_linear": 3}})
    assert cfg.my_plugin.alpha == 2 and cfg.finetune.epoch_linear == 3
    # FederatedScope's fill-ins: -1 / 0 take train's values
    assert (cfg.personalization.local_update_steps, cfg.personalization.lr) == (4, 0.05)


@pytest.mark.parametrize(("config", "key_path"), [
    ({"train.local_update_steps": -1}, "train.local_update_steps"),
    ({"train.batch_or_epoch": "both"}, "train.batch_or_epoch"),
    ({"dataloader.batch_size": 0}, "dataloader.batch_size"),
    ({"grad.grad_clip": "big"}, "grad.grad_clip"),
])
def test_engine_keys_are_checked_with_their_key_path(config, key_path):
    with pytest.raises(ConfigError) as info:
        fs_config(config)
    assert info.value.key_path.endswith(key_path)


def test_freeze_runs_the_checks():
    cfg = fs_config()
    cfg.train.local_update_steps = -2
    with pytest.raises(ConfigError, match=r"train\.local_update_steps"):
        cfg.freeze()


def test_a_node_pickles_and_dumps_as_plain_data():
    cfg = fs_config({"seed": 3})
    assert pickle.loads(pickle.dumps(cfg)).seed == 3
    assert "seed: 3" in cfg.dump()
