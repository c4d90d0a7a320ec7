"""The Textual application: one main screen over a DebugSession, commands in the palette."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from app.session import DebugSession
from app.tui.keys import KEYS
from app.tui.loading import LoadingScreen
from app.tui.main_screen import MainScreen

#: Builds the session in a worker, reporting each step it begins.
Loader = Callable[[Callable[[str], None]], DebugSession]


class HookscopeApp(App[None]):
    """hookscope's debugger. Build it with :func:`app.tui.make_app`: on a session (whose
    routine it starts if it has none), or with a ``loader`` that builds the session behind
    the loading view, so the first frame comes before torch is even imported."""

    CSS_PATH = Path(__file__).with_name("hookscope.tcss")
    TITLE = "hookscope"

    def __init__(self, session: DebugSession | None = None, *, loader: Loader | None = None,
                 title: str = "", stable: bool = False,
                 pipeline_path: str | None = None) -> None:
        super().__init__()
        if (session is None) == (loader is None):
            raise ValueError("give a session or a loader")
        self.session = session
        self.loader = loader
        self.title_text = title
        #: Snapshot mode: no hook times (they differ run to run), no blinking cursors.
        self.stable = stable
        self.pipeline_path = pipeline_path

    def on_mount(self) -> None:
        if self.session is not None:
            self._open(self.session)
            return
        self.push_screen(LoadingScreen(self.title_text, show_times=not self.stable))
        self.run_worker(self._load, thread=True, exit_on_error=False)

    def _open(self, session: DebugSession) -> None:
        self.session = session
        # Everything loaded so far (torch, the model, Textual) lives as long as the app.
        # Freezing it keeps the garbage collector's full passes from walking it: unfrozen,
        # they paused the screen for ~200 ms every few steps (bench/tui_latency.py).
        gc.freeze()
        screen = MainScreen(session, show_timings=not self.stable,
                            pipeline_path=self.pipeline_path)
        if isinstance(self.screen, LoadingScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def _load(self) -> None:
        """The worker: build the session, reporting each step; a failure stays on screen."""
        screen = self.screen
        assert isinstance(screen, LoadingScreen) and self.loader is not None
        try:
            session = self.loader(lambda step: self.call_from_thread(screen.begin, step))
        except Exception as exc:
            from app.commands.common import describe_error
            from trainer_core.errors import HookscopeError

            message = describe_error(exc) if isinstance(exc, HookscopeError) else \
                f"{type(exc).__name__}: {exc}"
            self.call_from_thread(screen.fail, message)
            return
        self.call_from_thread(self._open, session)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            for key in KEYS:
                yield SystemCommand(f"{key.help} ({key.shown})", key.help,
                                    lambda action=key.action: screen.run_action(action))
            yield SystemCommand("Load a pipeline from YAML", "Replace every hook set by a "
                                "pipeline file (one undoable edit)",
                                lambda: screen.run_action("load"))
            if hasattr(self.session, "edit_all_clients"):  # a federated course
                to_all = self.session.edit_all_clients
                yield SystemCommand(
                    "Edits apply to the running client only" if to_all else
                    "Edits apply to every client", "Hook edits (insert, remove, move...) go "
                    "to every client's trainer, or to the running client's alone",
                    screen.toggle_edit_scope)
                yield SystemCommand(
                    "Restart the course", "Back to round 0 with every client as it was "
                    "built (models, data order, the global model); edits and breakpoints "
                    "stay", screen.restart_course)
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
