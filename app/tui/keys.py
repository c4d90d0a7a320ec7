"""The debugger's key table: each key once, with its action, footer label and help line.

The main screen's bindings, the command palette and the help screen are all built from
:data:`KEYS`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Key:
    """One command: its keys (comma-separated, Textual's form), the screen action it runs,
    its footer label (shown there when ``show``), a one-line help text and the help
    section it is listed under."""

    keys: str
    action: str
    label: str
    show: bool
    help: str
    group: str = "View"

    @property
    def shown(self) -> str:
        """The first key as a person types it ('?' rather than 'question_mark')."""
        return self.all_shown.split(" / ")[0]

    @property
    def all_shown(self) -> str:
        """Every key as a person types it: 'c / F5'."""
        names = {"question_mark": "?", "slash": "/", "colon": ":", "space": "space",
                 "right_square_bracket": "]", "right_curly_bracket": "}"}
        def typed(key: str) -> str:
            prefix, _, last = key.rpartition("+")
            if last.startswith("f") and last[1:].isdigit():  # f5 -> F5, shift+f11 -> shift+F11
                last = last.upper()
            return names.get(key, f"{prefix}+{last}" if prefix else last)
        return " / ".join(typed(k) for k in self.keys.split(","))


#: Help sections, in order.
GROUPS = ("Stepping", "Breakpoints", "Inspecting", "Editing", "View")

KEYS: tuple[Key, ...] = (
    Key("s,f11", "step", "Step", True, "Step into the next hook", "Stepping"),
    Key("n,f10", "next_trigger", "Trigger", True, "Run to the next trigger (over a routine a "
        "hook starts)", "Stepping"),
    Key("b", "end_of_batch", "Batch", True, "Run to the end of the batch", "Stepping"),
    Key("e", "end_of_epoch", "Epoch", True, "Run to the end of the epoch", "Stepping"),
    Key("o,shift+f11", "step_out", "Out", False, "Step out of a routine a hook started",
        "Stepping"),
    Key("right_square_bracket", "next_client", "Client", False, "Federated course: run to "
        "the next client's start", "Stepping"),
    Key("right_curly_bracket", "next_round", "Round", False, "Federated course: run to the "
        "next round's first client", "Stepping"),
    Key("c,f5", "continue", "Continue", True, "Continue to a breakpoint or the end",
        "Stepping"),
    Key("p", "pause", "Pause", True, "Pause a running step", "Stepping"),
    Key("r", "restart", "Restart", True, "Restart the routine (model weights reset)",
        "Stepping"),
    Key("space,f9", "toggle_breakpoint", "Break", True, "Toggle a breakpoint on the "
        "selected trigger or hook", "Breakpoints"),
    Key("B", "add_breakpoint", "Cond.break", False, "Add a breakpoint with a condition "
        "(batch_i == 3, torch.isnan(loss_batch))", "Breakpoints"),
    Key("ctrl+b", "breakpoints", "Breakpoints", False,
        "Breakpoint manager: list, enable/disable, edit the condition, delete",
        "Breakpoints"),
    Key("N", "toggle_nan_break", "NaN break", False,
        "Stop at the first NaN/Inf loss, after the hook that made it (on/off; on at start)",
        "Breakpoints"),
    Key("colon", "console", "Console", True,
        "Console: evaluate an expression or assignment at the stop; watch EXPR pins it",
        "Inspecting"),
    Key("d", "diff", "Diff", False, "What changed in ctx since an earlier stop",
        "Inspecting"),
    Key("slash", "filter", "Filter", False, "Filter the Context table", "Inspecting"),
    Key("i", "insert", "Insert", True, "Insert a hook", "Editing"),
    Key("x", "remove", "Remove", True, "Remove the selected hook", "Editing"),
    Key("R", "reset_trigger", "Reset", False, "Reset (clear) the selected trigger",
        "Editing"),
    Key("ctrl+up,K", "move(-1)", "Move up", False, "Move the selected hook up (past the "
        "first: to the end of the trigger before)", "Editing"),
    Key("ctrl+down,J", "move(1)", "Move down", False, "Move the selected hook down (past "
        "the last: to the start of the trigger after)", "Editing"),
    Key("u", "undo", "Undo", True, "Undo the last edit", "Editing"),
    Key("ctrl+r", "redo", "Redo", False, "Redo the last undone edit", "Editing"),
    Key("w", "write", "Write", False, "Write the pipeline to YAML (load one from the "
        "palette)", "Editing"),
    Key("t", "toggle_mode", "Train/eval", False, "Show the train or the eval hook set"),
    Key("m", "next_model", "Model", False, "Show the next model's hooks and ctx "
        "(multi-model)"),
    Key("z", "zoom", "Zoom", False, "Maximize the focused pane (z or escape restores it)"),
    Key("question_mark", "help", "Help", True, "Show every key"),
    Key("q", "quit", "Quit", True, "Quit hookscope"),
)


def help_text() -> str:
    """The help screen, from KEYS (so it lists every key there is), as Rich markup."""
    lines = []
    for group in GROUPS:
        lines.append(f"[b]{group}[/b]")
        for key in KEYS:
            if key.group == group:
                keys = key.all_shown.replace("[", r"\[")
                lines.append(f"  {keys:16s} {key.help}")
    lines.append("  ctrl+p           command palette (every command) · escape: back to the tree")
    lines.append("Epochs, batches and models count from 0, as cur_epoch_i and cur_batch_i do.")
    return "\n".join(lines)
