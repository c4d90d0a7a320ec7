"""A debug session over a federated course: every sampled client's training routine in
turn, round after round, stepped like one routine.

The session's trainer and ctx are the running client's. When a client's routine ends, its
update goes to the course (``receive``); after the round's last client the course
aggregates and evaluates, and the next client's routine starts with the global model
loaded. ``c`` runs on through clients and rounds to a breakpoint or the course's end; a
step that reaches a routine's end stops at the next client's first point; "next client"
and "next round" run to the start of the next one. Conditions can read ``round_i`` and
``client``. Each client keeps its own lifecycle checker (its ctx is its own).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.session.core import DebugSession, set_torch_rng_state, torch_rng_state
from app.session.state import EditOutcome, RunState, Status
from trainer_core.analysis.findings import merge_by_client
from trainer_core.analysis.lifecycle import Finding, LifecycleChecker
from trainer_core.config.registry import Registry
from trainer_core.engine.edits import Edit, apply_to_copy, retarget
from trainer_core.engine.hooks import HookSet
from trainer_core.engine.modes import hookset_kind
from trainer_core.engine.points import Point
from trainer_core.federated.course import Course, RoundReport

#: Commands that run on into the next client when a client's routine ends.
_RUNS_ON = ("continue", "run to end")


class CourseSession(DebugSession):
    """See the module docstring. ``reports`` holds every finished round's report."""

    def __init__(self, course: Course, *, name: str = "course",
                 registry: Registry | None = None, base_dir: str | Path | None = None,
                 **options: Any) -> None:
        self.course = course
        super().__init__(course.trainers[0], name=name, registry=registry,
                         base_dir=base_dir, **options)
        for trainer in course.trainers:  # routines their hooks start run through the pump
            trainer.routine_driver = self._driver
        self._checking = self.checker is not None
        self._checkers: dict[int, LifecycleChecker] = {}
        self.round_clients: tuple[int, ...] = ()
        self.client_pos = -1
        self.client: int | None = None
        self.reports: list[RoundReport] = []
        self._client_run: Any = None
        self._round_at_command = 0
        #: hook edits go to every client's trainer (FederatedScope's clients share their
        #: trainer code), or only to the running client's
        self.edit_all_clients = True
        self._course_start = self._course_state()

    @classmethod
    def from_course_config(cls, path: str | Path, overrides: dict[str, Any] | None = None, *,
                           progress: Callable[[str], None] | None = None,
                           allow_code: bool = True, **options: Any) -> CourseSession:
        """Build a federated config's course and open a session on it."""
        from trainer_core.config.course import load_course

        built = load_course(path, overrides, progress=progress, allow_code=allow_code)
        return cls(built.course, name=built.spec.path.name,
                   registry=built.clients[0].registry, base_dir=built.spec.base_dir,
                   **options)

    # -- the course --------------------------------------------------------------------
    def start(self, mode: str = "train", split: str | None = None) -> Point | None:
        """The first start opens the course (round 0, its first client); later ones (a
        restart, another routine from the palette) run on the current client."""
        if self.client is None and mode == "train":
            self.round_clients = self.course.begin_round()
            return self._begin_client(0)
        return super().start(mode, split)

    def restart_course(self) -> Point | None:
        """Back to round 0 with every client as it was built: models, batch order, torch's
        RNG, the global model; attributes hooks added to a client's ctx since are dropped
        (those present at the start get their objects back). Breakpoints, watches and hook
        edits stay. Stops at round 0's first client, as the course opened."""
        with self._lock:
            self._close_run()
            start = self._course_start
            set_torch_rng_state(start["torch"])
            for trainer, saved in zip(self.course.trainers, start["clients"], strict=True):
                ctx = trainer.ctx
                for name in set(ctx.__dict__) - set(saved["ctx"]):
                    delattr(ctx, name)
                for name, obj in saved["ctx"].items():
                    if ctx.__dict__.get(name) is not obj:
                        setattr(ctx, name, obj)
                trainer.update(saved["models"], strict=True)  # loading copies the values
                trainer.set_batch_order(saved["loaders"])
            self.course.rewind(copy.deepcopy(start["global"]))
            self.reports.clear()
            self._checkers.clear()
            self.client = None
            self.log.append("restarted the course: round 0, every client as it was built")
        return self.start()

    def _course_state(self) -> dict[str, Any]:
        """What :meth:`restart_course` puts back."""
        clients, models = [], {}
        for trainer in self.course.trainers:
            # clients on one model (share_local_model) keep one copy of it, not one each
            key = id(trainer.ctx.get("models") or trainer.ctx.get("model"))
            if key not in models:
                models[key] = copy.deepcopy(trainer.get_model_para())
            clients.append({"models": models[key],
                            "loaders": copy.deepcopy(trainer.batch_order()),
                            "ctx": dict(trainer.ctx.__dict__)})
        return {"torch": torch_rng_state(), "clients": clients,
                "global": copy.deepcopy(self.course.global_state)}

    def _begin_client(self, position: int) -> Point | None:
        """Switch the session to the round's ``position``-th client, hand it the global
        model and stop at its routine's first point."""
        client = self.round_clients[position]
        self.client_pos, self.client = position, client
        self.trainer = self.course.send_global(client)
        self.ctx = self.trainer.ctx
        if self._checking:
            self.checker = self._checkers.setdefault(client, LifecycleChecker())
        self.breakpoints.extra = {"round_i": self.course.round_i, "client": client}
        self.log.append(f"round {self.course.round_i}: client {client} ({position + 1} of "
                        f"{len(self.round_clients)} this round) receives the global model")
        point = super().start("train", "train")
        self._client_run = self.run
        return point

    def _next_client(self) -> Point | None:
        """The running client's routine ended: send its update; then the next client of the
        round, or aggregate and begin the next round; None when the course is over."""
        trainer, results = self.trainer, self.run.results
        self.course.receive(self.client, trainer.sample_count(results),
                            trainer.get_model_para(), trainer.results_metrics(results))
        if self.client_pos + 1 < len(self.round_clients):
            return self._begin_client(self.client_pos + 1)
        report = self.course.end_round()
        self.reports.append(report)
        split = self.course.settings.eval_split
        accuracy = report.global_metrics.get(f"{split}_acc")
        clients = ", ".join(map(str, report.clients))
        self.log.append(f"round {report.round_i} done (clients {clients})"
                        + (f": global {split}_acc {accuracy:.4f}" if accuracy is not None
                           else ""))
        if self.course.finished:
            self.reason = "course finished"
            return None
        self.round_clients = self.course.begin_round()
        return self._begin_client(0)

    def _client_routine_ended(self) -> bool:
        run = self.run
        return (self.state is RunState.FINISHED and run is not None
                and run is self._client_run and run.finished)

    def _advance(self, stop: Callable[[Point], bool] | None, reason: str, *,
                 breakpoints: bool = True, releases: bool = False) -> Point | None:
        point = super()._advance(stop, reason, breakpoints=breakpoints, releases=releases)
        while point is None and self._client_routine_ended():
            point = self._next_client()  # stopped at the next client's first point
            keep_going = reason in _RUNS_ON or (
                reason == "next round" and self.course.round_i == self._round_at_command)
            if point is None or not keep_going:
                return point
            point = super()._advance(stop, reason, breakpoints=breakpoints,
                                     releases=releases)
        return point

    def next_client(self) -> Point | None:
        """Run the rest of this client's routine (breakpoints stop it) and stop at the next
        client's first point."""
        return self._advance(None, "next client")

    def next_round(self) -> Point | None:
        """Run the rest of this round (breakpoints stop it) and stop at the next round's
        first client."""
        self._round_at_command = self.course.round_i
        return self._advance(None, "next round")

    # -- edits -------------------------------------------------------------------------
    def apply(self, edit: Edit, *, mode: str = "train", model_idx: int = 0,
              confirm: bool = False) -> EditOutcome:
        """Apply ``edit`` to the running client's hook set, and with ``edit_all_clients``
        to every client's (one undoable step; checked on each first, so an edit that does
        not fit one client changes none)."""
        if not self.edit_all_clients:
            return super().apply(edit, mode=mode, model_idx=model_idx, confirm=confirm)
        findings = self.preview(edit, mode=mode, model_idx=model_idx)
        if findings and not confirm:
            return EditOutcome(False, edit.describe(), findings)
        source = self.trainer.hook_set(mode, model_idx)
        sets = self._client_hook_sets(mode, model_idx)
        # positions are the running client's: each client gets the edit of the same hooks
        edits = [retarget(edit, source, hookset, label=f"client {client}")
                 for client, hookset in sets]
        for one, (_, hookset) in zip(edits, sets, strict=True):
            apply_to_copy(one, hookset)  # raises (nothing changed) if it does not fit
        description = f"{edit.describe()} (all {len(self.course.trainers)} clients)"
        self.edits.record(description, [h for _, h in sets],
                          lambda: [one.apply(h) for one, (_, h) in zip(edits, sets,
                                                                       strict=True)])
        self.log.append(f"{description} ({hookset_kind(mode)}"
                        f"{f' model {model_idx}' if model_idx else ''})")
        return EditOutcome(True, edit.describe(), findings)

    def _client_hook_sets(self, mode: str, model_idx: int) -> list[tuple[int, HookSet]]:
        """(client, hook set) of each client, once per hook set (clients may share one)."""
        sets = {}
        for client, trainer in enumerate(self.course.trainers):
            sets.setdefault(id(hookset := trainer.hook_set(mode, model_idx)), (client, hookset))
        return list(sets.values())

    def _pipeline_now(self) -> tuple[Any, ...]:
        # every client's hook sets (self.course is set before DebugSession.__init__ asks)
        return tuple(item for trainer in self.course.trainers
                     for item in self._pipeline_of(trainer))

    # -- views -------------------------------------------------------------------------
    def status(self) -> Status:
        return dataclasses.replace(
            super().status(), round_i=min(self.course.round_i,
                                          self.course.settings.total_round_num - 1),
            total_rounds=self.course.settings.total_round_num, client=self.client,
            round_clients=self.round_clients)

    @property
    def findings(self) -> list[Finding]:
        """Every client's lifecycle findings (each client's ctx is checked on its own); the
        same finding in several clients is one, naming them."""
        lifecycle = merge_by_client({client: checker.report()
                                     for client, checker in self._checkers.items()})
        return sorted([*lifecycle, *self.course.findings], key=Finding.sort_key)
