"""The large seat. Two kinds, told apart by type, never by probing for methods:

- a `CloudSeat` builds a payload from prompt parts the boundary has released, sends it (its
  audit records the exact payload first) and parses the reply;
- an `OfflineSeat` wraps a Policy that runs on this machine (the reference solvers in
  benchmarks and the cycle): it reads the step context itself and nothing leaves the device,
  but routing treats it as the cloud would be treated, so a benchmark measures the real routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.policies.base import Candidate, Policy, StepContext
from core.prompts import PromptParts


class CloudSeat(Protocol):
    requests: int        # what it has sent so far, for the run's statistics
    input_tokens: int
    output_tokens: int

    @property
    def id(self) -> str: ...

    def not_ready(self) -> str:
        """Why the seat cannot send now (no key, no URL); '' when it can."""
        ...

    def build_payload(self, parts: PromptParts, k: int) -> dict[str, object]: ...

    def send(self, payload: dict[str, object], context: StepContext) -> str: ...

    def parse(self, text: str, context: StepContext, k: int) -> list[Candidate]: ...


@dataclass(frozen=True)
class OfflineSeat:
    policy: Policy

    @property
    def id(self) -> str:
        return self.policy.id


LargeSeat = CloudSeat | OfflineSeat
