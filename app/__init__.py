"""hookscope's debugger: headless commands and the Textual TUI over trainer_core."""

from app.debug import debug

__all__ = ["debug"]
