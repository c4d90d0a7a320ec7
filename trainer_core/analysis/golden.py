"""A pipeline's observable behaviour as text, for regression tests of custom hooks.

While routines run, :class:`BehaviourRecorder` notes for every hook which ctx attributes it
wrote and with which lifecycle. :meth:`BehaviourRecorder.to_yaml` lays that out per hook set
and trigger in the pipeline's own order (stable, so a golden file does not churn), and
:func:`diff_text` shows how two recordings differ. ``hookscope check --golden FILE`` records
the file the first time and fails with the diff when the behaviour drifts.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

import yaml

from trainer_core.engine.hooks import Hook, describe_hook
from trainer_core.engine.points import HOOK, HOOK_DONE, Point
from trainer_core.engine.triggers import TRIGGERS

_Key = tuple[str, str, int]


class BehaviourRecorder:
    """Observe points; remember what each hook wrote (attribute -> lifecycle).

    ``name`` writes a hook in the recording (a config passes its registry's reference, so
    the file reads like the config); by default the hook's qualified name.
    """

    def __init__(self, trainer: Any, *, name: Callable[[Hook], str] | None = None) -> None:
        self.trainer = trainer
        self._name = name or (lambda hook: describe_hook(hook).qualname)
        self.writes: dict[_Key, dict[str, str]] = {}
        self.calls: dict[_Key, int] = {}
        self._pending: Point | None = None

    def observe(self, point: Point) -> None:
        """Feed every point of the runs to record."""
        if point.kind is HOOK:
            self._pending = point
        elif point.kind is HOOK_DONE and self._pending is not None:
            hook_point, self._pending = self._pending, None
            ctx = point.run.ctx
            label = point.run.hookset_of(point.model_idx).label
            key = (label, point.trigger, point.position)
            self.calls[key] = self.calls.get(key, 0) + 1
            seen = self.writes.setdefault(key, {})
            for name in ctx.written_by(hook_point):
                lifecycle = ctx.lifecycle_of(name)
                seen[name] = lifecycle.value if lifecycle is not None else "plain"

    def as_data(self) -> dict[str, Any]:
        """{hook_sets: {label: {trigger: [{hook, calls, writes}]}}} in pipeline order."""
        sets: dict[str, Any] = {}
        for hookset in self.trainer.distinct_hook_sets():
            triggers: dict[str, Any] = {}
            for trigger in TRIGGERS:
                entries = []
                for position, hook in enumerate(hookset[trigger]):
                    key = (hookset.label, trigger, position)
                    writes = self.writes.get(key, {})
                    entries.append({"hook": self._name(hook), "calls": self.calls.get(key, 0),
                                    "writes": {n: writes[n] for n in sorted(writes)}})
                if entries:
                    triggers[trigger] = entries
            sets[hookset.label] = triggers
        return {"hook_sets": sets}

    def to_yaml(self, header: str = "") -> str:
        """The recording as YAML text (with ``header`` as comment lines)."""
        lines = "".join(f"# {line}\n" for line in header.splitlines())
        return lines + yaml.safe_dump(self.as_data(), sort_keys=False, default_flow_style=False)


def diff_text(expected: str, actual: str, *, expected_name: str = "golden",
              actual_name: str = "this run") -> str:
    """A unified diff, ignoring comment lines (headers may name paths or dates)."""
    def body(text: str) -> list[str]:
        return [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    return "".join(difflib.unified_diff(body(expected), body(actual), expected_name,
                                        actual_name))
