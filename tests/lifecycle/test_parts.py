"""The checker's parts on their own: deep sizes, the growth rule, statement lines."""

from __future__ import annotations

import sys
from collections import deque

import pytest
import torch

from trainer_core.analysis.mutations import mutation_lines
from trainer_core.analysis.retained import SAMPLE, measure
from trainer_core.analysis.trend import FINAL, ROUNDS, RUNNING, growth
from trainer_core.analysis.values import format_bytes


# -- retained sizes ----------------------------------------------------------------------
def test_a_view_retains_its_whole_storage_and_shared_storage_counts_once():
    big = torch.zeros(1000)
    assert measure(big[:10]).nbytes == 4000  # the slice keeps all of it alive
    three = [big, big[:10], big.view(10, 100)]
    assert measure(three).nbytes == 4000 + sys.getsizeof(three)


def test_growth_inside_containers_and_objects_is_seen():
    class Stats:
        def __init__(self):
            self.history = []

    stats, by_class = Stats(), {0: [], 1: []}
    before = (measure(stats).nbytes, measure(by_class).nbytes)
    for _ in range(50):
        stats.history.append(torch.ones(8))
        by_class[0].append(torch.ones(8))
    assert measure(stats).nbytes > before[0] + 50 * 32
    assert measure(by_class).nbytes > before[1] + 50 * 32


@pytest.mark.parametrize(("value", "path"), [
    ({"logits": "G", "n": 3}, "['logits']"),
    ([1.0, ("x", "G")], "[1][1]"),
    (deque(["G"]), "[0]"),
])
def test_the_path_to_a_live_graph(value, path):
    graph = torch.ones(2, requires_grad=True) * 2

    def place(v):
        if v == "G":
            return graph
        if isinstance(v, dict):
            return {k: place(x) for k, x in v.items()}
        if isinstance(v, list | tuple | deque):
            return type(v)(place(x) for x in v)
        return v
    found = measure(place(value))
    assert found.graphs == 1 and found.graph_path == path


def test_a_graph_on_an_object_attribute_and_none_after_detach():
    class Probe:
        pass

    probe = Probe()
    probe.last = torch.ones(2, requires_grad=True).sum()
    assert measure(probe).graph_path == ".last"
    probe.last = probe.last.detach()
    assert measure(probe).graphs == 0


def test_long_containers_are_sampled_and_scaled():
    items = [torch.ones(10) for _ in range(10 * SAMPLE)]
    size = measure(items)
    exact = sys.getsizeof(items) + 10 * SAMPLE * 40
    assert abs(size.nbytes - exact) / exact < 0.01 and not size.truncated


def test_the_budget_bounds_the_walk_and_says_so():
    nested = [[[i] for i in range(50)] for _ in range(50)]
    assert measure(nested, budget=100).truncated
    assert not measure(nested).truncated


def test_modules_and_optimizers_are_not_walked():
    model = torch.nn.Linear(100, 100)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    assert measure(model).nbytes < 1000 and measure(optimizer).nbytes < 1000


def test_a_replaced_item_changes_the_identity_not_the_size():
    box = {"last": torch.ones(3)}
    first = measure(box)
    box["last"] = torch.ones(3)
    second = measure(box)
    assert first.nbytes == second.nbytes and first.identity != second.identity


@pytest.mark.parametrize(("count", "text"), [(512, "512 B"), (1536, "1.5 KiB"),
                                             (1_200_000, "1.1 MiB"), (3 << 30, "3.0 GiB")])
def test_sizes_are_in_binary_units_named_right(count, text):
    assert format_bytes(count) == text


# -- the growth rule ---------------------------------------------------------------------
def series(sizes, start=1):
    return [(start + i, size) for i, size in enumerate(sizes)]


def test_steady_growth_and_growth_every_second_step():
    assert growth(series(range(100, 2100, 100)), RUNNING) is not None
    every_other = [100 + 100 * (i // 2) for i in range(20)]
    found = growth(series(every_other), RUNNING)
    assert found is not None and found.rises == 9 and found.rate == pytest.approx(900 / 19)


def test_a_plateau_is_not_growth_once_it_shows():
    trimmed = [min(i, 10) * 100 for i in range(1, 21)]  # a list kept to its last 10
    assert growth(series(trimmed[:12]), RUNNING) is None  # too early to say anything
    assert growth(series(trimmed), RUNNING) is None
    assert growth(series(trimmed), FINAL) is None


def test_a_sawtooth_under_a_ceiling_is_not_growth_but_a_rising_one_is():
    capped = [((i % 10) + 1) * 100 for i in range(30)]  # cleared every 10 steps
    assert growth(series(capped), FINAL) is None
    rising = [((i % 10) + 1) * 100 + 50 * i for i in range(30)]
    assert growth(series(rising), FINAL) is not None


def test_short_series_need_the_final_rule_and_rounds_need_three():
    assert growth(series([10, 20, 30, 40, 50]), RUNNING) is None  # 4 steps: wait
    assert growth(series([10, 20, 30, 40, 50]), FINAL) is not None
    assert growth(series([10, 20]), ROUNDS) is None
    found = growth(series([10, 20, 30]), ROUNDS)
    assert found is not None and found.projected(100) == 30 + 100 * 10


# -- statement lines -----------------------------------------------------------------
def hook_with_everything(ctx):
    ctx.log = []
    ctx.log.append(1)
    ctx.stats.history.append(2)
    ctx.outputs["logits"] = 3
    ctx.total += 1
    setattr(ctx, "flag", True)  # noqa: B010 - the form a hook may use
    alias = ctx.alias
    alias.append(4)


@pytest.mark.parametrize(("name", "offsets", "in_place_first"), [
    ("log", (1, 2), False),
    ("log", (2, 1), True),
    ("stats", (3,), True),
    ("outputs", (4,), True),
    ("total", (5,), True),
    ("flag", (6,), False),
    ("alias", (), True),  # through a local name: only running the hook shows it
])
def test_mutation_lines(name, offsets, in_place_first):
    first = hook_with_everything.__code__.co_firstlineno
    assert mutation_lines(hook_with_everything, name, in_place_first=in_place_first) == tuple(
        first + offset for offset in offsets)
