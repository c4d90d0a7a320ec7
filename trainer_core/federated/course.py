"""An embedded federated course: FedAvg rounds over client trainers, in one process.

Each round samples clients (seeded by the course's seed and the round, so a course replays
exactly), and each sampled client does what a FederatedScope client does: load the global
model's shared parameters (``update``), run its local routine (``train``: the trainer's own
hooks, so every hook a user debugs runs here), and send ``(num_samples, shared params,
metrics)``. The server averages the updates (``fedavg``). Then the new global model is
evaluated on every client's evaluation split, and each sampled client's own model (its
personal parameters included) was evaluated right after its training.

Memory: one trainer per client means one model per client. Clients built on one model
object (``federate.share_local_model``, as FederatedScope does) share it, and then keep no
personal parameters between rounds: say so to the user rather than pretend.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainer_core.analysis.findings import Finding, merge_by_client
from trainer_core.errors import ConfigError
from trainer_core.federated.fedavg import fedavg, shared_part
from trainer_core.federated.personal import personal_findings
from trainer_core.federated.settings import CourseSettings


@dataclass(frozen=True)
class ClientRound:
    """One client's part in a round."""

    client: int
    num_samples: int
    train_metrics: dict[str, Any]
    #: its own model right after local training (personal parameters included)
    local_metrics: dict[str, Any]


@dataclass(frozen=True)
class RoundReport:
    """What a round did and how good the new global model is."""

    round_i: int
    clients: tuple[int, ...]
    client_rounds: tuple[ClientRound, ...]
    #: the aggregated model on every client's evaluation split, weighted by its samples
    global_metrics: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (``--json``, golden files)."""
        return {"round": self.round_i, "clients": list(self.clients),
                "global": self.global_metrics,
                "client_rounds": [{"client": c.client, "num_samples": c.num_samples,
                                   "train": c.train_metrics, "local": c.local_metrics}
                                  for c in self.client_rounds]}


class Course:
    """FedAvg over ``trainers`` (client ``i`` is ``trainers[i]``), as ``settings`` say.

    The global model starts as client 0's shared parameters. ``run_round`` runs the next
    round; ``rounds()`` runs the rest, one report at a time.
    """

    def __init__(self, trainers: Sequence[Any], settings: CourseSettings) -> None:
        if len(trainers) != settings.client_num:
            raise ConfigError(f"federate.client_num is {settings.client_num} but "
                              f"{len(trainers)} client trainer(s) were given",
                              key_path="federate.client_num")
        self.trainers = list(trainers)
        self.settings = settings
        self.global_state = client_update(self.trainers[0].get_model_para(),
                                          settings.local_param)
        self.round_i = 0
        self.history: list[RoundReport] = []
        self._chosen: tuple[int, ...] = ()
        self._updates: list[tuple[int, dict[str, Any]]] = []
        self._parts: list[ClientRound] = []
        self._personal: dict[int, list[Finding]] = {}

    @property
    def finished(self) -> bool:
        return self.round_i >= self.settings.total_round_num

    def sample(self, round_i: int) -> tuple[int, ...]:
        """The clients of round ``round_i``: see :func:`sample_clients`."""
        return sample_clients(self.settings, round_i)

    def run_round(self) -> RoundReport:
        """Sample, train the sampled clients from the global model, aggregate, evaluate."""
        for client in self.begin_round():
            trainer = self.send_global(client)
            self.receive(client, *trainer.train())
        return self.end_round()

    # -- a round in steps (what a debugger drives, one client routine at a time) ----------
    def begin_round(self) -> tuple[int, ...]:
        """Start the next round: its sampled clients, in the order they train."""
        if self.finished:
            raise ConfigError(f"the course has run its {self.settings.total_round_num} "
                              f"round(s)", key_path="federate.total_round_num")
        self._chosen = self.sample(self.round_i)
        self._updates, self._parts = [], []
        return self._chosen

    def send_global(self, client: int) -> Any:
        """Load the global model's shared parameters into ``client`` (FederatedScope's
        ``update``); returns its trainer, ready for its local routine."""
        trainer = self.trainers[client]
        load_global(trainer, self.global_state)
        return trainer

    def receive(self, client: int, num_samples: int, params: Any,
                metrics: Mapping[str, Any]) -> ClientRound:
        """What ``client`` sends after its routine (as ``train()`` returns it); its own
        model is evaluated before anything else changes it."""
        trainer = self.trainers[client]
        for finding in personal_findings(params, self.global_state, self.settings.local_param):
            known = self._personal.setdefault(client, [])
            if all(f.message != finding.message for f in known):
                known.append(finding)
        local = evaluate_own(trainer, self.settings.eval_split)
        self._updates.append((num_samples, client_update(params, self.settings.local_param)))
        part = ClientRound(client, int(num_samples), dict(metrics), dict(local))
        self._parts.append(part)
        return part

    def end_round(self) -> RoundReport:
        """Aggregate what the round's clients sent, evaluate the new global model."""
        self.global_state = fedavg(self._updates)
        report = RoundReport(self.round_i, self._chosen, tuple(self._parts),
                             self.evaluate_global())
        self.history.append(report)
        self.round_i += 1
        return report

    def rewind(self, global_state: Mapping[str, Any]) -> None:
        """Back to before round 0, from ``global_state`` (a debugger's restart; the
        clients' own state is the caller's to put back)."""
        self.round_i, self.history, self._personal = 0, [], {}
        self.global_state = dict(global_state)

    @property
    def findings(self) -> list[Finding]:
        """What clients sent of their personal part so far (``personal-sent``), one finding
        per problem naming the clients."""
        return merge_by_client(self._personal)

    def rounds(self) -> Iterator[RoundReport]:
        """Run the remaining rounds, yielding each report as it is done."""
        while not self.finished:
            yield self.run_round()

    def evaluate_global(self) -> dict[str, float]:
        """The global model on every client's evaluation split (each client keeps its
        personal parameters, as it would when it next receives the model), averaged
        weighted by the split's samples."""
        split = self.settings.eval_split
        results = []
        for client, trainer in enumerate(self.trainers):
            if trainer.has_split(split):
                results.append(self.send_global(client).evaluate(split))
        return weighted_metrics(results, split)


