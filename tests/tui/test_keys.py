"""Every key of the main screen, checked by what the screen shows afterwards."""

from __future__ import annotations

import asyncio

from app.session import RunState
from app.tui.modals import (
    BreakpointScreen,
    ConfirmScreen,
    HelpScreen,
    InsertHookScreen,
    PipelineFileScreen,
)
from tests.tui.conftest import (
    SIZE,
    dialog_text,
    eventually,
    highlighted_hook,
    hook_names,
    screen_text,
    select,
    settle,
    tree_rows,
)


async def test_s_steps_into_the_next_hook_and_the_tree_follows(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        assert highlighted_hook(app) is None  # paused at on_fit_start, before its hooks
        await pilot.press("s")
        assert highlighted_hook(app) == "_hook_on_fit_start_init"
        await pilot.press("s")
        assert highlighted_hook(app) == "_hook_on_epoch_start"
        assert "on_epoch_start > _hook_on_epoch_start about to run" in \
            screen_text(app, "#status")


async def test_n_runs_to_the_next_trigger(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "n")
        status = screen_text(app, "#status")
        assert "on_batch_start fired" in status and "batch 0 of 5" in status
        await pilot.press("n")
        assert "on_batch_forward fired" in screen_text(app, "#status")
        done = [label for data, label in tree_rows(app) if data == ("on_batch_start", -1)]
        assert done  # the trigger line is still there, now dimmed (checked in snapshots)


async def test_b_and_e_run_in_a_worker_to_the_end_of_batch_and_epoch(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await settle(pilot)
        status = screen_text(app, "#status")  # the end of batch 0, its values still there
        assert "batch 0 of 5" in status and "on_batch_end done" in status
        assert "released next" in status
        table = [str(key.value) for key in app.screen.query_one("#ctx").rows]
        assert "y_prob" in table  # marked ⌫: it goes with the batch
        assert "1/10 batches" in screen_text(app, "#progress")
        assert any(line.startswith("ctx since the last stop: +") for line in app.session.log)
        await pilot.press("e")
        await settle(pilot)
        status = screen_text(app, "#status")
        assert "epoch 0 of 2" in status and "on_epoch_end done" in status
        assert "5/10 batches" in screen_text(app, "#progress")


async def test_c_continues_to_the_end_and_the_loss_sparkline_fills(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        assert "FINISHED" in screen_text(app, "#status")
        assert "10/10 batches" in screen_text(app, "#progress")
        assert "loss" in screen_text(app, "#loss-label")
        assert len(app.screen.query_one("#loss").data) == 10
        assert "train_acc" in "\n".join(app.session.log)


async def test_p_pauses_a_long_continue(make_tui):
    app = make_tui(**{"train.local_update_steps": 1_000_000, "train.batch_or_epoch": "batch"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        for _ in range(200):
            await asyncio.sleep(0.02)
            if app.session.status().batches_done > 2:
                break
        assert app.screen.busy
        assert await eventually(pilot, lambda: "pause" in footer_actions(app))  # while running
        await pilot.press("p")
        await settle(pilot)
        assert app.session.state is RunState.PAUSED
        assert "PAUSED  paused" in screen_text(app, "#status")
        assert 2 < app.session.status().batches_done < 1_000_000
        assert await eventually(pilot, lambda: "pause" not in footer_actions(app))
        assert "quit" in footer_actions(app)


def footer_actions(app) -> list[str]:
    return [key.action for key in app.screen.query("FooterKey")]


async def test_r_restarts_the_routine(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # an epoch of training would be undone
        assert "5 batches of this routine are undone" in dialog_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert "epoch 0 of 2" in screen_text(app, "#status")  # nothing lost
        await pilot.press("r", "y")
        await pilot.pause()
        status = screen_text(app, "#status")
        assert "epoch - of 2" in status and "on_fit_start fired" in status
        assert "0/10 batches" in screen_text(app, "#progress")


async def test_t_toggles_the_train_and_eval_hook_sets(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        assert "_hook_on_batch_backward" in hook_names(app, "on_batch_backward")
        await pilot.press("t")
        assert app.screen.query_one("#hooks-pane").border_title.startswith("Hooks · eval")
        assert hook_names(app, "on_batch_backward") == []  # eval has no backward hook
        await pilot.press("t")
        assert "_hook_on_batch_backward" in hook_names(app, "on_batch_backward")


async def test_a_trainer_that_fine_tunes_shows_and_debugs_its_finetune_set(make_tui):
    app = make_tui(**{"finetune": {"before_eval": True, "local_update_steps": 1}})
    app.session.trainer.register_hook_in_ft(lambda ctx: None, "on_fit_end")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t", "t")  # train -> eval -> finetune
        assert app.screen.query_one("#hooks-pane").border_title.startswith("Hooks · finetune")
        assert hook_names(app, "on_fit_end") == ["_hook_on_fit_end", "<lambda>"]
        await pilot.press("t")
        assert app.screen.query_one("#hooks-pane").border_title.startswith("Hooks · train")
        app.screen.switch_routine("finetune", "train")  # the palette's "Debug the finetune ..."
        await pilot.press("s")
        assert "finetune/train" in screen_text(app, "#status")
        assert app.screen.query_one("#hooks-pane").border_title.startswith("Hooks · finetune")
        assert highlighted_hook(app) == "_hook_on_fit_start_init"
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Debug the finetune routine" in commands


async def test_space_toggles_a_breakpoint_that_continue_then_stops_at(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.press("space")
        assert any(label.endswith("●") for data, label in tree_rows(app)
                   if data == ("on_batch_end", 0))
        await pilot.press("c")
        await settle(pilot)
        assert highlighted_hook(app) == "_hook_on_batch_end"
        assert "breakpoint #" in screen_text(app, "#status")
        await pilot.press("space")  # off again
        assert not any("●" in label for _, label in tree_rows(app))
        await select(pilot, "on_epoch_end")
        await pilot.press("space")
        await pilot.press("c")
        await settle(pilot)
        assert "on_epoch_end fired" in screen_text(app, "#status")


async def test_shift_b_adds_a_conditional_breakpoint(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_forward")
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, BreakpointScreen)
        assert not app.screen.query_one("#condition").cursor_blink  # stable snapshots
        await pilot.press(*"batch_i ==")
        await pilot.press("enter")  # a syntax error keeps the dialog open, text kept
        await pilot.pause()
        assert isinstance(app.screen, BreakpointScreen)
        assert "not a Python expression" in screen_text(app, "#problem")
        await pilot.press("space", "3", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, BreakpointScreen)
        await pilot.press("c")
        await settle(pilot)
        status = screen_text(app, "#status")
        assert "batch 3 of 5" in status and "on_batch_forward fired" in status


async def test_i_inserts_a_hook_after_the_selection(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, InsertHookScreen)
        await pilot.click("#reference")
        await pilot.press(*"tests.core.sample_hooks:nope", "enter")
        await pilot.pause()
        assert "nope" in screen_text(app, "#problem")  # still open, with the reason
        app.screen.query_one("#reference").value = "tests.core.sample_hooks:log_loss"
        await pilot.press("enter")
        await pilot.pause()
        assert hook_names(app, "on_batch_end") == ["_hook_on_batch_end", "log_loss"]
        edited = [label for data, label in tree_rows(app) if data == ("on_batch_end", 1)]
        assert edited[0].endswith("✎")


async def test_choosing_a_registered_hook_shows_what_it_reads_and_picks_its_trigger(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#registered").value = "_hook_on_batch_forward_regularizer"
        assert await eventually(pilot, lambda: "loss_batch" in screen_text(app, "#about"))
        about = screen_text(app, "#about")
        assert "reads  cfg, loss_batch, regularizer" in about
        assert "writes loss_regular, loss_task" in about
        assert app.screen.query_one("#trigger").value == "on_batch_forward"
        assert app.screen.query_one("#position").value == "-1"
        await pilot.click("#ok")
        await pilot.pause()
        assert hook_names(app, "on_batch_forward")[-1] == "_hook_on_batch_forward_regularizer"


def test_the_trigger_a_hook_name_announces():
    from app.tui.modals import trigger_in_name

    assert trigger_in_name("_hook_on_batch_forward_regularizer") == "on_batch_forward"
    assert trigger_in_name("_hook_on_fit_end") == "on_fit_end"
    assert trigger_in_name("_hook_on_batch_start_init") == "on_batch_start"
    assert trigger_in_name("log_loss") is None


async def test_x_removes_the_selected_hook_and_u_and_ctrl_r_undo_and_redo(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.press("x")  # the metrics hook: nothing later reads what it writes
        await pilot.pause()
        assert hook_names(app, "on_batch_end") == []
        await pilot.press("u")
        assert hook_names(app, "on_batch_end") == ["_hook_on_batch_end"]
        await pilot.press("ctrl+r")
        assert hook_names(app, "on_batch_end") == []


async def test_an_edit_that_breaks_a_dependency_asks_first(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_forward", 1)
        await pilot.press("x")  # the regularizer writes loss_task, which backward reads
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "loss_task" in str(app.screen.query_one("#problems Static").render())
        await pilot.press("n")
        await pilot.pause()
        assert len(hook_names(app, "on_batch_forward")) == 2
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert hook_names(app, "on_batch_forward") == ["_hook_on_batch_forward"]


async def test_shift_r_resets_the_selected_trigger(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_epoch_start")
        await pilot.press("R")
        await pilot.pause()
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y")
            await pilot.pause()
        assert hook_names(app, "on_epoch_start") == []
        await pilot.press("u")
        assert hook_names(app, "on_epoch_start") == ["_hook_on_epoch_start"]


async def test_moving_hooks_with_ctrl_arrows_and_k_j(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        original = hook_names(app, "on_batch_forward")
        await select(pilot, "on_batch_forward", 1)
        await pilot.press("ctrl+up")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # the regularizer reads loss_batch
        await pilot.press("y")
        await pilot.pause()
        assert hook_names(app, "on_batch_forward") == original[::-1]
        assert app.screen.selection() == ("on_batch_forward", 0)  # the cursor moved along
        await pilot.press("ctrl+down")
        await pilot.pause()
        assert hook_names(app, "on_batch_forward") == original
        await pilot.press("K")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("J")
        await pilot.pause()
        assert hook_names(app, "on_batch_forward") == original


async def test_w_writes_the_pipeline_and_the_palette_loads_one(make_tui, tmp_path):
    app = make_tui()
    target = tmp_path / "edited.yaml"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, PipelineFileScreen)
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PipelineFileScreen)
        assert "_hook_on_batch_forward" in target.read_text()
        # edit, then load the written file back from the palette's command
        await select(pilot, "on_batch_end", 0)
        await pilot.press("x")
        await pilot.pause()
        assert hook_names(app, "on_batch_end") == []
        app.screen.action_load()
        await pilot.pause()
        app.screen.query_one("#path").value = str(tmp_path / "missing.yaml")
        await pilot.press("enter")
        await pilot.pause()
        assert "missing.yaml" in screen_text(app, "#problem")  # stays open, says why
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert hook_names(app, "on_batch_end") == ["_hook_on_batch_end"]
        await pilot.press("u")
        assert hook_names(app, "on_batch_end") == []


async def test_question_mark_shows_help_and_q_quits(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_the_context_table_flags_changes_filters_and_shows_details(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            await pilot.press("s")
        await pilot.press("s")  # the forward hook has run: y_prob, loss_batch... changed
        await pilot.press("slash", *"loss")
        await pilot.pause()
        table = app.screen.query_one("#ctx")
        names = [str(key.value) for key in table.rows]
        assert names and all("loss" in n for n in names)
        assert "shown" in app.screen.query_one("#ctx-pane").border_title
        await pilot.press("escape")
        app.screen.query_one("#filter").value = "y_prob"
        assert await eventually(pilot, lambda: [str(k.value) for k in table.rows] == ["y_prob"])
        table.focus()
        table.move_cursor(row=0)
        await pilot.pause()
        detail = screen_text(app, "#detail")
        assert "ctx.y_prob" in detail and "norm:" in detail and "requires_grad" in detail


async def test_a_hook_that_raises_opens_the_error_modal_with_retry_skip_remove(make_tui):
    from app.tui.modals import ErrorScreen
    from tests.tui.hooks_that_fail import divide_by_batch

    app = make_tui()
    app.session.insert(divide_by_batch, "on_batch_end", 0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        text = str(app.screen.query_one("#traceback Static").render())
        assert "hooks_that_fail.py" in text and "ZeroDivisionError" in text
        await pilot.press("r")  # retry: raises again, the modal comes back
        await pilot.pause()
        assert isinstance(app.screen, ErrorScreen)
        await pilot.press("s")  # skip
        await pilot.pause()
        assert not isinstance(app.screen, ErrorScreen)
        assert highlighted_hook(app) == "_hook_on_batch_end"  # the next hook of that firing
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)  # the next batch fails again
        await pilot.press("x")  # remove it and go on
        await pilot.pause()
        assert hook_names(app, "on_batch_end") == ["_hook_on_batch_end"]
        await pilot.press("c")
        await settle(pilot)
        assert "FINISHED" in screen_text(app, "#status")


async def test_the_error_modal_says_which_hook_writes_what_the_failing_hook_read(make_tui):
    from app.tui.modals import ErrorScreen

    app = make_tui()
    app.session.move("on_batch_forward", 1, 0, confirm=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        hint = screen_text(app, "#error-hint")
        assert "hint: ctx.loss_batch is written by '_hook_on_batch_forward'" in hint


def palette_offers(app, title: str) -> bool:
    """The command palette's highlighted option is ``title`` (its search runs async)."""
    from textual.command import CommandList

    lists = app.screen.query(CommandList)
    if not lists or lists.first().highlighted is None:
        return False
    option = lists.first().get_option_at_index(lists.first().highlighted)
    return str(option.prompt).startswith(title)


async def test_every_key_is_also_a_command_in_the_palette(make_tui):
    from app.tui.keys import KEYS

    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for key in KEYS:
            assert any(title.startswith(key.help) for title in titles), key.help
        assert "Debug the evaluation routine on test" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Step into the next hook")
        assert await eventually(pilot, lambda: palette_offers(app, "Step into the next hook"))
        await pilot.press("enter")
        await pilot.pause()
        assert highlighted_hook(app) == "_hook_on_fit_start_init"


async def test_the_palette_switches_to_the_evaluation_routine(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.switch_routine("test", "test")
        await pilot.pause()
        status = screen_text(app, "#status")
        assert "test/test" in status and "(hook tree: eval set)" in status
        await pilot.press("c")
        await settle(pilot)
        assert "test_acc" in "\n".join(app.session.log)


async def test_m_shows_each_model_of_a_multi_model_trainer(make_trainer):
    from app.session import DebugSession
    from app.tui import make_app
    from trainer_core.trainers.multi_model import MultiModelTrainer

    trainer = MultiModelTrainer(2, "parallel", base_trainer=make_trainer())
    session = DebugSession(trainer, name="two.yaml")
    session.insert(lambda ctx: None, "on_batch_end", model_idx=1)
    app = make_app(session, stable=True)
    async with app.run_test(size=SIZE) as pilot:
        assert len(hook_names(app, "on_batch_end")) == 1
        await pilot.press("m")
        assert app.screen.query_one("#hooks-pane").border_title == "Hooks · train · model 1"
        assert len(hook_names(app, "on_batch_end")) == 2
        await pilot.press("s", "s")
        status = screen_text(app, "#status")
        assert "model 1 (2 models)" in status and "(hook tree: train set, model 1)" in status
        await pilot.press("m")
        assert len(hook_names(app, "on_batch_end")) == 1
        await pilot.press("m", "s")  # viewing model 1; the next hook is model 0's
        assert app.screen.query_one("#hooks-pane").border_title == "Hooks · train · model 0"
        assert highlighted_hook(app) == "_hook_on_epoch_start"


async def test_m_also_shows_that_models_own_ctx_in_a_parallel_routine(make_trainer):
    import torch
    from textual.widgets import DataTable

    from app.session import DebugSession
    from app.tui import make_app
    from trainer_core.trainers.multi_model import MultiModelTrainer

    trainer = MultiModelTrainer(2, "parallel", base_trainer=make_trainer())
    with torch.no_grad():
        for parameter in trainer.ctx.models[1].parameters():
            parameter.mul_(0.5)
    session = DebugSession(trainer, name="two.yaml")
    session.start()
    session.add_breakpoint(trigger="on_batch_backward", condition="model_idx == 1")
    session.continue_()
    own = {i: session.ctx.records_of_model(i) for i in (0, 1)}
    loss = {i: next(r.value for r in own[i] if r.name == "loss_batch").item() for i in (0, 1)}
    assert loss[0] != loss[1]
    app = make_app(session, stable=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#ctx", DataTable)
        table.focus()
        names = [str(key.value) for key in table.rows]
        table.move_cursor(row=names.index("loss_batch"))
        await pilot.pause()
        pane = app.screen.query_one("#ctx-pane")
        assert pane.border_title.startswith("Context · model 0")  # the tree's model
        assert f"{loss[0]:.4f}" in screen_text(app, "#detail")
        await pilot.press("m")
        await pilot.pause()
        assert pane.border_title.startswith("Context · model 1")
        assert f"{loss[1]:.4f}" in screen_text(app, "#detail")


async def test_z_maximizes_the_focused_pane_and_escape_restores_it(make_tui):
    from textual.widgets import DataTable

    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#ctx", DataTable).focus()
        await pilot.press("z")
        await pilot.pause()
        assert app.screen.maximized is app.screen.query_one("#ctx-pane")
        assert not app.screen.query_one("#hooks-pane").region  # the others make room
        await pilot.press("s")  # stepping keys still work while zoomed
        await pilot.pause()
        assert highlighted_hook(app) == "_hook_on_fit_start_init"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.maximized is None and app.screen.query_one("#hooks-pane").region
        assert isinstance(app.screen.focused, DataTable)  # escape restored, focus stayed
        await pilot.press("z", "z")
        await pilot.pause()
        assert app.screen.maximized is None


def test_debug_opens_the_app_on_a_trainer_built_in_python(make_trainer, monkeypatch):
    from app import debug
    from app.tui.app import HookscopeApp

    shown = []
    monkeypatch.setattr(HookscopeApp, "run", lambda self: shown.append(self))
    trainer = make_trainer()
    session = debug(trainer)
    [app] = shown
    assert app.session is session and session.trainer is trainer
    assert session.point.trigger == "on_fit_start" and session.name == "TorchTrainer"


async def test_clicking_a_column_header_sorts_the_context_table(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#ctx")
        await pilot.click("#ctx", offset=(50, 0))  # the "size" header
        await pilot.pause()
        sizes = [app.session.variable(str(key.value)) for key in table.rows]
        assert app.screen.query_one("#ctx-pane").sorted_by == ("size", False)
        rows = {row.name: row.nbytes for row in app.session.variables()}
        ordered = [rows[str(key.value)] for key in table.rows]
        assert ordered == sorted(ordered) and len(sizes) == len(rows)
        await pilot.click("#ctx", offset=(50, 0))
        await pilot.pause()
        ordered = [rows[str(key.value)] for key in table.rows]
        assert ordered == sorted(ordered, reverse=True)


async def test_the_detail_pane_shows_the_selected_hook_and_what_it_reads_and_writes(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_backward", 0)
        detail = screen_text(app, "#detail")
        assert "_hook_on_batch_backward" in detail and "torch_trainer.py:" in detail
        assert "reads  " in detail and "loss_task" in detail
        assert app.screen.query_one("#detail-pane").border_title == "Hook"
        await select(pilot, "on_batch_end")
        assert "fires in every batch" in screen_text(app, "#detail")
        app.screen.query_one("#ctx").focus()
        await pilot.pause()
        assert app.screen.query_one("#detail-pane").border_title == "Value"


async def test_an_evaluation_session_opens_on_the_eval_hook_set(make_trainer):
    from app.session import DebugSession
    from app.tui import make_app

    session = DebugSession(make_trainer(), name="tiny.yaml")
    session.start("test", "test")
    app = make_app(session, stable=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "(hook tree: eval set)" in screen_text(app, "#status")
        assert hook_names(app, "on_batch_backward") == []


async def test_a_condition_from_the_fit_start_line_defaults_to_any_trigger(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_fit_start")
        await pilot.press("B")
        await pilot.pause()
        assert app.screen.query_one("#target").value == "any:"
        await pilot.press(*"batch_i == 2", "enter")
        await pilot.pause()
        await pilot.press("c")
        await settle(pilot)
        assert "batch 2 of 5" in screen_text(app, "#status")


async def test_d_shows_what_changed_since_an_earlier_stop(make_tui):
    from app.tui.modals import DiffScreen

    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")  # only one stop so far: nothing to compare
        await pilot.pause()
        assert not isinstance(app.screen, DiffScreen)
        await pilot.press("n", "n", "s", "s")  # into batch 0, after its data was fetched
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DiffScreen)
        latest = str(app.screen.query_one("#diff").render())
        assert "+ added" in latest
        app.screen.query_one("#since").value = 0  # the very first stop (on_fit_start)
        assert await eventually(pilot, lambda: "optimizer" in str(
            app.screen.query_one("#diff").render()))
        since_start = str(app.screen.query_one("#diff").render())
        assert "data_batch" in since_start and "optimizer" in since_start
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DiffScreen)


async def test_a_wider_terminal_widens_the_context_columns(make_tui):
    app = make_tui()
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("b")
        await settle(pilot)
        table = app.screen.query_one("#ctx")

        def widths() -> dict[str, int]:
            return {str(c.label).strip(): c.width for c in table.columns.values()}

        assert await eventually(pilot, lambda: widths()["lifecycle"] > len("lifecycle"))
        assert widths()["set by"] > 12
        cells = [str(table.get_row_at(i)[-1]).strip() for i in range(table.row_count)]
        assert "fit_start_init" in cells  # cut to 'fit_start_…' at 120 columns


async def test_a_terminal_smaller_than_80x24_says_so_in_the_log_too(make_tui):
    app = make_tui()
    async with app.run_test(size=(78, 22)) as pilot:
        assert await eventually(pilot, lambda: any("78x22" in line and "80x24" in line
                                                   for line in app.session.log))
    app = make_tui()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not any("needs at least" in line for line in app.session.log)


async def test_loading_a_pipeline_that_breaks_a_read_warns_then_loads_on_a_second_enter(
        make_tui, tmp_path):
    app = make_tui()
    app.session.remove("on_batch_forward", 1, confirm=True)
    path = app.session.export_pipeline(tmp_path / "no_regularizer.yaml")
    app.session.undo()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.action_load()
        await pilot.pause()
        app.screen.query_one("#path").value = str(path)
        await pilot.press("enter")
        await pilot.pause()
        problem = screen_text(app, "#problem")
        assert "loss_task" in problem and "press enter again" in problem
        assert len(app.session.hookset("train")["on_batch_forward"]) == 2  # not loaded
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PipelineFileScreen)
        assert len(hook_names(app, "on_batch_forward")) == 1


async def test_the_header_and_progress_move_while_a_continue_runs(make_tui):
    """The live view: the screen follows the run without waiting for it to stop."""
    app = make_tui(**{"train.local_update_steps": 1_000_000, "train.batch_or_epoch": "batch"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert await eventually(pilot, lambda: "RUNNING" in screen_text(app, "#status"))
        assert await eventually(pilot, lambda: "running (p pauses)" in screen_text(app,
                                                                                  "#status"))
        first = screen_text(app, "#progress")
        assert await eventually(pilot, lambda: screen_text(app, "#progress") != first)
        assert app.session.state is RunState.RUNNING  # it moved while still running
        header = screen_text(app, "#status")
        assert await eventually(pilot, lambda: screen_text(app, "#status") != header)
        await pilot.press("p")
        await settle(pilot)
        assert app.session.state is RunState.PAUSED
