"""``hookscope run`` on a config with a ``federate`` section: the embedded FedAvg course,
round by round, then a table of the global model's metrics per round."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.commands.common import EXIT_OK, allow_code, err_console, out_console, print_json, relative
from app.safe_text import plain, printable
from trainer_core.analysis.findings import Finding
from trainer_core.analysis.finite import FiniteGuard
from trainer_core.federated import RoundReport


def run_course(spec: Any, args: argparse.Namespace, started: float) -> int:
    """Build the clients, run every round with a progress line, print the rounds."""
    from trainer_core.config.course import build_course  # torch: only when it runs

    built = build_course(spec, allow_code=allow_code(args))
    if not args.allow_nan:
        for client in built.clients:  # each client stops at its first non-finite loss
            client.trainer.routine_driver = FiniteGuard()
    reports: list[RoundReport] = []
    with round_progress(spec, args) as shown:
        for report in built.course.rounds():
            reports.append(report)
            shown(report)
    return report_rounds(args, spec, built.name, built.data_summary, reports,
                         time.perf_counter() - started, warnings=built.course.findings)


@contextmanager
def round_progress(spec: Any, args: argparse.Namespace) -> Iterator[Callable[[RoundReport],
                                                                             None]]:
    """A progress line on stderr (a terminal, no ``--json``) that advances by a round, with
    the global accuracy, each time the callback it yields hears of one."""
    console, split = err_console(), spec.course.eval_split
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=args.json or not console.is_terminal) as progress:
        task = progress.add_task("round 0", total=spec.course.total_round_num)

        def shown(report: RoundReport) -> None:
            accuracy = report.global_metrics.get(f"{split}_acc")
            note = f": global {split}_acc {accuracy:.4f}" if accuracy is not None else ""
            progress.update(task, advance=1, description=f"round {report.round_i}{note}")

        yield shown


def report_rounds(args: argparse.Namespace, spec: Any, name: str, data_summary: str,
                  reports: Sequence[RoundReport], seconds: float, engine: str = "",
                  warnings: Sequence[Finding] = ()) -> int:
    """The rounds as JSON (``--json``) or as a heading and a table, whichever engine ran
    them (``engine`` names it in the title when it is not the embedded course); then what
    clients sent of their personal part (``warnings``: on stderr, the exit code stays 0,
    as `run` trains what the config says; `check` fails on them)."""
    if args.json:
        print_json({"config": str(args.config), "name": name,
                    "clients": spec.course.client_num, **({"engine": engine} if engine else {}),
                    "rounds": [r.as_dict() for r in reports], "seconds": round(seconds, 3),
                    "warnings": [w.as_dict() for w in warnings]})
        return EXIT_OK
    out = out_console()
    out.print(f"[bold]{plain(name)}[/] ({plain(relative(args.config))}): "
              f"{spec.course.client_num} clients, {spec.course.clients_per_round} a round; "
              f"client 0: {plain(data_summary)}")
    on = f" on {engine}" if engine else ""
    out.print(rounds_table(reports, spec.course.eval_split,
                           title=f"FedAvg{on}, {len(reports)} round(s), {seconds:.1f} s"))
    for warning in warnings:
        err_console().print(f"warning: {printable(warning.describe())}", markup=False)
    return EXIT_OK


def rounds_table(reports: Sequence[RoundReport], split: str, title: str = "") -> Table:
    """One row per round: the clients trained, the global model's metrics on every
    client's ``split``, and the mean of the trained clients' own models."""
    table = Table(title=plain(title) if title else None, title_justify="left")
    for column in ("round", "clients", f"global {split}_acc", f"global {split}_avg_loss",
                   f"clients' own {split}_acc"):
        table.add_column(column, justify="right" if column != "clients" else "left")
    for report in reports:
        own = [value for c in report.client_rounds
               if (value := own_accuracy(c.local_metrics, split)) is not None]
        table.add_row(str(report.round_i), ", ".join(map(str, report.clients)),
                      _number(report.global_metrics.get(f"{split}_acc")),
                      _number(report.global_metrics.get(f"{split}_avg_loss")),
                      _number(sum(own) / len(own) if own else None))
    return table


def own_accuracy(metrics: dict[str, Any], split: str) -> float | None:
    """A client's own model's accuracy: its last model's, for a multi-model client (Ditto's
    personal model is model 1), else its model's."""
    personal = sorted((int(m[1]), key) for key in metrics
                      if (m := re.fullmatch(rf"model(\d+)_{split}_acc", key)))
    key = personal[-1][1] if personal else f"{split}_acc"
    return metrics.get(key)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
