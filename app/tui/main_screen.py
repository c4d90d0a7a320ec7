"""The main screen: header, hook tree, Context table and detail, warnings, bottom strip.

Presentation only: every command goes to the DebugSession, and every refresh renders the
session's plain data. Long steps (end of batch / epoch, continue) run in a thread worker;
the worker never touches a widget, it hands back through ``call_from_thread``. While it runs,
a timer refreshes the header and progress a few times a second from the session's status
(plain values), and the Context table waits for the step to end.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Tree

from app.session import ConsoleResult, DebugSession, RunState, SessionError
from app.tui import render
from app.tui.breakpoints import BreakpointsScreen
from app.tui.console import ConsoleLine, WatchesPanel
from app.tui.context_pane import ContextPane
from app.tui.hook_tree import HookTree, NodeData
from app.tui.keys import KEYS
from app.tui.modals import (
    BreakpointRequest,
    BreakpointScreen,
    ConfirmScreen,
    DiffScreen,
    ErrorScreen,
    HelpScreen,
    InsertHookScreen,
    InsertRequest,
    PipelineFileScreen,
)
from app.tui.panel import TextPanel, hold_cursors
from app.tui.strip import RoutineStrip
from app.tui.warnings import FindingsList
from trainer_core.engine.edits import Edit, Insert, Remove, Reset
from trainer_core.engine.hooks import describe_hook
from trainer_core.engine.modes import hookset_kind
from trainer_core.engine.triggers import TRIGGERS
from trainer_core.errors import HookscopeError

#: Seconds between screen updates while a step runs in a worker (5 a second; the hook
#: timings every third). Each costs the run a little: see bench/tui_latency.py.
LIVE_INTERVAL = 0.2

#: The layout every pane is designed for; smaller terminals get compact pane sizes.
FULL_SIZE = (120, 36)
#: Below this, some panes cannot show their content (said in the header).
MIN_SIZE = (80, 24)


class MainScreen(Screen[None]):
    """Everything on one screen; see the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key.keys, key.action, key.label, show=key.show) for key in KEYS
    ] + [Binding("escape", "focus_tree", "Tree", show=False)]

    def __init__(self, session: DebugSession, *, show_timings: bool = True,
                 pipeline_path: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.show_timings = show_timings
        self.pipeline_path = pipeline_path or f"{Path(session.name).stem}.pipeline.yaml"
        self.view_mode = hookset_kind(session.mode)
        self.view_model = 0
        self._shown_run: Any = None
        self._ticker: Timer | None = None
        self._ticks = 0
        self._working = False
        self._detail_for = "hook"
        self._focus_from_console = False
        self._small_size_noted: tuple[int, int] | None = None
        self._size_warning = ""  # said in the header while the terminal is below MIN_SIZE

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield TextPanel(id="status")
        with Horizontal(id="main"):
            with Vertical(id="hooks-pane", classes="pane"):
                yield HookTree("hooks", id="hooks")
            with Vertical(id="right"):
                yield ContextPane(id="ctx-pane", classes="pane")
                with Horizontal(id="lower"):
                    with VerticalScroll(id="detail-pane", classes="pane"):
                        yield TextPanel(id="detail")
                    with Vertical(id="side"):
                        with VerticalScroll(id="watch-pane", classes="pane"):
                            yield WatchesPanel(id="watches")
                        with Vertical(id="warn-pane", classes="pane"):
                            yield FindingsList(id="warnings")
        yield RoutineStrip(show_time=self.show_timings, id="strip", classes="pane")
        yield ConsoleLine(self.session.console.history, id="console")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        tree = self.query_one(HookTree)
        hold_cursors(self)
        self.refresh_view()
        tree.focus()
        if tree.root.children:
            tree.move_cursor(tree.root.children[0])
        self.call_after_refresh(self.query_one(ContextPane).fit_columns)
        if self.session.state is RunState.ERROR:  # a session handed over mid-error
            self.call_after_refresh(self.show_error)

    def on_resize(self) -> None:
        self.call_after_refresh(self.query_one(ContextPane).fit_columns)
        width, height = self.app.size
        # below 120x36 the panes take compact sizes (CSS: MainScreen.-narrow / .-short)
        self.set_class(width < FULL_SIZE[0], "-narrow")
        self.set_class(height < FULL_SIZE[1], "-short")
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self._size_warning = (f"terminal {width}x{height}: hookscope needs at least "
                              f"{MIN_SIZE[0]}x{MIN_SIZE[1]}, some panes are cut"
                              if too_small else "")
        if too_small and (width, height) != self._small_size_noted:
            self._small_size_noted = (width, height)
            self.note(self._size_warning)
        self.refresh_status()

    # -- refreshing --------------------------------------------------------------------
    def refresh_view(self) -> None:
        """Render everything from the session (only when no worker is stepping)."""
        self.refresh_status()
        self.refresh_tree()
        self.refresh_context()
        self.refresh_warnings()
        self.refresh_watches()
        self.refresh_strip()

    def refresh_status(self) -> None:
        status = self.session.status()
        self.query_one("#status", TextPanel).show(
            render.status_text(status, self.view_mode, self.view_model,
                               compact=self.has_class("-narrow"), warning=self._size_warning))
        self.query_one(RoutineStrip).show_progress(status.batches_done, status.total_batches)

    def refresh_tree(self) -> None:
        pane = self.query_one("#hooks-pane")
        model = f" · model {self.view_model}" if self.session.trainer.model_nums > 1 else ""
        pane.border_title = f"Hooks · {self.view_mode}{model}"
        scope = getattr(self.session, "edit_all_clients", None)
        pane.border_subtitle = ("edits go to every client" if scope else
                                "edits go to this client only" if scope is not None else
                                "edits apply at the trigger's next firing")
        self.query_one(HookTree).show_rows(self.session.hook_rows(self.view_mode,
                                                                  self.view_model))

    def refresh_context(self) -> None:
        self.query_one(ContextPane).show_rows(self.session.variables(self._ctx_model()),
                                              f"Context{self._ctx_model_title()}")
        self.refresh_detail()

    def _ctx_model(self) -> int | None:
        """The model whose ctx the table shows (``m`` picks it with the hook tree's)."""
        return self.view_model if self.session.trainer.model_nums > 1 else None

    def _ctx_model_title(self) -> str:
        model = self._ctx_model()
        if model is None:
            return ""
        turn = self.session.ctx.get("cur_model_idx", 0)
        if model == turn or getattr(self.session.trainer, "models_interact_mode",
                                    "") == "parallel":
            return f" · model {model}"
        return f" · model {turn}'s pass (models take turns on one ctx)"

    def refresh_detail(self) -> None:
        """The lower-left pane: the selected hook or trigger, or the selected ctx value."""
        detail = self.query_one("#detail", TextPanel)
        pane = self.query_one("#detail-pane")
        if self._detail_for == "console":
            return  # the console's last result stays until the focus moves
        data = self.selection() if self._detail_for == "hook" else None
        if data is not None:
            trigger, position = data
            hookset = self.session.hookset(self.view_mode, self.view_model)
            if position < 0:
                pane.border_title = "Trigger"
                detail.show(render.trigger_text(trigger, len(hookset[trigger]),
                                                self.session.breakpoints.at(trigger)))
            else:
                pane.border_title = "Hook"
                detail.show(render.hook_text(self.session.hook_detail(
                    trigger, position, mode=self.view_mode, model_idx=self.view_model)))
            return
        pane.border_title = "Value"
        name = self.query_one(ContextPane).highlighted_name
        if name is None:
            detail.show(Text("select a variable to see its value", style="dim"))
            return
        try:
            info = self.session.variable(name, self._ctx_model())
        except (KeyError, AttributeError):
            detail.show(Text(f"ctx.{name} is gone", style="dim"))
            return
        except Exception as exc:  # a value that cannot describe itself must not end the app
            detail.show(Text(f"ctx.{name} cannot be shown: {type(exc).__name__}: {exc}",
                             style="red"))
            return
        detail.show(render.value_text(info))

    def refresh_watches(self) -> None:
        watches = self.session.console.watches
        pane = self.query_one("#watch-pane")
        pane.display = bool(watches)
        pane.border_title = f"Watches ({len(watches)})"
        self.query_one("#watches", WatchesPanel).show_watches(watches)

    def refresh_warnings(self) -> None:
        findings = self.session.findings
        pane = self.query_one("#warn-pane")
        pane.border_title = f"Warnings ({len(findings)})"
        pane.border_subtitle = "enter: show the hook" if findings else ""
        self.query_one("#warnings", FindingsList).show_findings(findings)

    def on_findings_list_jump_to_hook(self, message: FindingsList.JumpToHook) -> None:
        """Show the hook a warning blames, selected in the tree (its hook set and model)."""
        finding = message.finding
        if finding.hook is None or finding.trigger is None:
            self.note(finding.hint if finding.kind == "personal-sent" else
                      f"{finding.where} was set outside any hook (the trainer's setup)")
            return
        kind = hookset_kind(finding.mode or "train")
        model = finding.model_idx if finding.model_idx < self.session.trainer.model_nums else 0
        hooks = self.session.hookset(kind, model)[finding.trigger]
        position = next((i for i, hook in enumerate(hooks)
                         if describe_hook(hook) == finding.hook), None)
        if position is None:
            self.note(f"{finding.hook.name} is no longer at {finding.trigger} "
                      f"({kind} hook set): an edit moved or removed it")
            return
        self.view_mode, self.view_model = kind, model
        self.refresh_tree()
        self.refresh_status()
        self.select_node((finding.trigger, position))
        self.query_one(HookTree).focus()

    def refresh_strip(self) -> None:
        strip = self.query_one(RoutineStrip)
        strip.show_losses(self.session.losses)
        reports = getattr(self.session, "reports", None)
        if reports is not None:  # a federated course
            split = self.session.course.settings.eval_split
            strip.show_rounds([r.global_metrics.get(f"{split}_acc", 0.0) for r in reports],
                              f"{split}_acc")
        strip.show_timings(self.session.timing_rows())
        strip.show_log(self.session.log)

    def note(self, message: str) -> None:
        """A line in the log (the session's log, so it is kept with the rest)."""
        self.session.log.append(message)
        self.refresh_strip()

    # -- selection ---------------------------------------------------------------------
    def selection(self) -> NodeData | None:
        return self.query_one(HookTree).selection

    def select_node(self, data: NodeData | None) -> None:
        self.query_one(HookTree).select(data)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeData]) -> None:
        event.stop()
        self._detail_for = "hook"
        self.refresh_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.query_one("#ctx", DataTable).has_focus:
            self._detail_for = "value"
        self.refresh_detail()

    def on_descendant_focus(self, event: Any) -> None:
        """The detail pane follows the focus: a hook from the tree, a value from the table."""
        focused = self.focused
        if self._focus_from_console:
            self._focus_from_console = False
            return
        if isinstance(focused, HookTree):
            self._detail_for = "hook"
        elif isinstance(focused, DataTable):
            self._detail_for = "value"
        else:
            return
        self.refresh_detail()

    # -- stepping ------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a worker steps (the session is then RUNNING)."""
        return self._working or self.session.state is RunState.RUNNING

    def _run(self, command: Callable[[], Any]) -> None:
        """Run a session command; a refused one is logged, not raised into the UI."""
        try:
            command()
        except HookscopeError as exc:
            self.session.log.append(f"error: {exc}")

    def _step_now(self, command: Callable[[], Any]) -> None:
        """A short step, on the UI thread."""
        if self._blocked():
            return
        self._run(command)
        self.after_step()

    def _step_in_worker(self, command: Callable[[], Any], label: str) -> None:
        """A long step, in a thread worker; the screen keeps refreshing."""
        if self._blocked():
            return
        self._working = True
        self.refresh_bindings()  # the footer offers p while it runs
        self._ticker = self.set_interval(LIVE_INTERVAL, self.refresh_running)
        self.run_worker(partial(self._work, command), thread=True, exclusive=True,
                        group="step", name=label)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Pause is offered (footer) only while something runs: the footer then fits in
        120 columns. Next client / next round exist only over a federated course."""
        if action == "pause":
            return self.busy
        if action in ("next_client", "next_round"):
            return hasattr(self.session, "next_round")
        return True

    def _work(self, command: Callable[[], Any]) -> None:
        try:
            self._run(command)
        finally:  # whatever happened, the screen leaves its "working" state
            self.app.call_from_thread(self.after_step)

    def refresh_running(self) -> None:
        """While a step runs: the header, progress, loss strip and hook timings, from the
        session's plain counters (the run's thread only appends to them)."""
        self.refresh_status()
        strip = self.query_one(RoutineStrip)
        strip.show_losses(self.session.losses, keep_empty=True)
        self._ticks += 1
        if self._ticks % 3 == 0:
            strip.show_timings(self.session.timing_rows())

    def _blocked(self) -> bool:
        if self.busy:
            return True
        state = self.session.state
        if state is RunState.ERROR:
            self.show_error()
            return True
        if state in (RunState.FINISHED, RunState.IDLE):
            self.note("the routine has finished: press r to run it again")
            return True
        return False

    def after_step(self) -> None:
        long_step = self._working
        self._working = False
        if long_step:
            self.refresh_bindings()
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        if long_step and len(self.session.stops) > 1:
            change = self.session.ctx_diff().describe()
            self.session.log.append(f"ctx since the last stop: {change}")
        point = self.session.point
        if point is not None and point.model_idx is not None:
            self.view_model = point.model_idx  # the tree shows the hooks of the model running
        if point is not None and point.run is not self._shown_run:
            self._shown_run = point.run  # entering or leaving a routine a hook started:
            self.view_mode = hookset_kind(point.run.mode)  # show the hook set it runs
        self.refresh_view()
        if self.session.state is RunState.ERROR:
            self.show_error()

    def show_error(self) -> None:
        error = self.session.error
        if error is None or isinstance(self.app.screen, ErrorScreen):
            return
        self.app.push_screen(ErrorScreen(render.relative_paths(str(error)),
                                         render.relative_paths(self.session.error_traceback()),
                                         self.session.error_hint()),
                             self._resolve_error)

    def _resolve_error(self, decision: str | None) -> None:
        if decision is None:
            self.note("the error is still waiting: press s to choose retry, skip or remove")
            return
        self._run(lambda: self.session.resolve_error(decision))
        self.after_step()

    def action_step(self) -> None:
        self._step_now(self.session.step_hook)

    def action_next_trigger(self) -> None:
        self._step_now(self.session.step_trigger)

    def action_end_of_batch(self) -> None:
        self._step_in_worker(self.session.step_batch, "end of batch")

    def action_end_of_epoch(self) -> None:
        self._step_in_worker(self.session.step_epoch, "end of epoch")

    def action_step_out(self) -> None:
        self._step_in_worker(self.session.step_out, "step out")

    def action_next_client(self) -> None:
        self._step_in_worker(self.session.next_client, "next client")

    def action_next_round(self) -> None:
        self._step_in_worker(self.session.next_round, "next round")

    def action_continue(self) -> None:
        self._step_in_worker(self.session.continue_, "continue")

    def action_pause(self) -> None:
        if self.busy:
            self.session.pause()
        else:
            self.note("nothing is running")

    def action_restart(self) -> None:
        if self.busy:
            self.session.pause()
            self.note("pausing first: press r again to restart")
            return
        trained = self.session.status().batches_done
        if not trained:
            self._restart()
            return
        routine = f"{self.session.mode}/{self.session.split}"
        self.app.push_screen(
            ConfirmScreen(f"Restart {routine}?", [
                f"{trained} batch{'es' if trained != 1 else ''} of this routine are undone: "
                "the model goes back to its weights at the start, the data to its first "
                "batch.", "Breakpoints, watches and hook edits stay."],
                yes="Restart", no="Cancel"),
            lambda yes: self._restart() if yes else self.note("not restarted"))

    def _restart(self) -> None:
        self._run(lambda: self.session.restart(self.session.mode, self.session.split))
        self.refresh_view()

    def restart_course(self) -> None:
        """Over a federated course: back to round 0, every client as built (confirmed
        once anything has run)."""
        if self.busy:
            self.session.pause()
            self.note("pausing first: choose Restart the course again")
            return
        session: Any = self.session

        def restart() -> None:
            self._run(session.restart_course)
            self.refresh_view()

        done = len(session.reports)
        if not done and not session.status().batches_done:
            restart()
            return
        self.app.push_screen(
            ConfirmScreen("Restart the course?", [
                f"{done} finished round{'s' if done != 1 else ''} and the round in progress "
                "are undone: every client's model and data order go back to how they were "
                "built, and so does the global model.",
                "Breakpoints, watches and hook edits stay."], yes="Restart", no="Cancel"),
            lambda yes: restart() if yes else self.note("not restarted"))

    def switch_routine(self, mode: str, split: str) -> None:
        """Abandon the routine in progress and debug another (train, or eval on a split)."""
        if self.busy:
            self.session.pause()
            self.note("pausing first: choose the routine again")
            return
        try:
            self.session.start(mode, split)
        except HookscopeError as exc:
            self.note(f"cannot start {mode}/{split}: {exc}")
            return
        self.view_mode = hookset_kind(mode)
        self.refresh_view()

    # -- view ----------------------------------------------------------------------------
    def action_toggle_mode(self) -> None:
        """Show the next hook set: train, eval, then finetune when the trainer has one."""
        modes = list(dict.fromkeys(ref.kind for ref in self.session.trainer.hook_sets()))
        at = modes.index(self.view_mode) if self.view_mode in modes else -1
        self.view_mode = modes[(at + 1) % len(modes)]
        self.refresh_tree()
        self.refresh_status()

    def toggle_edit_scope(self) -> None:
        """Over a federated course: hook edits to every client, or the running one only."""
        session: Any = self.session
        session.edit_all_clients = not session.edit_all_clients
        self.note("hook edits now go to " + ("every client" if session.edit_all_clients
                                             else f"client {session.client} only"))
        self.refresh_tree()

    def action_next_model(self) -> None:
        count = self.session.trainer.model_nums
        self.view_model = (self.view_model + 1) % count
        self.refresh_tree()
        self.refresh_context()
        self.refresh_status()

    def action_diff(self) -> None:
        stops = list(self.session.stops)
        if len(stops) < 2:
            self.note("no earlier stop to compare with yet")
            return
        last = len(stops) - 1
        choices = [(i, f"#{stop.index} {stop.point.describe() if stop.point else 'finished'}"
                    f"  ({stop.reason})") for i, stop in enumerate(stops[:-1])][::-1]

        def describe(older: int) -> Text:
            return render.diff_text(self.session.ctx_diff(older, last))

        self.app.push_screen(DiffScreen(choices, describe))

    def action_filter(self) -> None:
        self.query_one(ContextPane).open_filter()

    # -- console and watches ---------------------------------------------------------
    def action_console(self) -> None:
        if self.busy:
            self.note("the routine is running: pause it (p) to use the console")
            return
        self.query_one("#console", ConsoleLine).open()

    def on_console_line_entered(self, event: ConsoleLine.Entered) -> None:
        text = event.text
        command, _, rest = text.partition(" ")
        console = self.session.console
        if command in ("watch", "unwatch") and rest.strip():
            try:
                if command == "watch":
                    watch = console.add_watch(rest)
                    self.note(f"watching {watch.expression}")
                else:
                    removed = console.remove_watch(int(rest) - 1)
                    self.note(f"no longer watching {removed.expression}")
            except (ValueError, HookscopeError) as exc:
                self.note(f"console: {exc}")
            self.refresh_watches()
            return
        self.run_worker(partial(self._evaluate, text), thread=True, group="console",
                        exclusive=True, name="console")

    def _evaluate(self, text: str) -> None:
        result = self.session.console.run(text)
        self.app.call_from_thread(self._show_result, result)

    def _show_result(self, result: ConsoleResult) -> None:
        self._detail_for = "console"
        pane = self.query_one("#detail-pane")
        pane.border_title = "Console"
        self.query_one("#detail", TextPanel).show(render.console_text(result))
        if result.assigned:
            self.refresh_context()
            self.refresh_watches()
            self.refresh_strip()

    def on_console_line_closed(self, event: ConsoleLine.Closed) -> None:
        # the tree gets the keys back, but the detail pane keeps the console's result (which
        # the worker may deliver before or after this focus change)
        self._focus_from_console = True
        self.query_one(HookTree).focus()

    def action_focus_tree(self) -> None:
        if self.maximized is not None:  # escape first restores a zoomed pane
            self.minimize()
            return
        self.query_one(HookTree).focus()

    def action_zoom(self) -> None:
        """Maximize the pane holding the focus (the whole pane, its title and border), or
        restore the layout."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        if focused is None:
            return
        pane = next((w for w in focused.ancestors_with_self
                     if isinstance(w, Widget) and w.has_class("pane")), focused)
        self.maximized = pane

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_quit(self) -> None:
        if not self.session.unsaved_edits:
            self._quit()
            return
        self.app.push_screen(
            ConfirmScreen("Quit and lose your hook edits?", [
                "The hook sets differ from the config's (or the pipeline file last written "
                "or loaded).", "w writes them to a pipeline YAML first; "
                "hooks: {pipeline: FILE} in a config loads it."], yes="Quit", no="Stay"),
            lambda yes: self._quit() if yes else None)

    def _quit(self) -> None:
        if self.busy:
            self.session.pause()
        self.app.exit()

    # -- breakpoints -------------------------------------------------------------------
    def action_toggle_breakpoint(self) -> None:
        data = self.selection()
        if data is None:
            return
        trigger, position = data
        if position < 0:
            bp = self.session.toggle_breakpoint(trigger=trigger)
            what = trigger
        else:
            name = self.session.hookset(self.view_mode, self.view_model).names(trigger)[position]
            bp = self.session.toggle_breakpoint(hook=name)
            what = f"hook {name}"
        self.note(f"breakpoint {'set on' if bp else 'cleared from'} {what}")
        self.refresh_tree()

    def action_breakpoints(self) -> None:
        def closed(result: str | None) -> None:
            self.refresh_tree()
            self.refresh_strip()
            if result == "add":
                self.action_add_breakpoint()

        self.app.push_screen(BreakpointsScreen(self.session), closed)

    def action_toggle_nan_break(self) -> None:
        session = self.session
        session.break_on_nonfinite = not session.break_on_nonfinite
        self.note(f"break on NaN/Inf loss: {'on' if session.break_on_nonfinite else 'off'}")

    def action_add_breakpoint(self) -> None:
        hookset = self.session.hookset(self.view_mode, self.view_model)
        targets = [("any batch: the first trigger where it holds (condition only)", "any:"),
                   ("any trigger: every firing where it holds (condition only)", "every:")]
        targets += [(f"trigger {t}", f"trigger:{t}") for t in TRIGGERS]
        names = sorted({n for t in TRIGGERS for n in hookset.names(t)})
        targets += [(f"hook {n}", f"hook:{n}") for n in names]
        data = self.selection()
        # The selection, unless it is a once-per-routine trigger: a condition there is
        # checked once, which is rarely what a condition is for.
        default = "any:"
        if data is not None:
            trigger, position = data
            if position >= 0:
                default = f"hook:{hookset.names(trigger)[position]}"
            elif trigger not in ("on_fit_start", "on_fit_end"):
                default = f"trigger:{trigger}"

        warned: list[str | None] = []  # a condition refused once for an unknown name

        def validate(request: BreakpointRequest) -> str | None:
            try:
                bp = self.session.add_breakpoint(
                    request.trigger, request.hook, request.condition, every=request.every,
                    force=bool(warned) and warned[-1] == request.condition)
            except HookscopeError as exc:
                if "anyway" in str(exc):  # probably a typo: say so, add on a second enter
                    warned.append(request.condition)
                    return f"{exc} (press enter again)"
                return str(exc)
            self.note(f"breakpoint #{bp.id}: {bp.describe()}")
            return None

        self.app.push_screen(BreakpointScreen(targets, default, validate),
                             lambda _: self.refresh_tree())

    # -- edits -----------------------------------------------------------------------------
    def _selected_hook(self) -> tuple[str, int] | None:
        data = self.selection()
        if data is None or data[1] < 0:
            self.note("select a hook in the tree first")
            return None
        return data

    def apply_edit(self, edit: Edit, select: NodeData | None = None) -> None:
        """Preview an edit; apply it at once, or after confirmation if it breaks a read."""
        try:
            findings = self.session.preview(edit, mode=self.view_mode,
                                            model_idx=self.view_model)
        except HookscopeError as exc:
            self.note(f"cannot {edit.describe()}: {exc}")
            return
        if not findings:
            self._apply(edit, select)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._apply(edit, select)
            else:
                self.note(f"not applied: {edit.describe()}")

        self.app.push_screen(ConfirmScreen.for_edit(edit.describe(),
                                                     [f.message for f in findings]),
                             answer)

    def _apply(self, edit: Edit, select: NodeData | None) -> None:
        try:
            self.session.apply(edit, mode=self.view_mode, model_idx=self.view_model,
                               confirm=True)
        except HookscopeError as exc:
            self.note(f"cannot {edit.describe()}: {exc}")
            return
        self.refresh_tree()
        if select is not None:
            self.select_node(select)
        self.refresh_strip()

    def action_insert(self) -> None:
        data = self.selection()
        trigger, position = data if data is not None else ("on_batch_end", -1)
        position = -1 if position < 0 else position + 1
        names = self.session.hook_names()

        def validate(request: InsertRequest) -> str | None:
            try:
                self.session.resolve(request.reference)
            except HookscopeError as exc:
                return str(exc)
            return None

        def inserted(request: InsertRequest | None) -> None:
            if request is None:
                return
            hook = self.session.resolve(request.reference)
            hooks = self.session.hookset(self.view_mode, self.view_model)[request.trigger]
            at = len(hooks) if request.position == -1 else request.position
            self.apply_edit(Insert(request.trigger, hook, request.position),
                            select=(request.trigger, at))

        def describe(reference: str) -> Text:
            try:
                return render.hook_text(self.session.describe_reference(reference))
            except HookscopeError as exc:
                return Text(str(exc), style="red")

        self.app.push_screen(InsertHookScreen(names, trigger, position,
                                              self.view_mode, validate, describe), inserted)

    def action_remove(self) -> None:
        data = self._selected_hook()
        if data is not None:
            self.apply_edit(Remove(data[0], data[1]), select=data)

    def action_reset_trigger(self) -> None:
        data = self.selection()
        if data is not None:
            self.apply_edit(Reset(data[0]), select=(data[0], -1))

    def action_move(self, delta: int) -> None:
        data = self._selected_hook()
        if data is None:
            return
        trigger, position = data
        try:
            edit = self.session.move_edit(trigger, position, delta, mode=self.view_mode,
                                          model_idx=self.view_model)
        except SessionError as exc:
            self.note(str(exc))
            return
        self.apply_edit(edit, select=(edit.target, edit.new_position))

    def action_undo(self) -> None:
        if self.session.undo() is None:
            self.note("nothing to undo")
        self.refresh_tree()
        self.refresh_strip()

    def action_redo(self) -> None:
        if self.session.redo() is None:
            self.note("nothing to redo")
        self.refresh_tree()
        self.refresh_strip()

    def action_write(self) -> None:
        asked: list[str] = []  # a path said to exist: enter again overwrites it

        def write(path: str) -> str | None:
            if (Path(path).exists() and Path(path).resolve() != self.session.pipeline_file
                    and (not asked or asked[-1] != path)):
                asked.append(path)
                return f"{path} exists: press enter again to overwrite it"
            try:
                self.session.export_pipeline(path)
            except (HookscopeError, OSError) as exc:
                return str(exc)
            self.pipeline_path = path  # the next w or ctrl+o offers it
            return None

        self.app.push_screen(PipelineFileScreen("Write the pipeline (every hook set) to YAML",
                                                "Write", self.pipeline_path, write),
                             lambda _: self.refresh_strip())

    def action_load(self) -> None:
        warned: list[str] = []  # a path whose broken reads were shown: enter again loads it

        def load(path: str) -> str | None:
            try:
                findings = self.session.load_pipeline(
                    path, confirm=bool(warned) and warned[-1] == path)
            except (HookscopeError, OSError) as exc:
                return render.relative_paths(str(exc))
            if findings and not (warned and warned[-1] == path):
                warned.append(path)
                return ("this pipeline breaks reads: " + "; ".join(
                    f.message for f in findings[:3]) + (f" (and {len(findings) - 3} more)"
                                                       if len(findings) > 3 else "")
                        + " — press enter again to load it anyway")
            return None

        def loaded(path: str | None) -> None:
            self.refresh_tree()
            self.refresh_strip()

        self.app.push_screen(PipelineFileScreen("Load a pipeline YAML (replaces every hook set; "
                                                "u undoes it)", "Load", self.pipeline_path,
                                                load), loaded)
