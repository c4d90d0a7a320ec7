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
    "bad_move.yaml": (4, "hooks.train[0].move", "cannot move '_hook_on_batch_forward' to "
                                                "position 7"),
}


def test_the_corpus_and_the_table_match():
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_config_exits_2_with_file_line_and_key_path(name, capsys):
    line, key_path, fragment = EXPECTED[name]
    code = main(["run", str(BROKEN / name), "--epochs", "0"])
    err = capsys.readouterr().err
    assert code == 2
    first = err.splitlines()[0]
    location = f"{BROKEN / name}:{line}"
    assert location in first, first
    if key_path:
        assert f"{location}, {key_path}:" in first, first
    assert fragment in first, first
    assert "Traceback" not in err
