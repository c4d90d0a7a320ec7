"""Batches of one data split, as the default hooks consume them.

``parse_data`` turns each split into a :class:`Batches`: ``len()`` batches per epoch and
``epoch(lane)`` returning an iterator of ``(x, y)`` for one pass. Three kinds:

* :class:`TensorBatches` — a split given as tensors (``{"x": ..., "y": ...}`` or a
  two-tensor ``TensorDataset``) is batched by slicing one shuffled copy per epoch. No
  DataLoader, no collation: measured here, a DataLoader adds ~145 µs per batch to a
  ~260 µs MLP step.
* :class:`DatasetBatches` — any other map-style Dataset, through a DataLoader.
* :class:`LoaderBatches` — a DataLoader the user built, used as it is.

Shuffling is seeded, and each lane (model of a MultiModelTrainer) has its own generator with
the same seed, so in parallel mode every model sees the same batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from trainer_core.errors import DataSplitError, describe_type

Batch = tuple[Any, ...]


class Batches(Protocol):
    """One split's batches: how many per epoch, and an iterator for one epoch."""

    num_samples: int

    def __len__(self) -> int: ...
    def epoch(self, lane: int = 0) -> Iterator[Batch]: ...


def exhausting(iterable: Iterable[Batch]) -> Iterator[Batch]:
    """Yield the batches one step behind, so the source is exhausted before the last one.

    A plain ``for`` loop exhausts a DataLoader's iterator, and on exhaustion torch's
    RandomSampler draws once more from its generator; a routine that stops after exactly
    ``len(loader)`` batches would skip that draw and see other orders from epoch 2 on.
    """
    iterator = iter(iterable)
    try:
        current = next(iterator)
    except StopIteration:
        return
    for upcoming in iterator:
        yield current
        current = upcoming
    yield current


def _count_batches(num_samples: int, batch_size: int, drop_last: bool) -> int:
    full, rest = divmod(num_samples, batch_size)
    return full + int(bool(rest) and not drop_last)


class _SeededLanes:
    """One torch.Generator per lane, all seeded alike."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._generators: dict[int, torch.Generator] = {}

    def generator(self, lane: int) -> torch.Generator:
        gen = self._generators.get(lane)
        if gen is None:
            gen = self._generators[lane] = torch.Generator().manual_seed(self.seed)
        return gen

    def rng_state(self) -> dict[int, torch.Tensor]:
        """Every lane's generator state, so a debugger can replay the same batch orders."""
        return {lane: gen.get_state() for lane, gen in self._generators.items()}

    def set_rng_state(self, state: dict[int, torch.Tensor]) -> None:
        """Put the generators back to a :meth:`rng_state` (lanes it lacks start afresh)."""
        self._generators = {}
        for lane, saved in state.items():
            self.generator(lane).set_state(saved)


