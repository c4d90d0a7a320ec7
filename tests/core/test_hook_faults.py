"""Whatever a hook raises — an error, sys.exit(), a KeyboardInterrupt, a stray GeneratorExit —
it becomes that hook's HookError, and the routine gives ctx back as it found it."""

from __future__ import annotations

import pytest
import torch

from app.session import DebugSession, RunState
from trainer_core.errors import HookError

RAISED = {
    "error": lambda: RuntimeError("bad batch"),
    "sys.exit": lambda: SystemExit(0),
    "ctrl-c": lambda: KeyboardInterrupt(),
    "generator-exit": lambda: GeneratorExit(),
}


def failing(make_exc, *, on_batch: int = 1, delete_model: bool = False):
    def fail_on_a_batch(ctx):  # once: in the first epoch
        if ctx.cur_batch_i == on_batch and ctx.cur_epoch_i == 0:
            if delete_model:
                del ctx.model
            raise make_exc()
    return fail_on_a_batch


def assert_routine_state_restored(trainer, was_training):
    ctx = trainer.ctx
    assert (ctx.cur_mode, ctx.cur_split, ctx.cur_epoch_i, ctx.cur_batch_i) == (
        None, None, None, None)
    for name in ("loss_batch_total", "num_samples", "batch_iter", "data_batch", "optimizer"):
        assert name not in ctx, name


@pytest.mark.parametrize("kind", sorted(RAISED))
def test_train_raises_the_hooks_error_and_restores_the_routine_state(make_trainer, kind):
    trainer = make_trainer()
    was_training = trainer.ctx.model.training
    trainer.register_hook_in_train(failing(RAISED[kind]), "on_batch_end")
    with pytest.raises(HookError) as info:
        trainer.train()
    assert type(info.value.original) is type(RAISED[kind]())
    assert info.value.hook_name == "fail_on_a_batch" and info.value.batch_i == 1
    assert_routine_state_restored(trainer, was_training)
    assert trainer.ctx.model.training == was_training


def test_a_hook_that_deletes_the_model_and_raises_still_leaves_ctx_restored(make_trainer):
    trainer = make_trainer()
    model = trainer.ctx.model
    trainer.register_hook_in_train(failing(RAISED["error"], delete_model=True), "on_batch_end")
    with pytest.raises(HookError):
        trainer.train()
    assert_routine_state_restored(trainer, model.training)
    trainer.ctx.model = model  # the trainer works again once given its model back
    trainer.reset_hook_in_train("on_batch_end", "fail_on_a_batch")
    assert trainer.train()[0] == 80


@pytest.mark.parametrize("kind", sorted(RAISED))
def test_scoped_values_and_a_replaced_optimizer_do_not_outlive_the_failed_routine(
        make_trainer, kind):
    from trainer_core import CtxVar, Lifecycle

    def vandal(ctx):
        if ctx.cur_batch_i == 2:
            ctx.optimizer = "not an optimizer"
            ctx.batch_note = CtxVar("this batch", Lifecycle.BATCH)
            ctx.epoch_note = CtxVar("this epoch", Lifecycle.EPOCH)
            raise RAISED[kind]()

    trainer = make_trainer()
    trainer.register_hook_in_train(vandal, "on_batch_end", insert_pos=0)
    with pytest.raises(HookError):
        trainer.train()
    for name in ("optimizer", "batch_note", "epoch_note"):
        assert name not in trainer.ctx, name
    trainer.reset_hook_in_train("on_batch_end", "vandal")
    assert trainer.train()[0] == 80  # the next routine builds its own optimizer


@pytest.mark.parametrize("kind", sorted(RAISED))
def test_the_session_stops_at_the_hook_and_can_skip_it(make_trainer, kind):
    trainer = make_trainer()
    trainer.register_hook_in_train(failing(RAISED[kind]), "on_batch_end")
    session = DebugSession(trainer)
    session.start()
    point = session.continue_()
    assert session.state is RunState.ERROR and point.hook_name == "fail_on_a_batch"
    assert type(session.error.original) is type(RAISED[kind]())
    session.resolve_error("skip")
    session.run_to_end()
    assert session.state is RunState.FINISHED


def test_restart_after_a_hook_deleted_the_model_gives_the_model_back(make_trainer):
    trainer = make_trainer()
    model = trainer.ctx.model
    trainer.register_hook_in_train(failing(RAISED["error"], delete_model=True), "on_batch_end")
    session = DebugSession(trainer)
    session.start()
    session.continue_()
    assert session.state is RunState.ERROR and "model" not in trainer.ctx
    session.restart()
    assert trainer.ctx.model is model and session.state is RunState.PAUSED
    session.close()


def test_a_hook_module_calling_sys_exit_at_import_is_a_config_error(tmp_path, capsys):
    from app.cli import main

    (tmp_path / "quits.py").write_text("import sys\nsys.exit(0)\n\ndef hook(ctx):\n    pass\n")
    config = tmp_path / "c.yaml"
    config.write_text('data: {type: iris}\nhooks:\n  train:\n    - insert: {hook: '
                      '"quits.py:hook", trigger: on_batch_end}\n')
    assert main(["run", str(config)]) == 2
    err = capsys.readouterr().err
    assert "c.yaml:4, hooks.train[0].insert" in err and "failed: SystemExit: 0" in err


@pytest.mark.parametrize(("body", "code", "message"), [
    ("sys.exit(0)", 3, "raised SystemExit"),
    ("raise KeyboardInterrupt", 130, "interrupted in hook 'fails'"),
])
def test_the_cli_names_the_hook_for_an_exit_or_an_interrupt_inside_it(tmp_path, capsys,
                                                                       body, code, message):
    from app.cli import main

    (tmp_path / "bad.py").write_text(f"import sys\n\ndef fails(ctx):\n    {body}\n")
    config = tmp_path / "c.yaml"
    config.write_text('data: {type: iris}\nhooks:\n  train:\n    - insert: {hook: '
                      '"bad.py:fails", trigger: on_batch_end}\n')
    assert main(["run", str(config)]) == code
    err = capsys.readouterr().err
    assert message in err and "on_batch_end" in err and "Traceback" not in err


def test_a_keyboard_interrupt_outside_hooks_still_interrupts(make_trainer):
    trainer = make_trainer()
    run = trainer.iter_routine("train")
    next(run)
    with pytest.raises(KeyboardInterrupt):
        run._gen.throw(KeyboardInterrupt)  # as a Ctrl-C between two points would
    assert trainer.ctx.cur_mode is None and torch.is_grad_enabled()
