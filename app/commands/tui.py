"""``hookscope tui CONFIG``: the interactive debugger (also ``hookscope`` alone)."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.common import EXIT_OK, add_common
from app.commands.run import epoch_overrides
from trainer_core.errors import ConfigError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tui", help="debug a config's hook pipeline interactively (Textual)",
        description="Open the debugger paused at the start of the config's training routine: "
                    "step through hooks, set breakpoints, edit hook sets live, watch ctx.")
    add_common(parser, json_flag=False)
    parser.add_argument("--epochs", type=int, metavar="N",
                        help="train N epochs (overrides train.local_update_steps)")
    routine = parser.add_mutually_exclusive_group()
    routine.add_argument("--eval", metavar="SPLIT", nargs="?", const="test",
                         help="debug the evaluation routine on SPLIT (default test) instead")
    routine.add_argument("--finetune", action="store_true",
                         help="debug the finetune routine (hooks_in_ft) instead")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from app.session import DebugSession
    from app.tui import make_app

    session = DebugSession.from_config(args.config, epoch_overrides(args.epochs) or None)
    if args.eval:
        session.start("val" if args.eval == "val" else "test", args.eval)
    elif args.finetune:
        if not session.trainer.finetune_enabled:
            raise ConfigError("--finetune needs a finetune hook set: set finetune.before_eval: "
                              "true in the config", key_path="finetune.before_eval")
        session.start("finetune", "train")
    try:
        make_app(session).run()
    finally:
        session.close()
    return EXIT_OK
