"""Command-line entry point (``hookscope``). The commands land with the configs issue."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Placeholder until the run / hooks / check / tui commands exist."""
    print("hookscope: commands are not built yet", file=sys.stderr)
    return 2