class TensorBatches(_SeededLanes):
    """A split held as tensors, batched by slicing (the fast path)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, *, batch_size: int, shuffle: bool,
                 drop_last: bool, seed: int, device: torch.device | str = "cpu") -> None:
        super().__init__(seed)
        if len(x) != len(y):
            raise DataSplitError(f"x has {len(x)} rows but y has {len(y)}")
        self.x = x.to(device)
        self.y = y.to(device)
        self.num_samples = len(x)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last

    def __len__(self) -> int:
        return _count_batches(self.num_samples, self.batch_size, self.drop_last)

    def epoch(self, lane: int = 0) -> Iterator[Batch]:
        x, y = self.x, self.y
        if self.shuffle:
            order = torch.randperm(self.num_samples, generator=self.generator(lane)).to(x.device)
            x, y = x[order], y[order]
        size = self.batch_size
        stop = len(self) * size
        return ((x[i:i + size], y[i:i + size]) for i in range(0, stop, size))

    def __repr__(self) -> str:
        return (f"TensorBatches({self.num_samples} samples, batch {self.batch_size}, "
                f"{len(self)} batches, shuffle={self.shuffle})")


class LoaderBatches:
    """A user's DataLoader, used as it is (its own batch size, sampler and collation)."""

    def __init__(self, loader: DataLoader) -> None:
        self.loader = loader
        self.num_samples = len(loader.dataset)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.loader)

    def epoch(self, lane: int = 0) -> Iterator[Batch]:
        return exhausting(self.loader)

    def _generators(self) -> list[torch.Generator]:
        """The torch.Generators the loader's sampling draws from (none: torch's global RNG)."""
        loader = self.loader
        candidates = (loader.generator, getattr(loader.sampler, "generator", None),
                      getattr(getattr(loader.batch_sampler, "sampler", None), "generator", None))
        found: dict[int, torch.Generator] = {}
        for gen in candidates:
            if isinstance(gen, torch.Generator):
                found.setdefault(id(gen), gen)
        return list(found.values())

    def rng_state(self) -> list[torch.Tensor]:
        """The states of the loader's own generators, so a debugger can replay its order."""
        return [gen.get_state() for gen in self._generators()]

    def set_rng_state(self, state: list[torch.Tensor]) -> None:
        """Put the loader's generators back to a :meth:`rng_state`."""
        for gen, saved in zip(self._generators(), state, strict=False):
            gen.set_state(saved)

    def __repr__(self) -> str:
        return f"LoaderBatches({self.num_samples} samples, {len(self)} batches)"


class DatasetBatches(_SeededLanes):
    """A map-style Dataset batched through a DataLoader with a seeded sampler per lane."""

    def __init__(self, dataset: Dataset, *, batch_size: int, shuffle: bool, drop_last: bool,
                 seed: int) -> None:
        super().__init__(seed)
        self.dataset = dataset
        self.num_samples = len(dataset)  # type: ignore[arg-type]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._loaders: dict[int, DataLoader] = {}

    def __len__(self) -> int:
        return _count_batches(self.num_samples, self.batch_size, self.drop_last)

    def epoch(self, lane: int = 0) -> Iterator[Batch]:
        loader = self._loaders.get(lane)
        if loader is None:
            loader = self._loaders[lane] = DataLoader(
                self.dataset, batch_size=self.batch_size, shuffle=self.shuffle,
                drop_last=self.drop_last, generator=self.generator(lane))
        return exhausting(loader)

    def __repr__(self) -> str:
        return (f"DatasetBatches({self.num_samples} samples, batch {self.batch_size}, "
                f"{len(self)} batches)")


def make_batches(split: str, data: Any, *, batch_size: int, shuffle: bool, drop_last: bool,
                 seed: int, device: torch.device | str = "cpu") -> Batches:
    """Wrap one split's data; TypeError (DataSplitError) naming the split for anything else."""
    if isinstance(data, DataLoader):
        return LoaderBatches(data)
    if isinstance(data, Mapping):
        missing = [k for k in ("x", "y") if k not in data]
        if missing:
            raise DataSplitError(f"split '{split}' is a dict without key(s) "
                                 f"{', '.join(missing)}; give {{'x': inputs, 'y': targets}}",
                                 split=split)
        try:
            x, y = torch.as_tensor(data["x"]), torch.as_tensor(data["y"])
            return TensorBatches(x, y, batch_size=batch_size, shuffle=shuffle,
                                 drop_last=drop_last, seed=seed, device=device)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise DataSplitError(f"split '{split}': cannot use its 'x'/'y' as tensors: {exc}",
                                 split=split) from exc
    if isinstance(data, TensorDataset) and len(data.tensors) == 2:
        x, y = data.tensors
        return TensorBatches(x, y, batch_size=batch_size, shuffle=shuffle,
                             drop_last=drop_last, seed=seed, device=device)
    if isinstance(data, Dataset) and hasattr(data, "__len__"):
        return DatasetBatches(data, batch_size=batch_size, shuffle=shuffle,
                              drop_last=drop_last, seed=seed)
    raise DataSplitError(
        f"split '{split}' has unsupported type {describe_type(data)}; give a torch Dataset, "
        f"a DataLoader, or a dict {{'x': tensor, 'y': tensor}}", split=split)
