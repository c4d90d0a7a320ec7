"""The routine reads its counts from ctx when FederatedScope's loop reads them: epochs after
on_fit_start, batches at each epoch, the last training epoch's stop after each batch.

Rule (FS trainer.py's _run_routine/_run_epoch/_run_batch): ``num_{split}_epoch`` is read once
the on_fit_start hooks ran; ``num_{split}_batch`` once each epoch's on_epoch_start hooks ran;
in a training mode, epoch ``num_train_epoch - 1`` stops after batch
``num_train_batch_last_epoch - 1``.
"""

from __future__ import annotations

from collections import Counter

from trainer_core.engine.points import TRIGGER


def fired(run) -> Counter:
    return Counter(p.trigger for p in run if p.kind is TRIGGER)


def add_epochs(n: int):
    def add_epochs_at_fit_start(ctx):
        ctx.num_train_epoch += n
    return add_epochs_at_fit_start


def test_a_hook_adding_epochs_at_fit_start_lengthens_the_run(make_trainer):
    # 40 samples / batch 8 = 5 batches; 2 epochs configured, the hook adds 1: 3 epochs, 15.
    trainer = make_trainer(40, 0)
    trainer.register_hook_in_train(add_epochs(1), "on_fit_start")
    counts = fired(trainer.iter_routine("train"))
    assert counts["on_epoch_start"] == 3 and counts["on_batch_start"] == 15
    assert trainer.ctx.num_train_epoch == 3  # a plain attribute: it stays, as in FS


def test_the_last_epoch_stops_where_num_train_batch_last_epoch_says(make_trainer):
    # batch mode, 7 steps over 5 batches: 2 epochs, the last stopping after 2 batches; a
    # hook at on_epoch_start of epoch 1 asks for 4 instead: 5 + 4 = 9 batches.
    trainer = make_trainer(40, 0, **{"train.batch_or_epoch": "batch",
                                     "train.local_update_steps": 7})

    def longer_last_epoch(ctx):
        if ctx.cur_epoch_i == 1:
            ctx.num_train_batch_last_epoch = 4

    trainer.register_hook_in_train(longer_last_epoch, "on_epoch_start")
    num_samples, _, metrics = trainer.train()
    assert num_samples == 9 * 8 and metrics["train_total"] == 72


def test_batches_per_epoch_are_read_after_on_epoch_start(make_trainer):
    # an evaluation split of 20 samples is 3 batches of 8; a hook at on_epoch_start makes
    # it 2: the one epoch runs 2 batches, 16 samples.
    trainer = make_trainer(40, 20)

    def fewer_batches(ctx):
        ctx.num_test_batch = 2

    trainer.register_hook_in_eval(fewer_batches, "on_epoch_start")
    assert trainer.evaluate("test")["test_total"] == 16


def test_finetune_runs_its_own_counts_and_gives_the_training_counts_back(make_trainer):
    # finetune: 1 epoch of 5 batches while training keeps its 2 epochs.
    trainer = make_trainer(40, 0, **{"finetune.local_update_steps": 1,
                                     "finetune.batch_or_epoch": "epoch",
                                     "finetune.before_eval": True})
    seen = []
    trainer.register_hook_in_ft(lambda ctx: seen.append(ctx.num_train_epoch), "on_fit_start")
    num_samples, _, _ = trainer.finetune()
    assert (num_samples, seen) == (40, [1])
    assert trainer.ctx.num_train_epoch == 2
    assert trainer.train()[0] == 80


def test_a_plan_reports_the_counts_ctx_holds_now(make_trainer):
    trainer = make_trainer(40, 0)
    run = trainer.iter_routine("train")
    assert (run.plan.num_epochs, run.plan.total_batches) == (2, 10)
    trainer.ctx.num_train_epoch = 4
    assert (run.plan.num_epochs, run.plan.total_batches) == (4, 20)
    run.close()
