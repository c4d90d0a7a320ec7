"""The checker against a corpus it was not tuned on: every leak found, with the right kind,
attribute, path and blamed hook; no finding at all for the correct hooks."""

from __future__ import annotations

import pytest

from tests.lifecycle.correct import CORRECT
from tests.lifecycle.leaky import LEAKS, keep_eval_outputs
from trainer_core import LifecycleChecker, check_rounds

# 10 batches per epoch, 2 epochs: 20 batch ends per training routine
SIZE = {"n_train": 80, "n_test": 16, "train.local_update_steps": 2}


def run_checked(trainer, rounds: int = 1, evaluate: bool = True) -> LifecycleChecker:
    """Training routines (rounds) and an evaluation after each, as a FL client runs."""
    return check_rounds(trainer, rounds, evaluate="test" if evaluate else None)


def build(make_trainer, hooks, before=None):
    trainer = make_trainer(**SIZE)
    for name, value in (before or {}).items():
        setattr(trainer.ctx, name, value)
    for hook, trigger in hooks:
        trainer.register_hook_in_train(hook, trigger)
    return trainer


@pytest.mark.parametrize("case", sorted(LEAKS))
def test_each_leak_is_found_and_blamed_on_the_hook_that_grows_it(make_trainer, case):
    leak = LEAKS[case]
    trainer = build(make_trainer, leak.hooks, leak.before)
    if leak.evaluate:
        trainer.register_hook_in_eval(keep_eval_outputs, "on_batch_forward", insert_pos=1)
        trainer.register_hook_in_train(lambda ctx: trainer.evaluate("test"), "on_epoch_end")
    checker = run_checked(trainer, leak.rounds, evaluate=False)
    found = {(f.kind.value, f.attribute): f for f in checker.report()}
    assert (leak.kind, leak.attribute) in found, [f.describe() for f in checker.findings]
    finding = found[(leak.kind, leak.attribute)]
    assert finding.hook is not None and finding.hook.name == leak.blamed, finding.describe()
    assert finding.path == leak.path, finding.describe()
    assert finding.mode == leak.mode, finding.describe()


@pytest.mark.parametrize("case", sorted(CORRECT))
def test_correct_hooks_give_no_finding_over_three_rounds(make_trainer, case):
    checker = run_checked(build(make_trainer, CORRECT[case]), rounds=3)
    assert checker.findings == [], [f.describe() for f in checker.findings]


def test_the_corpus_is_as_large_as_promised():
    assert len(LEAKS) >= 25 and len(CORRECT) >= 20