def sample_clients(settings: CourseSettings, round_i: int) -> tuple[int, ...]:
    """The clients of round ``round_i`` (0-based, sorted): all of them, or a draw without
    replacement from a generator seeded by (seed, round), so any round replays alone and
    every engine running the course (embedded, Flower) picks the same clients."""
    count, total = settings.clients_per_round, settings.client_num
    if count >= total:
        return tuple(range(total))
    rng = np.random.default_rng([settings.seed, round_i])
    return tuple(sorted(int(i) for i in rng.choice(total, size=count, replace=False)))


# -- a client's side of a round: the embedded course and the Flower client both use these --
def load_global(trainer: Any, global_state: Mapping[str, Any]) -> None:
    """Load the global model's shared parameters into a client's trainer. A multi-model
    trainer (Ditto: a global and a personal model) shares its model 0; the others stay the
    client's own, and so do its personal parameters."""
    if getattr(trainer, "model_nums", 1) > 1:
        states = trainer.get_model_para()
        trainer.update([{**states[0], **global_state}, *states[1:]], strict=False)
    else:
        trainer.update(global_state, strict=False)


def client_update(params: Any, local_param: Sequence[str]) -> dict[str, Any]:
    """What a client sends of the parameters ``train()`` returned: the shared part of its
    model (model 0 of a multi-model trainer)."""
    if isinstance(params, list | tuple):
        params = params[0]
    return shared_part(params, local_param)


def evaluate_own(trainer: Any, split: str) -> dict[str, Any]:
    """A client's own model (personal parameters included) on its ``split``; ``{}`` when
    it has no data there."""
    return dict(trainer.evaluate(split)) if trainer.has_split(split) else {}


def weighted_metrics(results: Sequence[Mapping[str, Any]], split: str) -> dict[str, float]:
    """Clients' evaluation metrics merged as one evaluation over all their samples: the
    totals (``{split}_total``, and ``{split}_loss``, a sum in FederatedScope's metrics)
    added up, every other number averaged weighted by the client's ``{split}_total``."""
    if not results:
        return {}
    total_key = f"{split}_total"
    sums = {total_key, f"{split}_loss"}
    weights = [float(r.get(total_key, 1.0)) for r in results]
    weight_sum = sum(weights) or 1.0
    keys = [k for k, v in results[0].items()
            if isinstance(v, int | float) and not isinstance(v, bool)]
    merged: dict[str, float] = {}
    for key in keys:
        values = [float(r.get(key, 0.0)) for r in results]
        merged[key] = sum(values) if key in sums else \
            sum(v * w for v, w in zip(values, weights, strict=True)) / weight_sum
    return merged
