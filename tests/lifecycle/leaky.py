"""Hooks that leak, written the way FederatedScope trainers and their users write hooks.

Each works, passes a quick test, and then eats memory in a long run or across rounds. The
table at the bottom says what the checker must report for each: kind, attribute, path
inside it, and the hook to blame (the one that grows it, not the one that created it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import torch

from trainer_core.engine.context import CtxVar, Lifecycle


# -- containers that grow ------------------------------------------------------------------
def cache_preds(ctx):
    """The old tutorial style: a plain list created and appended by one batch hook."""
    if "all_preds" not in ctx:
        ctx.all_preds = []
    ctx.all_preds.append(ctx.y_prob.detach())


def start_loss_log(ctx):
    ctx.loss_log = []


def log_loss_tensor(ctx):
    """Appends the loss itself: every batch's autograd graph stays alive."""
    ctx.loss_log.append(ctx.loss_batch)


def start_routine_losses(ctx):
    ctx.routine_losses = CtxVar([], Lifecycle.ROUTINE)


def keep_routine_loss(ctx):
    """A ROUTINE list is released at the end, but until then it holds every graph."""
    ctx.routine_losses.append(ctx.loss_batch)


def start_per_class(ctx):
    ctx.per_class = {c: [] for c in range(3)}


def collect_per_class(ctx):
    """A dict whose len never changes; its lists grow."""
    for label, prob in zip(ctx.y_true.tolist(), ctx.y_prob.detach(), strict=True):
        ctx.per_class[label].append(prob)


@dataclass
class Stats:
    history: list[float] = field(default_factory=list)
    name: str = "stats"


def start_stats(ctx):
    ctx.stats = Stats()


def record_stats(ctx):
    """Growth one attribute down: ctx.stats.history."""
    ctx.stats.history.append(ctx.loss_batch.item())


def history_from_constructor(ctx):
    """ctx.history was set before the routine (by the trainer's constructor)."""
    ctx.history.append(ctx.y_prob.detach().clone())


def every_second_batch(ctx):
    """Grows only on even batches: still a leak."""
    if ctx.cur_batch_i % 2 == 0:
        ctx.sparse_log.append(ctx.y_prob.detach().clone())


def start_sparse_log(ctx):
    ctx.sparse_log = []


def start_all_logits(ctx):
    ctx.all_logits = torch.zeros(0, 3)


def concat_logits(ctx):
    """Re-grown by concatenation: a new, bigger tensor each batch."""
    ctx.all_logits = torch.cat([ctx.all_logits, ctx.y_prob.detach()])


def start_window(ctx):
    ctx.window = deque()


def push_window(ctx):
    """A deque without maxlen is just a list."""
    ctx.window.append(ctx.y_prob.detach().clone())


def start_cache(ctx):
    ctx.cache = {"preds": [], "labels": []}


def fill_cache(ctx):
    ctx.cache["preds"].append(ctx.y_prob.detach().clone())
    ctx.cache["labels"].append(ctx.y_true.clone())


def start_seen(ctx):
    ctx.seen_keys = set()


def remember_keys(ctx):
    ctx.seen_keys.update(f"e{ctx.cur_epoch_i}b{ctx.cur_batch_i}s{i}" for i in range(8))


def aliased_append(ctx):
    """The list is reached through a local name: only running it shows who grows it."""
    log = ctx.alias_log
    log.append(ctx.y_prob.detach().clone())


def start_alias_log(ctx):
    ctx.alias_log = []


def _record(ctx: Any, value: Any) -> None:
    ctx.helper_log.append(value)


def start_helper_log(ctx):
    ctx.helper_log = []


def append_through_helper(ctx):
    """The append is in a helper function; the hook that calls it is to blame."""
    _record(ctx, ctx.y_prob.detach().clone())


def start_labels(ctx):
    ctx.all_labels = []


def extend_labels(ctx):
    ctx.all_labels.extend(ctx.y_true.tolist())


def start_by_batch(ctx):
    ctx.by_batch = {}


def key_by_batch(ctx):
    """A new key every batch."""
    ctx.by_batch[(ctx.cur_epoch_i, ctx.cur_batch_i)] = ctx.y_prob.detach().clone()


def grow_text_log(ctx):
    """A string grown by +=: strings are memory too."""
    ctx.text_log = ctx.get("text_log", "") + f"epoch {ctx.cur_epoch_i} batch " \
                                                f"{ctx.cur_batch_i} loss {ctx.loss_batch.item()}\n"


