"""Personal state that reaches what a client sends: the across-round bug FedAvg hides.

A personalised method (FedBN, FedRep, Ditto...) works only if the personal part stays on
its client. Two ways it silently does not, both invisible in the accuracy of one round:

- a ``personalization.local_param`` fragment that matches no parameter of the model (a
  typo, or a model whose layers are named otherwise): nothing is held back, every
  parameter is sent and averaged, and the "personal" layers become global ones;
- a multi-model client (Ditto) whose model 0, the one it shares, ends its round equal to
  one of its personal models: a hook copied the personal model into what is sent.

Each check returns :class:`Finding` records (kind ``personal-sent``), so they show where
the lifecycle findings do: the debugger's Warnings pane, ``hookscope check``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from trainer_core.analysis.findings import Finding, FindingKind
from trainer_core.federated.fedavg import is_personal


def personal_findings(params: Any, received: Mapping[str, torch.Tensor],
                      local_param: Sequence[str]) -> list[Finding]:
    """What is wrong with the personal part of a client's update: ``params`` as its
    ``train()`` returned them (a list for a multi-model client), ``received`` the global
    parameters it was sent this round."""
    models = list(params) if isinstance(params, list | tuple) else [params]
    found = _unmatched(models[0], local_param)
    found += _personal_model_sent(models, received, local_param)
    return found


def _unmatched(state: Mapping[str, torch.Tensor], local_param: Sequence[str]) -> list[Finding]:
    names = list(state)
    missing = [f for f in local_param if f and not any(is_personal(n, (f,)) for n in names)]
    if not missing:
        return []
    quoted = ", ".join(f"'{f}'" for f in missing)
    return [_finding(
        "model", sum(_bytes(v) for v in state.values()),
        f"personalization.local_param {quoted} matches no parameter of the model, so "
        f"{'it holds' if len(missing) == 1 else 'they hold'} nothing back: the layers meant "
        f"to stay personal are sent and averaged with everyone's",
        f"name a fragment of the parameters to keep on the client (the model has: "
        f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''})")]


def _personal_model_sent(models: list[Mapping[str, torch.Tensor]],
                         received: Mapping[str, torch.Tensor],
                         local_param: Sequence[str]) -> list[Finding]:
    sent = {k: v for k, v in models[0].items() if not is_personal(k, local_param)}
    if not sent or all(k in received and torch.equal(v, received[k]) for k, v in sent.items()):
        return []  # nothing trained model 0 this round: equal to anything proves nothing
    found = []
    for index, personal in enumerate(models[1:], start=1):
        if all(k in personal and personal[k].shape == v.shape and torch.equal(personal[k], v)
               for k, v in sent.items()):
            found.append(_finding(
                "models", sum(_bytes(v) for v in sent.values()),
                f"model 0, the one the client sends, ended the round equal to its personal "
                f"model {index}: the personal model leaks into the global one",
                "model 0 is what a multi-model client shares; look for a hook that copies "
                f"ctx.models[{index}] into ctx.models[0] (load_state_dict, copy_) before the "
                f"routine ends", model_idx=index))
    return found


def _finding(attribute: str, nbytes: int, message: str, hint: str, *,
             model_idx: int = 0) -> Finding:
    return Finding(FindingKind.PERSONAL_SENT, attribute, None, None, "train", "train", None,
                   None, model_idx, nbytes, None, message, hint)


def _bytes(value: torch.Tensor) -> int:
    return value.numel() * value.element_size()
