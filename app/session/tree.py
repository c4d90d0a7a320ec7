"""The hook tree as rows: each trigger, then its hooks, with what the UI marks on them."""

from __future__ import annotations

from collections.abc import Collection

from app.session.breakpoints import Breakpoints
from app.session.history import Marks
from app.session.state import HookRow
from trainer_core.engine.hooks import Hook, HookInfo, HookSet, describe_hook, hook_name
from trainer_core.engine.points import HOOK_DONE, Point
from trainer_core.engine.triggers import BATCH_TRIGGERS, TRIGGERS


def hook_tree(hookset: HookSet, point: Point | None, breakpoints: Breakpoints,
              marks: Marks, blamed: Collection[tuple[str, HookInfo]] = ()) -> list[HookRow]:
    """Rows of ``hookset``; ``point`` is where the routine is when it runs this hook set
    (None otherwise): its hook is current, earlier triggers of the batch and earlier hooks of
    the firing are done. ``blamed``: (trigger, hook) pairs a lifecycle finding names."""
    trigger_now = point.trigger if point is not None else None
    rows: list[HookRow] = []
    for trigger in TRIGGERS:
        hooks = hookset[trigger]
        current_pos = -2
        if point is not None and trigger == trigger_now and point.hook is not None:
            current_pos = position_of(point, hooks)
        trigger_done = _before_in_batch(trigger, point)
        rows.append(HookRow(trigger, -1, trigger, "", point is not None and
                            trigger == trigger_now and point.hook is None, trigger_done,
                            breakpoints.at(trigger), False))
        for position, hook in enumerate(hooks):
            name = hook_name(hook)
            done = trigger_done or (current_pos >= 0 and point is not None and (
                position < current_pos or (position == current_pos and
                                           point.kind is HOOK_DONE)))
            info = describe_hook(hook)
            rows.append(HookRow(trigger, position, name, info.location,
                                position == current_pos and point is not None
                                and point.kind is not HOOK_DONE,
                                done, breakpoints.on_hook(name), (trigger, id(hook)) in marks,
                                (trigger, info) in blamed))
    return rows


def position_of(point: Point, hooks: tuple[Hook, ...]) -> int:
    """The point's hook in ``hooks`` (edits may have moved it since the trigger fired); -2 if
    it is no longer there."""
    if point.position < len(hooks) and hooks[point.position] is point.hook:
        return point.position
    return next((i for i, h in enumerate(hooks) if h is point.hook), -2)


def _before_in_batch(trigger: str, point: Point | None) -> bool:
    """True for batch triggers that already fired in the current batch."""
    if point is None or point.batch_i is None or point.trigger not in BATCH_TRIGGERS or \
            trigger not in BATCH_TRIGGERS:
        return False
    return BATCH_TRIGGERS.index(trigger) < BATCH_TRIGGERS.index(point.trigger)
