"""Find hooks by reference, and write a reference back for any hook that has one.

A hook reference is one of:

* a short name: a trainer hook (``_hook_on_batch_forward``, including a subclass's override)
  or a hook registered in a :class:`Registry` (the behaviour packs);
* ``package.module:function`` (dotted attributes allowed: ``pkg.mod:Class.method``);
* ``path/to/file.py:function``, relative to ``base_dir`` (the config file's folder).

There is no global registry filled by import side effects: a Registry is built explicitly
(:meth:`Registry.with_defaults`) and passed where it is needed.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from trainer_core.engine.hooks import Hook, check_hook, describe_hook, hook_name
from trainer_core.errors import HookscopeError, UnresolvedReference, did_you_mean

REF_FORMS = ("a hook name, 'package.module:function' or 'path/to/file.py:function' "
             "(relative to the config file)")
_FILE_MODULE_PREFIX = "hookscope_user_"
#: Trainer methods with this prefix are hooks (FederatedScope's naming convention).
TRAINER_HOOK_PREFIX = "_hook_on_"


@dataclass
class Registry:
    """Short names for hooks (and the other tables the configs add)."""

    hooks: dict[str, Hook] = field(default_factory=dict)

    @classmethod
    def with_defaults(cls) -> Registry:
        """A registry holding the TorchTrainer default hooks under their names."""
        from trainer_core.trainers.torch_trainer import TorchTrainer

        registry = cls()
        for name in vars(TorchTrainer):
            if name.startswith(TRAINER_HOOK_PREFIX):
                registry.add_hook(name, getattr(TorchTrainer, name))
        return registry

    def add_hook(self, name: str, hook: Hook) -> None:
        """Register ``hook`` under ``name`` (validated; a name can be taken once)."""
        check_hook(hook)
        if name in self.hooks and self.hooks[name] is not hook:
            raise HookscopeError(f"hook name '{name}' is already registered")
        self.hooks[name] = hook

    def add_hooks(self, hooks: Mapping[str, Hook] | Iterable[Hook]) -> None:
        """Register several hooks (a mapping, or callables under their own names)."""
        items = hooks.items() if isinstance(hooks, Mapping) else ((hook_name(h), h)
                                                                  for h in hooks)
        for name, hook in items:
            self.add_hook(name, hook)

    def hook_names(self) -> list[str]:
        """Registered hook names, sorted."""
        return sorted(self.hooks)


def is_reference(text: str) -> bool:
    """True for ``module:attr`` / ``file.py:attr`` forms (as opposed to a short name)."""
    return ":" in text


#: False inside :func:`no_code`: a reference to code (``module:attr``, ``file.py:attr``) is
#: refused instead of imported. A ContextVar, so it holds for the thread (or task) that
#: loads a config and nowhere else.
_CODE_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar("hookscope_code_allowed",
                                                                     default=True)

CODE_REFUSED = ("refused: this run imports no code (--no-code or HOOKSCOPE_NO_CODE=1); use "
                "a registered hook or a built-in type, or drop --no-code if you trust this "
                "config")


@contextlib.contextmanager
def code_policy(allowed: bool) -> Iterator[None]:
    """Within the block, references to code are imported (``allowed``) or refused."""
    token = _CODE_ALLOWED.set(allowed)
    try:
        yield
    finally:
        _CODE_ALLOWED.reset(token)


def load_object(reference: str, *, base_dir: str | Path | None = None,
                kind: str = "hook") -> Any:
    """Import the object a ``module:attr`` or ``file.py:attr`` reference names (refused
    inside ``code_policy(False)``: importing a module runs its code)."""
    target, sep, attr_path = reference.rpartition(":")
    if not sep or not target or not attr_path:
        raise UnresolvedReference(reference, f"expected {REF_FORMS}", kind=kind)
    if not _CODE_ALLOWED.get():
        raise UnresolvedReference(reference, CODE_REFUSED, kind=kind)
    module = _load_file(target, base_dir, reference, kind) if target.endswith(".py") \
        else _import(target, reference, kind)
    obj: Any = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            names = [n for n in dir(obj) if not n.startswith("__")]
            raise UnresolvedReference(reference, f"'{target}' has no attribute '{part}'"
                                  f"{did_you_mean(part, names)}", kind=kind) from None
    return obj


def resolve_hook(reference: str, *, registry: Registry | None = None, trainer: Any = None,
                 base_dir: str | Path | None = None) -> Hook:
    """The hook a reference names; UnresolvedReference with the reason (and close names) if none."""
    if not isinstance(reference, str) or not reference.strip():
        raise UnresolvedReference(str(reference), f"must be a non-empty string: {REF_FORMS}")
    reference = reference.strip()
    if is_reference(reference):
        hook = load_object(reference, base_dir=base_dir)
    else:
        hook = _named_hook(reference, registry, trainer)
    if isinstance(hook, type) or not callable(hook):
        kind = "class" if isinstance(hook, type) else type(hook).__name__
        raise UnresolvedReference(reference, f"names a {kind}, not a hook function")
    return hook


def _named_hook(name: str, registry: Registry | None, trainer: Any) -> Hook:
    if trainer is not None and name.startswith(TRAINER_HOOK_PREFIX):
        hook = getattr(trainer, name, None)
        if callable(hook):
            return hook
    if registry is not None and name in registry.hooks:
        return registry.hooks[name]
    known = resolvable_names(registry, trainer)
    raise UnresolvedReference(name, f"no hook of that name{did_you_mean(name, known)}; "
                                f"use {REF_FORMS}")


def resolvable_names(registry: Registry | None, trainer: Any) -> list[str]:
    """Every hook a plain name resolves to: the registry's and the trainer's ``_hook_on_*``
    methods, sorted."""
    names = set(registry.hooks if registry is not None else ())
    if trainer is not None:
        names.update(n for n in dir(trainer) if n.startswith(TRAINER_HOOK_PREFIX))
    return sorted(names)


def hook_ref(hook: Hook, *, registry: Registry | None = None, trainer: Any = None,
             base_dir: str | Path | None = None) -> str:
    """A reference that :func:`resolve_hook` turns back into this very hook.

    Raises UnresolvedReference for hooks that cannot be named (lambdas, closures).
    """
    name = hook_name(hook)
    if trainer is not None and name.startswith(TRAINER_HOOK_PREFIX) \
            and getattr(trainer, name, None) == hook:
        return name
    if registry is not None:
        for key, registered in registry.hooks.items():
            if registered is hook or registered == hook:
                return key
    function: Any = getattr(hook, "__func__", hook)
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise UnresolvedReference(name, "cannot be written as a reference: define it at module "
                                    "level in a .py file (lambdas and closures have no name)")
    if hasattr(hook, "__self__") and not isinstance(hook.__self__, type):
        raise UnresolvedReference(name, "is a method bound to an object; export a module-level "
                                    "function instead")
    source = _FILE_MODULES.get(module)
    candidate = f"{_relative(source, base_dir)}:{qualname}" if source else f"{module}:{qualname}"
    try:
        same = load_object(candidate, base_dir=base_dir)
    except UnresolvedReference:
        same = None
    if same is not hook and same != hook:
        raise UnresolvedReference(name, f"'{candidate}' does not lead back to this hook")
    return candidate


def hook_ref_or_qualname(hook: Hook, *, registry: Registry | None = None, trainer: Any = None,
                         base_dir: str | Path | None = None) -> str:
    """:func:`hook_ref` where the hook has one, else its qualified name (for reports)."""
    try:
        return hook_ref(hook, registry=registry, trainer=trainer, base_dir=base_dir)
    except HookscopeError:
        return describe_hook(hook).qualname


# -- loading modules --------------------------------------------------------------------
_FILE_MODULES: dict[str, Path] = {}   # module name -> file it was loaded from
_LOADED: dict[tuple[Path, int], ModuleType] = {}


def _import(module_name: str, reference: str, kind: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # report any import failure with the reference
        raise UnresolvedReference(reference, f"importing '{module_name}' failed: "
                              f"{type(exc).__name__}: {exc}", kind=kind) from exc


def _load_file(file_part: str, base_dir: str | Path | None, reference: str,
               kind: str) -> ModuleType:
    path = Path(file_part)
    if not path.is_absolute():
        path = Path(base_dir or ".") / path
    path = path.resolve()
    if not path.is_file():
        raise UnresolvedReference(reference, f"file {path} does not exist", kind=kind)
    key = (path, path.stat().st_mtime_ns)
    if key in _LOADED:
        return _LOADED[key]
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"{_FILE_MODULE_PREFIX}{_identifier(path.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UnresolvedReference(reference, f"cannot load {path} as Python", kind=kind)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # sys.exit() at import is a failure, not an exit
        sys.modules.pop(name, None)
        raise UnresolvedReference(reference, f"running {path} failed: {type(exc).__name__}: {exc}",
                              kind=kind) from exc
    _LOADED[key] = module
    _FILE_MODULES[name] = path
    return module


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def _relative(path: Path, base_dir: str | Path | None) -> str:
    if base_dir is not None:
        try:
            return str(path.relative_to(Path(base_dir).resolve()))
        except ValueError:
            pass
    return str(path)


