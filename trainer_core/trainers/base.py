"""Trainer: the FederatedScope-shaped base — hook-set API, routine entry points, data split.

It knows nothing about torch: :class:`~trainer_core.torch_trainer.TorchTrainer` adds data
parsing, default hooks, model modes and parameters. Every hook-set method below forwards to
one :class:`~trainer_core.hooks.HookSet` operation; there is no per-mode copy of the logic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from trainer_core.engine.context import Context
from trainer_core.engine.hooks import Hook, HookSet, HookSetRef
from trainer_core.engine.modes import (
    HOOKSET_KINDS,
    MODE,
    SPLITS,
    default_split,
    hookset_kind,
    is_training,
)
from trainer_core.engine.routine import ContextPlan, Lane, LaneResult, RoutinePlan, RoutineRun
from trainer_core.engine.triggers import TRIGGERS, Trigger
from trainer_core.errors import DataSplitError, HookscopeError
from trainer_core.trainers.settings import TrainerConfig

#: The counts FederatedScope's loop reads in every training routine.
TRAINING_COUNTS = ("num_train_epoch", "num_train_batch_last_epoch", "num_total_train_batch")
_ABSENT = object()
#: What a routine may be given as its hook set: a HookSet, or FederatedScope's plain dict.
HookSetLike = HookSet | Mapping[str, Sequence[Hook]]
#: The attribute holding each kind's hook set (FederatedScope's names).
HOOKSET_ATTRIBUTES = {"train": "hooks_in_train", "eval": "hooks_in_eval",
                      "finetune": "hooks_in_ft"}


class Trainer:
    """Local learning as a Context plus hook sets; see the package README for the model.

    Subclasses implement :meth:`parse_data` and register their default hooks in
    :meth:`register_default_hooks_train` / :meth:`register_default_hooks_eval`.
    """

    #: FederatedScope's name for the trigger list.
    HOOK_TRIGGER: tuple[str, ...] = TRIGGERS

    def __init__(self, model: Any, data: Any, device: Any = "cpu",
                 config: TrainerConfig | Mapping[str, Any] | None = None,
                 only_for_eval: bool = False) -> None:
        self.cfg = self.make_config(config)
        self.only_for_eval = only_for_eval
        self.ctx = Context(model=model, cfg=self.cfg, data=data, device=device)
        for name, value in self.parse_data(data).items():
            setattr(self.ctx, name, value)
        self.setup_vars()
        self.hooks_in_train = HookSet("train")
        self.hooks_in_eval = HookSet("eval")
        self.hooks_in_ft = HookSet("finetune")
        #: The finetune set is listed (hook_sets, pipelines, the debugger) once it is in use:
        #: ``finetune.before_eval`` in the config, or a hook registered into it.
        self.finetune_enabled = bool(self.cfg.finetune.before_eval) and not only_for_eval
        if not only_for_eval:
            self.register_default_hooks_train()
        if self.finetune_enabled:
            self.register_default_hooks_ft()
        self.register_default_hooks_eval()

    def __repr__(self) -> str:
        splits = ", ".join(f"{s} {self.ctx.get(f'num_{s}_data')} samples / "
                           f"{self.ctx.get(f'num_{s}_batch')} batches"
                           for s in SPLITS if self.has_split(s))
        hooks = ", ".join(f"{ref.label} {sum(len(h) for h in ref.hookset.values())}"
                          for ref in self.hook_sets())
        return (f"<{type(self).__name__} model={type(self.ctx.model).__name__} "
                f"models={self.model_nums} splits=[{splits}] hooks=[{hooks}]>")

    # -- for subclasses ---------------------------------------------------------------
    def make_config(self, config: Any) -> Any:
        """The trainer's ``cfg`` (also ``ctx.cfg``) from the ``config`` argument."""
        return TrainerConfig.coerce(config)

    def parse_data(self, data: Any) -> dict[str, Any]:
        """Return ctx attributes for the data: ``{split}_loader``, ``num_{split}_data``..."""
        raise NotImplementedError

    def setup_vars(self) -> None:
        """Set running variables in ctx once the data is parsed (counts of batches...)."""

    def register_default_hooks_train(self) -> None:
        """Register the default training hooks (none in the base class)."""

    def register_default_hooks_eval(self) -> None:
        """Register the default evaluation hooks (none in the base class)."""

    def register_default_hooks_ft(self) -> None:
        """Register the default fine-tuning hooks (none in the base class)."""

    #: How many internal models (FederatedScope's attribute; a MultiModelTrainer sets it).
    model_nums: int = 1
    #: Who runs the routines a hook starts (``evaluate()`` inside a training hook): None runs
    #: them to the end at once; a debugger sets itself here to step into them.
    routine_driver: Any = None

    # -- hook sets: FederatedScope's API ----------------------------------------------
    # Each method is one HookSet operation on the set ``hook_set(kind, model_idx)`` returns;
    # ``model_idx`` comes last, so a MultiModelTrainer inherits them all and overrides only
    # the three register methods, where FederatedScope puts ``model_idx`` third.
    def register_hook_in_train(self, new_hook: Hook, trigger: str | Trigger,
                               insert_pos: int | None = None,
                               base_hook: Hook | str | None = None,
                               insert_mode: str = "before") -> int:
        """Add a training hook; see :meth:`HookSet.register` for the position rules."""
        return self._register("train", 0, new_hook, trigger, insert_pos, base_hook, insert_mode)

    def register_hook_in_eval(self, new_hook: Hook, trigger: str | Trigger,
                              insert_pos: int | None = None,
                              base_hook: Hook | str | None = None,
                              insert_mode: str = "before") -> int:
        """Add an evaluation hook; see :meth:`HookSet.register` for the position rules."""
        return self._register("eval", 0, new_hook, trigger, insert_pos, base_hook, insert_mode)

    def register_hook_in_ft(self, new_hook: Hook, trigger: str | Trigger,
                            insert_pos: int | None = None,
                            base_hook: Hook | str | None = None,
                            insert_mode: str = "before") -> int:
        """Add a fine-tuning hook (this puts the finetune set in use)."""
        return self._register("finetune", 0, new_hook, trigger, insert_pos, base_hook,
                              insert_mode)

    def _register(self, kind: str, model_idx: int, new_hook: Hook, trigger: str | Trigger,
                  insert_pos: int | None, base_hook: Hook | str | None,
                  insert_mode: str) -> int:
        position = self.hook_set(kind, model_idx).register(new_hook, trigger, insert_pos,
                                                           base_hook, insert_mode)
        if kind == "finetune":
            self.finetune_enabled = True
        return position

    def replace_hook_in_train(self, new_hook: Hook, target_trigger: str | Trigger,
                              target_hook_name: str, model_idx: int = 0) -> tuple[Hook, ...]:
        """Replace training hooks by name, in place; returns the replaced hooks."""
        return self.hook_set("train", model_idx).replace(new_hook, target_trigger,
                                                         target_hook_name)

    def replace_hook_in_eval(self, new_hook: Hook, target_trigger: str | Trigger,
                             target_hook_name: str, model_idx: int = 0) -> tuple[Hook, ...]:
        """Replace evaluation hooks by name, in place; returns the replaced hooks."""
        return self.hook_set("eval", model_idx).replace(new_hook, target_trigger,
                                                        target_hook_name)

    def replace_hook_in_ft(self, new_hook: Hook, target_trigger: str | Trigger,
                           target_hook_name: str, model_idx: int = 0) -> tuple[Hook, ...]:
        """Replace fine-tuning hooks by name, in place; returns the replaced hooks."""
        return self.hook_set("finetune", model_idx).replace(new_hook, target_trigger,
                                                            target_hook_name)

    def reset_hook_in_train(self, target_trigger: str | Trigger,
                            target_hook_name: str | None = None,
                            model_idx: int = 0) -> tuple[Hook, ...]:
        """Clear a training trigger, or remove its hooks of one name; returns them."""
        return self.hook_set("train", model_idx).reset(target_trigger, target_hook_name)

    def reset_hook_in_eval(self, target_trigger: str | Trigger,
                           target_hook_name: str | None = None,
                           model_idx: int = 0) -> tuple[Hook, ...]:
        """Clear an evaluation trigger, or remove its hooks of one name; returns them."""
        return self.hook_set("eval", model_idx).reset(target_trigger, target_hook_name)

    def reset_hook_in_ft(self, target_trigger: str | Trigger,
                         target_hook_name: str | None = None,
                         model_idx: int = 0) -> tuple[Hook, ...]:
        """Clear a fine-tuning trigger, or remove its hooks of one name; returns them."""
        return self.hook_set("finetune", model_idx).reset(target_trigger, target_hook_name)

    def move_hook_in_train(self, trigger: str | Trigger, position: int, new_position: int,
                           to_trigger: str | Trigger | None = None, model_idx: int = 0) -> None:
        """Reorder training hooks (FederatedScope has no equivalent)."""
        self.hook_set("train", model_idx).move(trigger, position, new_position, to_trigger)

    def move_hook_in_eval(self, trigger: str | Trigger, position: int, new_position: int,
                          to_trigger: str | Trigger | None = None, model_idx: int = 0) -> None:
        """Reorder evaluation hooks (FederatedScope has no equivalent)."""
        self.hook_set("eval", model_idx).move(trigger, position, new_position, to_trigger)

    def move_hook_in_ft(self, trigger: str | Trigger, position: int, new_position: int,
                        to_trigger: str | Trigger | None = None, model_idx: int = 0) -> None:
        """Reorder fine-tuning hooks (FederatedScope has no equivalent)."""
        self.hook_set("finetune", model_idx).move(trigger, position, new_position, to_trigger)

    # -- hook sets: addressing ----------------------------------------------------------
    def hook_set(self, mode: str = "train", model_idx: int = 0) -> HookSet:
        """The hook set a routine of ``mode`` (or a hook-set kind) runs for ``model_idx``."""
        sets = self.hook_sets_of(hookset_kind(mode))
        if isinstance(model_idx, bool) or not isinstance(model_idx, int) \
                or not 0 <= model_idx < len(sets):
            raise HookscopeError(f"model_idx {model_idx!r} is out of range: this trainer has "
                                 f"{self.model_nums} model(s) (0..{self.model_nums - 1})")
        return sets[model_idx]

    def hook_sets_of(self, kind: str) -> list[HookSet]:
        """One kind's hook sets, one per model (a list of one here)."""
        return [getattr(self, HOOKSET_ATTRIBUTES[kind])]

    def hookset_label(self, kind: str, model_idx: int) -> str:
        """How configs, pipelines and the debugger name a hook set ('train', 'eval'...)."""
        return kind

    def distinct_hook_sets(self) -> list[HookSet]:
        """The HookSets of :meth:`hook_sets`, each once (models may share one)."""
        return list({id(ref.hookset): ref.hookset for ref in self.hook_sets()}.values())

    def hook_sets_labelled(self, label: str) -> list[HookSet]:
        """The hook sets a config or pipeline label names: one set ('train[1]'), or every
        model's set of a kind ('train'); [] when nothing has that label."""
        refs = self.hook_sets()
        exact = [ref.hookset for ref in refs if ref.label == label]
        return exact or [ref.hookset for ref in refs if ref.kind == label]

    def hookset_labels(self) -> list[str]:
        """Every label :meth:`hook_sets_labelled` answers, sorted."""
        return sorted({name for ref in self.hook_sets() for name in (ref.label, ref.kind)})

    def hook_sets(self) -> list[HookSetRef]:
        """Every hook set: train, eval, then finetune once it is in use (see
        ``finetune_enabled``), each kind model by model."""
        kinds = HOOKSET_KINDS if self.finetune_enabled else HOOKSET_KINDS[:2]
        return [HookSetRef(kind, idx, self.hookset_label(kind, idx), hookset)
                for kind in kinds for idx, hookset in enumerate(self.hook_sets_of(kind))]

    # -- routines -----------------------------------------------------------------------
    def iter_routine(self, mode: str = "train", split: str | None = None,
                     hooks_set: HookSetLike | None = None) -> RoutineRun:
        """A routine as a stream of points, for the debugger (or for your own loop)."""
        split = split or default_split(mode)
        self.check_split(split)
        plan = self.plan_for(mode, split)
        return RoutineRun(self, mode, split, self._lanes(mode, hooks_set), plan,
                          parallel=self._parallel())

    def _run_routine(self, mode: str, hooks_set: HookSetLike | None,
                     dataset_name: str | None = None) -> int:
        """FederatedScope's entry point: run a routine to the end, return its sample count."""
        return self.sample_count(self.iter_routine(mode, dataset_name, hooks_set).drain())

    def train(self, target_data_split_name: str = "train",
              hooks_set: HookSetLike | None = None) -> tuple[int, Any, dict[str, Any]]:
        """Run the training routine; returns (num_samples, model parameters, metrics)."""
        results = self.iter_routine(MODE.TRAIN, target_data_split_name, hooks_set).drain()
        return self.sample_count(results), self.get_model_para(), self.results_metrics(results)

    def finetune(self, target_data_split_name: str = "train",
                 hooks_set: HookSetLike | None = None) -> tuple[int, Any, dict[str, Any]]:
        """Run the fine-tuning routine (``hooks_in_ft``, the ``finetune`` config section);
        returns what :meth:`train` returns."""
        results = self.iter_routine(MODE.FINETUNE, target_data_split_name, hooks_set).drain()
        return self.sample_count(results), self.get_model_para(), self.results_metrics(results)

    def evaluate(self, target_data_split_name: str = "test",
                 hooks_set: HookSetLike | None = None) -> dict[str, Any]:
        """Run the evaluation routine on a split; returns its metrics.

        As in FederatedScope, a split the trainer has no data for gives ``{}``.
        """
        if not self.has_split(target_data_split_name):
            self.ctx.eval_metrics = {}
            return {}
        mode = MODE.VAL if target_data_split_name == "val" else MODE.TEST
        results = self.iter_routine(mode, target_data_split_name, hooks_set).drain()
        return self.results_metrics(results)

    def validate(self, target_data_split_name: str = "val",
                 hooks_set: HookSetLike | None = None) -> dict[str, Any]:
        """Evaluate on the validation split."""
        return self.evaluate(target_data_split_name, hooks_set)

    def get_model_para(self) -> Any:
        """The model's parameters (TorchTrainer returns a state dict)."""
        return None

    def sample_count(self, results: Sequence[LaneResult]) -> Any:
        """The samples a routine reports: model 0's."""
        return results[0].num_samples if results else 0

    def results_metrics(self, results: Sequence[LaneResult]) -> dict[str, Any]:
        """The metrics a routine reports: see :func:`merge_metrics`."""
        return merge_metrics(results)

    # -- routine host interface -------------------------------------------------------
    def plan_for(self, mode: str, split: str) -> ContextPlan:
        """Epochs and batches a routine of ``mode`` on ``split`` runs: read from ctx as the
        routine goes (``num_{split}_epoch``, ``num_{split}_batch``, and in training modes
        ``num_train_epoch`` / ``num_train_batch_last_epoch``), which :meth:`setup_vars` sets
        and hooks may change."""
        return ContextPlan(self.ctx, split, training=is_training(mode))

    def training_counts(self, split: str, settings: Any) -> RoutinePlan:
        """FederatedScope's counts for a training routine on ``split`` under ``settings``
        (the train or finetune section)."""
        return RoutinePlan.for_training(self.ctx.get(f"num_{split}_batch", 0),
                                        settings.local_update_steps, settings.batch_or_epoch)

    def set_training_counts(self, plan: RoutinePlan) -> None:
        """Put a plan where FederatedScope's loop reads it: ``num_train_epoch``,
        ``num_train_batch_last_epoch``, ``num_total_train_batch``."""
        ctx = self.ctx
        ctx.num_train_epoch = plan.num_epochs
        ctx.num_train_batch_last_epoch = plan.last_epoch_batches
        ctx.num_total_train_batch = plan.total_batches

    def has_split(self, split: str) -> bool:
        """True when the trainer has data for ``split``."""
        return self.ctx.get(f"{split}_loader") is not None

    def batch_order(self) -> dict[str, Any]:
        """Where every split's batch order stands (its loader's generator states, by the
        loader's ctx name), so a restart or a client rebuilt elsewhere replays the same
        batches: :meth:`set_batch_order` puts it back."""
        return {name: value.rng_state() for name, value in list(self.ctx.__dict__.items())
                if name.endswith("_loader") and callable(getattr(value, "rng_state", None))}

    def set_batch_order(self, state: Mapping[str, Any]) -> None:
        """Undo :meth:`batch_order` (loaders it does not name keep theirs)."""
        for name, saved in state.items():
            loader = self.ctx.get(name)
            if loader is not None and hasattr(loader, "set_rng_state"):
                loader.set_rng_state(saved)

    def check_split(self, split: str) -> None:
        """Raise DataSplitError naming the splits there are when ``split`` has no data."""
        if not self.has_split(split):
            present = [s for s in SPLITS if self.has_split(s)] or ["none"]
            raise DataSplitError(f"no data for split '{split}'; this trainer has: "
                                 f"{', '.join(present)}", split=split)

    def _lanes(self, mode: str, hooks_set: HookSetLike | None) -> list[Lane]:
        if hooks_set is None:
            return [Lane(0, self.hook_set(mode))]
        return [Lane(0, as_hookset(hooks_set, mode))]

    def _parallel(self) -> bool:
        return False

    def _enter_mode(self, mode: str) -> Any:
        """Before a routine. Fine-tuning runs ``cfg.finetune``'s steps, set as the training
        counts the loop reads (FederatedScope reads ``num_train_*`` in every training mode
        and so ignored ``finetune.local_update_steps``), for this routine only."""
        if mode != MODE.FINETUNE:
            return None
        ctx = self.ctx
        split = ctx.cur_split
        names = (*TRAINING_COUNTS, f"num_{split}_epoch")
        saved = {name: ctx.get(name, _ABSENT) for name in names}
        plan = self.training_counts(split, self.cfg.finetune)
        self.set_training_counts(plan)
        setattr(ctx, f"num_{split}_epoch", plan.num_epochs)
        return saved

    def _exit_mode(self, token: Any) -> None:
        """After a routine: give back what :meth:`_enter_mode` changed."""
        for name, value in (token or {}).items():
            if value is _ABSENT:
                self.ctx.__dict__.pop(name, None)
            else:
                setattr(self.ctx, name, value)

    def _hook_guard(self, mode: str) -> Callable[[], AbstractContextManager[Any]] | None:
        return None

    def _switch_model_ctx(self, next_model_idx: int | None = None,
                          own_scope: bool = False) -> None:
        """Make model ``next_model_idx`` current (a no-op with one model)."""
        if next_model_idx:
            raise HookscopeError(f"model index {next_model_idx} is out of range: this trainer "
                                 f"has one model")

    def _lane_result(self, model_idx: int, run: RoutineRun) -> LaneResult:
        """What model ``model_idx``'s routine produced: its sample count, and
        ``ctx.eval_metrics`` only if this routine wrote them for this model (a stale value
        from an earlier routine is not its result)."""
        ctx = self.ctx
        metrics = ctx.get("eval_metrics")
        written = ctx.last_writer("eval_metrics")
        fresh = written is not None and written.run is run and written.model_idx == model_idx
        return LaneResult(model_idx, int(ctx.get("num_samples", 0) or 0),
                          dict(metrics) if fresh and isinstance(metrics, Mapping) else {})


def as_hookset(hooks_set: HookSetLike, mode: str) -> HookSet:
    """A routine's ``hooks_set`` argument as a HookSet (FederatedScope passes plain dicts)."""
    if isinstance(hooks_set, HookSet):
        return hooks_set
    if isinstance(hooks_set, Mapping):
        return HookSet(hookset_kind(mode), hooks_set)
    raise HookscopeError(f"hooks_set must be a HookSet or a mapping of trigger -> hooks, "
                         f"got {type(hooks_set).__name__}")


def merge_metrics(results: Sequence[LaneResult]) -> dict[str, Any]:
    """Model 0's metrics as they are; other models' keys prefixed ``model{i}_``."""
    merged: dict[str, Any] = {}
    for result in results:
        prefix = f"model{result.model_idx}_" if result.model_idx else ""
        for key, value in result.metrics.items():
            merged[prefix + key] = value
    return merged
