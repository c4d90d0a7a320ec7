"""How fast hookscope starts: the command line, and the debugger's first frame and first stop.

    python bench/startup.py [--runs 5] [--compare REV]

Medians over --runs launches of
(a) ``hookscope --help`` to exit;
(b) ``hookscope tui sample_configs/default.yaml`` in a real pseudo-terminal (120x36) to the
    first frame (the first screen drawn: the loading view, or the main screen where there is
    none);
(c) the same launch to the first paused point (the header's PAUSED).
``--compare REV`` measures the same three for another commit (a temporary git worktree), so
a change can be shown against the state before it.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = "sample_configs/default.yaml"
#: The first frame draws "hookscope · <config>"; the first stop draws PAUSED in the header.
FRAME, PAUSED = "hookscope · ".encode(), b"PAUSED"
#: Escape sequences (styles, cursor moves, window titles) stripped before looking.
ESCAPES = re.compile(rb"\x1b\[[0-9;?<=>]*[ -/]*[@-~]"        # styles, cursor moves
                     rb"|\x1b\][^\x07\x1b]*(\x07|\x1b\\)"     # window titles
                     rb"|\x1b[()][0-9A-Za-z]")               # character sets


def command(tree: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "app", *args]


def time_help(tree: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command(tree, "--help"), cwd=tree, check=True, capture_output=True)
    return time.perf_counter() - started


def time_tui(tree: Path, timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from launch to the first frame and to the first PAUSED, in a pty."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "36"}
    started = time.perf_counter()
    process = subprocess.Popen(command(tree, "tui", CONFIG), cwd=tree, stdin=slave,
                               stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    frame = paused = 0.0
    try:
        while time.perf_counter() - started < timeout and not paused:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
            now = time.perf_counter() - started
            text = ESCAPES.sub(b"", seen)
            if not frame and FRAME in text:
                frame = now
            if PAUSED in text:
                paused = now
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        os.close(master)
    if not paused:
        raise RuntimeError(f"no PAUSED within {timeout} s; the terminal showed: {seen[-400:]!r}")
    return frame, paused


def measure(tree: Path, runs: int, label: str) -> None:
    helps, frames, stops = [], [], []
    for _ in range(runs):
        helps.append(time_help(tree))
        frame, paused = time_tui(tree)
        frames.append(frame)
        stops.append(paused)
    print(f"{label}: median of {runs} launches (min in brackets)")
    for name, values, target in (("(a) hookscope --help", helps, "<= 1.0 s"),
                                 ("(b) tui: first frame", frames, "<= 1.5 s"),
                                 ("(c) tui: first paused point", stops, "no slower")):
        print(f"  {name:30s} {statistics.median(values):6.2f} s  "
              f"({min(values):.2f})   target {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", metavar="REV", help="also measure this commit")
    args = parser.parse_args()
    measure(ROOT, args.runs, f"this tree ({ROOT.name})")
    if args.compare:
        with tempfile.TemporaryDirectory() as scratch:
            tree = Path(scratch) / "tree"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.compare],
                           cwd=ROOT, check=True, capture_output=True)
            try:
                measure(tree, args.runs, f"commit {args.compare}")
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                               check=False, capture_output=True)


if __name__ == "__main__":
    main()
