"""Ditto, as a FederatedScope trainer plug-in (``wrap_ditto(base_trainer)``) ported to
hookscope by its import lines only (used by fs_ditto.yaml and the tests).

Ditto trains a personal model beside the global one: the trainer's model becomes a copy (the
global model), ``personalization.local_update_steps`` epochs of the personal model come
first (``num_train_epoch`` grows by that much), the personal model's optimizer pulls it toward
the global model (``personalization.regular_weight``), only the global model's samples are
reported, and evaluation runs the personal model.
"""

from __future__ import annotations

import copy

from trainer_core.fs import calculate_batch_epoch_num, get_optimizer, wrap_regularized_optimizer


def wrap_ditto(base_trainer):
    init_ditto_ctx(base_trainer)
    base_trainer.register_hook_in_train(new_hook=_hook_on_fit_start_set_ditto_optimizers,
                                        trigger="on_fit_start", insert_pos=0)
    base_trainer.register_hook_in_train(new_hook=_hook_on_fit_start_drop_default_optimizer,
                                        trigger="on_fit_start", insert_pos=-1)
    base_trainer.register_hook_in_train(new_hook=_hook_on_batch_start_pick_model,
                                        trigger="on_batch_start", insert_pos=0)
    base_trainer.register_hook_in_train(new_hook=_hook_on_batch_forward_count_local,
                                        trigger="on_batch_forward", insert_pos=-1)
    base_trainer.register_hook_in_train(new_hook=_hook_on_fit_end_calibrate_samples,
                                        trigger="on_fit_end", insert_pos=-1)
    base_trainer.register_hook_in_eval(new_hook=_hook_on_fit_start_use_local_model,
                                       trigger="on_fit_start", insert_pos=0)
    base_trainer.register_hook_in_eval(new_hook=_hook_on_fit_end_use_global_model,
                                       trigger="on_fit_end", insert_pos=-1)
    return base_trainer


def init_ditto_ctx(base_trainer):
    ctx, cfg = base_trainer.ctx, base_trainer.cfg
    ctx.global_model = copy.deepcopy(ctx.model)
    ctx.local_model = copy.deepcopy(ctx.model)
    ctx.models = [ctx.local_model, ctx.global_model]
    ctx.model = ctx.global_model
    ctx.num_samples_local_model_train = 0
    _, _, local_epochs, _ = calculate_batch_epoch_num(
        cfg.personalization.local_update_steps, cfg.train.batch_or_epoch, ctx.num_train_data,
        cfg.dataloader.batch_size, cfg.dataloader.drop_last)
    ctx.num_train_epoch_for_local_model = local_epochs
    ctx.num_train_epoch += ctx.num_train_epoch_for_local_model


def _hook_on_fit_start_set_ditto_optimizers(ctx):
    ctx.optimizer_for_global_model = get_optimizer(ctx.global_model, **ctx.cfg.train.optimizer)
    local = get_optimizer(ctx.local_model, **ctx.cfg.train.optimizer)
    ctx.optimizer_for_local_model = wrap_regularized_optimizer(
        local, ctx.cfg.personalization.regular_weight)
    ctx.optimizer_for_local_model.set_compared_para_group(
        [{"params": list(ctx.global_model.parameters())}])


def _hook_on_fit_start_drop_default_optimizer(ctx):
    del ctx.optimizer
    ctx.num_samples_local_model_train = 0


def _hook_on_batch_start_pick_model(ctx):
    ctx.use_local_model_current = ctx.cur_epoch_i < ctx.num_train_epoch_for_local_model
    if ctx.use_local_model_current:
        ctx.model, ctx.optimizer = ctx.local_model, ctx.optimizer_for_local_model
    else:
        ctx.model, ctx.optimizer = ctx.global_model, ctx.optimizer_for_global_model


def _hook_on_batch_forward_count_local(ctx):
    if ctx.use_local_model_current:
        ctx.num_samples_local_model_train += ctx.batch_size


def _hook_on_fit_end_calibrate_samples(ctx):
    ctx.num_samples -= ctx.num_samples_local_model_train
    ctx.eval_metrics["train_total"] = ctx.num_samples
    ctx.eval_metrics["train_total_local_model"] = ctx.num_samples_local_model_train


def _hook_on_fit_start_use_local_model(ctx):
    ctx.model = ctx.local_model
    ctx.model.eval()


def _hook_on_fit_end_use_global_model(ctx):
    ctx.model = ctx.global_model
