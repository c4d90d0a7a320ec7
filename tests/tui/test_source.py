"""The hook's source in the detail pane; r in the error dialog runs an edited hook file."""

from __future__ import annotations

from app.tui.modals import ErrorScreen
from tests.session.test_source import FAILING, FIXED, write
from tests.tui.conftest import SIZE, screen_text, select, settle
from trainer_core.config.registry import resolve_hook


async def test_the_hook_detail_shows_its_source_and_retry_runs_the_edit(make_tui, tmp_path):
    path = tmp_path / "flaky_tui.py"
    write(path, FAILING)
    app = make_tui()
    app.session.insert(resolve_hook(f"{path}:flaky"), "on_batch_end", 0)
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.pause()
        assert "def flaky(ctx):" in screen_text(app, "#detail")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        write(path, FIXED)
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, ErrorScreen)
        assert app.session.ctx.fixed is True
        await select(pilot, "on_batch_end", 0)
        await pilot.pause()
        assert "ctx.fixed = True" in screen_text(app, "#detail")
