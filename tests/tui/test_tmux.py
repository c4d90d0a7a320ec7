"""The real console script in a real terminal (tmux): start, step, read the screen, quit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed: the terminal test needs it")


def hookscope_command() -> str:
    script = Path(sys.executable).with_name("hookscope")
    return str(script) if script.exists() else f"{sys.executable} -m app"


def capture(name: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True,
                          text=True, check=False).stdout


def wait_for(name: str, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = capture(name)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear; the screen was:\n{screen}")


def test_the_console_script_opens_the_debugger_on_the_default_config():
    name = f"hookscope-{uuid.uuid4().hex[:8]}"
    command = f"{hookscope_command()} tui sample_configs/default.yaml; sleep 30"
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "36",
                    command], cwd=ROOT, env=env, check=True)
    try:
        screen = wait_for(name, "PAUSED")
        assert "default.yaml" in screen and "on_fit_start fired" in screen
        assert "Hooks · train" in screen and "_hook_on_batch_forward" in screen
        subprocess.run(["tmux", "send-keys", "-t", name, "n", "n", "s"], check=True)
        screen = wait_for(name, "_hook_on_batch_start_init about to run")
        assert "batch 0 of 40" in screen
        subprocess.run(["tmux", "send-keys", "-t", name, "b"], check=True)
        assert "batch 0 of 40" in wait_for(name, "on_batch_end done")
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        deadline = time.monotonic() + 20
        while "PAUSED" in capture(name) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "PAUSED" not in capture(name)  # the app quit and gave the terminal back
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], check=False,
                       capture_output=True)
