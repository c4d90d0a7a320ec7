"""Experiment configs: a YAML file -> a validated spec -> a built trainer.

A config (``sample_configs/default.yaml`` is the quick-start example)::

    name: digits_mlp            # optional; the file name by default
    seed: 0
    device: cpu
    data: {type: digits, splits: {train: 0.7, val: 0.1, test: 0.2}}   # see datasets.py
    model: {type: mlp, hidden: [64]}                                   # see models.py
    train: {local_update_steps: 5, batch_or_epoch: epoch,
            optimizer: {type: SGD, lr: 0.1, momentum: 0.9}}
    dataloader: {batch_size: 32}
    grad: {grad_clip: 5.0}
    criterion: {type: CrossEntropyLoss}   # default: by task (MSELoss for regression)
    eval: {metrics: [acc]}                # default: by task ([mse] for regression)
    trainer: {type: torch}                # or {type: multi_model, model_nums: 2, mode: parallel}
    packs: {fedprox: {mu: 0.01}}          # see trainer_core/packs
    hooks: {train: [...], eval: [...]}    # see hook_edits.py

Everything is checked before anything is built; a problem raises ConfigError whose message
starts with ``file:line: key.path:``. YAML is read with the safe loader only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer_core.config.hook_section import apply_hook_section
from trainer_core.config.registry import Registry, code_policy, load_object
from trainer_core.config.specs import DataSpec, ModelSpec
from trainer_core.config.yaml_source import YamlDocument, load_yaml
from trainer_core.errors import ConfigError, HookscopeError, did_you_mean
from trainer_core.schema import Locate, bounded, build, fail, merge_dotted
from trainer_core.trainers.base import Trainer
from trainer_core.trainers.settings import CriterionSettings, EvalSettings, TrainerConfig

_TRAINER_CONFIG_KEYS = tuple(f.name for f in dataclasses.fields(TrainerConfig))
_OWN_KEYS = ("name", "device", "data", "model", "trainer", "packs", "hooks")
#: FederatedScope's sections a hookscope config may hold for federated rounds (an fs-type
#: trainer reads them as part of its FederatedScope config too)
_FEDERATED_KEYS = ("federate", "personalization")
TOP_LEVEL_KEYS = _OWN_KEYS + _TRAINER_CONFIG_KEYS + _FEDERATED_KEYS
#: The keys of those sections the embedded course reads (FederatedScope's names)
FEDERATE_KEYS = ("client_num", "total_round_num", "sample_client_num", "sample_client_rate",
                 "method", "share_local_model", "mode")
PERSONALIZATION_KEYS = ("local_param",)


#: trainer.type -> what it builds; the fs types run FederatedScope's classes, whose config
#: is FederatedScope's (its defaults, and any section a ported plug-in reads).
TRAINER_TYPES = {"torch": "TorchTrainer", "multi_model": "MultiModelTrainer",
                 "fs": "trainer_core.fs.GeneralTorchTrainer",
                 "fs_multi_model": "trainer_core.fs.GeneralMultiModelTrainer"}


@dataclass(frozen=True)
class TrainerSpec:
    """``trainer``: which trainer class (see TRAINER_TYPES), the models of a multi-model
    one, and ``wrappers``: FederatedScope-style ``wrap_X(trainer) -> trainer`` functions
    (references) applied in order, as FederatedScope's trainer builder applies its plug-ins."""

    type: str = "torch"
    model_nums: int = bounded(2, min=1)
    mode: str = bounded("sequential", choices=("sequential", "parallel"))
    wrappers: tuple[str, ...] = ()

    @property
    def federatedscope(self) -> bool:
        return self.type.startswith("fs")


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated config: nothing built yet."""

    path: Path
    name: str
    device: str
    data: DataSpec
    model: ModelSpec
    trainer: TrainerSpec
    trainer_config: Any  # TrainerConfig, or FederatedScope's CfgNode for the fs types
    packs: Mapping[str, Any]
    hooks: Any
    explicit: frozenset[str] = field(default_factory=frozenset)
    document: YamlDocument | None = None
    #: the federated course's settings (a CourseSettings), when the config has ``federate``
    course: Any = None

    @property
    def base_dir(self) -> Path:
        """The config's folder: relative paths in it resolve from here."""
        return self.path.parent

    def locate(self, key_path: str) -> str:
        """``file:line`` of a key path."""
        return self.document.locate(key_path) if self.document else str(self.path)


