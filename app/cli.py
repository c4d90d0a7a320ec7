"""``hookscope``: the command-line front. Each command lives in its own module under
``app/commands`` (``add_parser(subparsers)`` + ``main(args) -> int``); this file only wires
them together and turns errors into exit code 2 with one clear message."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from app.commands import check, flower, hooks, run, tui
from app.commands.common import DEFAULT_CONFIG, default_config, guarded

COMMANDS: list[ModuleType] = [run, hooks, check, tui, flower]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command.

    Building it imports no torch, scikit-learn or textual: each command imports what it
    needs when it runs, so ``--help``, ``--version`` and argument errors answer at once.
    """
    parser = argparse.ArgumentParser(
        prog="hookscope",
        description="Run, inspect, lint and debug hook-based training pipelines "
                    "(FederatedScope-style). With no command: the debugger on "
                    f"{DEFAULT_CONFIG.name}.")
    parser.add_argument("--version", action="version", version=f"hookscope {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def version() -> str:
    """The installed package's version (the source tree's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("hookscope")
    except PackageNotFoundError:
        return "0+source"


def resolve_arguments(argv: Sequence[str]) -> list[str]:
    """No arguments means: the debugger on the bundled default config."""
    if not argv:
        return ["tui", str(default_config())]
    return list(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m app``."""
    parser = build_parser()
    args = parser.parse_args(resolve_arguments(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help()
        return 0
    return guarded(args.handler, args)
