"""MultiModelTrainer: several internal models, each with its own hook sets and optimizer.

``models_interact_mode``:

* "sequential" — model 0 runs its whole pass (fit start to fit end), then model 1, ...;
  routine-lifecycle values live until the last model's pass ended, so a hook can gather
  across models (FederatedScope's FedEM ensemble);
* "parallel" — one pass; at every trigger model 0's hooks run, then model 1's, ... and each
  model has its own batch/epoch/routine-scoped ctx variables (its own ``loss_batch``,
  ``optimizer``, statistics), swapped in by :meth:`_switch_model_ctx` — FederatedScope shares
  one ctx, so model 1's forward overwrote model 0's loss before model 0's backward.

Plain attributes stay shared, so hooks can still pass values between models. The tensor fast
path gives every model the same batches in the same order.
"""

from __future__ import annotations

import contextlib
import copy
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from trainer_core.engine.hooks import Hook, HookSet
from trainer_core.engine.modes import HOOKSET_KINDS
from trainer_core.engine.routine import Lane
from trainer_core.engine.triggers import Trigger
from trainer_core.errors import ConfigError, HookscopeError, TrainerArgumentError
from trainer_core.trainers.base import HOOKSET_ATTRIBUTES, as_hookset
from trainer_core.trainers.checkpoint import (
    check_state,
    load_states,
    read_checkpoint,
    save_checkpoint,
)
from trainer_core.trainers.settings import TrainerConfig
from trainer_core.trainers.torch_trainer import TorchTrainer

INTERACT_MODES = ("sequential", "parallel")


