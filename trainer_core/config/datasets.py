"""Data that works offline: bundled real datasets, generators and CSV files, split by seed.

``data.type`` names a source: scikit-learn's bundled ``digits``, ``iris``, ``wine``,
``breast_cancer`` (they ship with the package; nothing is downloaded),
``synthetic_classification``, ``synthetic_regression``, ``csv`` (a file with a header), or a
``module:function`` / ``file.py:function`` returning ``(x, y)`` arrays.

The samples are optionally partitioned across ``clients`` (IID, or non-IID by a Dirichlet
draw over each class, as federated-learning papers do) and one client's share is kept, so
one client's trainer can be debugged on its own data. That share is then split into
train / val / test by ratio with the seed; features are standardised with the training
split's statistics.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainer_core.config.registry import load_object
from trainer_core.config.specs import ClientSpec, DataSpec
from trainer_core.engine.modes import SPLITS
from trainer_core.errors import ConfigError, UnresolvedReference, did_you_mean

Arrays = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class DataBundle:
    """Splits ready for a trainer, and what a model needs to know about them."""

    splits: dict[str, dict[str, torch.Tensor]]
    task: str
    num_features: int
    num_outputs: int
    summary: str


#: The files scikit-learn ships these datasets in (under sklearn/datasets/data).
_SKLEARN_FILES = {"digits": "digits.csv.gz", "iris": "iris.csv", "wine": "wine_data.csv",
                  "breast_cancer": "breast_cancer.csv"}


def _sklearn(name: str) -> Callable[[Mapping[str, Any], Path], Arrays]:
    def load(options: Mapping[str, Any], base_dir: Path) -> Arrays:
        arrays = _read_bundled(name)
        if arrays is None:  # a scikit-learn whose files moved: its own loader
            import sklearn.datasets as skd

            arrays = getattr(skd, f"load_{name}")(return_X_y=True)
        x, y = arrays
        return np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)
    load.__doc__ = f"scikit-learn's bundled {name} dataset."
    return load


def _read_bundled(name: str) -> Arrays | None:
    """The dataset read straight from the file scikit-learn ships, without importing
    scikit-learn (``import sklearn.datasets`` costs ~0.6 s, most of a debugger's first stop);
    None when the file is not where scikit-learn 1.x keeps it."""
    import gzip
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / _SKLEARN_FILES[name]
    try:
        if path.suffix == ".gz":  # digits: rows of features then the target, no header
            with gzip.open(path, "rt") as handle:
                table = np.loadtxt(handle, delimiter=",")
        else:  # a header line (samples, features, class names), then features and target
            table = np.loadtxt(path, delimiter=",", skiprows=1)
    except (OSError, ValueError):
        return None
    return table[:, :-1], table[:, -1].astype(np.int64)


def _synthetic_classification(options: Mapping[str, Any], base_dir: Path) -> Arrays:
    """Gaussian clusters: n_samples, n_features, n_classes, class_sep, seed."""
    from sklearn.datasets import make_classification

    n_features = int(options.get("n_features", 20))
    x, y = make_classification(
        n_samples=int(options.get("n_samples", 1000)), n_features=n_features,
        n_informative=int(options.get("n_informative", max(2, n_features // 2))),
        n_redundant=0, n_classes=int(options.get("n_classes", 2)),
        class_sep=float(options.get("class_sep", 1.0)), random_state=int(options.get("seed", 0)))
    return x.astype(np.float32), y.astype(np.int64)


def _synthetic_regression(options: Mapping[str, Any], base_dir: Path) -> Arrays:
    """A noisy linear target: n_samples, n_features, noise, seed."""
    from sklearn.datasets import make_regression

    x, y = make_regression(n_samples=int(options.get("n_samples", 1000)),
                           n_features=int(options.get("n_features", 10)),
                           noise=float(options.get("noise", 0.1)),
                           random_state=int(options.get("seed", 0)))
    return x.astype(np.float32), (y / max(1e-8, float(np.std(y)))).astype(np.float32)


def _numeric_row(path: Path, line: int, row: list[str], header: list[str]) -> list[float]:
    """One CSV row as numbers; ConfigError naming the row and column of a bad cell."""
    if len(row) != len(header):
        raise ConfigError(f"CSV {path}, row {line}: {len(row)} cells, the header has "
                          f"{len(header)}", key_path="data.path")
    values = []
    for name, cell in zip(header, row, strict=True):
        text = cell.strip()
        if not text:
            raise ConfigError(f"CSV {path}, row {line}, column '{name}': empty cell",
                              key_path="data.path")
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"CSV {path}, row {line}, column '{name}': {text!r} is not a "
                              f"number", key_path="data.path") from None
        if not np.isfinite(value):
            raise ConfigError(f"CSV {path}, row {line}, column '{name}': {text!r} is not a "
                              f"finite number", key_path="data.path")
        values.append(value)
    return values


def read_csv(path: Path, target: str) -> Arrays:
    """Numeric CSV with a header; ``target`` names the label column (default: the last)."""
    if not path.exists():
        raise ConfigError(f"CSV file {path} does not exist", key_path="data.path")
    if not path.is_file():
        raise ConfigError(f"{path} is not a file (give the CSV file itself)",
                          key_path="data.path")
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"cannot read CSV {path}: {exc}", key_path="data.path") from exc
    numbered = [(i, row) for i, row in enumerate(rows, start=1)
                if any(cell.strip() for cell in row)]  # blank lines are skipped
    if len(numbered) < 2:
        raise ConfigError(f"CSV file {path} needs a header and at least one row",
                          key_path="data.path")
    header = [name.strip() for name in numbered[0][1]]
    column = target or header[-1]
    if column not in header:
        raise ConfigError(f"CSV {path} has no column '{column}'{did_you_mean(column, header)}; "
                          f"columns: {', '.join(header)}", key_path="data.target")
    index = header.index(column)
    table = np.array([_numeric_row(path, line, row, header) for line, row in numbered[1:]],
                     dtype=np.float64)
    x = np.delete(table, index, axis=1).astype(np.float32)
    y = table[:, index]
    if np.all(y == np.round(y)) and len(np.unique(y)) <= max(2, len(y) // 10):
        return x, y.astype(np.int64)
    return x, y.astype(np.float32)


SOURCES: dict[str, Callable[[Mapping[str, Any], Path], Arrays]] = {
    "digits": _sklearn("digits"),
    "iris": _sklearn("iris"),
    "wine": _sklearn("wine"),
    "breast_cancer": _sklearn("breast_cancer"),
    "synthetic_classification": _synthetic_classification,
    "synthetic_regression": _synthetic_regression,
}


#: The options each built-in source reads; any other key is a mistake worth an error.
SOURCE_OPTIONS: dict[str, tuple[str, ...]] = {
    "synthetic_classification": ("n_samples", "n_features", "n_informative", "n_classes",
                                 "class_sep", "seed"),
    "synthetic_regression": ("n_samples", "n_features", "noise", "seed"),
}


def _check_options(spec: DataSpec) -> None:
    """ConfigError at ``data.<key>`` for an option the built-in source would ignore."""
    allowed = SOURCE_OPTIONS.get(spec.type, ())
    for key in spec.options:
        if key not in allowed:
            known = [f.name for f in fields(DataSpec) if f.name != "options"] + list(allowed)
            raise ConfigError(f"unknown key '{key}' for data type '{spec.type}'"
                              f"{did_you_mean(key, known)}; known: {', '.join(known)}",
                              key_path=f"data.{key}")


def load_arrays(spec: DataSpec, base_dir: Path) -> Arrays:
    """Raw (x, y) for a data spec."""
    if spec.type == "csv" or spec.type in SOURCES:
        _check_options(spec)
    if spec.type == "csv":
        if not spec.path:
            raise ConfigError("a csv source needs 'path'", key_path="data.path")
        path = Path(spec.path)
        return read_csv(path if path.is_absolute() else base_dir / path, spec.target)
    if spec.type in SOURCES:
        return SOURCES[spec.type](spec.options, base_dir)
    if ":" in spec.type:
        try:
            source = load_object(spec.type, base_dir=base_dir, kind="dataset")
        except UnresolvedReference as exc:
            raise ConfigError(str(exc), key_path="data.type") from exc
        try:
            result = source(**spec.options)
        except Exception as exc:
            raise ConfigError(f"{spec.type} raised {type(exc).__name__}: {exc}",
                              key_path="data.type") from exc
        if not (isinstance(result, tuple) and len(result) == 2):
            raise ConfigError(f"{spec.type} must return (x, y) arrays, got "
                              f"{type(result).__name__}", key_path="data.type")
        try:
            return np.asarray(result[0], dtype=np.float32), np.asarray(result[1])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{spec.type} returned (x, y) that are not numeric arrays: "
                              f"{exc}", key_path="data.type") from exc
    known = [*SOURCES, "csv"]
    raise ConfigError(f"unknown data type '{spec.type}'{did_you_mean(spec.type, known)}; use "
                      f"{', '.join(known)} or 'module:function'", key_path="data.type")


def partition_clients(y: np.ndarray, clients: ClientSpec, seed: int,
                      classification: bool) -> list[np.ndarray]:
    """Sample indices per client: IID (equal random shares) or Dirichlet over each class."""
    if clients.num < 1 or not 0 <= clients.index < clients.num:
        raise ConfigError(f"client index {clients.index} is out of range for {clients.num} "
                          f"clients", key_path="data.clients.index")
    rng = np.random.default_rng(seed)
    if clients.partition == "iid":
        return [np.sort(part) for part in np.array_split(rng.permutation(len(y)), clients.num)]
    if clients.partition != "dirichlet":
        raise ConfigError(f"partition must be 'iid' or 'dirichlet', got "
                          f"'{clients.partition}'", key_path="data.clients.partition")
    if not classification:
        raise ConfigError("a dirichlet partition needs class labels", key_path="data.clients")
    shares: list[list[int]] = [[] for _ in range(clients.num)]
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        weights = rng.dirichlet(np.full(clients.num, clients.alpha))
        cuts = (np.cumsum(weights)[:-1] * len(members)).astype(int)
        for client, part in enumerate(np.split(members, cuts)):
            shares[client].extend(part.tolist())
    return [np.sort(np.array(s, dtype=np.int64)) for s in shares]


def split_by_ratio(count: int, ratios: Mapping[str, float], seed: int) -> dict[str, np.ndarray]:
    """Random disjoint index sets per split, sized by ratio (ratios must sum to at most 1)."""
    for name, ratio in ratios.items():
        if name not in SPLITS:
            raise ConfigError(f"unknown split '{name}'{did_you_mean(name, SPLITS)}",
                              key_path=f"data.splits.{name}")
        if not 0 <= ratio <= 1:
            raise ConfigError(f"ratio must be between 0 and 1, got {ratio}",
                              key_path=f"data.splits.{name}")
    if sum(ratios.values()) > 1 + 1e-9:
        raise ConfigError(f"split ratios sum to {sum(ratios.values()):.3g}, more than 1",
                          key_path="data.splits")
    order = np.random.default_rng(seed).permutation(count)
    result, start = {}, 0
    for name in SPLITS:
        ratio = ratios.get(name, 0)
        size = round(ratio * count)
        if size:
            result[name] = order[start:start + size]
            start += size
    return result


def _standardized(values: np.ndarray, train_index: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per column, using the training rows' statistics only."""
    mean = values[train_index].mean(axis=0)
    std = values[train_index].std(axis=0)
    return ((values - mean) / np.where(std > 1e-8, std, 1.0)).astype(np.float32)


def _check_every_split_has_samples(spec: DataSpec, parts: Mapping[str, np.ndarray],
                                   count: int) -> None:
    """A split the config asks for (ratio > 0), and the training split always, must get at
    least one sample; say which client and how many samples it got when that is why."""
    starved = [name for name, ratio in spec.splits.items() if ratio > 0 and name not in parts]
    if "train" not in parts and "train" not in starved:
        starved.insert(0, "train")
    if not starved:
        return
    wanted = ", ".join(f"{n} {r:g}" for n, r in spec.splits.items())
    if spec.clients is not None:
        clients = spec.clients
        advice = (f"; a Dirichlet partition with alpha {clients.alpha:g} can leave a client "
                  f"almost nothing: raise alpha or use fewer clients"
                  if clients.partition == "dirichlet" else "; use fewer clients")
        raise ConfigError(f"client {clients.index} of {clients.num} got {count} sample(s), "
                          f"too few for the splits ({wanted}): {', '.join(starved)} would be "
                          f"empty{advice}", key_path="data.clients")
    raise ConfigError(f"{count} samples with ratios {wanted} leave {', '.join(starved)} "
                      f"empty", key_path="data.splits")


def load_data(spec: DataSpec, *, seed: int, base_dir: Path) -> DataBundle:
    """Everything from raw arrays to tensors per split, with a one-line summary."""
    x, y = load_arrays(spec, base_dir)
    if x.ndim != 2 or len(x) != len(y):
        raise ConfigError(f"data must be a 2-D feature array and one label per row; got x "
                          f"{list(x.shape)} and y {list(y.shape)}", key_path="data")
    task = spec.task or ("classification" if np.issubdtype(y.dtype, np.integer)
                         else "regression")
    if task not in ("classification", "regression"):
        raise ConfigError(f"task must be 'classification' or 'regression', got '{task}'",
                          key_path="data.task")
    classification = task == "classification"
    # from every sample, before a client's share is kept: a client missing a class still
    # has the output for it, so the clients' models have one shape and can be averaged
    num_outputs = int(y.max()) + 1 if classification else 1
    client_note = ""
    if spec.clients is not None:
        share = partition_clients(y, spec.clients, seed, classification)[spec.clients.index]
        x, y = x[share], y[share]
        client_note = (f", client {spec.clients.index}/{spec.clients.num} "
                       f"({spec.clients.partition})")
    parts = split_by_ratio(len(y), spec.splits, seed)
    _check_every_split_has_samples(spec, parts, len(y))
    if "train" in parts and spec.standardize:
        x = _standardized(x, parts["train"])
        if not classification:
            y = _standardized(y.reshape(-1, 1), parts["train"]).reshape(-1)
    splits = {}
    for name, index in parts.items():
        targets = torch.as_tensor(y[index], dtype=torch.long if classification
                                  else torch.float32)
        if not classification:
            targets = targets.reshape(-1, 1)
        splits[name] = {"x": torch.as_tensor(x[index], dtype=torch.float32), "y": targets}
    sizes = ", ".join(f"{n} {len(i)}" for n, i in parts.items())
    summary = (f"{spec.type}: {len(y)} samples x {x.shape[1]} features, {task}"
               f"{f' ({num_outputs} classes)' if classification else ''}{client_note}; {sizes}")
    return DataBundle(splits, task, int(x.shape[1]), num_outputs, summary)
