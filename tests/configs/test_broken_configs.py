"""Every broken config gives exit code 2 and one message naming the file line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main

BROKEN = Path(__file__).parent / "broken"

# file -> (line, key path or None, fragment of the reason)
EXPECTED = {
    "syntax_error.yaml": (4, None, "YAML syntax error"),
    "unknown_section.yaml": (2, "modle", "unknown section 'modle' (did you mean 'model'?)"),
    "unknown_key.yaml": (3, "train.local_update_step", "did you mean 'local_update_steps'"),
    "wrong_type.yaml": (4, "train.optimizer.lr", "must be a number, got str 'fast'"),
    "unknown_hook.yaml": (4, "hooks.train[0].insert",
                          "no hook of that name (did you mean '_hook_on_batch_forward'?)"),
    "unknown_trigger.yaml": (5, "hooks.train[1].insert.trigger",
                             "unknown trigger 'on_batch_ending' (did you mean 'on_batch_end'?)"),
    "missing_hook_file.yaml": (4, "hooks.train[0].insert", "not_there.py does not exist"),
    "hook_file_import_error.yaml": (4, "hooks.eval[0].insert",
                                    "ModuleNotFoundError: No module named "
                                    "'a_module_that_does_not_exist'"),
    "unknown_base_hook.yaml": (4, "hooks.train[0].insert",
                               "base_hook '_hook_on_batch_ed' is not registered"),
    "unknown_edit.yaml": (4, "hooks.train[0].insrt", "unknown edit 'insrt'"),
    "unknown_hook_set.yaml": (3, "hooks.trian", "unknown hook set 'trian'"),
    "missing_data_file.yaml": (1, "data.path", "none.csv does not exist"),
    "unknown_dataset.yaml": (1, "data.type", "unknown data type 'digit' (did you mean 'digits'"),
    "bad_split_ratio.yaml": (3, "data.splits", "split ratios sum to 1.2"),
    "unknown_pack_option.yaml": (3, "packs.fedprox.nu", "unknown option 'nu'"),
    "duplicate_key.yaml": (3, "train", "duplicate key 'train'"),
    "not_a_mapping.yaml": (1, None, "the config must be a mapping"),
    "unknown_model.yaml": (2, "model.type", "unknown model type 'transformer'"),
    "unknown_data_option.yaml": (4, "data.samples", "unknown key 'samples' for data type "
                                                    "'synthetic_classification' (did you mean "
                                                    "'n_samples'?)"),
    "unknown_scheduler.yaml": (4, "train.scheduler.type", "unknown scheduler 'StepLr' (did you "
                                                          "mean 'StepLR'?)"),
    "federate_unknown_key.yaml": (5, "federate.rounds", "unknown key 'rounds'"),
    "federate_no_rounds.yaml": (2, "federate.total_round_num", "federate needs total_round_num"),
    "federate_clients_mismatch.yaml": (3, "data.clients.num", "data.clients.num is 4 but "
                                                              "federate.client_num is 3"),
    "federate_method.yaml": (5, "federate.method", "'fedopt' is not supported by the embedded "
                                                   "course"),
    "federate_share_personal.yaml": (6, "federate.share_local_model", "personal parameters "
                                     "(personalization.local_param) would be overwritten"),
    "federate_share_multi_model.yaml": (5, "federate.share_local_model", "the trainer has 2 (a "
                                        "client's personal models would be shared"),
    "federate_sample_too_many.yaml": (4, "federate.sample_client_num", "more than the 3 "
                                                                       "clients"),
    "bad_move.yaml": (4, "hooks.train[0].move", "cannot move '_hook_on_batch_forward' to "
                                                "position 7"),
    # input bounds: each value that would crash, hang or silently misbehave later
    "alias_bomb.yaml": (6, None, "the aliases expand to more than 200,000 values"),
    "deep_nesting.yaml": (1, None, "nested too deeply (more than 64 levels)"),
    "non_utf8.yaml": (2, None, "not UTF-8 text: byte 0xe9"),
    "empty.yaml": (1, None, "empty config: give at least a data and a model section"),
    "comments_only.yaml": (1, None, "empty config"),
    "name_not_a_string.yaml": (1, "name", "must be a string, got ['a', 'b']"),
    "device_gpu.yaml": (2, "device", "unknown device 'gpu' (did you mean 'cuda'?)"),
    "device_cuda_missing.yaml": (2, "device", "device 'cuda:0' is not available on this "
                                              "machine; devices here: cpu"),
    "seed_float.yaml": (1, "seed", "must be an integer, got float 1.5"),
    "seed_negative.yaml": (1, "seed", "must be >= 0, got -3"),
    "lr_negative.yaml": (3, "train.optimizer.lr", "must be >= 0.0, got -0.1"),
    "lr_nan.yaml": (3, "train.optimizer.lr", "must be a finite number, got nan"),
    "lr_inf.yaml": (4, "train.optimizer.lr", "must be a finite number, got inf"),
    "grad_clip_inf.yaml": (3, "grad.grad_clip", "must be a finite number, got inf"),
    "regularizer_mu_nan.yaml": (2, "regularizer.mu", "must be a finite number, got nan"),
    "steps_negative.yaml": (3, "train.local_update_steps", "must be >= 0, got -1"),
    "finetune_steps_negative.yaml": (4, "finetune.local_update_steps", "must be >= 0, got -2"),
    "batch_or_epoch_unknown.yaml": (2, "train.batch_or_epoch",
                                    "must be 'epoch' or 'batch', got 'epochs' (did you mean "
                                    "'epoch'?)"),
    "batch_size_zero.yaml": (3, "dataloader.batch_size", "must be >= 1, got 0"),
    "batch_size_negative.yaml": (2, "dataloader.batch_size", "must be >= 1, got -8"),
    "scheduler_missing_argument.yaml": (3, "train.scheduler", "StepLR rejects its settings"),
    "model_hidden_zero.yaml": (2, "model.hidden[1]", "must be >= 1, got 0"),
    "model_dropout_one.yaml": (2, "model.dropout", "must be < 1.0, got 1.0"),
    "model_nums_zero.yaml": (4, "trainer.model_nums", "must be >= 1, got 0"),
    "trainer_mode_typo.yaml": (2, "trainer.mode", "got 'paralel' (did you mean 'parallel'?)"),
    "model_factory_raises.yaml": (2, "model.type", "factories.py:broken_model raised "
                                                   "ValueError: this model cannot be built"),
    "model_factory_not_a_module.yaml": (3, "model.type", "built a int, not a torch.nn.Module"),
    "data_factory_raises.yaml": (1, "data.type", "factories.py:broken_data raised "
                                                 "RuntimeError: the data server is down"),
    "data_factory_bad_return.yaml": (1, "data.type", "must return (x, y) arrays, got "
                                                     "NoneType"),
    "csv_bad_cell.yaml": (1, "data.path", "bad_cell.csv, row 3, column 'x2': 'abc' is not a "
                                          "number"),
    "csv_nan_cell.yaml": (1, "data.path", "nan_cell.csv, row 4, column 'x1': empty cell"),
    "csv_ragged_row.yaml": (1, "data.path", "ragged.csv, row 4: 2 cells, the header has 3"),
    "csv_empty.yaml": (1, "data.path", "needs a header and at least one row"),
    "csv_missing_target.yaml": (1, "data.target", "has no column 'label'; columns: x1, x2, y"),
    "csv_path_is_a_folder.yaml": (1, "data.path", "is not a file (give the CSV file itself)"),
    "split_negative.yaml": (3, "data.splits.train", "ratio must be between 0 and 1, got 1.2"),
    "splits_all_zero.yaml": (3, "data.splits", "leave train empty"),
    "clients_zero.yaml": (3, "data.clients.num", "must be >= 1, got 0"),
    "client_index_out_of_range.yaml": (3, "data.clients.index",
                                       "client index 5 is out of range for 3 clients"),
    "client_left_empty.yaml": (3, "data.clients", "val, test would be empty; a Dirichlet "
                                                  "partition with alpha 0.01"),
    "dirichlet_alpha_zero.yaml": (3, "data.clients.alpha", "must be > 0.0, got 0.0"),
    "partition_unknown.yaml": (3, "data.clients.partition",
                               "got 'dirichlett' (did you mean 'dirichlet'?)"),
    "pack_dp_clip_negative.yaml": (3, "packs.dp.clip", "must be > 0, got -1.0"),
    "pack_dp_noise_negative.yaml": (3, "packs.dp.noise_multiplier", "must be >= 0, got -0.5"),
    "hooks_not_a_list.yaml": (3, "hooks.train", "must be a list of edits"),
    "pipeline_file_missing.yaml": (4, "hooks.pipeline", "no_such.pipeline.yaml does not exist"),
    "insert_position_out_of_range.yaml": (4, "hooks.train[0].insert",
                                          "insert_pos 99 is out of range (use 0..1, or -1 "
                                          "to append)"),
    "move_position_out_of_range.yaml": (4, "hooks.train[0].move",
                                        "position 9 is out of range (use 0..0, or -1..-1 "
                                        "from the end)"),
    "remove_position_out_of_range.yaml": (4, "hooks.train[0].remove",
                                          "position 5 is out of range"),
}


def test_the_corpus_and_the_table_match():
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


def assert_names_the_problem(name: str, argv: list[str], capsys) -> None:
    """Exit 2, and the first line of stderr gives file:line, key path and the reason."""
    line, key_path, fragment = EXPECTED[name]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    first = err.splitlines()[0]
    location = f"{BROKEN / name}:{line}"
    assert location in first, first
    if key_path:
        assert f"{location}, {key_path}:" in first, first
    assert fragment in first, first
    assert "Traceback" not in err


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_config_exits_2_with_file_line_and_key_path(name, capsys):
    assert_names_the_problem(name, ["run", str(BROKEN / name), "--epochs", "0"], capsys)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_reports_the_same_problem(name, capsys):
    """``check`` is what CI runs on a config: it must stop at the same line and key."""
    assert_names_the_problem(name, ["check", str(BROKEN / name)], capsys)


def test_an_override_does_not_hide_a_mistake_in_the_file(capsys):
    """``--epochs 0`` replaces train.local_update_steps, but the file's -1 is still wrong."""
    code = main(["run", str(BROKEN / "steps_negative.yaml"), "--epochs", "0"])
    assert code == 2
    assert "train.local_update_steps: must be >= 0, got -1" in capsys.readouterr().err
