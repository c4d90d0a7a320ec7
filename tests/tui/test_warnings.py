"""Each lifecycle warning leads to its hook: the hook is marked ⚠ in the tree, and enter on
the warning selects it there (switching to its hook set)."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.tui.conftest import SIZE, settle, tree_rows


def keep_losses(ctx):
    ctx.kept = [*ctx.get("kept", []), ctx.loss_batch]  # the graphs of every batch, kept


def leaky_app(make_tui):
    app = make_tui()
    app.session.insert(keep_losses, "on_batch_end", 0)
    return app


async def enter_on_the_first_warning(pilot) -> None:
    warnings = pilot.app.screen.query_one("#warnings", OptionList)
    warnings.focus()
    warnings.highlighted = 0
    await pilot.press("enter")
    await pilot.pause()


async def test_enter_on_a_warning_selects_the_hook_it_blames(make_tui):
    app = leaky_app(make_tui)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        findings = app.session.findings
        assert findings and all(f.hook.name == "keep_losses" for f in findings)
        marked = [data for data, label in tree_rows(app) if label.rstrip().endswith("⚠")]
        assert marked == [("on_batch_end", 0)]
        await pilot.press("t")  # look at the eval set: the warning brings the train set back
        assert app.screen.view_mode == "eval"
        await enter_on_the_first_warning(pilot)
        assert app.screen.view_mode == "train"
        assert app.screen.selection() == ("on_batch_end", 0)
        assert app.screen.focused is app.screen.query_one("#hooks")


async def test_a_warning_whose_hook_was_removed_says_so(make_tui):
    app = leaky_app(make_tui)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await settle(pilot)
        app.session.remove("on_batch_end", 0, confirm=True)
        await enter_on_the_first_warning(pilot)
        assert "keep_losses is no longer at on_batch_end" in app.session.log[-1]
