"""The Textual application: one main screen over a DebugSession, commands in the palette."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from app.session import DebugSession
from app.tui.keys import KEYS
from app.tui.main_screen import MainScreen


class HookscopeApp(App[None]):
    """hookscope's debugger. Build it with :func:`app.tui.make_app` (which starts the session's
    routine if it has none)."""

    CSS_PATH = Path(__file__).with_name("hookscope.tcss")
    TITLE = "hookscope"

    def __init__(self, session: DebugSession, *, stable: bool = False,
                 pipeline_path: str | None = None) -> None:
        super().__init__()
        self.session = session
        #: Snapshot mode: no hook times (they differ run to run), no blinking cursors.
        self.stable = stable
        self.pipeline_path = pipeline_path

    def on_mount(self) -> None:
        # Everything loaded so far (torch, the model, Textual) lives as long as the app.
        # Freezing it keeps the garbage collector's full passes from walking it: unfrozen,
        # they paused the screen for ~200 ms every few steps (bench/tui_latency.py).
        gc.freeze()
        self.push_screen(MainScreen(self.session, show_timings=not self.stable,
                                    pipeline_path=self.pipeline_path))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            for key in KEYS:
                yield SystemCommand(f"{key.help} ({key.shown})", key.help,
                                    lambda action=key.action: screen.run_action(action))
            yield SystemCommand("Load a pipeline from YAML", "Replace every hook set by a "
                                "pipeline file (one undoable edit)",
                                lambda: screen.run_action("load"))
            trainer = self.session.trainer
            yield SystemCommand("Debug the training routine", "Start train() from its first "
                                "point", lambda: screen.switch_routine("train", "train"))
            if trainer.finetune_enabled:
                yield SystemCommand("Debug the finetune routine", "Start finetune() from its "
                                    "first point (hooks_in_ft, the finetune settings)",
                                    lambda: screen.switch_routine("finetune", "train"))
            for split in ("val", "test"):
                if trainer.has_split(split):
                    yield SystemCommand(
                        f"Debug the evaluation routine on {split}",
                        f"Start evaluate('{split}') from its first point",
                        lambda split=split: screen.switch_routine(split, split))
