"""Flower as the course's engine at scale: the same clients, hooks and FedAvg, run by Flower.

The embedded course (``trainer_core.federated``) runs every client in one process, which is
what a debugger needs. When a course outgrows one process it runs on Flower instead, and
nothing about the clients changes: a Flower client here is a hookscope client trainer built
from the same config (its own data share, the config's hooks, packs and hook edits), and
each round it does the same three steps as an embedded client, with the same functions
(``load_global``, ``train()``, ``client_update``). The server is Flower's own FedAvg
strategy (Flower's weighted averaging), told only which clients to sample so that a seeded
course picks the same clients on both engines.

- Parameters travel as NumPy arrays (Flower ``ArrayRecord``), and only the shared part of
  a model: ``personalization.local_param`` stays on the client, as in FederatedScope.
- What a client keeps between rounds (every model's parameters, personal ones included,
  and its batch-order generators) is saved in the node's ``Context.state``, which Flower
  keeps per node across rounds. So a client continues correctly whichever process serves
  its next round. Other state that hooks leave on ``ctx`` lives only as long as the
  process that built the trainer (in a simulation, usually the whole run).
- A hook that fails in a client stops the course with the client, hook and trigger named,
  as it would in the embedded course, instead of averaging the remaining clients.

``run_flower`` runs a course in Flower's simulation engine on this machine. For a real
deployment, ``client_app`` and ``server_app`` (below) are Flower apps that read the config's
path from the run config key ``hookscope-config`` and a node's client from its node config
key ``partition-id``: see docs/flower.md.

Flower is an optional extra (``pip install 'hookscope[flower]'``); importing this module
without it raises ``FlowerMissing`` with that line.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from trainer_core.analysis.finite import FiniteGuard, NonFiniteLoss
from trainer_core.config.course import build_client, require_course
from trainer_core.config.experiment import Experiment, ExperimentSpec, load_spec
from trainer_core.errors import HookError, HookscopeError
from trainer_core.federated.course import (
    ClientRound,
    RoundReport,
    client_update,
    evaluate_own,
    load_global,
    sample_clients,
    weighted_metrics,
)

FLOWER_HINT = "Flower is an optional extra: pip install 'hookscope[flower]'"


class FlowerMissing(HookscopeError, ImportError):
    """Flower (or its simulation engine, Ray) is not installed."""


try:
    from flwr.app import (
        ArrayRecord,
        ConfigRecord,
        Context,
        Error,
        Message,
        MessageType,
        MetricRecord,
        RecordDict,
    )
    from flwr.clientapp import ClientApp
    from flwr.serverapp import Grid, ServerApp
    from flwr.serverapp.strategy import FedAvg
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise FlowerMissing(f"{FLOWER_HINT} ({exc})") from exc

#: the run-config key naming the hookscope config (``flwr run --run-config``)
CONFIG_KEY = "hookscope-config"
#: the node-config key naming the client a node is (Flower's simulation sets it; a real
#: SuperNode is started with ``--node-config "partition-id=N"``)
PARTITION_KEY = "partition-id"
#: the run-config key: how long the server waits for every client's node to connect (s)
WAIT_KEY = "hookscope-wait"
#: where a node keeps its client's state between rounds (its ``Context.state``)
STATE_KEY = "hookscope-client"
#: Flower's key for the weight of a client's reply
WEIGHT_KEY = "num-examples"
#: the error codes of a client's reply: one of its hooks failed (a hook raised, or the loss
#: went non-finite), or anything else (its config, its data)
HOOK_FAILED, CLIENT_FAILED = 3, 2


class FlowerCourseFailed(HookscopeError):
    """The course stopped: a client could not do its part of a round (``hook_failed``:
    one of its hooks raised or its loss went non-finite), or Flower could not run it."""

    def __init__(self, message: str, *, hook_failed: bool = False) -> None:
        super().__init__(message)
        self.hook_failed = hook_failed


# -- the client --------------------------------------------------------------------------
_built: dict[tuple[str, int], Experiment] = {}


def client_experiment(config: str, index: int, *, allow_code: bool = True,
                      allow_nan: bool = False) -> Experiment:
    """Client ``index`` of the config's course, built once per process; unless
    ``allow_nan``, its routine stops at its first non-finite loss (as ``hookscope run``)."""
    key = (str(Path(config).resolve()), index)
    if key not in _built:
        experiment = build_client(load_spec(key[0]), index, allow_code=allow_code)
        if not allow_nan:
            experiment.trainer.routine_driver = FiniteGuard()
        _built[key] = experiment
    return _built[key]


def client_state(trainer: Any) -> dict[str, torch.Tensor]:
    """What a client carries from round to round, as named tensors: every model's state
    (its personal parameters too) and every split's batch-order generators."""
    params = trainer.get_model_para()
    models = params if isinstance(params, list | tuple) else [params]
    state = {f"model{i}/{k}": v for i, model in enumerate(models) for k, v in model.items()}
    for loader, lanes in trainer.batch_order().items():
        state.update({f"rng/{loader}/{lane}": gen for lane, gen in lanes.items()})
    return state


