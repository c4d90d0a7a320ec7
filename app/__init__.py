"""hookscope's debugger: headless commands and the Textual TUI over trainer_core."""
