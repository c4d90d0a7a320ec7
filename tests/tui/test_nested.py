"""The debugger on FederatedScope-style code: into and out of a routine a hook starts, and
progress that follows a hook changing the epoch count."""

from __future__ import annotations

from tests.tui.conftest import SIZE, highlighted_hook, screen_text, settle


def evaluating_trainer(make_trainer):
    trainer = make_trainer(**{"train.local_update_steps": 1})

    def evaluate_now(ctx):
        ctx.inner_metrics = trainer.evaluate("test")

    trainer.register_hook_in_train(evaluate_now, "on_epoch_end")
    return trainer


async def test_s_steps_into_an_evaluation_a_hook_starts_and_o_steps_out(make_tui, make_trainer):
    app = make_tui(evaluating_trainer(make_trainer))
    session = app.session
    async with app.run_test(size=SIZE) as pilot:
        session.add_breakpoint(hook="evaluate_now")
        await pilot.press("c")
        await settle(pilot)
        assert highlighted_hook(app) == "evaluate_now"
        await pilot.press("s")  # into the evaluation: its first hook
        await settle(pilot)
        status = screen_text(app, "#status")
        assert "train/train > test/test" in status
        assert "_hook_on_fit_start_init about to run" in status
        pane = app.screen.query_one("#hooks-pane")
        assert pane.border_title.startswith("Hooks · eval")  # the tree shows its hook set
        assert highlighted_hook(app) == "_hook_on_fit_start_init"
        await pilot.press("o")  # out: back in the training routine, the hook returned
        await settle(pilot)
        status = screen_text(app, "#status")
        assert "train/train > " not in status and "evaluate_now returned" in status
        assert pane.border_title.startswith("Hooks · train")
        assert session.ctx.inner_metrics["test_total"] == 20


async def test_n_steps_over_an_evaluation_a_hook_starts(make_tui, make_trainer):
    app = make_tui(evaluating_trainer(make_trainer))
    async with app.run_test(size=SIZE) as pilot:
        app.session.add_breakpoint(hook="evaluate_now")
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        status = screen_text(app, "#status")
        assert "on_fit_end fired" in status and "test/test" not in status


async def test_progress_follows_a_hook_that_adds_epochs(make_tui, make_trainer):
    trainer = make_trainer()  # 2 epochs of 5 batches

    def one_more_epoch(ctx):
        ctx.num_train_epoch += 1

    trainer.register_hook_in_train(one_more_epoch, "on_fit_start")
    app = make_tui(trainer)
    async with app.run_test(size=SIZE) as pilot:
        assert "0/10 batches" in screen_text(app, "#progress")
        await pilot.press("n", "n", "n")  # past on_fit_start's hooks, into the first batch
        await settle(pilot)
        assert "epoch 0 of 3" in screen_text(app, "#status")
        assert "/15 batches" in screen_text(app, "#progress")
        await pilot.press("c")
        await settle(pilot)
        assert "15/15 batches" in screen_text(app, "#progress")
