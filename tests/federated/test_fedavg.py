"""FedAvg by hand on tiny states: weights by samples, personal parameters kept out."""

from __future__ import annotations

import pytest
import torch

from trainer_core.errors import ConfigError, HookscopeError
from trainer_core.federated import CourseSettings, fedavg, is_personal, shared_part
from trainer_core.federated.course import weighted_metrics


def test_fedavg_weights_each_client_by_its_samples():
    a = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor(0.0)}
    b = {"w": torch.tensor([5.0, 10.0]), "b": torch.tensor(4.0)}
    avg = fedavg([(1, a), (3, b)])
    assert torch.equal(avg["w"], torch.tensor([4.0, 8.0]))  # (1*1 + 3*5) / 4, (2 + 30) / 4
    assert torch.equal(avg["b"], torch.tensor(3.0))
    assert avg["w"].dtype == torch.float32


def test_integer_buffers_get_the_rounded_weighted_mean_in_their_dtype():
    avg = fedavg([(1, {"n": torch.tensor(10)}), (1, {"n": torch.tensor(13)})])
    assert avg["n"].dtype == torch.int64 and int(avg["n"]) == 12  # 11.5 rounds to even


def test_fedavg_refuses_what_cannot_be_averaged():
    with pytest.raises(HookscopeError, match="at least one"):
        fedavg([])
    with pytest.raises(HookscopeError, match="0 samples"):
        fedavg([(0, {"w": torch.zeros(1)})])
    with pytest.raises(HookscopeError, match="different parameters"):
        fedavg([(1, {"w": torch.zeros(1)}), (1, {"v": torch.zeros(1)})])
    with pytest.raises(HookscopeError, match="shape"):
        fedavg([(1, {"w": torch.zeros(1)}), (1, {"w": torch.zeros(2)})])


def test_personal_parameters_stay_on_the_client():
    state = {"0.weight": 1, "0.bias": 2, "head.weight": 3, "bn.running_mean": 4}
    assert is_personal("head.weight", ["head"]) and not is_personal("0.weight", ["head"])
    assert list(shared_part(state, ["head", "bn"])) == ["0.weight", "0.bias"]
    assert shared_part(state, []) == state
    assert shared_part(state, [""]) == state  # an empty fragment keeps nothing back


def test_settings_read_federatedscope_names_and_say_which_key_is_wrong():
    settings = CourseSettings.from_sections(
        {"client_num": 5, "total_round_num": 3, "sample_client_rate": 0.4, "mode": "standalone"},
        {"local_param": ["head"]}, seed=7)
    assert (settings.clients_per_round, settings.local_param, settings.seed) == (2, ("head",), 7)
    assert CourseSettings(client_num=4, total_round_num=1).clients_per_round == 4
    assert CourseSettings(client_num=4, total_round_num=1, sample_client_num=3,
                          sample_client_rate=0.25).clients_per_round == 3
    for federate, key in [({"client_num": 2}, "federate.total_round_num"),
                          ({"client_num": 0, "total_round_num": 1}, "federate.client_num"),
                          ({"client_num": 2, "total_round_num": 1, "sample_client_num": 3},
                           "federate.sample_client_num"),
                          ({"client_num": 2, "total_round_num": "3"}, "federate.total_round_num"),
                          ({"client_num": 2, "total_round_num": 1, "method": "fedopt"},
                           "federate.method")]:
        with pytest.raises(ConfigError) as error:
            CourseSettings.from_sections(federate)
        assert error.value.key_path == key, federate


def test_client_metrics_merge_as_one_evaluation_over_all_samples():
    merged = weighted_metrics([{"test_acc": 1.0, "test_loss": 2.0, "test_total": 10},
                               {"test_acc": 0.5, "test_loss": 9.0, "test_total": 30}], "test")
    assert merged == {"test_acc": pytest.approx(0.625), "test_loss": 11.0, "test_total": 40}
