"""Whatever a hook does, the debugger stays up and says what happened."""

from __future__ import annotations

import math

import pytest
import torch

from app.session import RunState
from app.tui.modals import ErrorScreen
from tests.tui.conftest import SIZE, highlighted_hook, screen_text, settle


def raising(exc: BaseException):
    def leave_on_batch_2(ctx):
        if ctx.cur_batch_i == 2:
            raise exc
    return leave_on_batch_2


@pytest.mark.parametrize("exc", [SystemExit(0), KeyboardInterrupt(), GeneratorExit()],
                         ids=lambda e: type(e).__name__)
async def test_a_hook_that_exits_or_interrupts_opens_the_error_modal(make_tui, exc):
    app = make_tui()
    app.session.insert(raising(exc), "on_batch_end", 0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert type(exc).__name__ in str(app.screen.query_one("#error-message").render())
        assert app.is_running and app.session.state is RunState.ERROR
        await pilot.press("x")  # remove the hook and finish
        await pilot.pause()
        await pilot.press("c")
        await settle(pilot)
        assert "FINISHED" in screen_text(app, "#status")


async def test_restart_after_a_hook_deleted_the_model(make_tui):
    app = make_tui()
    model = app.session.ctx.model

    def delete_model(ctx):
        if ctx.cur_batch_i == 1:
            del ctx.model
            raise RuntimeError("lost the model")

    app.session.insert(delete_model, "on_batch_end", 0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("r", "y")  # restart (confirmed: a batch ran): the model comes back
        await settle(pilot)
        assert app.is_running and app.session.ctx.model is model
        await pilot.press("c")
        await settle(pilot)
        assert "FINISHED" in screen_text(app, "#status")


async def test_an_uninitialised_lazy_layer_on_ctx_shows_in_the_table(make_tui):
    app = make_tui()
    app.session.insert(lambda ctx: setattr(ctx, "probe", torch.nn.LazyLinear(3)),
                       "on_batch_start", 0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")  # to the end of the first batch: probe is on ctx
        await settle(pilot)
        table = app.screen.query_one("#ctx")
        assert "probe" in [str(key.value) for key in table.rows]
        table.focus()
        table.move_cursor(row=[str(key.value) for key in table.rows].index("probe"))
        await pilot.pause()
        assert "ctx.probe" in screen_text(app, "#detail")  # the detail view drew it too
        assert app.is_running


async def test_a_non_utf8_pipeline_file_is_refused_with_its_line(make_tui, tmp_path):
    bad = tmp_path / "pipeline.yaml"
    bad.write_bytes(b"train:\n  on_fit_start: [caf\xe9]\n")
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.action_load()
        await pilot.pause()
        app.screen.query_one("#path").value = str(bad)
        await pilot.press("enter")
        await pilot.pause()
        problem = screen_text(app, "#problem")
        assert "pipeline.yaml:2" in problem and "not UTF-8" in problem
        assert app.is_running


async def test_a_nan_loss_stops_the_run_and_shift_n_switches_that_off(make_tui):
    def nan_on_batch_3(ctx):
        if ctx.cur_batch_i == 3:
            ctx.loss_batch = ctx.loss_batch * math.nan

    app = make_tui()
    app.session.insert(nan_on_batch_3, "on_batch_forward", 1)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        assert "NaN/Inf loss" in screen_text(app, "#status")
        assert highlighted_hook(app) == "nan_on_batch_3" or \
            app.session.point.hook_name == "nan_on_batch_3"
        await pilot.press("N")
        await pilot.pause()
        assert app.session.break_on_nonfinite is False
        await pilot.press("r", "y")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert "FINISHED" in screen_text(app, "#status")
