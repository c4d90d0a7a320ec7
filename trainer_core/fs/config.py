"""FederatedScope's config: a yacs-style ``CfgNode`` and FederatedScope's default values.

A ported trainer reads ``ctx.cfg`` the way FederatedScope's does: attributes and items,
``cfg.defrost()`` / ``cfg.freeze()``, ``clone()``, ``merge_from_other_cfg``,
``merge_from_list``, and ``**cfg.train.optimizer`` as keyword arguments. Sections and keys the
engine never reads (``personalization``, ``nbafl``, ``federate``, ``finetune.epoch_linear``,
a plug-in's own) are kept as given.

Kept from FederatedScope: unknown keys are refused by the merge methods (``KeyError:
Non-existent config key``) unless the node allows new keys; values are checked and coerced
against the type already there. Changed on purpose: a frozen node refuses item writes and
deletes too (FederatedScope only refused attribute writes), a float is never truncated into
an int key, None may replace or be replaced by any value, and ``freeze()`` writes no file.

:func:`fs_config` builds what a FederatedScope trainer gets: FederatedScope's defaults (not
hookscope's: ``train.batch_or_epoch`` is ``batch``, the criterion ``MSELoss``, no metric but
the loss) with the given values merged in, FederatedScope's fill-ins applied
(``personalization.local_update_steps`` and ``.lr`` from ``train``), and the keys the engine
reads validated with errors naming the key path.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import yaml

from trainer_core.errors import ConfigError
from trainer_core.schema import build, merge_dotted
from trainer_core.trainers.settings import TrainerConfig

CheckFunction = Callable[["CfgNode"], None]


class UnknownConfigKey(ConfigError, KeyError):
    """A merge naming a key the node does not have (FederatedScope raises KeyError)."""

    __str__ = Exception.__str__


class CfgNode(dict):
    """One config node: a dict whose keys also read and write as attributes."""

    def __init__(self, init_dict: Mapping[str, Any] | None = None,
                 key_list: list[str] | None = None, new_allowed: bool = False) -> None:
        super().__init__()
        state = self.__dict__
        state["_frozen"] = False
        state["_new_allowed"] = new_allowed
        state["_checks"] = []
        state["_path"] = ".".join(key_list or [])
        for key, value in (init_dict or {}).items():
            dict.__setitem__(self, key, self._node(key, value))

    def _node(self, key: str, value: Any) -> Any:
        if isinstance(value, Mapping) and not isinstance(value, CfgNode):
            path = [self._path, str(key)] if self._path else [str(key)]
            return CfgNode(value, path, new_allowed=self._new_allowed)
        return value

    # -- reading and writing -----------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __setitem__(self, key: str, value: Any) -> None:
        if self._frozen:
            raise AttributeError(f"Attempted to set {key} to {value!r}, but CfgNode is "
                                 f"immutable (call defrost() first)")
        dict.__setitem__(self, key, self._node(key, value))

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __delitem__(self, key: str) -> None:
        if self._frozen:
            raise AttributeError(f"Attempted to delete {key}, but CfgNode is immutable")
        dict.__delitem__(self, key)

    # -- freezing ------------------------------------------------------------------------
    def freeze(self, inform: bool = True, save: bool = False, check_cfg: bool = True) -> None:
        """Run the check functions (``check_cfg``), then refuse every write until
        :meth:`defrost`. FederatedScope's ``inform`` and ``save`` are accepted and ignored."""
        if check_cfg:
            self.assert_cfg()
        self._set_frozen(True)

    def defrost(self) -> None:
        """Allow writes again (this node and every node below it)."""
        self._set_frozen(False)

    def is_frozen(self) -> bool:
        return self._frozen

    def _set_frozen(self, frozen: bool) -> None:
        self.__dict__["_frozen"] = frozen
        for value in self.values():
            if isinstance(value, CfgNode):
                value._set_frozen(frozen)

    def is_new_allowed(self) -> bool:
        return self._new_allowed

    def set_new_allowed(self, allowed: bool) -> None:
        """Let the merge methods add keys this node does not have (recursively)."""
        self.__dict__["_new_allowed"] = allowed
        for value in self.values():
            if isinstance(value, CfgNode):
                value.set_new_allowed(allowed)

    # -- copies, merges, checks ------------------------------------------------------------
    def clone(self) -> CfgNode:
        """A deep copy (frozen if this node is)."""
        return copy.deepcopy(self)

    def merge_from_other_cfg(self, cfg_other: Mapping[str, Any], check_cfg: bool = True) -> None:
        """Merge another node (or mapping) into this one; values must fit the types already
        there, and keys must exist unless a node allows new ones."""
        self._merge(cfg_other)
        if check_cfg:
            self.assert_cfg()

    def merge_from_list(self, cfg_list: list[Any], check_cfg: bool = True) -> None:
        """Merge ``["train.lr", "0.01", "seed", 1, ...]``: dotted keys that must exist, values
        read as Python literals when they are strings."""
        if len(cfg_list) % 2:
            raise ValueError(f"override list has odd length: {cfg_list}; it must be a list of "
                             f"pairs")
        for dotted, value in zip(cfg_list[0::2], cfg_list[1::2], strict=True):
            *parents, leaf = str(dotted).split(".")
            node = self
            for part in parents:
                child = node.get(part)
                if not isinstance(child, CfgNode):
                    raise UnknownConfigKey("Non-existent config key", key_path=str(dotted))
                node = child
            if leaf not in node:
                raise UnknownConfigKey("Non-existent config key", key_path=str(dotted))
            node[leaf] = _coerce(_decode(value), node[leaf], str(dotted))
        if check_cfg:
            self.assert_cfg()

    def merge_from_file(self, cfg_filename: str) -> None:
        """Merge a YAML file (read with ``yaml.safe_load``)."""
        with open(cfg_filename, encoding="utf-8") as handle:
            self.merge_from_other_cfg(yaml.safe_load(handle) or {})

    def _merge(self, other: Mapping[str, Any]) -> None:
        for key, value in other.items():
            path = f"{self._path}.{key}" if self._path else str(key)
            if key not in self:
                if not self._new_allowed:
                    raise UnknownConfigKey("Non-existent config key", key_path=path)
                self[key] = value
            elif isinstance(self[key], CfgNode):
                if not isinstance(value, Mapping):
                    raise ConfigError(f"is a section, got {type(value).__name__} {value!r}",
                                      key_path=path)
                self[key]._merge(value)
            else:
                self[key] = _coerce(_decode(value), self[key], path)

    def register_cfg_check_fun(self, cfg_check_fun: CheckFunction) -> None:
        """Run ``cfg_check_fun(cfg)`` at every :meth:`assert_cfg` (freeze, merges)."""
        self._checks.append(cfg_check_fun)

    def assert_cfg(self, check_cfg: bool = True) -> None:
        """Run the registered check functions, in order (they may fill in values)."""
        if check_cfg:
            for check in list(self._checks):
                check(self)

    # -- showing ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain nested dicts."""
        return {k: v.to_dict() if isinstance(v, CfgNode) else v for k, v in self.items()}

    def dump(self, **kwargs: Any) -> str:
        """YAML text."""
        return yaml.safe_dump(self.to_dict(), **kwargs)

    def __str__(self) -> str:
        return self.dump(sort_keys=True, default_flow_style=False)

    def __repr__(self) -> str:
        return f"CfgNode({dict.__repr__(self)})"

    def __deepcopy__(self, memo: dict[int, Any]) -> CfgNode:
        twin = CfgNode(key_list=self._path.split(".") if self._path else None,
                       new_allowed=self._new_allowed)
        for key, value in self.items():
            dict.__setitem__(twin, key, copy.deepcopy(value, memo))
        twin.__dict__["_checks"] = list(self._checks)
        twin.__dict__["_frozen"] = self._frozen
        return twin

    def __reduce__(self) -> Any:  # pickle as a plain tree (check functions are not kept)
        return (_rebuild, (self.to_dict(), self._new_allowed))