def restore_client_state(trainer: Any, state: Mapping[str, torch.Tensor]) -> None:
    """Put a :func:`client_state` back into a client's trainer (a fresh or stale one)."""
    models: dict[int, dict[str, torch.Tensor]] = {}
    lanes: dict[str, dict[int, torch.Tensor]] = {}
    for key, value in state.items():
        kind, _, name = key.partition("/")
        if kind == "rng":
            loader, _, lane = name.partition("/")
            lanes.setdefault(loader, {})[int(lane)] = value.to(torch.uint8).contiguous()
        else:
            models.setdefault(int(kind.removeprefix("model")), {})[name] = value
    ordered = [models[i] for i in sorted(models)]
    trainer.update(ordered if getattr(trainer, "model_nums", 1) > 1 else ordered[0],
                   strict=True)
    trainer.set_batch_order(lanes)


def _numbers(metrics: Mapping[str, Any], prefix: str) -> dict[str, float]:
    return {f"{prefix}{k}": float(v) for k, v in metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool)}


def _unprefixed(record: Mapping[str, Any], prefix: str) -> dict[str, float]:
    return {k[len(prefix):]: v for k, v in record.items() if k.startswith(prefix)}


def _client_of(context: Context) -> int:
    if PARTITION_KEY not in context.node_config:
        raise FlowerCourseFailed(f"this Flower node has no '{PARTITION_KEY}' in its node "
                                 f"config: start it with --node-config "
                                 f"\"{PARTITION_KEY}=N\" (N = its client)")
    return int(context.node_config[PARTITION_KEY])


def _config_of(context: Context, config: str | None) -> str:
    if config is not None:
        return config
    if CONFIG_KEY not in context.run_config:
        raise FlowerCourseFailed(f"the run config has no '{CONFIG_KEY}': run with "
                                 f"--run-config \"{CONFIG_KEY}='path/to/config.yaml'\"")
    return str(context.run_config[CONFIG_KEY])


def _failed(msg: Message, client: int, exc: BaseException) -> Message:
    """The error reply naming the client and what failed (for a hook: which, where)."""
    code = HOOK_FAILED if isinstance(exc, HookError | NonFiniteLoss) else CLIENT_FAILED
    return Message(Error(code, f"client {client}: {exc}"), reply_to=msg)


