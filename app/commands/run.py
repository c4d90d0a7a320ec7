"""``hookscope run CONFIG``: train, fine-tune (``finetune.before_eval``), evaluate on
val/test, print the metrics; a config with a ``federate`` section runs its FedAvg course
(app/commands/course_run.py)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.commands.common import (
    EXIT_OK,
    add_common,
    allow_code,
    err_console,
    out_console,
    print_json,
    relative,
)
from app.commands.metrics_table import metrics_table
from app.safe_text import plain
from trainer_core.analysis.finite import FiniteGuard
from trainer_core.engine.points import TRIGGER
from trainer_core.engine.routine import RoutineRun
from trainer_core.errors import ConfigError
from trainer_core.trainers.base import merge_metrics


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help="train on a config, then evaluate on its val and test splits",
        description="Train the config's trainer with a progress bar, evaluate it on every "
                    "split it has besides train, and print a metrics table.")
    add_common(parser)
    parser.add_argument("--epochs", type=int, metavar="N",
                        help="train N epochs (overrides train.local_update_steps)")
    parser.add_argument("--allow-nan", action="store_true",
                        help="keep going when a loss becomes NaN/Inf (by default the run "
                             "stops there with exit 3, naming the hook, epoch and batch)")
    parser.set_defaults(handler=main)


def epoch_overrides(epochs: int | None) -> dict[str, Any]:
    """Config overrides for --epochs."""
    if epochs is None:
        return {}
    if epochs < 0:
        raise ConfigError(f"--epochs must be >= 0, got {epochs}")
    return {"train.local_update_steps": epochs, "train.batch_or_epoch": "epoch"}


def train_with_progress(run: RoutineRun, *, show: bool,
                        guard: FiniteGuard | None = None) -> None:
    """Drain a training run, showing batches done and the running loss on stderr;
    ``guard`` stops it at the first non-finite loss."""
    console = err_console()
    total = run.plan.total_batches * len(run.lanes)
    ctx = run.ctx
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not (show and console.is_terminal)) as progress:
        task = progress.add_task("train", total=total)
        for point in run:
            if guard is not None:
                guard.observe(point)
            if point.kind is TRIGGER:
                if point.trigger == "on_batch_end":
                    progress.advance(task)
                elif point.trigger == "on_epoch_end":
                    seen, loss = ctx.get("num_samples"), ctx.get("loss_batch_total")
                    note = f" loss {loss / seen:.4f}" if seen and loss is not None else ""
                    progress.update(task, description=f"train epoch {point.epoch_i + 1}/"
                                                      f"{run.plan.num_epochs}{note}")


def main(args: argparse.Namespace) -> int:
    # torch: only when it runs
    from trainer_core.config.experiment import build_experiment, load_spec

    start = time.perf_counter()
    spec = load_spec(args.config, epoch_overrides(args.epochs))
    if spec.course is not None:  # a federate section: the FedAvg course, round by round
        from app.commands.course_run import run_course

        return run_course(spec, args, start)
    experiment = build_experiment(spec, allow_code=allow_code(args))
    trainer = experiment.trainer
    guard = None if args.allow_nan else FiniteGuard()
    trainer.routine_driver = guard  # fine-tuning and evaluation are watched too
    run = trainer.iter_routine("train")
    train_with_progress(run, show=not args.json, guard=guard)
    results: dict[str, dict[str, Any]] = {"train": merge_metrics(run.results)}
    if trainer.cfg.finetune.before_eval:  # as a FederatedScope client does before evaluating
        results["finetune"] = trainer.finetune()[2]
    for split in ("val", "test"):
        if trainer.has_split(split):
            results[split] = trainer.evaluate(split)
    seconds = time.perf_counter() - start
    if args.json:
        print_json({"config": str(args.config), "name": experiment.name,
                    "data": experiment.data_summary, "epochs": run.plan.num_epochs,
                    "batches": run.plan.total_batches, "seconds": round(seconds, 3),
                    "metrics": results})
        return EXIT_OK
    console = out_console()
    console.print(f"[bold]{plain(experiment.name)}[/] ({plain(relative(args.config))}): "
                  f"{plain(experiment.data_summary)}")
    console.print(metrics_table(results, title=f"{run.plan.num_epochs} epoch(s), "
                                               f"{run.plan.total_batches} batches, "
                                               f"{seconds:.1f} s"))
    return EXIT_OK