def _rebuild(tree: dict[str, Any], new_allowed: bool) -> CfgNode:
    return CfgNode(tree, new_allowed=new_allowed)


#: FederatedScope's module name for the class.
CN = CfgNode


def _decode(value: Any) -> Any:
    """A string read as a Python literal when it is one ('1e-3', 'True', '[1, 2]')."""
    if isinstance(value, str):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value


def _coerce(value: Any, current: Any, path: str) -> Any:
    """``value`` in the type of ``current`` (yacs' rules, without its truncations)."""
    if value is None or current is None or type(value) is type(current):
        return value
    if isinstance(current, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(current, int) and not isinstance(current, bool) and isinstance(value, float) \
            and value.is_integer():
        return int(value)
    if isinstance(current, list | tuple) and isinstance(value, list | tuple):
        return type(current)(value)
    if isinstance(current, list | int) and isinstance(value, list | int) \
            and not isinstance(value, bool) and not isinstance(current, bool):
        return value  # FederatedScope lets a list replace an int and back
    raise ConfigError(f"Type mismatch ({type(current).__name__} vs. {type(value).__name__}) "
                      f"with values ({current!r} vs. {value!r})", key_path=path)


# -- FederatedScope's defaults -------------------------------------------------------------
def _defaults() -> dict[str, Any]:
    """FederatedScope 0.3's default values for what trainers and their plug-ins read."""
    return {
        "backend": "torch", "use_gpu": False, "device": -1, "seed": 0, "outdir": "exp",
        "expname": "",
        "trainer": {"type": "general", "disp_freq": 50, "val_freq": 100000000},
        "train": {"local_update_steps": 1, "batch_or_epoch": "batch", "data_para_dids": [],
                  "optimizer": {"type": "SGD", "lr": 0.1},
                  "scheduler": {"type": "", "warmup_ratio": 0.0}},
        "finetune": {"before_eval": False, "local_update_steps": 1, "batch_or_epoch": "epoch",
                     "freeze_param": "", "optimizer": {"type": "SGD", "lr": 0.1},
                     "scheduler": {"type": "", "warmup_ratio": 0.0}, "simple_tuning": False,
                     "epoch_linear": 10, "lr_linear": 0.005, "weight_decay": 0.0,
                     "local_param": []},
        "grad": {"grad_clip": -1.0, "grad_accum_count": 1},
        "early_stop": {"patience": 5, "delta": 0.0, "improve_indicator_mode": "best"},
        "criterion": {"type": "MSELoss"},
        "regularizer": {"type": "", "mu": 0.0},
        "dataloader": {"type": "base", "batch_size": 64, "shuffle": True, "num_workers": 0,
                       "drop_last": False, "pin_memory": False},
        "eval": {"freq": 1, "metrics": [], "split": ["test", "val"],
                 "report": ["weighted_avg", "avg", "fairness", "raw"],
                 "best_res_update_round_wise_key": "val_loss", "monitoring": [],
                 "count_flops": True},
        "model": {"type": "lr", "task": "node", "model_num_per_trainer": 1},
        "federate": {"client_num": 0, "sample_client_num": -1, "sample_client_rate": -1.0,
                     "total_round_num": 50, "mode": "standalone", "share_local_model": False,
                     "data_weighted_aggr": False, "online_aggr": False,
                     "make_global_eval": False, "use_diff": False, "method": "FedAvg",
                     "ignore_weight": False, "use_ss": False, "restore_from": "",
                     "save_to": "", "sampler": "uniform", "process_num": 1},
        "personalization": {"local_param": [], "share_non_trainable_para": False,
                            "local_update_steps": -1, "regular_weight": 0.1, "lr": 0.0,
                            "K": 5, "beta": 1.0, "lr_feature": 0.1, "lr_linear": 0.1,
                            "epoch_feature": 1, "epoch_linear": 2, "weight_decay": 0.0},
        "fedprox": {"use": False, "mu": 0.0},
        "nbafl": {"use": False, "mu": 0.0, "epsilon": 100.0, "w_clip": 1.0, "constant": 30.0},
        "attack": {"attack_method": "", "attacker_id": -1},
    }


#: Nodes whose keys are a component's keyword arguments (anything may be added).
_OPEN_NODES = ("train.optimizer", "train.scheduler", "finetune.optimizer",
               "finetune.scheduler", "eval")


def fs_defaults() -> CfgNode:
    """A fresh node of FederatedScope's defaults, with FederatedScope's fill-ins registered."""
    cfg = CfgNode(_defaults())
    for dotted in _OPEN_NODES:
        node = cfg
        for part in dotted.split("."):
            node = node[part]
        node.set_new_allowed(True)
    cfg.register_cfg_check_fun(fill_personalization)
    cfg.register_cfg_check_fun(check_engine_keys)
    return cfg


def fill_personalization(cfg: CfgNode) -> None:
    """FederatedScope's fill-ins: ``personalization.local_update_steps`` -1 and
    ``personalization.lr`` <= 0 take ``train``'s values (Ditto and pFedMe read them)."""
    personal, train = cfg.get("personalization"), cfg.get("train")
    if not isinstance(personal, CfgNode) or not isinstance(train, CfgNode):
        return
    frozen = personal.is_frozen()
    personal.defrost()
    if personal.get("local_update_steps") == -1:
        personal.local_update_steps = train.local_update_steps
    if (personal.get("lr") or 0) <= 0:
        personal.lr = train.optimizer.lr
    if frozen:
        personal.freeze(check_cfg=False)


def engine_settings(cfg: Mapping[str, Any]) -> TrainerConfig:
    """The keys the engine reads, checked as hookscope checks its own config (types, key
    paths in every error); the rest of ``cfg`` is the trainers' and plug-ins' business."""
    return build(TrainerConfig, _project(cfg, TrainerConfig), "")


def check_engine_keys(cfg: CfgNode) -> None:
    """A check function: raise ConfigError naming the key when an engine key is wrong."""
    settings = engine_settings(cfg)
    for section in ("train", "finetune"):
        steps = getattr(settings, section).local_update_steps
        if steps < 0:
            raise ConfigError(f"must be >= 0, got {steps}",
                              key_path=f"{section}.local_update_steps")
        mode = getattr(settings, section).batch_or_epoch
        if mode not in ("batch", "epoch"):
            raise ConfigError(f"must be 'batch' or 'epoch', got {mode!r}",
                              key_path=f"{section}.batch_or_epoch")
    if settings.dataloader.batch_size < 1:
        raise ConfigError(f"must be >= 1, got {settings.dataloader.batch_size}",
                          key_path="dataloader.batch_size")


def _project(node: Mapping[str, Any], cls: type) -> dict[str, Any]:
    """The part of ``node`` that dataclass ``cls`` declares (all of it for a class that
    collects extra keys)."""
    if getattr(cls, "EXTRA", None):
        return dict(node)
    picked: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.name not in node:
            continue
        value, hint = node[field.name], hints[field.name]
        if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
            value = _project(value, hint)
        picked[field.name] = value
    return picked


def fs_config(config: Mapping[str, Any] | Iterable[Any] | None = None) -> CfgNode:
    """What a FederatedScope trainer runs with: a CfgNode is used as it is (a trainer and
    its plug-ins share it, as in FederatedScope), after its checks run; a mapping (nested
    or dotted keys) is merged onto FederatedScope's defaults, keeping unknown keys."""
    if isinstance(config, CfgNode):
        if not any(check is check_engine_keys for check in config._checks):
            config.register_cfg_check_fun(fill_personalization)
            config.register_cfg_check_fun(check_engine_keys)
        config.assert_cfg()
        return config
    cfg = fs_defaults()
    if config is not None:
        if not isinstance(config, Mapping):
            raise ConfigError(f"config must be a CfgNode or a mapping, got "
                              f"{type(config).__name__}")
        cfg.set_new_allowed(True)  # a plug-in's own sections and keys are kept
        cfg.merge_from_other_cfg(merge_dotted({}, config), check_cfg=False)
        cfg.set_new_allowed(False)
        for dotted in _OPEN_NODES:
            node = cfg
            for part in dotted.split("."):
                node = node[part]
            node.set_new_allowed(True)
    cfg.assert_cfg()
    return cfg
