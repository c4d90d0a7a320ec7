"""What every command shares: loading a config, consoles, errors to exit codes."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from app.safe_text import printable
from trainer_core.analysis.access import ordering_hint
from trainer_core.analysis.finite import NonFiniteLoss
from trainer_core.errors import HookError, HookscopeError

#: The bundled quick-start config (next to the packages in a source checkout).
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "sample_configs" / "default.yaml"


def default_config() -> Path:
    """The quick-start config: beside the packages in a source checkout, else the one in the
    working directory (a non-editable install leaves ``sample_configs`` in the checkout)."""
    for candidate in (DEFAULT_CONFIG, Path("sample_configs") / "default.yaml"):
        if candidate.is_file():
            return candidate
    return DEFAULT_CONFIG  # missing: the command's error names where it was looked for

#: Exit codes: clean; lint findings (or golden drift); bad input (config, data, checkpoint,
#: pipeline); a hook failed; interrupted (Ctrl-C).
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_HOOK, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def add_common(parser: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    """CONFIG plus the flags every command takes."""
    parser.add_argument("config", type=Path, help="a YAML config file")
    if json_flag:
        parser.add_argument("--json", action="store_true",
                            help="print machine-readable JSON on stdout, nothing else")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    parser.add_argument("--no-code", action="store_true",
                        help="import no code the config names (hook files and modules, model "
                             "and data factories, trainer wrappers): each is refused with its "
                             "key; only registered hooks and built-in types (also "
                             "HOOKSCOPE_NO_CODE=1)")


def allow_code(args: argparse.Namespace) -> bool:
    """False with --no-code or HOOKSCOPE_NO_CODE set (to anything but '' or 0): for CI jobs
    that check configs they did not write."""
    env = os.environ.get("HOOKSCOPE_NO_CODE", "").strip()
    return not (getattr(args, "no_code", False) or env not in ("", "0"))


def out_console() -> Console:
    """Where results go (stdout); wide plain text when stdout is not a terminal."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=160)
    return console


def err_console() -> Console:
    """Where progress and errors go (stderr)."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Mapping[str, Any]) -> None:
    """JSON on stdout, for scripts and CI."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def describe_error(exc: BaseException) -> str:
    """One clear message; for a hook that raised, also where in the hook's own code."""
    if isinstance(exc, HookError):
        frame = exc.user_frame()
        where = f"\n  raised at {frame[0]}:{frame[1]} in {frame[2]}" if frame else ""
        hint = ordering_hint(exc)
        return f"{exc}{where}" + (f"\n  hint: {hint}" if hint else "")
    return str(exc)


def guarded(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; any hookscope error becomes one message on stderr and an exit code:
    3 when a hook failed (``sys.exit()`` in a hook included), 2 for bad input, 130 for
    Ctrl-C (also when it lands inside a hook)."""
    try:
        return handler(args)
    except HookError as exc:
        if isinstance(exc.original, KeyboardInterrupt):
            sys.stderr.write(printable(f"hookscope: interrupted in hook '{exc.hook_name}' "
                                       f"{exc.where()}") + "\n")
            return EXIT_INTERRUPTED
        _report(args, exc)
        return EXIT_HOOK
    except HookscopeError as exc:
        if isinstance(exc, NonFiniteLoss):  # the hooks' doing, as a hook that raised
            _report(args, exc, hint="pass --allow-nan to keep training")
            return EXIT_HOOK
        _report(args, exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("hookscope: interrupted\n")
        return EXIT_INTERRUPTED


def _report(args: argparse.Namespace, exc: HookscopeError, hint: str = "") -> None:
    if getattr(args, "debug", False):
        traceback.print_exc()
    sys.stderr.write(f"hookscope {args.command}: {printable(describe_error(exc))}\n")
    if hint:
        sys.stderr.write(f"  hint: {hint}\n")
    if not getattr(args, "debug", False):
        sys.stderr.write("  (run with --debug for the full traceback)\n")


def relative(path: str | Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
