"""Text from users (config names, paths, hook and metric names) on a terminal: never read
as Rich markup, and control characters shown as escapes rather than sent to the terminal
(a name holding ESC sequences could otherwise recolour or rewrite the screen)."""

from __future__ import annotations

import re

from rich.markup import escape

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # keeps \t and \n


def printable(text: object) -> str:
    """``text`` with every control character but tab and newline as a ``\\xNN`` escape."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(text))


def plain(text: object) -> str:
    """``text`` for a string Rich parses as markup: printable, brackets escaped."""
    return escape(printable(text))
