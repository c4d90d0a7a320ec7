"""Nothing is lost by one key: quitting with unwritten edits, restarting after training and
overwriting a file each ask first; answering no keeps everything as it was."""

from __future__ import annotations

import stat

from app.tui.modals import ConfirmScreen, PipelineFileScreen
from tests.tui.conftest import SIZE, dialog_text, hook_names, screen_text, select, settle


async def test_quit_with_unwritten_edits_asks_and_no_keeps_the_app(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "lose your hook edits" in dialog_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and hook_names(app, "on_batch_end") == []
        await pilot.press("u")  # undone back to the config's pipeline: nothing to lose
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_quit_after_writing_the_edits_does_not_ask(make_tui, tmp_path):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.press("x", "q")
        await pilot.pause()
        await pilot.press("y")  # quit anyway
        await pilot.pause()
    assert app.return_code == 0
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await select(pilot, "on_batch_end", 0)
        await pilot.press("x")
        app.session.export_pipeline(tmp_path / "kept.yaml")
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert app.return_code == 0


async def test_restart_before_any_batch_does_not_ask(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s", "s", "r")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert "on_fit_start fired" in screen_text(app, "#status")


async def test_writing_over_an_existing_file_asks_by_a_second_enter(make_tui, tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text("precious: true\n")
    target.chmod(0o640)
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        await pilot.pause()
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PipelineFileScreen)
        assert "exists: press enter again to overwrite" in screen_text(app, "#problem")
        assert target.read_text() == "precious: true\n"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PipelineFileScreen)
        assert "_hook_on_batch_forward" in target.read_text()
        assert stat.S_IMODE(target.stat().st_mode) == 0o640  # its permissions kept
        await pilot.press("w")  # the file it wrote: writing it again needs no second enter
        await pilot.pause()
        assert app.screen.query_one("#path").value == str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, PipelineFileScreen)


async def test_restart_clears_the_abandoned_routines_timings_and_losses(make_tui):
    app = make_tui()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await settle(pilot)
        assert app.session.timings and len(app.session.losses) == 5
        await pilot.press("r", "y")
        await settle(pilot)
        assert not app.session.losses and not app.session.timings
        assert "no hook has run yet" in screen_text(app, "#timings")
        await pilot.press("b")
        await settle(pilot)
        assert len(app.session.losses) == 1
