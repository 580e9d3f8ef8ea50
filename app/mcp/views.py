"""What the MCP tools return: typed, validated at the edge, and nothing but texts the boundary
released (the server builds them only from released or redacted text)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class StepView(BaseModel):
    """The client's view of a step-by-step episode after `open`, `observe` or `act`."""

    model_config = ConfigDict(extra="forbid")

    episode_id: int | None
    status: Literal["your_turn", "finished"]
    step: int = 0
    # The released step prompt: objective, previous actions, observation (placeholders for
    # what the boundary redacted, `{{secret:NAME}}` for vault values).
    prompt: str = ""
    decided_on_device: int = 0   # steps the on-device model took since the client's last act
    why_on_device: str = ""      # what kept them on the device, in words (no values)
    outcome: str = ""            # when finished: success | failure | unknown | error | …
    answer: str = ""             # when finished: redacted as everything else
    detail: str = ""


class TaskResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    episode_id: int | None
    outcome: str
    answer: str
    steps: int
    detail: str = ""
    error: str = ""


class EpisodeLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    task_id: str
    intent: str
    mode: str
    outcome: str
    started_at: str
    steps: int
    cloud_steps: int


class AuditLine(BaseModel):
    """One row of cloud_requests: what left the device, to a cloud or an MCP client."""

    model_config = ConfigDict(extra="forbid")

    id: int
    step_idx: int | None
    url: str
    model: str
    status: str
    payload: str
    response: str
    input_tokens: int
    output_tokens: int
