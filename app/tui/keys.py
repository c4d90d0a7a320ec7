"""The debugger's key table: each key once, with its action, footer label and help line.

The main screen's bindings, the command palette and the help screen are all built from
:data:`KEYS`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Key:
    """One command: its keys (comma-separated, Textual's form), the screen action it runs,
    its footer label (shown there when ``show``) and a one-line help text."""

    keys: str
    action: str
    label: str
    show: bool
    help: str

    @property
    def shown(self) -> str:
        """The first key as a person types it ('?' rather than 'question_mark')."""
        return self.keys.split(",")[0].replace("question_mark", "?").replace("slash", "/")


KEYS: tuple[Key, ...] = (
    Key("s", "step", "Step", True, "Step into the next hook"),
    Key("n", "next_trigger", "Trigger", True, "Run to the next trigger"),
    Key("b", "end_of_batch", "Batch", True, "Run to the end of the batch"),
    Key("e", "end_of_epoch", "Epoch", True, "Run to the end of the epoch"),
    Key("o", "step_out", "Out", False, "Step out of a routine a hook started"),
    Key("c", "continue", "Continue", True, "Continue to a breakpoint or the end"),
    Key("p", "pause", "Pause", True, "Pause a running step"),
    Key("r", "restart", "Restart", True, "Restart the routine (model weights reset)"),
    Key("t", "toggle_mode", "Train/eval", False, "Show the train or the eval hook set"),
    Key("space", "toggle_breakpoint", "Break", True, "Toggle a breakpoint on the selection"),
    Key("B", "add_breakpoint", "Cond.break", False, "Add a conditional breakpoint"),
    Key("N", "toggle_nan_break", "NaN break", False,
        "Stop at the first NaN/Inf loss, after the hook that made it (on/off; on at start)"),
    Key("i", "insert", "Insert", True, "Insert a hook"),
    Key("x", "remove", "Remove", True, "Remove the selected hook"),
    Key("R", "reset_trigger", "Reset", False, "Reset (clear) the selected trigger"),
    Key("ctrl+up,K", "move(-1)", "Move up", False, "Move the selected hook up"),
    Key("ctrl+down,J", "move(1)", "Move down", False, "Move the selected hook down"),
    Key("u", "undo", "Undo", True, "Undo the last edit"),
    Key("ctrl+r", "redo", "Redo", False, "Redo the last undone edit"),
    Key("w", "write", "Write", False, "Write the pipeline to YAML"),
    Key("m", "next_model", "Model", False, "Show the next model's hooks (multi-model)"),
    Key("d", "diff", "Diff", False, "What changed in ctx since an earlier stop"),
    Key("slash", "filter", "Filter", False, "Filter the Context table"),
    Key("colon", "console", "Console", True,
        "Console: evaluate an expression or assignment at the stop; watch EXPR pins it"),
    Key("question_mark", "help", "Help", True, "Show every key"),
    Key("q", "quit", "Quit", True, "Quit hookscope"),
)
