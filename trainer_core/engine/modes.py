"""Routine modes, data splits and hook-set kinds, and the one rule that links them.

A *mode* is what a routine does (FederatedScope's ``MODE``: train, val, test, finetune); a
hook-set *kind* is which hook set it runs: training and fine-tuning have their own, both
evaluation modes share the eval set. :func:`hookset_kind` is the only place that says so.
"""

from __future__ import annotations

from trainer_core.errors import HookscopeError, did_you_mean


class MODE:
    """Routine modes as FederatedScope names them."""

    TRAIN = "train"
    VAL = "val"
    TEST = "test"
    FINETUNE = "finetune"


#: Every routine mode.
MODES: tuple[str, ...] = (MODE.TRAIN, MODE.VAL, MODE.TEST, MODE.FINETUNE)
#: Modes whose routines update the model (own hook sets, gradients on, model.train()).
TRAINING_MODES: tuple[str, ...] = (MODE.TRAIN, MODE.FINETUNE)
#: The data splits a trainer can hold, in listing order.
SPLITS: tuple[str, ...] = ("train", "val", "test")
#: Hook-set kinds, in listing order (``hooks_in_train``, ``hooks_in_eval``, ``hooks_in_ft``).
HOOKSET_KINDS: tuple[str, ...] = ("train", "eval", "finetune")

_KIND_OF = {MODE.TRAIN: "train", MODE.FINETUNE: "finetune", MODE.VAL: "eval",
            MODE.TEST: "eval", "eval": "eval"}


def hookset_kind(mode: str) -> str:
    """The kind of hook set a routine of ``mode`` runs ('train', 'eval' or 'finetune').

    A kind is accepted too (``hookset_kind("eval") == "eval"``), so APIs that address a hook
    set can take either.
    """
    kind = _KIND_OF.get(mode)
    if kind is None:
        raise HookscopeError(f"unknown mode {mode!r}{did_you_mean(str(mode), _KIND_OF)}; use "
                             f"{', '.join(MODES)} (or the hook-set kind 'eval')")
    return kind


def is_training(mode: str) -> bool:
    """True for the modes that update the model (train, finetune); checks the name."""
    return hookset_kind(mode) != "eval"


def default_split(mode: str) -> str:
    """The split a routine of ``mode`` runs on when none is given (train, or test)."""
    return "train" if is_training(mode) else "test"
