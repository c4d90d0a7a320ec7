"""Config loading: spec validation, defaults by task, overrides, hook edits, line numbers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trainer_core.config.experiment import load_experiment, load_spec
from trainer_core.config.yaml_source import parse_yaml
from trainer_core.errors import ConfigError

SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"


def write(tmp_path: Path, text: str, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_yaml_lines_are_known_for_every_key_path(tmp_path):
    document = parse_yaml(textwrap.dedent("""\
        data:
          type: digits
        hooks:
          train:
            - insert: {hook: a, trigger: b}
            - reset:
                trigger: on_fit_end
        """), tmp_path / "x.yaml")
    assert document.lines["data.type"] == 2
    assert document.lines["hooks.train[1].reset.trigger"] == 7
    assert document.locate("hooks.train[0].insert.trigger").endswith("x.yaml:5")
    assert document.locate("hooks.train[1].reset.hook").endswith("x.yaml:6")  # nearest parent


def test_default_config_builds_the_expected_trainer():
    experiment = load_experiment(SAMPLES / "default.yaml")
    trainer = experiment.trainer
    assert experiment.name == "default"
    assert "digits: 1797 samples x 64 features" in experiment.data_summary
    assert trainer.cfg.train.local_update_steps == 5
    assert trainer.cfg.train.optimizer.kwargs == {"momentum": 0.9}
    assert {s for s in ("train", "val", "test") if trainer.has_split(s)} == {"train", "val",
                                                                              "test"}


def test_overrides_are_validated_like_the_file(tmp_path):
    experiment = load_experiment(SAMPLES / "default.yaml", {"train.local_update_steps": 1})
    assert experiment.trainer.cfg.train.local_update_steps == 1
    with pytest.raises(ConfigError, match=r"train\.local_update_steps: must be an integer"):
        load_spec(SAMPLES / "default.yaml", {"train.local_update_steps": "many"})


def test_regression_defaults_to_mse(tmp_path):
    path = write(tmp_path, """
        data: {type: synthetic_regression, n_samples: 64, n_features: 3}
        model: {type: logreg}
        """)
    trainer = load_experiment(path).trainer
    assert trainer.cfg.criterion.type == "MSELoss"
    assert trainer.cfg.eval.metrics == ("mse",)
    assert "train_mse" in trainer.train()[2]


def test_every_hook_edit_kind(tmp_path):
    (tmp_path / "extra.py").write_text("def probe(ctx):\n    return None\n"
                                       "def other(ctx):\n    return None\n")
    path = write(tmp_path, """
        data: {type: iris}
        hooks:
          train:
            - insert: {hook: "extra.py:probe", trigger: on_batch_end, before: _hook_on_batch_end}
            - insert: {hook: "extra.py:other", trigger: on_batch_end, position: 0}
            - move: {trigger: on_batch_end, hook: other, after: probe}
            - move: {trigger: on_batch_end, hook: probe, to: 0, to_trigger: on_epoch_end}
            - replace: {trigger: on_epoch_end, hook: probe, new: "extra.py:other"}
            - remove: {trigger: on_batch_forward, position: 1}
            - reset: {trigger: on_fit_end}
          eval:
            - remove: {trigger: on_batch_end, hook: _hook_on_batch_end}
        """)
    trainer = load_experiment(path).trainer
    train = trainer.hooks_in_train
    assert train.names("on_batch_end") == ["other", "_hook_on_batch_end"]
    assert train.names("on_epoch_end") == ["other"]
    assert train.names("on_batch_forward") == ["_hook_on_batch_forward"]
    assert train.names("on_fit_end") == []
    assert trainer.hooks_in_eval.names("on_batch_end") == []


def test_per_model_edits_and_edits_for_every_model(tmp_path):
    path = write(tmp_path, """
        data: {type: iris}
        trainer: {type: multi_model, model_nums: 3, mode: parallel}
        hooks:
          train[2]:
            - reset: {trigger: on_fit_end}
          eval:
            - reset: {trigger: on_batch_end}
        """)
    trainer = load_experiment(path).trainer
    assert [trainer.hook_set("train", i).names("on_fit_end") for i in range(3)] == [
        ["_hook_on_fit_end"], ["_hook_on_fit_end"], []]
    assert all(trainer.hook_set("eval", i).names("on_batch_end") == [] for i in range(3))


def test_pipeline_section_sets_whole_hook_sets(tmp_path):
    path = write(tmp_path, """
        data: {type: iris}
        hooks:
          pipeline:
            eval:
              on_fit_start: [_hook_on_fit_start_init]
              on_fit_end: [_hook_on_fit_end]
        """)
    trainer = load_experiment(path).trainer
    assert [t for t, hooks in trainer.hooks_in_eval.items() if hooks] == ["on_fit_start",
                                                                          "on_fit_end"]
    assert trainer.hooks_in_train.names("on_batch_end") == ["_hook_on_batch_end"]


def test_only_one_way_to_say_where(tmp_path):
    path = write(tmp_path, """
        data: {type: iris}
        hooks:
          train:
            - insert: {hook: _hook_on_fit_end, trigger: on_fit_end, position: 0,
                       after: _hook_on_fit_end}
        """)
    with pytest.raises(ConfigError, match=r"c\.yaml:5, hooks\.train\[0\]\.insert: give only "
                                          r"one of position, before, after"):
        load_experiment(path)


def test_model_from_a_file_next_to_the_config(tmp_path):
    (tmp_path / "net.py").write_text(textwrap.dedent("""
        import torch
        class Tiny(torch.nn.Module):
            def __init__(self, width=4):
                super().__init__()
                self.body = torch.nn.Sequential(torch.nn.Linear(4, width), torch.nn.ReLU(),
                                                torch.nn.Linear(width, 3))
            def forward(self, x):
                return self.body(x)
        """))
    path = write(tmp_path, """
        data: {type: iris}
        model: {type: "net.py:Tiny", width: 6}
        """)
    trainer = load_experiment(path).trainer
    assert trainer.ctx.model.body[0].out_features == 6
    assert trainer.train()[2]["train_total"] > 0
    bad = write(tmp_path, 'data: {type: iris}\nmodel: {type: "net.py:Tiny", depth: 2}\n', "b.yaml")
    with pytest.raises(ConfigError, match=r"b\.yaml:2, model: net\.py:Tiny rejects its options"):
        load_experiment(bad)


def test_a_finetune_section_gives_a_finetune_hook_set_that_edits_and_exports(tmp_path):
    from trainer_core.config.pipeline import export_pipeline, load_pipeline

    path = write(tmp_path, """\
        data: {type: iris}
        train: {local_update_steps: 1}
        finetune:
          before_eval: true
          local_update_steps: 2
          batch_or_epoch: batch
          optimizer: {type: SGD, lr: 0.01}
        hooks:
          finetune:
            - insert: {hook: collect_predictions, trigger: on_batch_end}
        """)
    trainer = load_experiment(path).trainer
    assert trainer.hooks_in_ft.names("on_batch_end") == ["_hook_on_batch_end",
                                                         "collect_predictions"]
    assert trainer.hooks_in_train.names("on_batch_end") == ["_hook_on_batch_end"]
    assert trainer.finetune()[0] == 105  # two batches: 64 + 41, all of iris's train split
    exported = export_pipeline(trainer, tmp_path / "p.yaml")
    trainer.hooks_in_ft.reset("on_batch_end")
    load_pipeline(trainer, exported)
    assert trainer.hooks_in_ft.names("on_batch_end") == ["_hook_on_batch_end",
                                                         "collect_predictions"]


def test_editing_the_finetune_set_without_the_section_says_how_to_enable_it(tmp_path):
    path = write(tmp_path, """\
        data: {type: iris}
        hooks:
          finetune:
            - reset: {trigger: on_fit_end}
        """)
    with pytest.raises(ConfigError, match=r"c\.yaml:3, hooks\.finetune: unknown hook set "
                                          r"'finetune'.*finetune\.before_eval"):
        load_experiment(path)


FS_CONFIG = """\
    data: {type: iris, splits: {train: 0.8, test: 0.2}}
    model: {type: logreg}
    trainer: {type: fs}
    criterion: {type: CrossEntropyLoss}
    personalization: {K: 3}
    my_plugin: {alpha: 2}
    """


def test_trainer_type_fs_builds_federatedscopes_trainer_with_its_config(tmp_path):
    from trainer_core.fs import CfgNode, GeneralTorchTrainer

    trainer = load_experiment(write(tmp_path, FS_CONFIG)).trainer
    assert isinstance(trainer, GeneralTorchTrainer) and isinstance(trainer.cfg, CfgNode)
    cfg = trainer.ctx.cfg
    assert (cfg.personalization.K, cfg.my_plugin.alpha) == (3, 2)  # sections kept for hooks
    assert cfg.train.batch_or_epoch == "batch"  # FederatedScope's default, not hookscope's
    assert trainer.train()[0] == 64  # one batch of FederatedScope's 64


def test_a_bad_engine_key_in_an_fs_config_names_its_line(tmp_path):
    path = write(tmp_path, FS_CONFIG + "train: {local_update_steps: -3}\n")
    with pytest.raises(ConfigError, match=r"c\.yaml:7, train\.local_update_steps: must be >= 0"):
        load_experiment(path)


def test_a_wrapper_that_does_not_resolve_or_return_a_trainer_is_named(tmp_path):
    (tmp_path / "wraps.py").write_text("def nothing(trainer):\n    return None\n")
    text = FS_CONFIG.replace("trainer: {type: fs}", "trainer: {type: fs, wrappers: [X]}")
    with pytest.raises(ConfigError, match=r"trainer\.wrappers\[0\].*no_such"):
        load_experiment(write(tmp_path, text.replace("X", "wraps.py:no_such")))
    with pytest.raises(ConfigError, match=r"trainer\.wrappers\[0\].*returned NoneType"):
        load_experiment(write(tmp_path, text.replace("X", "wraps.py:nothing")))


def test_a_federatedscope_section_in_a_native_config_points_at_trainer_type_fs(tmp_path):
    path = write(tmp_path, FS_CONFIG.replace("trainer: {type: fs}", "trainer: {type: torch}"))
    with pytest.raises(ConfigError, match=r"unknown section 'my_plugin'.*type: fs"):
        load_experiment(path)
    path.write_text(path.read_text().replace("my_plugin: {alpha: 2}\n", ""))
    with pytest.raises(ConfigError, match=r"personalization\.K: unknown key 'K'.*type: fs"):
        load_experiment(path)


def test_a_pipeline_file_named_in_the_config_sets_the_hook_sets(tmp_path):
    """What `w` in the debugger writes, a config can load: hooks: {pipeline: FILE}."""
    from app.session import DebugSession
    session = DebugSession.from_config(SAMPLES / "custom_hooks.yaml")
    session.start()
    (tmp_path / "hooks").mkdir()
    written = session.export_pipeline(tmp_path / "edited.pipeline.yaml")
    # the file names hooks/custom.py relative to itself
    (tmp_path / "hooks" / "custom.py").write_text((SAMPLES / "hooks" / "custom.py").read_text())
    session.close()
    config = tmp_path / "c.yaml"
    config.write_text("data: {type: wine}\nmodel: {type: mlp}\n"
                      f"hooks:\n  pipeline: {written.name}\n")
    trainer = load_experiment(config).trainer
    forward = [h.__name__ for h in trainer.hooks_in_train["on_batch_forward"]]
    assert forward[0] == "smoothed_forward"
