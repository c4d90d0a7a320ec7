"""The helpers FederatedScope's trainer plug-ins import, under FederatedScope's names.

``get_optimizer(model, **cfg.train.optimizer)``, ``get_scheduler``, ``get_regularizer``,
``get_criterion``, ``calculate_batch_epoch_num``, ``get_trainable_para_names``,
``filter_by_specified_keywords``, ``get_random``, ``param2tensor``, ``merge_param_dict``,
``wrap_regularized_optimizer`` and ``ReIterator`` behave as FederatedScope's, so a ported
plug-in changes its import lines and nothing else. Unknown component names raise ConfigError
with a "did you mean" (FederatedScope raised a bare NotImplementedError).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import torch

from trainer_core.errors import ConfigError, HookscopeError, did_you_mean

#: Keys a FederatedScope config node carries that are not keyword arguments.
_NOT_KWARGS = ("__cfg_check_funcs__", "__help_info__", "is_ready_for_run", "warmup_ratio")


def _kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k not in _NOT_KWARGS}


def _class_in(module: Any, name: str, base: type, what: str, key: str) -> type:
    cls = getattr(module, name, None) if isinstance(name, str) else None
    if isinstance(cls, type) and issubclass(cls, base):
        return cls
    names = [n for n in dir(module) if isinstance(getattr(module, n), type)
             and issubclass(getattr(module, n), base)]
    raise ConfigError(f"unknown {what} {name!r}{did_you_mean(str(name), names)}", key_path=key)


def get_optimizer(model: Any, type: str, lr: float, **kwargs: Any) -> torch.optim.Optimizer:
    """``torch.optim.<type>(model.parameters(), lr, **kwargs)``; ``model`` may also be a list
    of parameters or of parameter groups."""
    cls = _class_in(torch.optim, type, torch.optim.Optimizer, "optimizer", "optimizer.type")
    params = model.parameters() if isinstance(model, torch.nn.Module) else model
    try:
        return cls(params, lr, **_kwargs(kwargs))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{type} rejects its settings: {exc}", key_path="optimizer") from exc


def get_scheduler(optimizer: torch.optim.Optimizer, type: str = "", **kwargs: Any) -> Any:
    """``torch.optim.lr_scheduler.<type>(optimizer, **kwargs)``; None when ``type`` is ''."""
    if not type:
        return None
    module = torch.optim.lr_scheduler
    cls = _class_in(module, type, module.LRScheduler, "scheduler", "scheduler.type")
    kwargs = {k: v for k, v in _kwargs(kwargs).items() if k not in ("warmup_steps",
                                                                    "total_steps")}
    try:
        return cls(optimizer, **kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{type} rejects its settings: {exc}", key_path="scheduler") from exc


def get_criterion(criterion_type: str, device: Any = None) -> torch.nn.Module:
    """``torch.nn.<criterion_type>()``."""
    return _class_in(torch.nn, criterion_type, torch.nn.Module, "criterion",
                     "criterion.type")()


class DummyRegularizer:
    """No regularizer: a penalty of 0."""

    def __call__(self, ctx: Any) -> float:
        return 0.0


class ProximalRegularizer:
    """FedProx's proximal term ``sum ||w - w_init||_p^p / p`` over the model's parameters and
    ``ctx.weight_init`` (a hook records it at on_fit_start)."""

    def __init__(self, p: int = 2) -> None:
        self.p = p

    def __call__(self, ctx: Any) -> torch.Tensor:
        return sum(torch.sum(torch.abs(w - w0) ** self.p)
                   for w0, w in zip(ctx.weight_init, ctx.model.parameters(), strict=False)
                   ) / self.p


REGULARIZERS = {"": DummyRegularizer, "proximal_regularizer": ProximalRegularizer}


def get_regularizer(reg_type: str | None) -> Any:
    """A callable ``regularizer(ctx)``: '' or None gives one that returns 0."""
    cls = REGULARIZERS.get(reg_type or "")
    if cls is None:
        raise ConfigError(f"unknown regularizer {reg_type!r}"
                          f"{did_you_mean(str(reg_type), REGULARIZERS)}",
                          key_path="regularizer.type")
    return cls()


def calculate_batch_epoch_num(steps: int, batch_or_epoch: str, num_data: int, batch_size: int,
                              drop_last: bool) -> tuple[int, int, int, int]:
    """FederatedScope's counts: (batches per epoch, batches of the last epoch, epochs, total
    batches) for ``steps`` epochs, or ``steps`` batches when ``batch_or_epoch`` is 'batch'."""
    per_epoch = num_data // batch_size + int(not drop_last and bool(num_data % batch_size))
    if per_epoch == 0:
        raise HookscopeError(f"{num_data} samples make no batch of {batch_size} with "
                             f"drop_last={drop_last}; lower the batch size or keep the last "
                             f"batch")
    if batch_or_epoch == "epoch":
        return per_epoch, per_epoch, steps, steps * per_epoch
    per_epoch = min(per_epoch, steps) if steps else per_epoch
    epochs = math.ceil(steps / per_epoch)
    return per_epoch, steps % per_epoch or per_epoch, epochs, steps


def get_trainable_para_names(model: torch.nn.Module) -> set[str]:
    """Names of the parameters that require gradients."""
    return {name for name, param in model.named_parameters() if param.requires_grad}


def filter_by_specified_keywords(param_name: str, filter_keywords: Iterable[str]) -> bool:
    """False (leave the parameter out) when any keyword is a substring of its name."""
    return not any(keyword in param_name for keyword in filter_keywords)


def get_random(dis_type: str, sample_shape: Any, params: Mapping[str, Any],
               device: Any) -> torch.Tensor:
    """A sample of ``torch.distributions.<dis_type>(**params)`` on ``device``."""
    distribution = getattr(torch.distributions, dis_type, None)
    if distribution is None:
        raise ConfigError(f"unknown distribution {dis_type!r}", key_path="dis_type")
    return distribution(**params).sample(sample_shape=sample_shape).to(device)


def param2tensor(param: Any) -> torch.Tensor:
    """A parameter received from elsewhere (a list, an array, a number) as a tensor."""
    if isinstance(param, torch.Tensor):
        return param
    if isinstance(param, np.ndarray):
        return torch.from_numpy(param)
    return torch.as_tensor(param)


def merge_param_dict(raw_param: dict[str, Any], filtered_param: Mapping[str, Any]
                     ) -> dict[str, Any]:
    """``raw_param`` updated with ``filtered_param`` (what a partial update loads)."""
    raw_param.update(filtered_param)
    return raw_param


class RegularizedOptimizer:
    """An optimizer that pulls every parameter toward a compared copy before it steps:
    ``grad += regular_weight * (p - p_compared)`` (Ditto's and pFedMe's personal models).

    It shares the wrapped optimizer's parameter groups and state, so a learning-rate change
    through either shows in both; a scheduler built on the wrapped one keeps working.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, regular_weight: float) -> None:
        self.optimizer = optimizer
        self.regular_weight = regular_weight
        self.compared_para_groups: list[dict[str, Any]] = []

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        return self.optimizer.param_groups

    @property
    def state(self) -> Any:
        return self.optimizer.state

    def set_compared_para_group(self, compared_para_dict: list[dict[str, Any]]) -> None:
        """Compare against a snapshot of these parameter groups (taken now)."""
        if not (isinstance(compared_para_dict, list)
                and all(isinstance(group, dict) for group in compared_para_dict)):
            raise HookscopeError("compared parameters must be a list of parameter groups "
                                 "(dicts with 'params')")
        self.compared_para_groups = [
            {**group, "params": [p.detach().clone() for p in group["params"]]}
            for group in compared_para_dict]

    def reset_compared_para_group(self, target: list[dict[str, Any]] | None = None) -> None:
        """Forget the compared parameters, or compare against ``target`` instead."""
        self.compared_para_groups = [] if target is None else copy.deepcopy(target)

    def regularize_by_para_diff(self) -> None:
        for group, compared in zip(self.param_groups, self.compared_para_groups, strict=False):
            for param, other in zip(group["params"], compared["params"], strict=False):
                if param.grad is not None:
                    param.grad.data += self.regular_weight * (param.data - other.data.to(
                        param.device))

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self, closure: Any = None) -> Any:
        self.regularize_by_para_diff()
        return self.optimizer.step(closure)

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return f"RegularizedOptimizer({self.optimizer!r}, regular_weight={self.regular_weight})"