@dataclass
class Experiment:
    """A built config: the trainer plus what is needed to edit and export it."""

    trainer: Trainer
    registry: Registry
    spec: ExperimentSpec
    data_summary: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def path(self) -> Path:
        return self.spec.path

    @property
    def base_dir(self) -> Path:
        return self.spec.base_dir


def default_registry() -> Registry:
    """TorchTrainer's default hooks and every behaviour pack's hooks, by name."""
    from trainer_core.packs import pack_hooks

    registry = Registry.with_defaults()
    registry.add_hooks(pack_hooks())
    return registry


def load_spec(path: str | Path, overrides: Mapping[str, Any] | None = None) -> ExperimentSpec:
    """Read and validate a config file (``overrides``: dotted keys set before validation).

    The file is validated as written before the overrides are merged, so an override such
    as ``--epochs 0`` cannot hide a mistake in the file that a later run would hit.
    """
    document = load_yaml(path)
    data = document.data
    if data is None or (isinstance(data, Mapping) and not data):
        raise fail("empty config: give at least a data and a model section, e.g. "
                   "'data: {type: digits}' and 'model: {type: mlp}' (see "
                   "sample_configs/default.yaml)", "", document.locate)
    if not isinstance(data, Mapping):
        raise fail("the config must be a mapping of sections (data, model, train, ...)", "",
                   document.locate)
    spec = _spec_from(data, document)
    return _spec_from(merge_dotted(data, overrides), document) if overrides else spec


#: device names torch accepts here; "gpu" and the like get a did-you-mean
DEVICE_KINDS = ("cpu", "cuda", "mps")


def _check_device(device: Any, locate: Locate) -> str:
    if not isinstance(device, str):
        raise fail(f"must be a string, got {device!r}", "device", locate)
    kind, _, index = device.partition(":")
    if kind not in DEVICE_KINDS or (index and not (index.isdigit() and kind != "cpu")):
        hint = " (did you mean 'cuda'?)" if kind == "gpu" else did_you_mean(kind, DEVICE_KINDS)
        raise fail(f"unknown device '{device}'{hint}; use cpu, cuda, cuda:N or mps",
                   "device", locate)
    return device


def _spec_from(data: Mapping[str, Any], document: YamlDocument) -> ExperimentSpec:
    locate: Locate = document.locate
    trainer = build(TrainerSpec, data.get("trainer") or {}, "trainer", locate)
    if trainer.type not in TRAINER_TYPES:
        raise fail(f"unknown trainer type '{trainer.type}'"
                   f"{did_you_mean(trainer.type, TRAINER_TYPES)}; use "
                   f"{', '.join(TRAINER_TYPES)}", "trainer.type", locate)
    trainer_config: Any
    if trainer.federatedscope:  # every other section is FederatedScope's config
        trainer_config = _fs_config({k: v for k, v in data.items() if k not in _OWN_KEYS},
                                    locate)
    else:
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                raise fail(f"unknown section '{key}'{did_you_mean(str(key), TOP_LEVEL_KEYS)}"
                           f"; sections: {', '.join(TOP_LEVEL_KEYS)} (or trainer.type: fs "
                           f"for FederatedScope's)", str(key), locate)
        trainer_config = TrainerConfig.from_mapping(
            {k: v for k, v in data.items() if k in _TRAINER_CONFIG_KEYS}, locate=locate)
    name = data.get("name", document.path.stem)
    if not isinstance(name, str):
        raise fail(f"must be a string, got {name!r}", "name", locate)
    device = _check_device(data.get("device", "cpu"), locate)
    packs = data.get("packs") or {}
    if not isinstance(packs, Mapping):
        raise fail("must map pack names to their options", "packs", locate)
    explicit = {k for k in data}
    if isinstance(data.get("criterion"), Mapping) and "type" in data["criterion"]:
        explicit.add("criterion.type")
    if isinstance(data.get("eval"), Mapping) and "metrics" in data["eval"]:
        explicit.add("eval.metrics")
    # an fs-type trainer reads these sections as FederatedScope's own (any keys)
    data_spec = build(DataSpec, data.get("data") or {}, "data", locate)
    course = None if trainer.federatedscope else _course_settings(data, trainer_config, locate)
    if course is not None:
        _check_course(course, data_spec, trainer, locate)
    return ExperimentSpec(
        path=document.path, name=name, device=device,
        data=data_spec,
        model=build(ModelSpec, data.get("model") or {}, "model", locate),
        trainer=trainer, trainer_config=trainer_config, packs=dict(packs),
        hooks=data.get("hooks"), explicit=frozenset(explicit), document=document,
        course=course)


