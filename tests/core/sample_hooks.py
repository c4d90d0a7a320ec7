"""Module-level hooks that tests refer to as 'tests.core.sample_hooks:name'."""

from trainer_core.engine.context import CtxVar, Lifecycle


def log_loss(ctx):
    ctx.logged = CtxVar(ctx.loss_batch.item(), Lifecycle.BATCH)


class Hooks:
    @staticmethod
    def nested(ctx):
        return None
