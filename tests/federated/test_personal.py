"""Personal state that reaches what a client sends: a local_param that holds nothing back,
and a multi-model client whose shared model 0 is a copy of its personal model."""

from __future__ import annotations

from pathlib import Path

import torch

from app.cli import main
from app.session.course import CourseSession
from trainer_core.config.course import load_course
from trainer_core.federated.personal import personal_findings

ROOT = Path(__file__).resolve().parents[2]
DITTO = ROOT / "sample_configs" / "ditto_rounds.yaml"
SHORT = {"federate.total_round_num": 2}


def state(**values: float) -> dict[str, torch.Tensor]:
    return {name: torch.full((2,), value) for name, value in values.items()}


def test_a_local_param_that_matches_nothing_is_found_and_one_that_matches_is_not():
    sent = state(**{"body.weight": 1.0, "fc.weight": 2.0})
    assert personal_findings(sent, sent, ["fc"]) == []
    [finding] = personal_findings(sent, sent, ["fc", "head"])
    assert finding.kind == "personal-sent" and "'head' matches no parameter" in finding.message
    assert "body.weight, fc.weight" in finding.hint


def test_a_shared_model_equal_to_a_personal_one_is_found_only_after_training():
    received = state(w=0.0)
    copied = [state(w=1.0), state(w=1.0)]  # model 0 trained to exactly model 1: a copy
    [finding] = personal_findings(copied, received, [])
    assert "equal to its personal model 1" in finding.message and finding.model_idx == 1
    assert personal_findings([state(w=1.0), state(w=0.5)], received, []) == []  # Ditto
    # untrained this round (model 0 is what it received): equality proves nothing
    assert personal_findings([state(w=0.0), state(w=0.0)], received, []) == []


def copy_personal_into_shared(ctx):
    ctx.models[0].load_state_dict(ctx.models[1].state_dict())  # the bug: it is sent


HOOK = {"hooks": {"train": [{"insert": {"hook": f"{__name__}:copy_personal_into_shared",
                                        "trigger": "on_fit_end"}}]}}


def test_the_course_and_check_flag_a_client_sending_its_personal_model(capsys):
    clean = load_course(DITTO, SHORT).course
    list(clean.rounds())
    assert clean.findings == []  # Ditto as written keeps its personal model home
    leaky = load_course(DITTO, {**SHORT, **HOOK}).course
    list(leaky.rounds())
    [finding] = leaky.findings
    assert "personal model 1" in finding.message
    assert finding.message.endswith("(clients 0, 1, 2, 3)")  # one finding naming them all
    assert "; seen in what the client sends" in finding.describe()


def test_the_debugger_shows_it_with_the_warnings():
    session = CourseSession.from_course_config(DITTO, {**SHORT, **HOOK})
    session.start()
    session.next_round()
    try:
        assert [f.kind for f in session.findings] == ["personal-sent"]
    finally:
        session.close()


def test_check_fails_on_a_local_param_that_holds_nothing_back(tmp_path, capsys):
    config = tmp_path / "typo.yaml"
    config.write_text((ROOT / "sample_configs" / "fedavg.yaml").read_text()
                      + "personalization: {local_param: [head]}\n")
    assert main(["check", str(config), "--rounds", "1", "--batches", "2"]) == 1
    out = capsys.readouterr().out
    assert "[personal-sent] ctx.model" in out and "'head' matches no parameter" in out
