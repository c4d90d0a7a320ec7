"""Federated rounds in one process: FedAvg over hookscope trainers (``Course``), with
FederatedScope's setting names (``CourseSettings.from_sections``)."""

from trainer_core.federated.course import (
    ClientRound,
    Course,
    RoundReport,
    client_update,
    evaluate_own,
    load_global,
    sample_clients,
    weighted_metrics,
)
from trainer_core.federated.fedavg import fedavg, is_personal, shared_part
from trainer_core.federated.settings import CourseSettings

__all__ = ["ClientRound", "Course", "CourseSettings", "RoundReport", "client_update",
           "evaluate_own", "fedavg", "is_personal", "load_global", "sample_clients",
           "shared_part", "weighted_metrics"]