def make_client_app(config: str | None = None, *, allow_code: bool = True,
                    allow_nan: bool = False) -> ClientApp:
    """A Flower ClientApp that is a hookscope client of ``config`` (``None``: the path in
    the run config, for a deployment)."""
    app = ClientApp()

    def prepared(msg: Message, context: Context, client: int) -> Experiment:
        """The client, with what it carried from its last round and the global model."""
        experiment = client_experiment(_config_of(context, config), client,
                                       allow_code=allow_code, allow_nan=allow_nan)
        if STATE_KEY in context.state:
            restore_client_state(experiment.trainer,
                                 context.state[STATE_KEY].to_torch_state_dict())
        load_global(experiment.trainer, msg.content["arrays"].to_torch_state_dict())
        return experiment

    @app.query()
    def query(msg: Message, context: Context) -> Message:
        return Message(RecordDict({"metrics": MetricRecord(
            {PARTITION_KEY: _client_of(context)})}), reply_to=msg)

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        client = _client_of(context)
        try:
            experiment = prepared(msg, context, client)
            trainer, spec = experiment.trainer, experiment.spec
            num_samples, params, metrics = trainer.train()
            local = evaluate_own(trainer, spec.course.eval_split)
            shared = client_update(params, spec.course.local_param)
            context.state[STATE_KEY] = ArrayRecord(client_state(trainer))
        except Exception as exc:  # a hook, the data or the config: the server names it
            return _failed(msg, client, exc)
        record = {WEIGHT_KEY: int(num_samples), "client": client,
                  **_numbers(metrics, "train/"), **_numbers(local, "local/")}
        return Message(RecordDict({"arrays": ArrayRecord(shared),
                                   "metrics": MetricRecord(record)}), reply_to=msg)

    @app.evaluate()
    def evaluate(msg: Message, context: Context) -> Message:
        client = _client_of(context)
        try:
            experiment = prepared(msg, context, client)
            metrics = evaluate_own(experiment.trainer, experiment.spec.course.eval_split)
            context.state[STATE_KEY] = ArrayRecord(client_state(experiment.trainer))
        except Exception as exc:
            return _failed(msg, client, exc)
        split = experiment.spec.course.eval_split
        record = {WEIGHT_KEY: int(metrics.get(f"{split}_total", 0)), "client": client,
                  **_numbers(metrics, "eval/")}
        return Message(RecordDict({"metrics": MetricRecord(record)}), reply_to=msg)

    return app


# -- the server --------------------------------------------------------------------------
class CourseFedAvg(FedAvg):
    """Flower's FedAvg, sampling the course's clients (``sample_clients``: the same seeded
    draw as the embedded course) and keeping a :class:`RoundReport` per round."""

    def __init__(self, spec: ExperimentSpec, node_of: Mapping[int, int],
                 on_round: Callable[[RoundReport], None] | None = None) -> None:
        settings = spec.course
        super().__init__(fraction_evaluate=1.0, min_train_nodes=1,
                         min_evaluate_nodes=settings.client_num,
                         min_available_nodes=settings.client_num,
                         train_metrics_aggr_fn=_train_summary)
        self.settings, self.node_of = settings, dict(node_of)
        self.on_round = on_round
        self.reports: list[RoundReport] = []
        self._parts: tuple[ClientRound, ...] = ()

    def configure_train(self, server_round: int, arrays: ArrayRecord, config: ConfigRecord,
                        grid: Grid) -> list[Message]:
        config["server-round"] = server_round
        record = RecordDict({self.arrayrecord_key: arrays, self.configrecord_key: config})
        return list(self._construct_messages(record, self.nodes_for(server_round),
                                             MessageType.TRAIN))

    def nodes_for(self, server_round: int) -> list[int]:
        """The nodes of the clients the embedded course trains in this round (Flower
        counts rounds from 1, the course from 0)."""
        return [self.node_of[c] for c in sample_clients(self.settings, server_round - 1)]

    def aggregate_train(self, server_round: int, replies: Any) -> tuple[Any, Any]:
        replies = sorted(_checked(replies, "train"),  # the embedded course's order
                         key=lambda m: int(m.content["metrics"]["client"]))
        self._parts = tuple(ClientRound(int(m.content["metrics"]["client"]),
                                        int(m.content["metrics"][WEIGHT_KEY]),
                                        _unprefixed(m.content["metrics"], "train/"),
                                        _unprefixed(m.content["metrics"], "local/"))
                            for m in replies)
        return super().aggregate_train(server_round, replies)

    def aggregate_evaluate(self, server_round: int, replies: Any) -> MetricRecord:
        results = [_unprefixed(m.content["metrics"], "eval/")
                   for m in sorted(_checked(replies, "evaluate"),
                                   key=lambda m: int(m.content["metrics"]["client"]))]
        merged = weighted_metrics(results, self.settings.eval_split)
        report = RoundReport(server_round - 1, tuple(p.client for p in self._parts),
                             self._parts, merged)
        self.reports.append(report)
        if self.on_round is not None:
            self.on_round(report)
        return MetricRecord(merged)