def start_trimmed_late(ctx):
    ctx.trimmed_late = []


def trim_too_late(ctx):
    """Trimmed by a quarter every 4th batch while 2 items come per batch: a sawtooth whose
    ceiling keeps rising."""
    ctx.trimmed_late.extend([ctx.y_prob.detach().clone(), ctx.y_true.clone()])
    if ctx.cur_batch_i % 4 == 3:
        del ctx.trimmed_late[: len(ctx.trimmed_late) // 4]


# -- graphs kept past the batch ---------------------------------------------------------
def keep_outputs(ctx):
    """A dict of outputs, set per batch: the logits keep the graph."""
    ctx.outputs = {"logits": ctx.y_prob, "n": ctx.batch_size}


def running_loss(ctx):
    """Sums loss tensors, keeping every batch's graph alive."""
    ctx.running_loss = ctx.get("running_loss", 0) + ctx.loss_batch


def keep_pair(ctx):
    ctx.last_pair = (ctx.y_true, ctx.y_prob)


class Probe:
    def __init__(self) -> None:
        self.last = None


def start_probe(ctx):
    ctx.probe = Probe()


def probe_loss(ctx):
    """The graph hangs on an object's attribute."""
    ctx.probe.last = ctx.loss_batch


def start_ys_prob(ctx):
    ctx.ys_prob_live = CtxVar([], Lifecycle.ROUTINE)


def collect_ys_prob(ctx):
    """FederatedScope's ys_prob, without the detach."""
    ctx.ys_prob_live.append(ctx.y_prob)


# -- outlives its batch ----------------------------------------------------------------
def remember_labels(ctx):
    ctx.last_labels = ctx.y_true


def numbered_preds(ctx):
    """A new attribute name every batch."""
    setattr(ctx, f"pred_{ctx.cur_epoch_i}_{ctx.cur_batch_i}", ctx.y_prob.detach())


def count_steps(ctx):
    """A plain running count: it carries over into the next routine."""
    ctx.step_count = ctx.get("step_count", 0) + 1


def keep_eval_outputs(ctx):
    """An eval hook that keeps its batch's output (runs inside a nested evaluate)."""
    ctx.eval_outputs = ctx.y_prob.clone()


# -- across epochs and rounds ---------------------------------------------------------------
def epoch_buffer(ctx):
    """A 1.2 MB buffer per epoch that nobody frees."""
    ctx.epoch_buffer = torch.zeros(300_000)


def round_history(ctx):
    """One entry per round, never reset: FL's 'memory grows every round'."""
    ctx.round_log.append({k: v.detach().clone() for k, v in ctx.model.state_dict().items()})


def snapshot_each_round(ctx):
    """The starting weights of every round, kept forever."""
    if "snapshots" not in ctx:
        ctx.snapshots = []
    ctx.snapshots.append([p.detach().clone() for p in ctx.model.parameters()])


@dataclass(frozen=True)
class Leak:
    """One corpus entry: hooks to add (function, trigger), what to set on ctx before the
    routine, how many training routines (rounds), and the finding expected."""

    hooks: tuple[tuple[Any, str], ...]
    kind: str
    attribute: str
    blamed: str
    path: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    rounds: int = 1
    evaluate: bool = False  # also run evaluate() inside training (a nested routine)
    mode: str = "train"


LEAKS: dict[str, Leak] = {
    "list created and appended in a batch hook": Leak(
        ((cache_preds, "on_batch_end"),), "grows", "all_preds", "cache_preds"),
    "loss tensors appended to a plain list": Leak(
        ((start_loss_log, "on_fit_start"), (log_loss_tensor, "on_batch_end")),
        "keeps-autograd-graph", "loss_log", "log_loss_tensor", path="[0]"),
    "the same list also grows": Leak(
        ((start_loss_log, "on_fit_start"), (log_loss_tensor, "on_batch_end")),
        "grows", "loss_log", "log_loss_tensor"),
    "loss tensors in a ROUTINE list": Leak(
        ((start_routine_losses, "on_fit_start"), (keep_routine_loss, "on_batch_end")),
        "keeps-autograd-graph", "routine_losses", "keep_routine_loss", path="[0]"),
    "a dict whose lists grow": Leak(
        ((start_per_class, "on_fit_start"), (collect_per_class, "on_batch_end")),
        "grows", "per_class", "collect_per_class"),
    "an object's list attribute": Leak(
        ((start_stats, "on_fit_start"), (record_stats, "on_batch_end")),
        "grows", "stats", "record_stats"),
    "a list set by the constructor": Leak(
        ((history_from_constructor, "on_batch_end"),), "grows", "history",
        "history_from_constructor", before={"history": []}),
    "appended every second batch": Leak(
        ((start_sparse_log, "on_fit_start"), (every_second_batch, "on_batch_end")),
        "grows", "sparse_log", "every_second_batch"),
    "a tensor re-grown by torch.cat": Leak(
        ((start_all_logits, "on_fit_start"), (concat_logits, "on_batch_end")),
        "grows", "all_logits", "concat_logits"),
    "a deque without maxlen": Leak(
        ((start_window, "on_fit_start"), (push_window, "on_batch_end")),
        "grows", "window", "push_window"),
    "a dict of two lists": Leak(
        ((start_cache, "on_fit_start"), (fill_cache, "on_batch_end")),
        "grows", "cache", "fill_cache"),
    "a set of keys": Leak(
        ((start_seen, "on_fit_start"), (remember_keys, "on_batch_end")),
        "grows", "seen_keys", "remember_keys"),
    "appended through a local alias": Leak(
        ((start_alias_log, "on_fit_start"), (aliased_append, "on_batch_end")),
        "grows", "alias_log", "aliased_append"),
    "appended in a helper function": Leak(
        ((start_helper_log, "on_fit_start"), (append_through_helper, "on_batch_end")),
        "grows", "helper_log", "append_through_helper"),
    "extended with python numbers": Leak(
        ((start_labels, "on_fit_start"), (extend_labels, "on_batch_end")),
        "grows", "all_labels", "extend_labels"),
    "a dict with a new key per batch": Leak(
        ((start_by_batch, "on_fit_start"), (key_by_batch, "on_batch_end")),
        "grows", "by_batch", "key_by_batch"),
    "a growing string": Leak(
        ((grow_text_log, "on_batch_end"),), "grows", "text_log", "grow_text_log"),
    "trimmed to a rising bound": Leak(
        ((start_trimmed_late, "on_fit_start"), (trim_too_late, "on_batch_end")),
        "grows", "trimmed_late", "trim_too_late"),
    "a dict of outputs with the logits": Leak(
        ((keep_outputs, "on_batch_forward"),), "keeps-autograd-graph", "outputs",
        "keep_outputs", path="['logits']"),
    "a running loss tensor": Leak(
        ((running_loss, "on_batch_end"),), "keeps-autograd-graph", "running_loss",
        "running_loss"),
    "a tuple holding the probabilities": Leak(
        ((keep_pair, "on_batch_forward"),), "keeps-autograd-graph", "last_pair",
        "keep_pair", path="[1]"),
    "an object's attribute holding the loss": Leak(
        ((start_probe, "on_fit_start"), (probe_loss, "on_batch_end")),
        "keeps-autograd-graph", "probe", "probe_loss", path=".last"),
    "ys_prob without detach": Leak(
        ((start_ys_prob, "on_fit_start"), (collect_ys_prob, "on_batch_end")),
        "keeps-autograd-graph", "ys_prob_live", "collect_ys_prob", path="[0]"),
    "labels as a plain attribute": Leak(
        ((remember_labels, "on_batch_forward"),), "outlives-batch", "last_labels",
        "remember_labels"),
    "a new attribute name per batch": Leak(
        ((numbered_preds, "on_batch_end"),), "outlives-batch", "pred_0_0", "numbered_preds"),
    "a plain running count": Leak(
        ((count_steps, "on_batch_end"),), "outlives-batch", "step_count", "count_steps"),
    "an eval hook inside a nested evaluate": Leak(
        (), "outlives-batch", "eval_outputs", "keep_eval_outputs", evaluate=True,
        mode="test"),
    "a buffer per epoch": Leak(
        ((epoch_buffer, "on_epoch_start"),), "big-across-epochs", "epoch_buffer",
        "epoch_buffer"),
    "a history entry per round": Leak(
        ((round_history, "on_fit_end"),), "grows-per-round", "round_log", "round_history",
        before={"round_log": []}, rounds=3),
    "weights snapshot per round": Leak(
        ((snapshot_each_round, "on_fit_start"),), "grows-per-round", "snapshots",
        "snapshot_each_round", rounds=3),
}
