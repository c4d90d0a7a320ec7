"""``hookscope hooks CONFIG``: the hook sets per trigger, with where each hook is defined."""

from __future__ import annotations

import argparse
from itertools import groupby
from typing import Any

from rich.table import Table

from app.commands.common import (
    EXIT_OK,
    add_common,
    allow_code,
    out_console,
    print_json,
    relative,
)
from app.safe_text import plain
from trainer_core.engine.triggers import TRIGGERS


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "hooks", help="list the hook sets per trigger, with where each hook is defined",
        description="Print every hook set (train and eval, per model) as a table: trigger, "
                    "position, hook, module and file:line. This builds the trainer, so it "
                    "imports the hook files and modules the config names (their top-level "
                    "code runs); --no-code refuses them instead.")
    add_common(parser)
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from trainer_core.config.experiment import load_experiment  # torch: only when it runs
    from trainer_core.config.pipeline import describe_pipeline

    experiment = load_experiment(args.config, allow_code=allow_code(args))
    rows = describe_pipeline(experiment.trainer)
    if args.json:
        print_json({"config": str(args.config), "hooks": [
            {"hook_set": r.label, "mode": r.kind, "model": r.model_idx, "trigger": r.trigger,
             "position": r.position, "hook": r.info.name, "qualname": r.info.qualname,
             "module": r.info.module, "location": r.info.location} for r in rows]})
        return EXIT_OK
    console = out_console()
    console.print(f"[bold]{plain(experiment.name)}[/] ({plain(relative(args.config))})")
    labels = [ref.label for ref in experiment.trainer.hook_sets()]
    by_label = {label: list(group) for label, group in groupby(rows, key=lambda r: r.label)}
    for label in labels:
        table = Table(title=f"{plain(label)} hooks", title_justify="left")
        for column in ("trigger", "#", "hook", "defined at"):
            table.add_column(column, overflow="fold")
        entries = by_label.get(label, [])
        for trigger in TRIGGERS:
            here = [r for r in entries if r.trigger == trigger]
            if not here:
                table.add_row(trigger, "", "[dim](no hooks)[/]", "")
            for i, r in enumerate(here):
                location = f"{relative(r.info.file)}:{r.info.line}" if r.info.file else ""
                table.add_row(trigger if i == 0 else "", str(r.position), plain(r.info.name),
                              plain(location))
        console.print(table)
    return EXIT_OK
