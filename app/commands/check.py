"""``hookscope check CONFIG``: a CI lint for custom hooks.

Runs N training batches (and N fine-tuning ones when the config fine-tunes) and one
evaluation with the lifecycle checks and the non-finite loss watch on, prints each finding
and exits 1 when there is any. With ``--golden FILE`` it also records which attributes each
hook writes (first run) or compares against that record (later runs), exiting 1 on drift.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.commands.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    add_common,
    allow_code,
    out_console,
    print_json,
    relative,
)
from app.safe_text import plain, printable
from trainer_core.analysis.finite import FiniteWatch
from trainer_core.analysis.golden import BehaviourRecorder, diff_text
from trainer_core.analysis.lifecycle import LifecycleChecker
from trainer_core.errors import ConfigError
from trainer_core.files import atomic_write_text


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="lint hooks: run a few batches with lifecycle checks (exit 1 on findings)",
        description="Run N training batches and one evaluation headless with the lifecycle "
                    "checks on (--rounds R: R times on one trainer, as federated rounds "
                    "do, to catch what grows every round). Exit 0 when clean, 1 when there "
                    "are findings (or the --golden record drifted), 2 on errors.")
    add_common(parser)
    parser.add_argument("--batches", type=int, default=20, metavar="N",
                        help="training batches to run (default 20)")
    parser.add_argument("--rounds", type=int, default=1, metavar="R",
                        help="train (and fine-tune) and evaluate R times on the same trainer, "
                             "as R federated rounds (default 1; 3 or more finds what grows "
                             "per round)")
    parser.add_argument("--golden", type=Path, metavar="FILE",
                        help="record hook behaviour to FILE, or compare with it if it exists "
                             "(recorded over the first round)")
    parser.add_argument("--absolute", action="store_true",
                        help="print absolute file paths (default: relative to the working "
                             "directory)")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    # torch: only when it runs
    from trainer_core.config.course import build_course, for_lint
    from trainer_core.config.experiment import build_experiment, load_spec
    from trainer_core.config.registry import hook_ref_or_qualname
    from trainer_core.federated.checks import check_course

    if args.batches < 1:
        raise ConfigError(f"--batches must be >= 1, got {args.batches}")
    if args.rounds < 1:
        raise ConfigError(f"--rounds must be >= 1, got {args.rounds}")
    overrides = {"train.local_update_steps": args.batches, "train.batch_or_epoch": "batch",
                 "finetune.local_update_steps": args.batches,
                 "finetune.batch_or_epoch": "batch"}
    spec = load_spec(args.config, overrides)
    if spec.course is not None:  # real rounds: every client, its own checker
        built = build_course(for_lint(spec, args.rounds), allow_code=allow_code(args))
        experiment, trainer = built.clients[0], built.clients[0].trainer
    else:
        built, experiment = None, build_experiment(spec, allow_code=allow_code(args))
        trainer = experiment.trainer
    watch = FiniteWatch()
    recorder = BehaviourRecorder(trainer, name=lambda hook: hook_ref_or_qualname(
        hook, registry=experiment.registry, trainer=trainer, base_dir=experiment.base_dir))
    eval_split = next((s for s in ("val", "test") if trainer.has_split(s)), None)
    if built is not None:
        course = built.course

        def also(client: int, point: Any) -> None:
            watch.check(point)
            if client == 0 and course.round_i == 0:
                recorder.observe(point)

        lifecycle = check_course(course, also=also)
    else:
        checker = LifecycleChecker()
        _check_rounds(args.rounds, trainer, eval_split, checker, watch, recorder)
        checker.finish(trainer.ctx)
        lifecycle = checker.report()
    golden = _golden(args, experiment.name, recorder, eval_split) if args.golden else None
    findings = [*watch.found, *lifecycle]
    failed = bool(findings) or (golden is not None and golden["status"] == "drift")
    shorten = (lambda text: text) if args.absolute else _relative_paths
    if args.json:
        print_json({"config": str(args.config), "batches": args.batches,
                    "rounds": args.rounds, "evaluated": eval_split,
                    "findings": [f.as_dict(shorten) for f in findings],
                    "golden": golden, "ok": not failed})
        return EXIT_FINDINGS if failed else EXIT_OK
    console = out_console()
    clients = (f" in each of {len(built.clients)} clients, every one trained each round"
               if built is not None else "")
    scope = (f"{args.rounds} rounds of " if args.rounds > 1 else "") + (
             f"{args.batches} training batches"
             + (f", {args.batches} fine-tuning batches" if trainer.finetune_enabled else "")
             + (f" and an evaluation on {eval_split}" if eval_split else "") + clients)
    if findings:
        console.print(f"[bold red]{len(findings)} finding(s)[/] in {scope} of "
                      f"{plain(relative(args.config))}:")
        for finding in findings:
            # one finding per line pair, never wrapped: greppable, and paths stay whole
            console.print(printable(shorten(finding.describe())), markup=False,
                          soft_wrap=True)
    else:
        console.print(f"[green]no findings[/] (lifecycles, non-finite losses) in {scope} of "
                      f"{plain(relative(args.config))}")
    if golden is not None:
        if golden["status"] == "drift":
            console.print(f"[bold red]behaviour drifted from {plain(relative(args.golden))}:[/]")
            console.print(printable(golden["diff"]), markup=False)
        else:
            console.print(f"golden {plain(relative(args.golden))}: {golden['status']}")
    return EXIT_FINDINGS if failed else EXIT_OK


def _check_rounds(rounds: int, trainer: Any, eval_split: str | None,
                  checker: LifecycleChecker, watch: FiniteWatch,
                  recorder: BehaviourRecorder) -> None:
    """One trainer, ``rounds`` times: train (fine-tune) and evaluate, as a client would."""
    for round_i in range(rounds):
        routines = [("train", None)]
        if trainer.finetune_enabled:
            routines.append(("finetune", None))
        if eval_split:
            routines.append(("val" if eval_split == "val" else "test", eval_split))
        for mode, split in routines:
            for point in trainer.iter_routine(mode, split):
                checker.observe(point)
                watch.check(point)
                if round_i == 0:
                    recorder.observe(point)


def _relative_paths(text: str) -> str:
    """Paths below the working directory, relative to it (findings name many files)."""
    return text.replace(str(Path.cwd()) + "/", "")


def _golden(args: argparse.Namespace, name: str, recorder: BehaviourRecorder,
            eval_split: str | None) -> dict[str, Any]:
    header = (f"hookscope golden file for {name}: hook order and what each hook writes\n"
              f"over {args.batches} training batches"
              f"{f' and an evaluation on {eval_split}' if eval_split else ''}.\n"
              f"Re-record: delete this file and run hookscope check --golden again.")
    actual = recorder.to_yaml(header)
    path: Path = args.golden
    if not path.exists():
        atomic_write_text(path, actual)
        return {"path": str(path), "status": "recorded", "diff": ""}
    expected = path.read_text(encoding="utf-8")
    diff = diff_text(expected, actual, expected_name=str(path))
    return {"path": str(path), "status": "drift" if diff else "unchanged", "diff": diff}
