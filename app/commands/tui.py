"""``hookscope tui CONFIG``: the interactive debugger (also ``hookscope`` alone)."""

from __future__ import annotations

import argparse
from typing import Any

from app.commands.common import EXIT_OK, add_common, allow_code
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
    """Read and check the config (no torch needed: a broken file exits 2 before anything is
    drawn), then open the app at once and build the trainer behind its loading view."""
    from app.tui import make_app
    from trainer_core.config.experiment import load_spec

    overrides = epoch_overrides(args.epochs) or None
    spec = load_spec(args.config, overrides)
    mode, split = "train", None
    if args.eval:
        mode, split = ("val" if args.eval == "val" else "test"), args.eval
    elif args.finetune:
        if not _has_finetune_set(spec):
            raise ConfigError("--finetune needs a finetune hook set: set finetune.before_eval: "
                              "true in the config", key_path="finetune.before_eval")
        mode, split = "finetune", "train"
    app = make_app(args.config, overrides=overrides, mode=mode, split=split,
                   in_background=True, allow_code=allow_code(args))
    try:
        app.run()
    finally:
        if app.session is not None:
            app.session.close()
    return EXIT_OK


def _has_finetune_set(spec: Any) -> bool:
    """A finetune hook set exists when the config asks for one or edits one."""
    hooks = spec.hooks if isinstance(spec.hooks, dict) else {}
    return bool(spec.trainer_config.finetune.before_eval) or any(
        str(label).startswith("finetune") for label in hooks)