def _check_course(course: Any, data: DataSpec, trainer: TrainerSpec, locate: Locate) -> None:
    """What a course needs of the rest of the config: one data share per client, and a
    shared model only where no client keeps anything of its own in it."""
    if data.clients is not None and data.clients.num != course.client_num:
        raise fail(f"data.clients.num is {data.clients.num} but federate.client_num is "
                   f"{course.client_num}: the course has one client per data share",
                   "data.clients.num", locate)
    if course.share_local_model and course.local_param:
        raise fail("share_local_model gives every client one model object, so personal "
                   "parameters (personalization.local_param) would be overwritten by the next "
                   "client: use one or the other", "federate.share_local_model", locate)
    if course.share_local_model and trainer.type.endswith("multi_model") \
            and trainer.model_nums > 1:
        raise fail(f"share_local_model shares one model, but the trainer has "
                   f"{trainer.model_nums} (a client's personal models would be shared by "
                   f"every client): use one or the other", "federate.share_local_model",
                   locate)


def _course_settings(data: Mapping[str, Any], trainer_config: Any, locate: Locate) -> Any:
    """CourseSettings from the ``federate`` and ``personalization`` sections (None without
    ``federate``); each wrong key is named with its line."""
    federate = data.get("federate")
    sections = {"federate": (federate or {}, FEDERATE_KEYS),
                "personalization": (data.get("personalization") or {}, PERSONALIZATION_KEYS)}
    for section, (values, known) in sections.items():
        if not isinstance(values, Mapping):
            raise fail("must be a mapping of settings", section, locate)
        for key in values:
            if key not in known:
                raise fail(f"unknown key '{key}'{did_you_mean(str(key), known)}; a hookscope "
                           f"config reads {', '.join(known)} here (trainer.type: fs takes "
                           f"FederatedScope's whole config)", f"{section}.{key}", locate)
    if federate is None:
        return None
    from trainer_core.federated.settings import CourseSettings

    try:
        return CourseSettings.from_sections(federate, sections["personalization"][0],
                                            seed=int(trainer_config.seed))
    except ConfigError as exc:
        raise fail(exc.reason, exc.key_path or "federate", locate) from None


def _fs_config(sections: Mapping[str, Any], locate: Locate) -> Any:
    """FederatedScope's config from a file's sections; errors get the key's line."""
    from trainer_core.fs.config import fs_config

    try:
        return fs_config(sections)
    except ConfigError as exc:
        raise fail(exc.reason, exc.key_path, locate) from None


def build_experiment(spec: ExperimentSpec, *, registry: Registry | None = None,
                     progress: Callable[[str], None] | None = None,
                     allow_code: bool = True, model: Any = None) -> Experiment:
    """Load the data, build the model and trainer, install packs, apply hook edits;
    ``progress`` hears each step as it begins (for a loading view). With ``allow_code``
    False, every reference to code in the config (hooks, model/data factories, trainer
    wrappers) is refused with its key instead of imported. ``model``: use this model object
    instead of building one (federated clients sharing one model)."""
    with code_policy(allow_code):
        return _build(spec, registry, progress, model)


