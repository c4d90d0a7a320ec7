"""The course on Flower: the same clients, hooks and FedAvg as the embedded course, run by
Flower's simulation engine (Ray) in a subprocess, and the client state a Flower node carries
between rounds. Needs the ``flower`` extra; without it only the missing-extra message is
checked."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
#: a Flower simulation starts Ray (a few seconds) and trains 2 rounds; generous for a loaded
#: 2-core machine, and the subprocess is killed rather than left to hang the suite
FLOWER_TIMEOUT = 300


def hookscope(*args: str, timeout: float = FLOWER_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_without_the_extra_flower_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['flwr'] = None\n"  # as if Flower were not installed
            "from app.cli import main\n"
            f"sys.exit(main(['flower', {str(ROOT / 'sample_configs' / 'fedavg.yaml')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "pip install 'hookscope[flower]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_config_without_a_federate_section_is_refused_before_flower_starts():
    done = hookscope("flower", "sample_configs/default.yaml", timeout=120)
    assert done.returncode == 2
    assert "no federate section" in done.stderr and "Traceback" not in done.stderr


flwr = pytest.importorskip("flwr", reason="the flower extra is not installed")


def ditto_course(tmp_path: Path, *, hook_body: str) -> Path:
    """Ditto over 3 clients, 2 a round, 2 rounds, with a hook of ours in every client."""
    (tmp_path / "marks").mkdir()
    (tmp_path / "marking.py").write_text(textwrap.dedent(f"""\
        import os
        from pathlib import Path

        def mark(ctx):
            {hook_body}
        """).replace("MARKS", repr(str(tmp_path / "marks"))))
    config = tmp_path / "ditto_flower.yaml"
    config.write_text(textwrap.dedent("""\
        seed: 0
        data:
          type: digits
          clients: {num: 3, partition: dirichlet, alpha: 0.5}
          splits: {train: 0.8, test: 0.2}
        model: {type: mlp, hidden: [16]}
        train:
          local_update_steps: 1
          optimizer: {type: SGD, lr: 0.1}
        dataloader: {batch_size: 64}
        trainer: {type: multi_model, model_nums: 2, mode: sequential}
        packs:
          ditto: {lam: 0.5}
        hooks:
          train:
            - insert: {hook: "marking.py:mark", trigger: on_fit_end}
        federate: {client_num: 3, total_round_num: 2, sample_client_num: 2}
        """))
    return config


@pytest.mark.slow
def test_a_flower_course_runs_our_hooks_in_every_client_and_matches_the_embedded_course(
        tmp_path):
    config = ditto_course(tmp_path, hook_body=(
        "(Path(MARKS) / f'{os.getpid()}-{ctx.cur_mode}-{id(ctx)}').open('a')"
        ".write(f'{ctx.num_samples}\\n')"))
    saved = tmp_path / "global.pt"
    done = hookscope("flower", str(config), "--json", "--save", str(saved), "--cpus", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    flower = json.loads(done.stdout)
    assert flower["engine"] == "Flower" and len(flower["rounds"]) == 2
    marks = sorted(int(n) for f in (tmp_path / "marks").iterdir()
                   for n in f.read_text().split())

    from trainer_core.config.course import load_course
    from trainer_core.trainers.checkpoint import read_checkpoint

    course = load_course(config)
    embedded = [r.as_dict() for r in course.course.rounds()]
    # the same clients, sampled by the same seeded draw
    assert [r["clients"] for r in flower["rounds"]] == [r["clients"] for r in embedded]
    # hookscope hooks ran inside each Flower client: one mark per client routine trained,
    # each with that client's own sample count (the Dirichlet shares differ in size)
    trained = sorted(c["num_samples"] for r in flower["rounds"] for c in r["client_rounds"])
    assert marks == sorted(trained * 2)  # Ditto's two models: two fit ends per routine
    # FedAvg on Flower (float32 sums in NumPy) vs the embedded course (float64): the same
    # global model to float32 rounding, compounded over 2 rounds of training
    final = read_checkpoint(saved).states[0]
    assert sorted(final) == sorted(course.course.global_state)
    for key, value in course.course.global_state.items():
        assert torch.allclose(final[key], value, atol=1e-5, rtol=0), key
    for ours, theirs in zip(flower["rounds"], embedded, strict=True):
        assert ours["global"]["test_acc"] == pytest.approx(theirs["global"]["test_acc"],
                                                           abs=1e-6)
        # the personal model (model 1) a client keeps between rounds came back on Flower
        for mine, other in zip(ours["client_rounds"], theirs["client_rounds"], strict=True):
            assert mine["local"]["model1_test_acc"] == pytest.approx(
                other["local"]["model1_test_acc"], abs=1e-6)


@pytest.mark.slow
def test_a_hook_failing_in_a_flower_client_stops_the_course_naming_client_and_hook(
        tmp_path):
    config = ditto_course(tmp_path, hook_body="raise ValueError('marks are full')")
    done = hookscope("flower", str(config), "--cpus", "2")
    assert done.returncode == 3, done.stderr[-3000:]
    message = done.stderr
    assert "train failed in 2 client(s)" in message and "client " in message
    assert "'mark'" in message and "on_fit_end" in message and "marks are full" in message


def test_a_fresh_client_given_the_saved_state_trains_on_exactly_as_the_original(tmp_path):
    """What a Flower node keeps in its Context.state between rounds is enough for a client
    rebuilt in another process to continue where it was: both models (Ditto's personal one
    too) and the batch order."""
    from trainer_core.config.course import build_client
    from trainer_core.config.experiment import load_spec
    from trainer_core.flower import client_state, restore_client_state

    spec = load_spec(ROOT / "sample_configs" / "ditto_rounds.yaml")
    original = build_client(spec, 1).trainer
    original.train()  # a round: its models moved, its batch generator advanced
    saved = {k: torch.from_numpy(v.numpy().copy()) for k, v in client_state(original).items()}
    assert any(k.startswith("model1/") for k in saved) and any(k.startswith("rng/train_loader/")
                                                                for k in saved)
    fresh = build_client(spec, 1).trainer
    restore_client_state(fresh, saved)
    _, expected, _ = original.train()
    _, got, _ = fresh.train()
    for mine, theirs in zip(got, expected, strict=True):
        assert all(torch.equal(mine[k], theirs[k]) for k in theirs)
    unrestored = build_client(spec, 1).trainer
    unrestored.update(original.get_model_para())  # the models alone are not enough:
    _, other, _ = unrestored.train()  # without the batch order the next round differs
    assert not all(torch.equal(other[1][k], got[1][k]) for k in got[1])


def test_the_strategy_sends_the_round_to_the_clients_the_embedded_course_samples():
    from trainer_core.config.experiment import load_spec
    from trainer_core.federated import sample_clients
    from trainer_core.flower import CourseFedAvg

    spec = load_spec(ROOT / "sample_configs" / "fedavg.yaml")
    node_of = {client: 1000 + 7 * client for client in range(spec.course.client_num)}
    strategy = CourseFedAvg(spec, node_of)
    for server_round in (1, 2, 3):
        wanted = sample_clients(spec.course, server_round - 1)
        assert len(wanted) == spec.course.clients_per_round
        assert strategy.nodes_for(server_round) == [node_of[c] for c in wanted]


def test_app_writes_a_flower_app_that_names_our_apps_and_the_config(tmp_path, capsys):
    import tomllib

    import trainer_core.flower as flower
    from app.cli import main

    config = ROOT / "sample_configs" / "fedavg.yaml"
    assert main(["flower", str(config), "--app", str(tmp_path / "app")]) == 0
    assert "flower-supernode" in capsys.readouterr().out
    written = tomllib.loads((tmp_path / "app" / "pyproject.toml").read_text())
    components = written["tool"]["flwr"]["app"]["components"]
    for ref in components.values():  # each names an app this module really has
        module, _, attribute = ref.partition(":")
        assert module == "trainer_core.flower" and hasattr(flower, attribute)
    assert written["tool"]["flwr"]["app"]["config"][flower.CONFIG_KEY] == str(config)
    assert written["project"]["dependencies"] == []  # nothing installed per run, offline
    # a different app already there is kept, not overwritten
    (tmp_path / "app" / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    assert main(["flower", str(config), "--app", str(tmp_path / "app")]) == 2
    assert "exists" in capsys.readouterr().err
    assert "mine" in (tmp_path / "app" / "pyproject.toml").read_text()


def test_the_server_refuses_the_configs_code_with_no_code_too(tmp_path):
    from trainer_core.config.experiment import load_spec
    from trainer_core.errors import ConfigError
    from trainer_core.flower import initial_global

    spec = load_spec(ditto_course(tmp_path, hook_body="pass"))
    with pytest.raises(ConfigError, match=r"marking\.py:mark"):
        initial_global(spec, allow_code=False)  # the hook file is not imported
    assert sorted(initial_global(spec)) == ["0.bias", "0.weight", "2.bias", "2.weight"]
