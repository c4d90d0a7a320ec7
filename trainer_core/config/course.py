"""A federated course from a config: one client trainer per ``data.clients`` share.

The config is a hookscope config with a ``federate`` section (FederatedScope's names). Each
client's trainer is what the config builds for that client's share of the data
(``data.clients.index`` = the client): the same model architecture and seed, the same hooks,
packs and hook edits, its own data and optimizer. ``data.clients`` may be left out (an IID
split into ``federate.client_num`` shares) or must agree with ``client_num``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer_core.config.experiment import (
    Experiment,
    ExperimentSpec,
    build_experiment,
    load_spec,
)
from trainer_core.config.registry import Registry
from trainer_core.config.specs import ClientSpec
from trainer_core.errors import ConfigError
from trainer_core.federated.course import Course
from trainer_core.federated.settings import CourseSettings


@dataclass
class CourseExperiment:
    """A built course and the experiment of each client (client ``i`` is ``clients[i]``)."""

    course: Course
    clients: list[Experiment]
    spec: ExperimentSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def data_summary(self) -> str:
        """Client 0's data line, with the partition."""
        return self.clients[0].data_summary


def require_course(spec: ExperimentSpec) -> CourseSettings:
    """The config's course settings; ConfigError when it has no ``federate`` section."""
    if spec.course is None:
        raise ConfigError(f"{spec.path.name} has no federate section: a course needs "
                          f"federate.client_num and federate.total_round_num",
                          key_path="federate", source=str(spec.path))
    return spec.course


def for_lint(spec: ExperimentSpec, rounds: int) -> ExperimentSpec:
    """The course ``hookscope check --rounds`` runs: ``rounds`` rounds, every client
    trained in each (so each client's checker sees every round)."""
    course = require_course(spec)
    return dataclasses.replace(spec, course=dataclasses.replace(
        course, total_round_num=rounds, sample_client_num=course.client_num,
        sample_client_rate=-1.0))


def client_spec(spec: ExperimentSpec) -> ClientSpec:
    """``data.clients`` for the course: the config's (checked to have ``client_num``
    shares when the config was read), or an IID split into ``client_num`` shares."""
    if spec.data.clients is None:
        return ClientSpec(num=spec.course.client_num, index=0, partition="iid")
    return spec.data.clients


def build_course(spec: ExperimentSpec, *, registry: Registry | None = None,
                 progress: Callable[[str], None] | None = None,
                 allow_code: bool = True) -> CourseExperiment:
    """Build every client's trainer and the course over them."""
    require_course(spec)
    experiments: list[Experiment] = []
    for index in range(spec.course.client_num):
        if progress is not None:
            progress(f"building client {index} of {spec.course.client_num}")
        shared = experiments[0].trainer.ctx.model if experiments and \
            spec.course.share_local_model else None  # FederatedScope's one model for all
        experiments.append(build_client(spec, index, registry=registry,
                                        allow_code=allow_code, model=shared))
    course = Course([e.trainer for e in experiments], spec.course)
    return CourseExperiment(course, experiments, spec)


def build_client(spec: ExperimentSpec, index: int, *, registry: Registry | None = None,
                 allow_code: bool = True, model: Any = None) -> Experiment:
    """Client ``index``'s experiment alone (a Flower client builds only its own); on
    ``model`` when given (``federate.share_local_model``)."""
    if spec.course is None or not 0 <= index < spec.course.client_num:
        count = spec.course.client_num if spec.course is not None else 0
        raise ConfigError(f"client {index} is not one of the course's {count} clients",
                          key_path="federate.client_num", source=str(spec.path))
    one = dataclasses.replace(spec, data=dataclasses.replace(
        spec.data, clients=dataclasses.replace(client_spec(spec), index=index)))
    return build_experiment(one, registry=registry, allow_code=allow_code, model=model)


def load_course(path: str | Path, overrides: Mapping[str, Any] | None = None, *,
                registry: Registry | None = None,
                progress: Callable[[str], None] | None = None,
                allow_code: bool = True) -> CourseExperiment:
    """Read, validate and build a federated config's course."""
    return build_course(load_spec(path, overrides), registry=registry, progress=progress,
                        allow_code=allow_code)