class MultiModelTrainer(TorchTrainer):
    """FederatedScope's GeneralMultiModelTrainer (Ditto, FedEM, deep mutual learning...).

    Build it like a TorchTrainer plus ``model_nums``, or copy a trainer with
    ``MultiModelTrainer(2, "parallel", base_trainer=trainer)`` (its model, data, config and
    hooks; the copy is independent of the original).
    """

    def __init__(self, model_nums: int, models_interact_mode: str = "sequential",
                 model: torch.nn.Module | None = None, data: Mapping[str, Any] | None = None,
                 device: str | torch.device = "cpu",
                 config: TrainerConfig | Mapping[str, Any] | None = None,
                 base_trainer: TorchTrainer | None = None,
                 only_for_eval: bool = False) -> None:
        if isinstance(model_nums, bool) or not isinstance(model_nums, int) or model_nums < 1:
            raise ConfigError(f"model_nums must be an integer >= 1, got {model_nums!r}",
                              key_path="trainer.model_nums")
        if models_interact_mode not in INTERACT_MODES:
            raise ConfigError(f"models_interact_mode must be 'sequential' or 'parallel', got "
                              f"{models_interact_mode!r}", key_path="trainer.mode")
        self.model_nums = model_nums  # FederatedScope's attribute
        self.models_interact_mode = models_interact_mode
        self.hooks_in_train_multiple_models: list[HookSet] = []
        self.hooks_in_eval_multiple_models: list[HookSet] = []
        self.hooks_in_ft_multiple_models: list[HookSet] = []
        if base_trainer is None:
            if model is None or data is None:
                raise TrainerArgumentError("MultiModelTrainer needs model and data, or "
                                           "base_trainer")
            super().__init__(model, data, device, config, only_for_eval)
            base_sets: dict[str, list[HookSet]] = {}
        else:
            if not isinstance(base_trainer, TorchTrainer):
                raise TrainerArgumentError(f"base_trainer must be a TorchTrainer, got "
                                           f"{type(base_trainer).__name__}")
            super().__init__(copy.deepcopy(base_trainer.ctx.model), base_trainer.ctx.data,
                             base_trainer.ctx.device, self._copied_config(base_trainer),
                             base_trainer.only_for_eval)
            self._adopt_context(base_trainer)
            base_sets = {kind: [self._adopt(ref.hookset, base_trainer)
                                for ref in base_trainer.hook_sets() if ref.kind == kind]
                         for kind in HOOKSET_KINDS}
            self.finetune_enabled = self.finetune_enabled or base_trainer.finetune_enabled
        self.init_multiple_models()
        self.init_multiple_model_hooks(base_sets)

    def _copied_config(self, base: TorchTrainer) -> Any:
        """The config a copy of ``base`` runs with (immutable here, so the same one)."""
        return base.cfg

    def _adopt_context(self, base: TorchTrainer) -> None:
        """Copies of what ``base``'s ctx holds that this one does not (what plug-ins and
        packs set up, e.g. a penalty's weight), as FederatedScope's copy of the whole ctx."""
        own = self.ctx
        for name, value in list(base.ctx.__dict__.items()):
            if name not in own:
                with contextlib.suppress(Exception):  # what cannot be copied is shared
                    value = copy.deepcopy(value)
                setattr(own, name, value)

    def _adopt(self, hookset: HookSet, base: TorchTrainer) -> dict[str, tuple[Hook, ...]]:
        """The base's hooks, with methods bound to the base rebound to this trainer."""
        def rebind(hook: Hook) -> Hook:
            if isinstance(hook, types.MethodType) and hook.__self__ is base:
                return types.MethodType(hook.__func__, self)
            return hook
        return {t: tuple(rebind(h) for h in hooks) for t, hooks in hookset.snapshot().items()}

    # -- FederatedScope's extension points ----------------------------------------------
    def init_multiple_models(self) -> None:
        """``ctx.models``: the base model plus deep copies (override to build them otherwise)."""
        base = self.ctx.model
        self.ctx.models = [base] + [copy.deepcopy(base) for _ in range(self.model_nums - 1)]

    def init_multiple_model_hooks(self, base_sets: Mapping[str, list[Any]] | None = None
                                  ) -> None:
        """Give every model its own train, eval and finetune hook sets (copies of model 0's,
        or of the base trainer's), then call :meth:`register_multiple_model_hooks`."""
        base_sets = base_sets or {}
        for kind in HOOKSET_KINDS:
            attribute = HOOKSET_ATTRIBUTES[kind]
            sources = base_sets.get(kind) or [getattr(self, attribute).snapshot()]
            sets = [HookSet(self.hookset_label(kind, idx), sources[min(idx, len(sources) - 1)])
                    for idx in range(self.model_nums)]
            setattr(self, attribute, sets[0])  # hooks_in_train is model 0's, as in FS
            setattr(self, f"{attribute}_multiple_models", sets)
        self.register_multiple_model_hooks()

    def register_multiple_model_hooks(self) -> None:
        """Override to give internal models different hooks (all alike by default)."""

    # -- hook sets, addressed per model ---------------------------------------------------
    def hook_sets_of(self, kind: str) -> list[HookSet]:
        """One kind's hook sets, model by model."""
        attribute = HOOKSET_ATTRIBUTES[kind]
        # before the per-model sets exist (during construction), model 0's own
        return getattr(self, f"{attribute}_multiple_models") or [getattr(self, attribute)]

    def hookset_label(self, kind: str, model_idx: int) -> str:
        """'train[1]': the kind and the model."""
        return f"{kind}[{model_idx}]"

    # FederatedScope puts model_idx third in the register methods (the others inherit).
    def register_hook_in_train(self, new_hook: Hook, trigger: str | Trigger,  # type: ignore[override]
                               model_idx: int = 0, insert_pos: int | None = None,
                               base_hook: Hook | str | None = None,
                               insert_mode: str = "before") -> int:
        """Add a hook to one model's training set."""
        return self._register("train", model_idx, new_hook, trigger, insert_pos, base_hook,
                              insert_mode)

    def register_hook_in_eval(self, new_hook: Hook, trigger: str | Trigger,  # type: ignore[override]
                              model_idx: int = 0, insert_pos: int | None = None,
                              base_hook: Hook | str | None = None,
                              insert_mode: str = "before") -> int:
        """Add a hook to one model's evaluation set."""
        return self._register("eval", model_idx, new_hook, trigger, insert_pos, base_hook,
                              insert_mode)

    def register_hook_in_ft(self, new_hook: Hook, trigger: str | Trigger,  # type: ignore[override]
                            model_idx: int = 0, insert_pos: int | None = None,
                            base_hook: Hook | str | None = None,
                            insert_mode: str = "before") -> int:
        """Add a hook to one model's fine-tuning set."""
        return self._register("finetune", model_idx, new_hook, trigger, insert_pos, base_hook,
                              insert_mode)

    # -- routine host -----------------------------------------------------------------------
    def _lanes(self, mode: str, hooks_set: Any) -> list[Lane]:
        if hooks_set is None:
            return [Lane(i, self.hook_set(mode, i)) for i in range(self.model_nums)]
        if isinstance(hooks_set, Sequence) and not isinstance(hooks_set, str):
            if len(hooks_set) != self.model_nums:
                raise HookscopeError(f"hooks_set has {len(hooks_set)} hook sets for "
                                     f"{self.model_nums} models")
            return [Lane(i, as_hookset(h, mode)) for i, h in enumerate(hooks_set)]
        shared = as_hookset(hooks_set, mode)
        return [Lane(i, shared) for i in range(self.model_nums)]

    def _parallel(self) -> bool:
        return self.models_interact_mode == "parallel"

    def _switch_model_ctx(self, next_model_idx: int | None = None,
                          own_scope: bool = False) -> None:
        """Make model ``next_model_idx`` (default: the next one) current in ctx; a parallel
        routine asks for ``own_scope`` (see :meth:`Context.switch_model`)."""
        ctx = self.ctx
        if next_model_idx is None:
            next_model_idx = (ctx.cur_model_idx + 1) % self.model_nums
        ctx.switch_model(next_model_idx, ctx.models[next_model_idx], own_scope=own_scope)

    # -- parameters -----------------------------------------------------------------------
    def get_model_para(self) -> Any:
        """Detached copies of every model's state dict (a list; one dict for one model, as in
        FederatedScope), the form :meth:`update` takes and ``train()`` returns (with model
        0's sample count and the metrics, model i's prefixed ``model{i}_``)."""
        params = [{k: v.detach().clone() for k, v in m.state_dict().items()}
                  for m in self.ctx.models]
        return params if self.model_nums > 1 else params[0]

    def update(self, model_parameters: Any, strict: bool = False) -> None:
        """Load one state dict per model (a list), or a single one when there is one model."""
        if self.model_nums == 1 and isinstance(model_parameters, Mapping):
            model_parameters = [model_parameters]
        if not (isinstance(model_parameters, Sequence)
                and len(model_parameters) == self.model_nums):
            raise HookscopeError(f"update() needs a list of {self.model_nums} state dicts")
        for model, state in zip(self.ctx.models, model_parameters, strict=True):
            check_state(model, state, strict=strict)
        for model, state in zip(self.ctx.models, model_parameters, strict=True):
            model.load_state_dict(dict(state), strict=strict)

    def save_model(self, path: str | Path, cur_round: int = -1) -> Path:
        """Write model 0 as 'model' (FederatedScope's layout) and every model as 'models'."""
        return save_checkpoint(path, [m.state_dict() for m in self.ctx.models],
                               cur_round=cur_round)

    def load_model(self, path: str | Path) -> int:
        """Load every model from a file written by save_model (or model 0 from a
        single-model file); all-or-nothing, as TorchTrainer.load_model."""
        checkpoint = read_checkpoint(path)
        load_states(self.ctx.models, checkpoint)
        return checkpoint.cur_round
