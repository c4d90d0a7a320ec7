"""The lifecycle lint over real federated rounds: the course runs as it would, and every
client's routines (training, its own evaluation, the global model's evaluation on its data,
and any routine a hook starts) are watched by that client's own checker.

A client's ctx lives across rounds, so what a hook leaves there grows per round only in
that client: each client gets its own :class:`LifecycleChecker`, and a finding that several
clients share is reported once, naming them (:func:`merge_by_client`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trainer_core.analysis.findings import Finding, merge_by_client
from trainer_core.analysis.lifecycle import LifecycleChecker
from trainer_core.engine.points import Point
from trainer_core.engine.routine import RoutineRun
from trainer_core.federated.course import Course


class _Watched:
    """A client's ``routine_driver``: runs each of its routines to the end, every point to
    its checker and to ``also`` (the non-finite loss watch, a behaviour recorder)."""

    def __init__(self, checker: LifecycleChecker, also: Callable[[Point], None]) -> None:
        self.checker, self.also = checker, also

    def drive(self, run: RoutineRun) -> bool:
        for point in run:
            self.checker.observe(point)
            self.also(point)
        return True


def check_course(course: Course, *,
                 also: Callable[[int, Point], None] | None = None) -> list[Finding]:
    """Run the course's remaining rounds with a lifecycle checker per client; returns the
    findings, merged across clients, with what clients sent of their personal part
    (``Course.findings``). ``also(client, point)`` sees every point too."""
    checkers: dict[int, LifecycleChecker] = {}
    drivers: list[Any] = []
    for client, trainer in enumerate(course.trainers):
        checker = checkers[client] = LifecycleChecker()
        drivers.append(trainer.routine_driver)
        trainer.routine_driver = _Watched(
            checker, (lambda point, c=client: also(c, point)) if also else lambda point: None)
    try:
        while not course.finished:
            course.run_round()
    finally:
        for trainer, driver in zip(course.trainers, drivers, strict=True):
            trainer.routine_driver = driver
    for client, checker in checkers.items():
        checker.finish(course.trainers[client].ctx)
    lifecycle = merge_by_client({client: checker.report() for client, checker in checkers.items()})
    return sorted([*lifecycle, *course.findings], key=Finding.sort_key)