def _train_summary(records: list[RecordDict], weight_key: str) -> MetricRecord:
    """The round's training metrics as one routine over all its clients' samples (what
    Flower logs per round), rather than Flower's default weighted mean of every number a
    client sent (its index and sample totals included)."""
    return MetricRecord(weighted_metrics(
        [_unprefixed(r["metrics"], "train/") for r in records], "train"))


def _checked(replies: Any, stage: str) -> list[Message]:
    """The replies, or FlowerCourseFailed naming every client that failed."""
    replies = list(replies)
    failed = [m.error for m in replies if m.has_error()]
    if failed:
        raise FlowerCourseFailed(f"{stage} failed in {len(failed)} client(s):"
                                 + "".join(sorted(f"\n  {e.reason}" for e in failed)),
                                 hook_failed=any(e.code == HOOK_FAILED for e in failed))
    return replies


def discover_clients(grid: Grid, client_num: int, timeout: float = 300.0) -> dict[int, int]:
    """Which node is which client: wait for ``client_num`` nodes, ask each its
    ``partition-id``; FlowerCourseFailed when a client is missing or claimed twice."""
    deadline = time.monotonic() + timeout
    while len(nodes := list(grid.get_node_ids())) < client_num:
        if time.monotonic() > deadline:
            raise FlowerCourseFailed(f"{len(nodes)} Flower node(s) connected in {timeout:.0f}"
                                     f" s; the course has {client_num} clients")
        time.sleep(0.5)
    asks = [Message(RecordDict(), dst_node_id=node, message_type=MessageType.QUERY)
            for node in nodes]
    node_of: dict[int, int] = {}
    for reply in _checked(grid.send_and_receive(asks, timeout=timeout), "query"):
        client = int(reply.content["metrics"][PARTITION_KEY])
        if client in node_of:
            raise FlowerCourseFailed(f"two Flower nodes say they are client {client}")
        node_of[client] = reply.metadata.src_node_id
    missing = sorted(set(range(client_num)) - set(node_of))
    if missing:
        raise FlowerCourseFailed(f"no Flower node is client {missing}: start one node per "
                                 f"client with --node-config \"{PARTITION_KEY}=N\"")
    return node_of


