"""Behaviour packs: hooks that show why the hook abstraction exists.

Each pack is a module with plain hooks (``HOOKS``) and an ``install(trainer, **options)``
that adds them through the trainer's HookSet API. A config enables one with
``packs: {fedprox: {mu: 0.01}}``; the hooks are also in the default registry by name, so an
exported pipeline loads back.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from trainer_core.engine.hooks import Hook, hook_name
from trainer_core.errors import ConfigError, did_you_mean
from trainer_core.packs import ditto, dp, fedprox, predictions

PACKS: dict[str, Any] = {"fedprox": fedprox, "dp": dp, "ditto": ditto,
                         "predictions": predictions}


def pack_hooks() -> dict[str, Hook]:
    """Every pack hook under its name."""
    return {hook_name(h): h for module in PACKS.values() for h in module.HOOKS}


def install_packs(trainer: Any, packs: Mapping[str, Any],
                  locate: Callable[[str], str] | None = None) -> None:
    """Install each named pack with its options (checked against ``install``'s signature)."""
    for name, options in packs.items():
        path = f"packs.{name}"
        source = locate(path) if locate else ""
        if name not in PACKS:
            raise ConfigError(f"unknown pack '{name}'{did_you_mean(name, PACKS)}; packs: "
                              f"{', '.join(PACKS)}", key_path=path, source=source)
        options = {} if options is None else options
        if not isinstance(options, Mapping):
            raise ConfigError("must be a mapping of options", key_path=path, source=source)
        install = PACKS[name].install
        allowed = [p for p in inspect.signature(install).parameters if p != "trainer"]
        for key, value in options.items():
            if key not in allowed:
                known = f"options: {', '.join(allowed)}" if allowed else \
                    f"the {name} pack takes no options"
                raise ConfigError(f"unknown option '{key}'{did_you_mean(key, allowed)}; {known}",
                                  key_path=f"{path}.{key}",
                                  source=locate(f"{path}.{key}") if locate else "")
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"must be a number, got {value!r}", key_path=f"{path}.{key}",
                                  source=locate(f"{path}.{key}") if locate else "")
        try:
            install(trainer, **options)
        except ConfigError as exc:
            raise ConfigError(exc.reason, key_path=exc.key_path or path,
                              source=locate(exc.key_path or path) if locate else "") from None
