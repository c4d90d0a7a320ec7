"""Offline data: splits by ratio and seed, client partitions, CSV, standardisation."""

from __future__ import annotations

import numpy as np
import pytest

from trainer_core.config.datasets import (
    ClientSpec,
    DataSpec,
    load_data,
    partition_clients,
    split_by_ratio,
)
from trainer_core.errors import ConfigError


def test_split_by_ratio_is_disjoint_sized_and_seeded():
    parts = split_by_ratio(100, {"train": 0.7, "val": 0.1, "test": 0.2}, seed=3)
    assert {k: len(v) for k, v in parts.items()} == {"train": 70, "val": 10, "test": 20}
    every = np.concatenate(list(parts.values()))
    assert len(set(every.tolist())) == 100
    again = split_by_ratio(100, {"train": 0.7, "val": 0.1, "test": 0.2}, seed=3)
    assert all(np.array_equal(parts[k], again[k]) for k in parts)
    other = split_by_ratio(100, {"train": 0.7, "val": 0.1, "test": 0.2}, seed=4)
    assert not np.array_equal(parts["train"], other["train"])


def test_iid_clients_cover_everything_once():
    y = np.arange(103) % 4
    parts = partition_clients(y, ClientSpec(num=5), seed=0, classification=True)
    assert sorted(np.concatenate(parts).tolist()) == list(range(103))
    assert {len(p) for p in parts} <= {20, 21}


def test_dirichlet_clients_are_disjoint_and_label_skewed():
    y = np.repeat(np.arange(5), 200)
    parts = partition_clients(y, ClientSpec(num=4, partition="dirichlet", alpha=0.1), seed=0,
                              classification=True)
    assert sorted(np.concatenate(parts).tolist()) == list(range(1000))
    # with a small alpha each client is dominated by a few labels
    top_share = [np.bincount(y[p], minlength=5).max() / max(1, len(p)) for p in parts if len(p)]
    assert max(top_share) > 0.5


def test_digits_client_share_and_standardised_features(tmp_path):
    bundle = load_data(DataSpec(type="digits", clients=ClientSpec(num=3, index=2)), seed=0,
                       base_dir=tmp_path)
    total = sum(len(s["y"]) for s in bundle.splits.values())
    assert 590 <= total <= 610 and "client 2/3 (iid)" in bundle.summary
    train_x = bundle.splits["train"]["x"]
    assert abs(float(train_x.mean())) < 0.05
    assert bundle.num_features == 64 and bundle.num_outputs == 10


def test_csv_regression_and_classification(tmp_path):
    path = tmp_path / "d.csv"
    rows = ["a,b,label"] + [f"{i},{i % 7},{i % 2}" for i in range(40)]
    path.write_text("\n".join(rows))
    bundle = load_data(DataSpec(type="csv", path="d.csv", splits={"train": 1.0}), seed=0,
                       base_dir=tmp_path)
    assert bundle.task == "classification" and bundle.num_outputs == 2
    bundle = load_data(DataSpec(type="csv", path="d.csv", target="b", task="regression",
                                splits={"train": 1.0}), seed=0, base_dir=tmp_path)
    assert bundle.task == "regression" and bundle.splits["train"]["y"].shape == (40, 1)
    with pytest.raises(ConfigError, match=r"has no column 'lable'.*did you mean 'label'"):
        load_data(DataSpec(type="csv", path="d.csv", target="lable"), seed=0, base_dir=tmp_path)


def test_custom_source_from_a_file(tmp_path):
    (tmp_path / "src.py").write_text("import numpy as np\n"
                                     "def make(n=30):\n"
                                     "    return np.ones((n, 2)), np.arange(n) % 3\n")
    bundle = load_data(DataSpec(type="src.py:make", options={"n": 60}, splits={"train": 0.5}),
                       seed=0, base_dir=tmp_path)
    assert len(bundle.splits["train"]["y"]) == 30 and bundle.num_outputs == 3


@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer"])
def test_bundled_datasets_read_from_the_shipped_files_equal_scikit_learns_loaders(name):
    import sklearn.datasets as skd

    from trainer_core.config.datasets import _read_bundled

    x, y = _read_bundled(name)
    sk_x, sk_y = getattr(skd, f"load_{name}")(return_X_y=True)
    assert np.array_equal(x, sk_x) and np.array_equal(y, sk_y)
