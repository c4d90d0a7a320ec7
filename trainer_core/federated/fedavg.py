"""FedAvg's aggregation, and what of a model is shared in it.

A client sends the parameters that are not personal: FederatedScope's
``personalization.local_param`` lists name fragments (``"bn"``, ``"head"``), and a parameter
whose name contains one stays on the client. The server averages what it receives,
weighted by each client's training samples (McMahan et al., 2017).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from trainer_core.errors import HookscopeError

State = Mapping[str, torch.Tensor]


def is_personal(name: str, local_param: Sequence[str]) -> bool:
    """A parameter that stays on its client: its name contains a ``local_param`` fragment
    (FederatedScope matches fragments, so ``"fc"`` keeps ``fc.weight`` and ``fc.bias``)."""
    return any(fragment and fragment in name for fragment in local_param)


def shared_part(state: State, local_param: Sequence[str]) -> dict[str, torch.Tensor]:
    """The parameters a client sends: every one that is not personal."""
    return {name: value for name, value in state.items() if not is_personal(name, local_param)}


def fedavg(updates: Sequence[tuple[int, State]]) -> dict[str, torch.Tensor]:
    """The sample-weighted mean of each parameter over ``(num_samples, state)`` updates.

    Floating tensors are averaged in float64 and returned in their own dtype; integer
    buffers (BatchNorm's ``num_batches_tracked``) get the rounded weighted mean, so a
    state dict loads back unchanged in kind.
    """
    if not updates:
        raise HookscopeError("FedAvg needs at least one client update")
    total = sum(samples for samples, _ in updates)
    if total <= 0:
        raise HookscopeError("FedAvg: the clients trained on 0 samples in all")
    names = list(updates[0][1])
    for _, state in updates[1:]:
        if list(state) != names:
            missing = sorted(set(names) ^ set(state))
            raise HookscopeError(f"FedAvg: the clients sent different parameters "
                                 f"({', '.join(missing[:5])})")
    averaged: dict[str, torch.Tensor] = {}
    for name in names:
        first = updates[0][1][name]
        acc = torch.zeros(first.shape, dtype=torch.float64)
        for samples, state in updates:
            value = state[name]
            if value.shape != first.shape:
                raise HookscopeError(f"FedAvg: '{name}' has shape {tuple(value.shape)} on one "
                                     f"client and {tuple(first.shape)} on another")
            acc += value.detach().to(torch.float64) * (samples / total)
        averaged[name] = (acc if first.is_floating_point() else acc.round()).to(first.dtype)
    return averaged
