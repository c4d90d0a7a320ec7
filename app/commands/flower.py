"""``hookscope flower CONFIG``: the config's federated course on Flower's simulation engine
(one virtual Flower node per client, hookscope hooks running in each), printed as ``run``
prints the embedded course. Flower is an optional extra: without it, exit 2 and the line
that installs it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from app.commands.common import (
    EXIT_ERROR,
    EXIT_HOOK,
    EXIT_OK,
    add_common,
    allow_code,
    err_console,
    out_console,
)
from app.safe_text import printable
from trainer_core.errors import ConfigError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "flower", help="run a federated config's course on Flower (its simulation engine)",
        description="Run the course of a config with a federate section on Flower's "
                    "simulation engine: one Flower node per client, each a hookscope "
                    "trainer with the config's hooks; Flower's FedAvg on the server, "
                    "sampling the same clients as `hookscope run`. Needs the extra: "
                    "pip install 'hookscope[flower]'. docs/flower.md explains running the "
                    "same clients on a real Flower deployment.")
    add_common(parser)
    parser.add_argument("--cpus", type=int, metavar="N",
                        help="CPUs the simulation may use (default: all); each client "
                             "takes one, so N clients train at once")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="write the final global model to FILE (a hookscope "
                             "checkpoint: load it with trainer.load_model)")
    parser.add_argument("--app", type=Path, metavar="DIR",
                        help="instead of running: write a Flower App (DIR/pyproject.toml) "
                             "that runs this course on a real Flower deployment, and print "
                             "how to start it (docs/flower.md)")
    parser.add_argument("--allow-nan", action="store_true",
                        help="keep going when a client's loss becomes NaN/Inf (by default "
                             "the course stops there with exit 3)")
    parser.add_argument("--verbose", action="store_true",
                        help="show Flower's and Ray's own logs")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from app.commands.course_run import report_rounds, round_progress  # numpy, torch
    from trainer_core.config.course import require_course
    from trainer_core.config.experiment import load_spec

    started = time.perf_counter()
    spec = load_spec(args.config)
    require_course(spec)  # a config error before Flower is even imported
    if args.cpus is not None and args.cpus < 1:
        raise ConfigError(f"--cpus must be at least 1, not {args.cpus}")
    try:
        from trainer_core import flower
    except ImportError as exc:  # FlowerMissing, or a broken install of the extra
        err_console().print(f"hookscope flower: {printable(str(exc))}", markup=False)
        return EXIT_ERROR
    if args.app is not None:
        return write_app(args.app, args.config, flower.app_pyproject(args.config))
    try:
        with round_progress(spec, args) as shown:
            result = flower.run_flower(args.config, on_round=shown, cpus=args.cpus,
                                       verbose=args.verbose, allow_code=allow_code(args),
                                       allow_nan=args.allow_nan)
    except flower.FlowerCourseFailed as exc:
        err_console().print(f"hookscope flower: {printable(str(exc))}", markup=False)
        return EXIT_HOOK if exc.hook_failed else EXIT_ERROR
    if args.save is not None:
        from trainer_core.trainers.checkpoint import save_checkpoint

        save_checkpoint(args.save, [result.global_state],
                        cur_round=spec.course.total_round_num)
    return report_rounds(args, spec, spec.name, f"{spec.data.type} data", result.reports,
                         time.perf_counter() - started, engine="Flower")




def write_app(directory: Path, config: Path, pyproject: str) -> int:
    """Write the Flower App and say how to run it (the commands docs/flower.md explains)."""
    from trainer_core.files import atomic_write_text

    target = directory / "pyproject.toml"
    if target.exists() and target.read_text(encoding="utf-8") != pyproject:
        raise ConfigError(f"{target} exists: remove it or choose another directory")
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, pyproject)
    out_console().print(
        f"wrote {printable(str(target))}: a Flower App running {printable(config.name)}'s course.\n"
        "On a real deployment (every machine: pip install 'hookscope[flower]', and the config "
        "at the same path):\n"
        "  flower-superlink --insecure\n"
        "  flower-supernode --insecure --superlink HOST:8000 --port 9094 "
        "--node-config \"partition-id=0\"   # one per client, its own partition-id\n"
        f"  flwr run {printable(str(directory))} CONNECTION --stream   # CONNECTION: in "
        "$FLWR_HOME/config.toml\n"
        "docs/flower.md has the details.", markup=False)
    return EXIT_OK
