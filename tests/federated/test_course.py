"""The embedded FedAvg course on digits: it learns, replays exactly, keeps personal
parameters personal and runs the clients' own hooks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainer_core.config.experiment import load_experiment
from trainer_core.errors import ConfigError
from trainer_core.federated import Course, CourseSettings

ROOT = Path(__file__).resolve().parents[2]


def client_trainers(num: int, *, partition: str = "dirichlet", **overrides):
    return [load_experiment(ROOT / "sample_configs" / "default.yaml", {
        "data.clients": {"num": num, "index": i, "partition": partition, "alpha": 0.5},
        "train.local_update_steps": 1, **overrides}).trainer for i in range(num)]


def test_the_global_model_learns_over_rounds():
    course = Course(client_trainers(3), CourseSettings(client_num=3, total_round_num=4))
    reports = list(course.rounds())
    accuracy = [r.global_metrics["test_acc"] for r in reports]
    assert accuracy[-1] > accuracy[0] + 0.1 and accuracy[-1] > 0.7, accuracy
    assert reports[-1].global_metrics["test_total"] == sum(
        t.evaluate("test")["test_total"] for t in course.trainers)
    assert course.finished and [r.round_i for r in course.history] == [0, 1, 2, 3]
    with pytest.raises(ConfigError, match="has run its 4 round"):
        course.run_round()


def test_a_course_replays_exactly_on_the_same_seed():
    def run(seed: int):
        course = Course(client_trainers(4), CourseSettings(client_num=4, total_round_num=3,
                                                           sample_client_num=2, seed=seed))
        return [r.clients for r in course.rounds()], course.global_state

    clients, state = run(3)
    again, state_again = run(3)
    assert clients == again and all(len(set(c)) == 2 for c in clients)
    assert all(torch.equal(state[k], state_again[k]) for k in state)
    assert [run(s)[0] for s in (4, 5, 6)] != [clients] * 3  # the seed does choose


def test_personal_parameters_never_reach_the_global_model():
    trainers = client_trainers(2)
    course = Course(trainers, CourseSettings(client_num=2, total_round_num=2,
                                             local_param=("2.",)))
    course.run_round()
    assert sorted(course.global_state) == ["0.bias", "0.weight"]  # the head stayed home
    heads = [t.get_model_para()["2.weight"] for t in trainers]
    assert not torch.equal(heads[0], heads[1])  # each client trained its own head
    bodies = [t.get_model_para()["0.weight"] for t in trainers]
    assert all(torch.equal(b, course.global_state["0.weight"]) for b in bodies)


def test_every_sampled_client_runs_its_own_hooks():
    trainers = client_trainers(3)
    calls: list[int] = []
    for index, trainer in enumerate(trainers):
        trainer.register_hook_in_train(lambda ctx, index=index: calls.append(index),
                                       "on_fit_start")
    course = Course(trainers, CourseSettings(client_num=3, total_round_num=2,
                                             sample_client_num=2, seed=1))
    reports = list(course.rounds())
    assert calls == [c for r in reports for c in r.clients]


def test_the_course_needs_one_trainer_per_client():
    with pytest.raises(ConfigError, match="client_num is 3 but 2"):
        Course(client_trainers(2), CourseSettings(client_num=3, total_round_num=1))


def test_a_client_missing_classes_still_has_every_output():
    trainers = client_trainers(4, **{"data.clients.alpha": 0.05})
    classes = [len(torch.unique(t.ctx.data["train"]["y"])) for t in trainers]
    assert min(classes) < 10  # the draw left some client without some class
    assert {t.get_model_para()["2.weight"].shape[0] for t in trainers} == {10}


def test_the_debugger_on_a_federated_config_says_which_client_it_steps():
    from app.session import DebugSession

    session = DebugSession.from_config(ROOT / "sample_configs" / "fedavg.yaml",
                                       {"data.clients.index": 2})
    assert "this is client 2 of 5" in session.log[-1] and "5 FedAvg rounds" in session.log[-1]
    session.close()


def test_a_ditto_client_shares_its_global_model_and_keeps_its_personal_one():
    from trainer_core.config.course import load_course

    built = load_course(ROOT / "sample_configs" / "ditto_rounds.yaml",
                        {"federate.total_round_num": 2})
    course = built.course
    reports = list(course.rounds())
    personal = [t.get_model_para()[1]["0.weight"] for t in course.trainers]
    shared = [t.get_model_para()[0]["0.weight"] for t in course.trainers]
    assert not torch.equal(personal[0], personal[1])  # each client's own, never averaged
    assert all(torch.equal(s, course.global_state["0.weight"]) for s in shared)
    local = reports[-1].client_rounds[0].local_metrics
    assert "model1_test_acc" in local and "test_acc" in local


def test_the_rounds_table_shows_a_ditto_clients_personal_model():
    from app.commands.course_run import own_accuracy

    assert own_accuracy({"test_acc": 0.5, "model1_test_acc": 0.9}, "test") == 0.9
    assert own_accuracy({"test_acc": 0.5}, "test") == 0.5
    assert own_accuracy({}, "test") is None


def test_share_local_model_puts_every_client_on_one_model_and_trains_the_same_course():
    from trainer_core.config.course import load_course

    config = ROOT / "sample_configs" / "fedavg.yaml"
    short = {"federate.total_round_num": 2, "train.local_update_steps": 1}
    shared = load_course(config, {**short, "federate.share_local_model": True}).course
    own = load_course(config, short).course
    models = {id(t.ctx.model) for t in shared.trainers}
    assert len(models) == 1 and len({id(t.ctx.model) for t in own.trainers}) == 5
    shared_reports, own_reports = list(shared.rounds()), list(own.rounds())
    # every client loads the whole global model before it trains, so one model object
    # serves them all: the same course, bit for bit, with one model in memory instead of 5
    assert all(torch.equal(shared.global_state[k], own.global_state[k])
               for k in own.global_state)
    assert [r.global_metrics for r in shared_reports] == [r.global_metrics
                                                          for r in own_reports]