def wrap_regularized_optimizer(base_optimizer: torch.optim.Optimizer,
                               regular_weight: float) -> RegularizedOptimizer:
    """FederatedScope's name for :class:`RegularizedOptimizer`."""
    return RegularizedOptimizer(base_optimizer, regular_weight)


class ReIterator:
    """FederatedScope's loader wrapper: ``next()`` forever (a finished pass starts the next),
    ``reset()`` starts a fresh pass.

    Given a hookscope batch source, each model of a multi-model trainer draws from its own
    pass with its own seeded order (``ctx.cur_model_idx``), so parallel models see the same
    batches; FederatedScope's one shared iterator handed them different ones.
    """

    def __init__(self, loader: Any, ctx: Any = None) -> None:
        self.loader = loader
        self._ctx = ctx
        self._passes: dict[int, Iterator[Any]] = {}

    def _lane(self) -> int:
        return (self._ctx.get("cur_model_idx") or 0) if self._ctx is not None else 0

    def _fresh(self, lane: int) -> Iterator[Any]:
        epoch = getattr(self.loader, "epoch", None)
        return epoch(lane) if callable(epoch) else iter(self.loader)

    def __iter__(self) -> ReIterator:
        return self

    def __next__(self) -> Any:
        lane = self._lane()
        current = self._passes.get(lane)
        if current is None:
            current = self._passes[lane] = self._fresh(lane)
        try:
            return next(current)
        except StopIteration:
            self._passes[lane] = self._fresh(lane)
            return next(self._passes[lane])

    def reset(self) -> None:
        """Start a fresh pass (for the current model)."""
        lane = self._lane()
        self._passes[lane] = self._fresh(lane)

    def __len__(self) -> int:
        return len(self.loader)

    # what the debugger's restart replays: the batch source's own generators
    def rng_state(self) -> Any:
        getter = getattr(self.loader, "rng_state", None)
        return getter() if callable(getter) else None

    def set_rng_state(self, state: Any) -> None:
        setter = getattr(self.loader, "set_rng_state", None)
        if callable(setter) and state is not None:
            setter(state)
        self._passes.clear()

    @property
    def num_samples(self) -> int:
        return getattr(self.loader, "num_samples", 0)

    def __repr__(self) -> str:
        return f"ReIterator({self.loader!r})"
