"""The headless commands as a user (or CI) runs them: output, exit codes, errors."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_configs"


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_sample_config_runs(path, capsys):
    code, report = run_json(capsys, "run", str(path), "--epochs", "1")
    assert code == 0
    if "rounds" in report:  # a federate section: the course's rounds (tests/federated)
        assert len(report["rounds"]) >= 4 and report["clients"] >= 4
        return
    metrics = report["metrics"]
    assert metrics["train"]["train_total"] > 0
    # Ditto (fs_ditto) runs its personal model's epoch first, as FederatedScope's does
    assert report["epochs"] == (2 if path.stem == "fs_ditto" else 1)
    for routine, values in metrics.items():
        split = "train" if routine == "finetune" else routine  # fine-tuning reports train_*
        assert values[f"{split}_avg_loss"] == values[f"{split}_avg_loss"]  # not NaN
    assert ("finetune" in metrics) == (path.stem == "finetune")


def test_run_prints_a_metrics_table(capsys):
    assert main(["run", str(SAMPLES / "default.yaml"), "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert "default (" in out and "digits: 1797 samples" in out
    for word in ("split", "samples", "avg_loss", "acc", "train", "val", "test"):
        assert word in out


def test_a_config_that_fine_tunes_runs_and_checks_the_finetune_routine(capsys):
    config = str(SAMPLES / "finetune.yaml")
    assert main(["run", config, "--epochs", "1"]) == 0
    table = capsys.readouterr().out
    assert table.index("│ train ") < table.index("│ finetune ") < table.index("│ test ")
    assert main(["check", config, "--batches", "2"]) == 0
    assert "2 training batches, 2 fine-tuning batches and an evaluation on val" in \
        capsys.readouterr().out
    assert main(["hooks", config]) == 0
    listing = capsys.readouterr().out
    assert "finetune hooks" in listing and "grad_norm" in listing.split("finetune hooks")[1]
    assert "grad_norm" not in listing.split("finetune hooks")[0]


def test_hooks_lists_every_set_with_locations(capsys):
    assert main(["hooks", str(SAMPLES / "custom_hooks.yaml")]) == 0
    out = capsys.readouterr().out
    assert "train hooks" in out and "eval hooks" in out
    assert "smoothed_forward" in out and "hooks/custom.py:" in out
    _, report = run_json(capsys, "hooks", str(SAMPLES / "multi_model_parallel.yaml"))
    sets = {row["hook_set"] for row in report["hooks"]}
    assert sets == {"train[0]", "train[1]", "eval[0]", "eval[1]"}
    forward = [r["hook"] for r in report["hooks"] if r["hook_set"] == "train[1]"
               and r["trigger"] == "on_batch_forward"]
    assert forward == ["smoothed_forward", "_hook_on_batch_forward_regularizer"]


def test_check_passes_the_default_config(capsys):
    assert main(["check", str(SAMPLES / "default.yaml"), "--batches", "5"]) == 0
    out = capsys.readouterr().out
    assert "no findings (lifecycles, non-finite losses) in 5 training batches" in out


@pytest.mark.parametrize("path", sorted(p for p in SAMPLES.glob("*.yaml")
                                         if p.name != "leaky_hooks.yaml"), ids=lambda p: p.stem)
def test_every_sample_config_but_the_leaky_one_checks_clean_over_three_rounds(path, capsys):
    code, report = run_json(capsys, "check", str(path), "--batches", "10", "--rounds", "3")
    assert (code, report["findings"]) == (0, [])


def test_check_flags_the_leaky_config_and_names_hooks(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["check", str(SAMPLES / "leaky_hooks.yaml")]) == 1
    out = capsys.readouterr().out
    for attribute, hook in (("all_preds", "cache_preds"), ("running_loss", "running_loss"),
                            ("last_labels", "remember_labels"),
                            ("epoch_buffer", "epoch_buffer")):
        assert f"ctx.{attribute}" in out and hook in out
    code, report = run_json(capsys, "check", str(SAMPLES / "leaky_hooks.yaml"))
    assert code == 1 and report["ok"] is False
    assert {f["kind"] for f in report["findings"]} == {
        "outlives-batch", "grows", "keeps-autograd-graph", "big-across-epochs"}
    # paths relative to the working directory, statement lines from the hooks' source
    assert all(f["location"].startswith("sample_configs/hooks/leaky.py:")
               and f["site"].startswith("sample_configs/hooks/leaky.py:")
               for f in report["findings"])
    order = [f["kind"] for f in report["findings"]]  # costliest first, always the same
    assert order == ["keeps-autograd-graph", "grows", "big-across-epochs", "outlives-batch"]
    _, absolute = run_json(capsys, "check", str(SAMPLES / "leaky_hooks.yaml"), "--absolute")
    assert all(f["location"].startswith(str(SAMPLES / "hooks" / "leaky.py"))
               for f in absolute["findings"])


def test_piped_check_output_is_not_wrapped(tmp_path):
    """One line per finding and one per fix, however long: CI logs and grep need that."""
    result = subprocess.run([sys.executable, "-m", "app", "check",
                             str(SAMPLES / "leaky_hooks.yaml")], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 2 * 4, result.stdout
    assert any(len(line) > 200 for line in lines)
    assert all(line.startswith(("[", "    fix: ")) for line in lines[1:])


def test_check_rounds_finds_what_grows_every_round(tmp_path, capsys):
    (tmp_path / "rounds.py").write_text(textwrap.dedent("""
        def keep_every_round(ctx):
            if "round_log" not in ctx:
                ctx.round_log = []
            ctx.round_log.append([p.detach().clone() for p in ctx.model.parameters()])
    """))
    config = tmp_path / "rounds.yaml"
    config.write_text("data: {type: iris}\nmodel: {type: mlp, hidden: [8]}\n"
                      "hooks:\n  train:\n    - insert: {hook: 'rounds.py:keep_every_round', "
                      "trigger: on_fit_end}\n")
    code, one = run_json(capsys, "check", str(config), "--batches", "5")
    assert code == 0 and one["rounds"] == 1  # one round cannot show it
    code, three = run_json(capsys, "check", str(config), "--batches", "5", "--rounds", "3")
    assert code == 1
    [finding] = three["findings"]
    assert (finding["kind"], finding["attribute"], finding["hook"]) == (
        "grows-per-round", "round_log", "keep_every_round")
    assert finding["rate"] > 0 and finding["projected"] > finding["nbytes"]


def test_golden_records_then_passes_then_shows_drift(tmp_path, capsys):
    shutil.copytree(SAMPLES / "hooks", tmp_path / "hooks")
    config = tmp_path / "c.yaml"
    shutil.copy(SAMPLES / "custom_hooks.yaml", config)
    golden = tmp_path / "golden.yaml"
    argv = ["check", str(config), "--batches", "4", "--golden", str(golden)]
    assert main(argv) == 0
    assert "recorded" in capsys.readouterr().out
    text = golden.read_text()
    assert "hooks/custom.py:grad_norm" in text and "grad_norm: batch" in text
    assert str(tmp_path) not in text  # portable: references relative to the config
    assert main(argv) == 0
    assert "unchanged" in capsys.readouterr().out
    config.write_text(config.read_text().replace(
        '    - insert: {hook: "hooks/custom.py:grad_norm", trigger: on_batch_backward,\n'
        '               after: _hook_on_batch_backward}\n', ""))
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "behaviour drifted" in out
    assert "-    - hook: hooks/custom.py:grad_norm" in out


def test_a_hook_that_raises_is_reported_with_hook_trigger_epoch_and_batch(tmp_path, capsys):
    (tmp_path / "bad.py").write_text(textwrap.dedent("""
        def explode(ctx):
            if ctx.cur_batch_i == 2:
                raise RuntimeError("loss went sideways")
        """))
    config = tmp_path / "c.yaml"
    config.write_text('data: {type: iris}\ndataloader: {batch_size: 8}\n'
                      'hooks:\n  train:\n    - insert: {hook: "bad.py:explode", '
                      'trigger: on_batch_backward, position: 0}\n')
    assert main(["run", str(config)]) == 3  # 3: a hook failed
    err = capsys.readouterr().err
    assert "hook 'explode'" in err and "raised RuntimeError: loss went sideways" in err
    assert "at on_batch_backward, epoch 0, batch 2 (train/train)" in err
    assert f"raised at {tmp_path / 'bad.py'}:4 in explode" in err
    assert "Traceback" not in err
    assert main(["run", str(config), "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_a_reorder_that_breaks_a_read_says_which_hook_writes_it(tmp_path, capsys):
    config = tmp_path / "moved.yaml"
    config.write_text('data: {type: iris}\nhooks:\n  train:\n    - move: {trigger: '
                      'on_batch_forward, hook: _hook_on_batch_forward_regularizer, to: 0}\n')
    assert main(["run", str(config)]) == 3
    err = capsys.readouterr().err
    assert "hook '_hook_on_batch_forward_regularizer'" in err
    assert "hint: ctx.loss_batch is written by '_hook_on_batch_forward' (on_batch_forward #1)" \
        in err


def test_python_dash_m_app_and_help():
    result = subprocess.run([sys.executable, "-m", "app", "check", "--help"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "--golden" in result.stdout
    result = subprocess.run([sys.executable, "-m", "app", "run", "missing.yaml"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "config missing.yaml does not exist" in result.stderr


def test_bad_numbers_on_the_command_line(capsys):
    assert main(["check", str(SAMPLES / "default.yaml"), "--batches", "0"]) == 2
    assert "--batches must be >= 1" in capsys.readouterr().err
    assert main(["run", str(SAMPLES / "default.yaml"), "--epochs", "-2"]) == 2


def test_no_arguments_means_the_debugger_on_the_default_config():
    from app.cli import build_parser, resolve_arguments
    from app.commands.common import DEFAULT_CONFIG

    argv = resolve_arguments([])
    assert argv == ["tui", str(DEFAULT_CONFIG)] and DEFAULT_CONFIG.exists()
    args = build_parser().parse_args(argv)
    assert args.command == "tui" and args.config == DEFAULT_CONFIG


def test_without_a_source_checkout_the_default_config_is_found_in_the_working_dir(
        tmp_path, monkeypatch):
    from app.cli import resolve_arguments
    from app.commands import common

    monkeypatch.setattr(common, "DEFAULT_CONFIG", tmp_path / "site-packages" / "default.yaml")
    monkeypatch.chdir(tmp_path)
    assert resolve_arguments([]) == ["tui", str(common.DEFAULT_CONFIG)]  # nowhere: says where
    (tmp_path / "sample_configs").mkdir()
    (tmp_path / "sample_configs" / "default.yaml").write_text("model: {type: mlp}\n")
    assert resolve_arguments([]) == ["tui", "sample_configs/default.yaml"]


def test_tui_with_a_broken_config_exits_2_naming_the_file(tmp_path, capsys):
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: {type: mlp}\ntrain: {local_update_steps: many}\n")
    assert main(["tui", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "broken.yaml:2" in err and "local_update_steps" in err


def test_tui_finetune_without_a_finetune_set_says_how_to_get_one(capsys):
    assert main(["tui", str(SAMPLES / "default.yaml"), "--finetune"]) == 2
    assert "finetune.before_eval: --finetune needs a finetune hook set" in capsys.readouterr().err


NAN_HOOK = '''
import math


def nan_on_third_batch(ctx):
    if ctx.cur_epoch_i == 1 and ctx.cur_batch_i == 2:
        ctx.loss_batch = ctx.loss_batch * math.nan
'''


def nan_config(tmp_path):
    (tmp_path / "nan_hook.py").write_text(NAN_HOOK)
    config = tmp_path / "nan.yaml"
    config.write_text("data: {type: iris}\nmodel: {type: mlp, hidden: [8]}\n"
                      "train: {local_update_steps: 3}\ndataloader: {batch_size: 16}\n"
                      "hooks:\n  train:\n    - insert: {hook: 'nan_hook.py:nan_on_third_batch',"
                      " trigger: on_batch_forward, position: 1}\n")
    return config


def test_run_stops_at_a_nan_loss_with_exit_3_naming_hook_epoch_and_batch(tmp_path, capsys):
    config = nan_config(tmp_path)
    assert main(["run", str(config)]) == 3
    err = capsys.readouterr().err
    assert ("non-finite loss: ctx.loss_batch became nan in hook nan_on_third_batch "
            f"({tmp_path / 'nan_hook.py'}:5), train/train epoch 1 batch 2 at "
            "on_batch_forward") in err
    assert "--allow-nan" in err and "Traceback" not in err
    assert main(["run", str(config), "--allow-nan", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert math.isnan(report["metrics"]["train"]["train_avg_loss"])


def test_check_reports_a_nan_loss_as_a_finding(tmp_path, capsys):
    code, report = run_json(capsys, "check", str(nan_config(tmp_path)), "--batches", "30")
    assert code == 1 and report["ok"] is False
    finding, = [f for f in report["findings"] if f["kind"] == "non-finite-loss"]
    assert (finding["hook"], finding["epoch_i"], finding["batch_i"]) == (
        "nan_on_third_batch", 1, 2)
