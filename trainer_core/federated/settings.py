"""The course's settings, read from FederatedScope's section and key names
(``federate.client_num``, ``federate.total_round_num``, ``federate.sample_client_num`` or
``federate.sample_client_rate``, ``federate.method``, ``federate.share_local_model``,
``personalization.local_param``, ``seed``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trainer_core.errors import ConfigError

METHODS = ("fedavg",)


@dataclass(frozen=True)
class CourseSettings:
    """How a federated course runs. ``sample_client_num`` wins over ``sample_client_rate``;
    with neither (both <= 0) every client trains every round, as in FederatedScope."""

    client_num: int
    total_round_num: int
    sample_client_num: int = -1
    sample_client_rate: float = -1.0
    method: str = "fedavg"
    share_local_model: bool = False
    local_param: tuple[str, ...] = ()
    seed: int = 0
    eval_split: str = "test"

    def __post_init__(self) -> None:
        if self.client_num < 1:
            raise ConfigError(f"federate.client_num must be at least 1, not {self.client_num}",
                              key_path="federate.client_num")
        if self.total_round_num < 1:
            raise ConfigError(f"federate.total_round_num must be at least 1, not "
                              f"{self.total_round_num}", key_path="federate.total_round_num")
        if self.sample_client_num > self.client_num:
            raise ConfigError(f"federate.sample_client_num is {self.sample_client_num}, more "
                              f"than the {self.client_num} clients",
                              key_path="federate.sample_client_num")
        if self.sample_client_rate > 1:
            raise ConfigError(f"federate.sample_client_rate is {self.sample_client_rate}; a "
                              f"rate is at most 1", key_path="federate.sample_client_rate")
        if self.method.lower() not in METHODS:
            raise ConfigError(f"federate.method '{self.method}' is not supported by the "
                              f"embedded course (it runs: {', '.join(METHODS)})",
                              key_path="federate.method")

    @property
    def clients_per_round(self) -> int:
        """How many clients a round samples."""
        if self.sample_client_num > 0:
            return self.sample_client_num
        if self.sample_client_rate > 0:
            return max(1, int(self.sample_client_rate * self.client_num))
        return self.client_num

    @classmethod
    def from_sections(cls, federate: Mapping[str, Any],
                      personalization: Mapping[str, Any] | None = None, *, seed: int = 0,
                      eval_split: str = "test") -> CourseSettings:
        """From FederatedScope-named sections (unknown keys are FederatedScope's own and
        are left alone, as its config does)."""
        def number(key: str, kind: type, default: Any) -> Any:
            value = federate.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"federate.{key} must be a number, not {value!r}",
                                  key_path=f"federate.{key}")
            return kind(value)

        if "client_num" not in federate or "total_round_num" not in federate:
            missing = [k for k in ("client_num", "total_round_num") if k not in federate]
            raise ConfigError(f"federate needs {' and '.join(missing)}",
                              key_path=f"federate.{missing[0]}")
        local: Sequence[str] = (personalization or {}).get("local_param", ()) or ()
        if isinstance(local, str) or not all(isinstance(k, str) for k in local):
            raise ConfigError("personalization.local_param must be a list of name "
                              "fragments", key_path="personalization.local_param")
        return cls(client_num=number("client_num", int, 0),
                   total_round_num=number("total_round_num", int, 0),
                   sample_client_num=number("sample_client_num", int, -1),
                   sample_client_rate=number("sample_client_rate", float, -1.0),
                   method=str(federate.get("method", "fedavg")),
                   share_local_model=bool(federate.get("share_local_model", False)),
                   local_param=tuple(local), seed=seed, eval_split=eval_split)
