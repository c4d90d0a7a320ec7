"""The Textual debugger. ``make_app`` is the one factory the CLI, tests and snapshots use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.session import DebugSession
    from app.tui.app import HookscopeApp


def make_app(source: DebugSession | str | Path, *, overrides: dict[str, Any] | None = None,
             stable: bool = False, mode: str = "train", split: str | None = None,
             pipeline_path: str | None = None, in_background: bool = False,
             allow_code: bool = True) -> HookscopeApp:
    """An app on a session, or on a config file (built, then paused at the routine's first
    point). ``in_background``: build the config's session behind the loading view, so the
    screen appears before torch is imported (what ``hookscope tui`` does). ``allow_code``
    False refuses the config's references to code (``--no-code``)."""
    from app.session import DebugSession
    from app.tui.app import HookscopeApp

    if isinstance(source, DebugSession):
        if source.run is None:
            source.start(mode, split)
        return HookscopeApp(source, stable=stable, pipeline_path=pipeline_path)

    def load(progress: Callable[[str], None]) -> DebugSession:
        from trainer_core.config.experiment import load_spec
        from trainer_core.errors import ConfigError

        if mode == "train" and load_spec(source, overrides).course is not None:
            from app.session.course import CourseSession  # a federate section: the course

            session: DebugSession = CourseSession.from_course_config(
                source, overrides, progress=progress, allow_code=allow_code)
        else:
            session = DebugSession.from_config(source, overrides, progress=progress,
                                               allow_code=allow_code)
        if mode == "finetune" and not session.trainer.finetune_enabled:
            raise ConfigError("debugging the finetune routine needs a finetune hook set: set "
                              "finetune.before_eval: true in the config",
                              key_path="finetune.before_eval")
        progress(f"starting the {mode} routine")
        session.start(mode, split)
        return session

    if in_background:
        return HookscopeApp(loader=load, title=str(source), stable=stable,
                            pipeline_path=pipeline_path)
    return HookscopeApp(load(lambda step: None), stable=stable, pipeline_path=pipeline_path)