def _build(spec: ExperimentSpec, registry: Registry | None,
           progress: Callable[[str], None] | None, shared_model: Any = None) -> Experiment:
    progress = progress or (lambda step: None)
    progress("importing torch")
    # torch, numpy and scikit-learn load here, not when a config is only read and checked
    from trainer_core.config.datasets import load_data
    from trainer_core.config.models import build_model
    from trainer_core.packs import install_packs
    from trainer_core.trainers.multi_model import MultiModelTrainer
    from trainer_core.trainers.torch_trainer import TorchTrainer

    registry = registry or default_registry()
    _check_device_available(spec)
    config = spec.trainer_config
    progress(f"loading the data ({spec.data.type})")
    data = _located(spec, lambda: load_data(spec.data, seed=config.seed,
                                            base_dir=spec.base_dir))
    progress(f"building the model ({spec.model.type}) for {data.summary}")
    if data.task == "regression" and not spec.trainer.federatedscope:
        if "criterion.type" not in spec.explicit:
            config = config.replace(criterion=CriterionSettings("MSELoss"))
        if "eval.metrics" not in spec.explicit:
            config = config.replace(eval=EvalSettings(("mse",)))
    model = shared_model if shared_model is not None else _located(spec, lambda: build_model(
        spec.model, num_features=data.num_features, num_outputs=data.num_outputs,
        seed=config.seed, base_dir=spec.base_dir))

    def make() -> Trainer:
        kind = spec.trainer.type
        if kind in ("fs", "fs_multi_model"):
            from trainer_core.fs import GeneralMultiModelTrainer, GeneralTorchTrainer

            if kind == "fs":
                return GeneralTorchTrainer(model, data.splits, spec.device, config)
            return GeneralMultiModelTrainer(spec.trainer.model_nums, spec.trainer.mode,
                                            model, data.splits, spec.device, config)
        if kind == "multi_model":
            return MultiModelTrainer(spec.trainer.model_nums, spec.trainer.mode, model=model,
                                     data=data.splits, device=spec.device, config=config)
        return TorchTrainer(model, data.splits, device=spec.device, config=config)

    progress(f"building the {spec.trainer.type} trainer and its optimizer")
    trainer = _located(spec, make)
    if spec.trainer.wrappers or spec.packs or spec.hooks:
        progress("applying the trainer wrappers, packs and hook edits")
    for i, reference in enumerate(spec.trainer.wrappers):
        trainer = _located(spec, lambda i=i, reference=reference, base=trainer: _wrap(
            base, reference, spec.base_dir, f"trainer.wrappers[{i}]"))
    install_packs(trainer, spec.packs, spec.locate)
    apply_hook_section(trainer, spec.hooks, registry=registry, base_dir=spec.base_dir,
                       locate=spec.locate)
    return Experiment(trainer, registry, spec, data.summary)


def _check_device_available(spec: ExperimentSpec) -> None:
    """A device this machine lacks is a config error naming the line, not a CUDA traceback
    from deep inside the first batch."""
    import torch

    kind, _, index = spec.device.partition(":")
    present = ["cpu"]
    if torch.cuda.is_available():
        present += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        present.append("mps")
    wanted = spec.device if index or kind == "cpu" else f"{kind}:0"
    if wanted not in present and spec.device not in present:
        raise fail(f"device '{spec.device}' is not available on this machine; devices here: "
                   f"{', '.join(present)}", "device", spec.locate)


def _wrap(trainer: Trainer, reference: str, base_dir: Path, key_path: str) -> Trainer:
    """Apply one FederatedScope-style wrapper; what it returns is the trainer from now on."""
    try:
        wrapper = load_object(reference, base_dir=base_dir, kind="trainer wrapper")
    except HookscopeError as exc:
        raise ConfigError(str(exc), key_path=key_path) from None
    wrapped = wrapper(trainer)
    if not isinstance(wrapped, Trainer):
        raise ConfigError(f"'{reference}' returned {type(wrapped).__name__}, not the trainer "
                          f"(a wrapper returns the trainer it was given, or a new one)",
                          key_path=key_path)
    return wrapped


def _located(spec: ExperimentSpec, step: Any) -> Any:
    """Run a build step; give ConfigErrors without a file position the key's line."""
    try:
        return step()
    except ConfigError as exc:
        if exc.source:
            raise
        raise ConfigError(exc.reason, key_path=exc.key_path,
                          source=spec.locate(exc.key_path) if exc.key_path else
                          str(spec.path)) from None


def load_experiment(path: str | Path, overrides: Mapping[str, Any] | None = None, *,
                    registry: Registry | None = None,
                    progress: Callable[[str], None] | None = None,
                    allow_code: bool = True) -> Experiment:
    """Read, validate and build a config file (``progress``, ``allow_code``: see
    build_experiment)."""
    if progress is not None:
        progress(f"reading {Path(path).name}")
    return build_experiment(load_spec(path, overrides), registry=registry, progress=progress,
                            allow_code=allow_code)
