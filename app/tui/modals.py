"""Modal dialogs: insert a hook, add a conditional breakpoint, a hook's error, confirm an
edit that breaks a dependency, write the pipeline, and help.

Each returns its answer through ``dismiss`` (None when cancelled). A dialog that validates
its input (insert, breakpoint, write) keeps itself open and shows the problem, so a typo
never loses what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from app.tui.keys import help_text
from app.tui.panel import hold_cursors
from trainer_core.engine.triggers import TRIGGERS


@dataclass(frozen=True)
class InsertRequest:
    """What the insert dialog asks for."""

    reference: str
    trigger: str
    position: int


@dataclass(frozen=True)
class BreakpointRequest:
    """What the breakpoint dialog asks for: a trigger or a hook name, and a condition."""

    trigger: str | None
    hook: str | None
    condition: str | None
    every: bool = False  # a condition on any trigger: every firing, not once per batch


class _Dialog(ModalScreen[Any]):
    """Escape cancels; the problem line shows validation errors."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def on_mount(self) -> None:
        hold_cursors(self)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def show_problem(self, message: str) -> None:
        self.query_one("#problem", Static).update(Text(message, style="bold red"))


class _FormDialog(_Dialog):
    """A dialog with inputs: enter or the OK button submits, Cancel dismisses."""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self._submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def _submit(self) -> None:
        raise NotImplementedError

    def _finish(self, request: Any, validate: Callable[[Any], str | None]) -> None:
        """Close with ``request`` unless ``validate`` finds a problem (shown in place)."""
        problem = validate(request)
        if problem:
            self.show_problem(problem)
        else:
            self.dismiss(request)


def trigger_in_name(hook_name: str) -> str | None:
    """The trigger a FederatedScope-style name announces (``_hook_on_batch_end_x`` ->
    ``on_batch_end``), or None."""
    stem = hook_name.removeprefix("_hook_")
    named = [t for t in TRIGGERS if stem == t or stem.startswith(t + "_")]
    return max(named, key=len) if named else None


class InsertHookScreen(_FormDialog):
    """Choose a registered hook or type ``module:function`` / ``file.py:function``.

    Choosing a registered hook shows what it reads and writes (``describe``), so it can be
    placed after the hooks that write its inputs, and selects the trigger its name announces.
    """

    def __init__(self, hook_names: Sequence[str], trigger: str, position: int,
                 mode: str, validate: Callable[[InsertRequest], str | None],
                 describe: Callable[[str], Text] | None = None) -> None:
        super().__init__()
        self.hook_names = list(hook_names)
        self.trigger = trigger
        self.position = position
        self.mode = mode
        self.validate = validate
        self.describe = describe

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(f"Insert a hook into the {self.mode} hook set", classes="title")
            yield Label("Registered hook")
            yield Select([(n, n) for n in self.hook_names], prompt="choose a hook",
                         id="registered")
            yield Static(Text("what the chosen hook reads and writes shows here", style="dim"),
                         id="about")
            yield Label("…or a reference (module:function or file.py:function)")
            yield Input(placeholder="my_project.hooks:log_grads", id="reference")
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Trigger")
                    yield Select([(t, t) for t in TRIGGERS], value=self.trigger,
                                 allow_blank=False, id="trigger")
                with Vertical(classes="narrow"):
                    yield Label("Position (-1 = end)")
                    yield Input(str(self.position), id="position")
            yield Static("", id="problem")
            with Horizontal(classes="buttons"):
                yield Button("Insert", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id != "registered" or not isinstance(event.value, str):
            return
        if self.describe is not None:
            self.query_one("#about", Static).update(self.describe(event.value))
        trigger = trigger_in_name(event.value)
        chooser = self.query_one("#trigger", Select)
        if trigger is not None and trigger != chooser.value:
            chooser.value = trigger
            self.query_one("#position", Input).value = "-1"  # the old one was another list's

    def _submit(self) -> None:
        typed = self.query_one("#reference", Input).value.strip()
        chosen = self.query_one("#registered", Select).value
        reference = typed or (chosen if isinstance(chosen, str) else "")
        if not reference:
            self.show_problem("choose a registered hook or type a reference")
            return
        try:
            position = int(self.query_one("#position", Input).value.strip() or "-1")
        except ValueError:
            self.show_problem("the position must be a whole number (-1 for the end)")
            return
        trigger = str(self.query_one("#trigger", Select).value)
        self._finish(InsertRequest(reference, trigger, position), self.validate)


class BreakpointScreen(_FormDialog):
    """A breakpoint on a trigger or a hook, with an optional condition over ctx."""

    def __init__(self, targets: Sequence[tuple[str, str]], default: str,
                 validate: Callable[[BreakpointRequest], str | None]) -> None:
        super().__init__()
        self.targets = list(targets)
        self.default = default
        self.validate = validate

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Add a breakpoint", classes="title")
            yield Label("Where")
            yield Select(self.targets, value=self.default, allow_blank=False, id="target")
            yield Label("Condition over ctx and the point (optional), e.g. "
                        "batch_i == 3 · torch.isnan(loss_batch) · loss_batch > 2")
            yield Input(placeholder="batch_i == 3", id="condition")
            yield Static("", id="problem")
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#condition", Input).focus()

    def _submit(self) -> None:
        target = str(self.query_one("#target", Select).value)
        condition = self.query_one("#condition", Input).value.strip() or None
        kind, _, name = target.partition(":")
        request = BreakpointRequest(name if kind == "trigger" else None,
                                    name if kind == "hook" else None, condition,
                                    every=kind == "every")
        if request.trigger is None and request.hook is None and condition is None:
            self.show_problem("a breakpoint on any batch or trigger needs a condition")
            return
        self._finish(request, self.validate)


class ErrorScreen(_Dialog):
    """A hook raised: its message and traceback, and retry / skip / remove."""

    BINDINGS = [Binding("r", "decide('retry')", "Retry"), Binding("s", "decide('skip')", "Skip"),
                Binding("x", "decide('remove')", "Remove")]

    def __init__(self, message: str, traceback: str, hint: str = "") -> None:
        super().__init__()
        self.message = message
        self.traceback = traceback
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide error"):
            yield Label("A hook raised", classes="title")
            yield Static(Text(self.message, style="bold"), id="error-message")
            if self.hint:
                yield Static(Text(f"hint: {self.hint}", style="yellow"), id="error-hint")
            with VerticalScroll(id="traceback"):
                yield Static(Text(self.traceback))
            yield Label("The model and ctx are as the hook left them.", classes="dim")
            with Horizontal(classes="buttons"):
                yield Button("Retry (r)", variant="primary", id="retry")
                yield Button("Skip (s)", id="skip")
                yield Button("Remove hook (x)", variant="error", id="remove")

    def action_decide(self, decision: str) -> None:
        self.dismiss(decision)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)


