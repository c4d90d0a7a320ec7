"""The real console script in a real terminal (tmux): start, step, read the screen, quit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed: the terminal test needs it")


def hookscope_command() -> str:
    script = Path(sys.executable).with_name("hookscope")
    return str(script) if script.exists() else f"{sys.executable} -m app"


SOCKET = f"hookscope-test-{os.getpid()}"


def tmux(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """tmux on a server of the test's own (a user's tmux sessions are never touched, and
    the server goes with the test), whose windows are 120x36 from the start."""
    config = Path(__file__).with_name("tmux.conf")
    return subprocess.run(["tmux", "-L", SOCKET, "-f", str(config), *args],
                          capture_output=True, text=True, check=check, cwd=ROOT, env=env)


def capture(name: str) -> str:
    return tmux("capture-pane", "-p", "-t", name, check=False).stdout


def wait_until(name: str, holds: Callable[[str], bool], what: str,
               timeout: float = 60) -> str:
    """The screen once ``holds(screen)``: a frame is drawn in pieces, so one text being
    there does not mean the others are yet."""
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(name)
        if holds(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen; the screen was:\n{screen}")


def wait_for(name: str, *texts: str) -> str:
    """The screen once every one of ``texts`` is on it."""
    return wait_until(name, lambda screen: all(text in screen for text in texts),
                      f"{texts!r} on screen")


def test_the_console_script_opens_the_debugger_on_the_default_config():
    name = f"hookscope-{uuid.uuid4().hex[:8]}"
    command = f"{hookscope_command()} tui sample_configs/default.yaml; sleep 30"
    # COLUMNS/LINES (set by something else in a full test run) outrank the terminal's own
    # size in Textual: the app must size itself from the pane, as it does for a user
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "36", command, env=env)
    try:
        wait_for(name, "PAUSED", "default.yaml", "on_fit_start fired", "Hooks · train",
                 "_hook_on_batch_forward")
        tmux("send-keys", "-t", name, "n", "n", "s")
        wait_for(name, "_hook_on_batch_start_init about to run", "batch 0 of 40")
        tmux("send-keys", "-t", name, "b")
        wait_for(name, "on_batch_end done", "batch 0 of 40")
        # evaluate an expression in the console
        tmux("send-keys", "-t", name, ":")
        wait_for(name, "watch EXPR")  # the console line is open (typed keys go to it)
        tmux("send-keys", "-t", name, "-l", "y_true.shape[0] * 1000 + 7")
        tmux("send-keys", "-t", name, "Enter")
        wait_for(name, "Console", "32007")
        # a breakpoint on the selected trigger (the console gave the focus back to the
        # tree), then deleted in the breakpoint manager
        tmux("send-keys", "-t", name, "Space")
        wait_for(name, "on_fit_start (1) ●")
        tmux("send-keys", "-t", name, "C-b")
        wait_for(name, "Breakpoints", "trigger", "esc close")
        tmux("send-keys", "-t", name, "Down", "x")
        deadline = time.monotonic() + 20
        while " trigger " in capture(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        tmux("send-keys", "-t", name, "Escape")
        wait_until(name, lambda screen: "Hooks · train" in screen and "●" not in screen,
                   "the manager closed with the breakpoint gone")
        tmux("send-keys", "-t", name, "q")
        deadline = time.monotonic() + 20
        while "PAUSED" in capture(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "PAUSED" not in capture(name)  # the app quit and gave the terminal back
    finally:
        tmux("kill-server", check=False)
