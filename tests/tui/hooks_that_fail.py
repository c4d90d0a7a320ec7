"""A hook for the error-modal tests: it divides by the batch size minus eight."""


def divide_by_batch(ctx):
    """Raises ZeroDivisionError on every full batch of eight."""
    ctx.per_sample = 1.0 / (ctx.batch_size - 8)
