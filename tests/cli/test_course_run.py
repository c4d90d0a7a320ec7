"""``hookscope run`` on a federated config: the FedAvg course, round by round."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
FEDAVG = ROOT / "sample_configs" / "fedavg.yaml"


def test_run_prints_the_global_model_round_by_round(capsys):
    assert main(["run", str(FEDAVG)]) == 0
    out = capsys.readouterr().out
    assert "5 clients, 3 a round" in out and "FedAvg, 5 round(s)" in out
    for column in ("round", "clients", "global test_acc", "clients' own test_acc"):
        assert column in out
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == 5


def test_run_json_has_every_round_and_the_model_learns(capsys):
    assert main(["run", str(FEDAVG), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rounds = report["rounds"]
    assert [r["round"] for r in rounds] == [0, 1, 2, 3, 4]
    assert all(len(r["clients"]) == 3 for r in rounds)
    accuracy = [r["global"]["test_acc"] for r in rounds]
    assert accuracy[-1] > accuracy[0] + 0.1, accuracy
    first = rounds[0]["client_rounds"][0]
    assert first["num_samples"] > 0 and "train_avg_loss" in first["train"]
    assert "test_acc" in first["local"]


def test_the_same_config_gives_the_same_course(capsys):
    main(["run", str(FEDAVG), "--json"])
    once = json.loads(capsys.readouterr().out)["rounds"]
    main(["run", str(FEDAVG), "--json"])
    assert json.loads(capsys.readouterr().out)["rounds"] == once


def test_epochs_apply_to_every_client(capsys):
    def samples_trained(*extra: str) -> dict[int, int]:
        assert main(["run", str(FEDAVG), "--json", *extra]) == 0
        rounds = json.loads(capsys.readouterr().out)["rounds"]
        return {c["client"]: c["num_samples"] for c in rounds[0]["client_rounds"]}

    two, one = samples_trained(), samples_trained("--epochs", "1")  # the config says 2
    assert two.keys() == one.keys() and all(two[c] == 2 * one[c] for c in two)


def test_check_rounds_flags_a_hook_that_leaks_per_round_in_a_federated_config(tmp_path, capsys):
    (tmp_path / "leak.py").write_text(
        "import torch\n\n\ndef keep_every_round(ctx):\n"
        "    history = ctx.get('round_history', None) or []\n"
        "    history.append(torch.zeros(2000))\n"
        "    ctx.round_history = history\n")
    config = tmp_path / "fed_leak.yaml"
    config.write_text(
        "data: {type: digits, splits: {train: 0.7, test: 0.3}}\n"
        "model: {type: mlp, hidden: [16]}\n"
        "federate: {client_num: 3, total_round_num: 2, sample_client_num: 1}\n"
        "hooks:\n  train:\n"
        "    - insert: {hook: 'leak.py:keep_every_round', trigger: on_fit_end}\n")
    assert main(["check", str(config), "--rounds", "4", "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["kind"], f["where"], f["hook"]) for f in findings] == [
        ("grows-per-round", "ctx.round_history", "keep_every_round")]
    # real course rounds, every client trained in each (the config samples one a round),
    # each watched on its own: one finding naming them all
    assert findings[0]["message"].endswith("(clients 0, 1, 2)")
    assert main(["check", str(config), "--rounds", "1"]) == 0  # one round cannot tell