@dataclass
class FlowerResult:
    """What a Flower course did: a report per round and the final global parameters."""

    reports: list[RoundReport] = field(default_factory=list)
    global_state: dict[str, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0
    #: why the server stopped early (Flower's simulation logs it but does not raise it)
    error: BaseException | None = None


def initial_global(spec: ExperimentSpec, *, allow_code: bool = True) -> dict[str, torch.Tensor]:
    """The course's starting global model, as the embedded course takes it: client 0's
    freshly built shared parameters."""
    return client_update(build_client(spec, 0, allow_code=allow_code).trainer.get_model_para(),
                         spec.course.local_param)


def make_server_app(config: str | None = None, result: FlowerResult | None = None,
                    on_round: Callable[[RoundReport], None] | None = None, *,
                    allow_code: bool = True) -> ServerApp:
    """A Flower ServerApp running ``config``'s course (``None``: the path in the run
    config); fills ``result`` as rounds end. ``allow_code`` False: the config's code
    references are refused here too (the server builds client 0 for the first model)."""
    app = ServerApp()
    result = result if result is not None else FlowerResult()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        started = time.perf_counter()
        try:
            spec = load_spec(_config_of(context, config))
            wait = float(context.run_config.get(WAIT_KEY, 300))
            strategy = CourseFedAvg(spec, discover_clients(grid, spec.course.client_num,
                                                           wait), on_round)
            first = initial_global(spec, allow_code=allow_code)
            outcome = strategy.start(grid, ArrayRecord(first),
                                     num_rounds=spec.course.total_round_num)
        except BaseException as exc:
            result.error = exc
            raise
        result.reports[:] = strategy.reports
        result.global_state = dict(outcome.arrays.to_torch_state_dict())
        result.seconds = time.perf_counter() - started

    return app


#: the Flower apps of a deployment (``flwr run`` names them in its pyproject.toml)
client_app = make_client_app()
server_app = make_server_app()


def app_pyproject(config: str | Path, *, name: str = "hookscope-course") -> str:
    """The ``pyproject.toml`` of a Flower App that runs ``config``'s course on a real
    deployment (``flwr run DIR CONNECTION``): this module's two apps and the config's
    absolute path, which must hold on the SuperLink's machine and on every SuperNode's."""
    path = Path(config).resolve()
    return f"""\
# A Flower App running the hookscope course of {path.name} (written by hookscope flower
# --app). Its apps are trainer_core.flower's: install hookscope[flower] on every machine,
# and keep the config (and the files it names) at the path below on each of them.
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "1.0.0"
description = "The hookscope course of {path.name}, run by Flower"
license = "Apache-2.0"
dependencies = []  # hookscope[flower] is installed beside Flower, not per run

[tool.flwr.app]
publisher = "hookscope"

[tool.flwr.app.components]
serverapp = "trainer_core.flower:server_app"
clientapp = "trainer_core.flower:client_app"

[tool.flwr.app.config]
{CONFIG_KEY} = "{path.as_posix()}"
{WAIT_KEY} = 300
"""


def run_flower(config: str | Path, *, on_round: Callable[[RoundReport], None] | None = None,
               cpus: int | None = None, verbose: bool = False, allow_code: bool = True,
               allow_nan: bool = False) -> FlowerResult:
    """Run ``config``'s course on Flower's simulation engine (Ray) on this machine: one
    virtual node per client, each client taking one CPU; returns what the rounds did.
    FlowerCourseFailed when a client failed or the simulation ended without a result."""
    path = str(Path(config).resolve())
    spec = load_spec(path)
    require_course(spec)
    os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")  # nothing leaves this machine
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # no GPUs: no notice
    # Ray starts its workers at nice 15; here they do the training the user asked for, and
    # beside any busy process they would get almost no CPU
    os.environ.setdefault("RAY_worker_niceness", "0")
    from flwr.simulation import run_simulation

    if not verbose:  # our progress line and table say what Flower's log would
        logging.getLogger("flwr").setLevel(logging.ERROR)
    result = FlowerResult()
    cpus = cpus or os.cpu_count() or 1
    started = time.perf_counter()
    run_simulation(server_app=make_server_app(path, result, on_round, allow_code=allow_code),
                   client_app=make_client_app(path, allow_code=allow_code,
                                              allow_nan=allow_nan),
                   num_supernodes=spec.course.client_num,
                   backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                                   "init_args": {"num_cpus": cpus, "num_gpus": 0,
                                                 "include_dashboard": False,
                                                 "logging_level": "error",
                                                 "log_to_driver": verbose}},
                   verbose_logging=verbose)
    if result.error is not None:
        raise result.error
    if len(result.reports) != spec.course.total_round_num or not result.global_state:
        raise FlowerCourseFailed(f"the Flower course ended after {len(result.reports)} of "
                                 f"{spec.course.total_round_num} round(s); its log above "
                                 f"says why")
    result.seconds = time.perf_counter() - started
    return result
