"""The console line and the watches pane, driven by keys."""

from __future__ import annotations

from app.tui.console import ConsoleLine
from tests.tui.conftest import SIZE, screen_text, settle


async def stopped_at_backward(app, pilot):
    app.session.add_breakpoint(trigger="on_batch_backward")
    await pilot.press("c")
    await settle(pilot)


async def type_line(pilot, text: str) -> None:
    await pilot.press("colon", *text, "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_colon_evaluates_into_the_detail_pane_and_closes(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await stopped_at_backward(app, pilot)
        await type_line(pilot, "loss_batch * 0 + 7")
        detail = screen_text(app, "#detail")
        assert ": loss_batch * 0 + 7" in detail and "tensor(7." in detail and "mean" in detail
        assert app.screen.query_one("#detail-pane").border_title == "Console"
        assert not app.screen.query_one(ConsoleLine).display  # closed: keys step again
        await pilot.press("n")  # a stepping key works at once
        await pilot.pause()
        assert app.session.point.trigger == "on_batch_end"


async def test_a_result_that_arrives_before_the_console_closes_stays_shown(make_tui):
    """The evaluation runs in a worker: its result may reach the screen before the focus
    goes back to the tree; either way the detail pane keeps it."""
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await stopped_at_backward(app, pilot)
        await pilot.press("colon")
        app.screen._show_result(app.session.console.run("batch_i + 40"))  # the worker first
        await pilot.press("escape")  # then the line closes and the tree takes the focus
        await pilot.pause()
        assert app.screen.focused is app.screen.query_one("#hooks")
        assert app.screen.query_one("#detail-pane").border_title == "Console"
        assert ": batch_i + 40" in screen_text(app, "#detail")


async def test_errors_show_in_place_and_the_app_stays(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await stopped_at_backward(app, pilot)
        for text, error in (("1/0", "ZeroDivisionError"), ("import os", "only an expression"),
                            ("exit()", "SystemExit (ignored)")):
            await type_line(pilot, text)
            assert error in screen_text(app, "#detail")
        assert app.is_running


async def test_an_assignment_edits_ctx_and_the_table_shows_it(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await stopped_at_backward(app, pilot)
        await type_line(pilot, "ctx.lr_scale = 0.5")
        assert app.session.ctx.lr_scale == 0.5
        table = app.screen.query_one("#ctx")
        assert "lr_scale" in [str(key.value) for key in table.rows]
        assert "an edit of ctx.lr_scale" in "\n".join(app.session.log)


async def test_watch_and_unwatch_and_old_to_new_at_the_next_stop(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await stopped_at_backward(app, pilot)
        pane = app.screen.query_one("#watch-pane")
        assert not pane.display  # hidden while there are none
        await type_line(pilot, "watch batch_i")
        assert pane.display and "1. batch_i = 0" in screen_text(app, "#watches")
        await pilot.press("c")  # the next batch's on_batch_backward
        await settle(pilot)
        assert "0 → 1" in screen_text(app, "#watches")
        await type_line(pilot, "unwatch 1")
        assert not pane.display


async def test_up_and_down_walk_the_history(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await stopped_at_backward(app, pilot)
        await type_line(pilot, "batch_i")
        await type_line(pilot, "trigger")
        await pilot.press("colon", "up")
        line = app.screen.query_one(ConsoleLine)
        assert line.value == "trigger"
        await pilot.press("up")
        assert line.value == "batch_i"
        await pilot.press("down", "down")
        assert line.value == ""
        await pilot.press("escape")
        assert not line.display
