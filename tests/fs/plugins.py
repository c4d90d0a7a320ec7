"""Trainer plug-ins written in FederatedScope's style (``wrap_XTrainer(base_trainer)``, module
level ``_hook_on_*(ctx)`` hooks, ``ctx.cfg`` reads), exercising the patterns its own
plug-ins rely on. They import only from ``trainer_core.fs``, as a ported file would.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import numpy as np
import torch

from trainer_core.fs import (
    LIFECYCLE,
    CtxVar,
    GeneralMultiModelTrainer,
    get_random,
    get_regularizer,
)

DITTO = Path(__file__).resolve().parents[2] / "sample_configs" / "hooks" / "fs_ditto.py"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location("fs_ditto", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Ditto lives with the sample configs (fs_ditto.yaml); the same file serves the tests.
wrap_ditto_like = _load(DITTO).wrap_ditto


# -- pFedMe-like: a whole trigger replaced, its old hooks called by hand --------------------
def wrap_pfedme_like(base_trainer):
    ctx = base_trainer.ctx
    ctx.pfedme_k = base_trainer.cfg.personalization.K
    ctx.num_train_epoch *= ctx.pfedme_k
    ctx.pfedme_counter = 0
    ctx.pfedme_fetches = 0
    ctx.original_hook_on_batch_start_train = base_trainer.hooks_in_train["on_batch_start"]
    base_trainer.reset_index = base_trainer.replace_hook_in_train(
        new_hook=_hook_on_batch_start_reuse_batch, target_trigger="on_batch_start",
        target_hook_name=None)
    return base_trainer


def _hook_on_batch_start_reuse_batch(ctx):
    if ctx.pfedme_counter == 0:
        for hook in ctx.original_hook_on_batch_start_train:
            hook(ctx)
        ctx.pfedme_fetches += 1
        ctx.data_batch_cache = copy.deepcopy(ctx.data_batch)
    else:
        ctx.data_batch = CtxVar(copy.deepcopy(ctx.data_batch_cache), LIFECYCLE.BATCH)
    ctx.pfedme_counter = (ctx.pfedme_counter + 1) % ctx.pfedme_k


# -- FedRep-like: parts of the model frozen per epoch, epochs set at every fit start ---------
def wrap_fedrep_like(base_trainer):
    ctx, cfg = base_trainer.ctx, base_trainer.cfg
    ctx.epoch_feature = cfg.personalization.epoch_feature
    ctx.epoch_linear = cfg.personalization.epoch_linear
    ctx.num_train_epoch = ctx.epoch_feature + ctx.epoch_linear
    ctx.local_param = cfg.personalization.local_param
    ctx.local_update_param = [p for n, p in ctx.model.named_parameters()
                              if n.split(".")[0] in ctx.local_param]
    ctx.global_update_param = [p for n, p in ctx.model.named_parameters()
                               if n.split(".")[0] not in ctx.local_param]
    base_trainer.register_hook_in_train(new_hook=hook_on_fit_start_fedrep,
                                        trigger="on_fit_start", insert_pos=-1)
    base_trainer.register_hook_in_train(new_hook=hook_on_epoch_start_fedrep,
                                        trigger="on_epoch_start", insert_pos=-1)
    return base_trainer


def _freeze_all_but(ctx, local_trains):
    for name, param in ctx.model.named_parameters():
        is_local = name.split(".")[0] in ctx.local_param
        param.requires_grad = is_local if local_trains else not is_local


def hook_on_fit_start_fedrep(ctx):
    ctx.num_train_epoch = ctx.epoch_feature + ctx.epoch_linear
    ctx.epoch_number = 0
    ctx.optimizer_for_feature = torch.optim.SGD(ctx.global_update_param,
                                                lr=ctx.cfg.personalization.lr_feature)
    ctx.optimizer_for_linear = torch.optim.SGD(ctx.local_update_param,
                                               lr=ctx.cfg.personalization.lr_linear)
    _freeze_all_but(ctx, local_trains=True)
    ctx.optimizer = ctx.optimizer_for_linear


def hook_on_epoch_start_fedrep(ctx):
    ctx.epoch_number += 1
    if ctx.epoch_number == ctx.epoch_linear + 1:
        _freeze_all_but(ctx, local_trains=False)
        ctx.optimizer = ctx.optimizer_for_feature


# -- NbAFL-like: the config defrosted and edited, a proximal term, noise on the upload -------
def wrap_nbafl_like(base_trainer):
    ctx, cfg = base_trainer.ctx, base_trainer.cfg
    cfg.defrost()
    cfg.regularizer.type = "proximal_regularizer"
    cfg.regularizer.mu = cfg.nbafl.mu
    cfg.freeze()
    ctx.regularizer = get_regularizer(cfg.regularizer.type)
    ctx.nbafl_scale_u = cfg.nbafl.w_clip * cfg.federate.total_round_num * \
        cfg.nbafl.constant / ctx.num_train_data / cfg.nbafl.epsilon
    base_trainer.register_hook_in_train(new_hook=_hook_record_initialization,
                                        trigger="on_fit_start", insert_pos=-1)
    base_trainer.register_hook_in_train(new_hook=_hook_del_initialization,
                                        trigger="on_fit_end", insert_pos=-1)
    base_trainer.register_hook_in_train(new_hook=_hook_inject_noise_in_upload,
                                        trigger="on_fit_end", insert_pos=-1)
    return base_trainer


def _hook_record_initialization(ctx):
    ctx.weight_init = copy.deepcopy([p.data.detach() for p in ctx.model.parameters()])


def _hook_del_initialization(ctx):
    ctx.weight_init = None


def _hook_inject_noise_in_upload(ctx):
    for param in ctx.model.parameters():
        param.data += get_random("Normal", param.shape,
                                 {"loc": 0, "scale": ctx.nbafl_scale_u}, param.device)


# -- simple-tuning-like: fine-tuning with its own epoch count --------------------------------
def wrap_simple_tuning_like(base_trainer):
    base_trainer.register_hook_in_ft(new_hook=hook_on_fit_start_simple_tuning,
                                     trigger="on_fit_start", insert_pos=-1)
    return base_trainer


def hook_on_fit_start_simple_tuning(ctx):
    ctx.num_train_epoch = ctx.cfg.finetune.epoch_linear


# -- FedEM-like: model 0's hooks shared, an evaluation inside on_fit_start, an ensemble ------
class FedEMLikeTrainer(GeneralMultiModelTrainer):
    def __init__(self, model_nums, models_interact_mode="sequential", model=None, data=None,
                 device=None, config=None, base_trainer=None):
        super().__init__(model_nums, models_interact_mode, model, data, device, config,
                         base_trainer)
        self.weights_internal_models = torch.ones(self.model_nums) / self.model_nums
        self.ctx.all_losses_model_batch = torch.zeros(self.model_nums,
                                                      self.ctx.num_test_batch)
        self.ctx.nested_evaluations = 0

    def register_multiple_model_hooks(self):
        self.register_hook_in_train(new_hook=self._hook_on_fit_start_mixture_weights_update,
                                    trigger="on_fit_start", insert_pos=0)
        self.register_hook_in_eval(new_hook=self._hook_on_batch_end_gather_loss,
                                   trigger="on_batch_end", insert_pos=0)
        self.replace_hook_in_eval(new_hook=self._hook_on_fit_end_ensemble_eval,
                                  target_trigger="on_fit_end",
                                  target_hook_name="_hook_on_fit_end")
        self.hooks_in_train_multiple_models.extend(
            [self.hooks_in_train_multiple_models[0] for _ in range(1, self.model_nums)])
        self.hooks_in_eval_multiple_models.extend(
            [self.hooks_in_eval_multiple_models[0] for _ in range(1, self.model_nums)])

    def _hook_on_fit_start_mixture_weights_update(self, ctx):
        if ctx.cur_model_idx != 0:
            return
        ctx.nested_evaluations += 1
        self.evaluate(target_data_split_name="test")
        losses = ctx.all_losses_model_batch.mean(dim=1)
        self.weights_internal_models = torch.softmax(-losses, dim=0)

    def _hook_on_batch_end_gather_loss(self, ctx):
        ctx.all_losses_model_batch[ctx.cur_model_idx][ctx.cur_batch_i] = ctx.loss_batch.item()

    def _hook_on_fit_end_ensemble_eval(self, ctx):
        if ctx.get("ys_prob_ensemble", None) is None:
            ctx.ys_prob_ensemble = CtxVar(0, LIFECYCLE.ROUTINE)
        ctx.ys_prob_ensemble += np.concatenate(ctx.ys_prob) * \
            self.weights_internal_models[ctx.cur_model_idx].item()
        if ctx.cur_model_idx == self.model_nums - 1:
            ctx.ys_true = CtxVar(np.concatenate(ctx.ys_true), LIFECYCLE.ROUTINE)
            ctx.ys_prob = ctx.ys_prob_ensemble
            ctx.eval_metrics = self.ctx.monitor.eval(ctx)