class ConfirmScreen(_Dialog):
    """A question that may lose or break something: what, and the answer; y does it."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No")]

    def __init__(self, question: str, details: Sequence[str], *, yes: str = "Apply anyway",
                 no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.details = list(details)
        self.yes, self.no = yes, no

    @classmethod
    def for_edit(cls, description: str, problems: Sequence[str]) -> ConfirmScreen:
        """An edit breaks read/write dependencies: show which, apply only on yes."""
        noun = "dependency" if len(problems) == 1 else "dependencies"
        return cls(f"{description}: this breaks {len(problems)} {noun}", problems)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label(self.question, classes="title")
            with VerticalScroll(id="problems"):
                yield Static(Text("\n".join(f"• {d}" for d in self.details)))
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="warning", id="yes")
                yield Button(f"{self.no} (n)", variant="primary", id="no")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class PipelineFileScreen(_FormDialog):
    """Ask for a pipeline YAML path, then write or load it (``act`` returns a problem or None)."""

    def __init__(self, title: str, button: str, default_path: str,
                 act: Callable[[str], str | None]) -> None:
        super().__init__()
        self.title_text = title
        self.button = button
        self.default_path = default_path
        self.act = act

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(self.title_text, classes="title")
            yield Input(self.default_path, id="path")
            yield Static("", id="problem")
            with Horizontal(classes="buttons"):
                yield Button(self.button, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def _submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        problem = self.act(path) if path else "type a file name"
        if problem:
            self.show_problem(problem)
            return
        self.dismiss(path)


class DiffScreen(_Dialog):
    """What changed in ctx between an earlier stop and now (the session's recorded stops)."""

    def __init__(self, stops: Sequence[tuple[int, str]],
                 describe: Callable[[int], Text]) -> None:
        super().__init__()
        self.stops = list(stops)
        self.describe = describe

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label("ctx: what changed since an earlier stop", classes="title")
            yield Select([(label, index) for index, label in self.stops],
                         value=self.stops[0][0], allow_blank=False, id="since")
            with VerticalScroll(id="problems"):
                yield Static(self.describe(self.stops[0][0]), id="diff")
            yield Label("escape closes", classes="dim")

    def on_select_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self.query_one("#diff", Static).update(self.describe(event.value))


class HelpScreen(_Dialog):
    """Every key, grouped."""

    BINDINGS = [Binding("escape,question_mark,q", "cancel", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog wide"):
            yield Label("hookscope keys", classes="title")
            yield Static(Text.from_markup(help_text()))
            yield Label("escape closes", classes="dim")
