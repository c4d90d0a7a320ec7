"""The eight triggers, in the order a routine fires them.

Triggers are a ``str`` enum so hook sets can key on plain strings (what FederatedScope users
write) while type hints and tab completion get ``Trigger``. :func:`as_trigger` is the one
place a user-supplied name is checked.
"""

from __future__ import annotations

from enum import StrEnum

from trainer_core.errors import HookSetError, did_you_mean


class Trigger(StrEnum):
    """A point of the routine at which the hooks registered for it run."""

    ON_FIT_START = "on_fit_start"
    ON_EPOCH_START = "on_epoch_start"
    ON_BATCH_START = "on_batch_start"
    ON_BATCH_FORWARD = "on_batch_forward"
    ON_BATCH_BACKWARD = "on_batch_backward"
    ON_BATCH_END = "on_batch_end"
    ON_EPOCH_END = "on_epoch_end"
    ON_FIT_END = "on_fit_end"


#: The trigger names in routine order.
TRIGGERS: tuple[str, ...] = tuple(t.value for t in Trigger)
#: Triggers fired once per batch, in order.
BATCH_TRIGGERS: tuple[str, ...] = TRIGGERS[2:6]

_TRIGGER_SET = frozenset(TRIGGERS)


def as_trigger(value: str | Trigger, *, hookset: str = "") -> str:
    """Return the canonical trigger name, or raise HookSetError naming the valid ones."""
    name = value.value if isinstance(value, Trigger) else value
    if isinstance(name, str) and name in _TRIGGER_SET:
        return name
    hint = did_you_mean(str(name), TRIGGERS)
    raise HookSetError(
        f"unknown trigger {name!r}{hint}; triggers are: {', '.join(TRIGGERS)}",
        hookset=hookset, trigger=str(name))
