"""Rows that cross the store's edge (DB, JSONL export), validated with pydantic."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Route = Literal["local", "cloud", "none", "user"]
Outcome = Literal["running", "success", "failure", "unknown", "error", "interrupted"]


class StepRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idx: int
    url: str
    observation: str
    action: str
    rationale: str = ""
    policy_id: str = ""
    route: Route = "local"
    findings: list[dict[str, object]] = Field(default_factory=list)
    candidates: list[dict[str, object]] = Field(default_factory=list)
    latency_ms: float = 0.0
    error: str = ""
    prompt_history: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    why: str = ""        # why the router chose this route
    url_after: str = ""  # the page the action left the browser on


class EpisodeRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    task_id: str
    intent: str
    start_url: str
    mode: str
    policy: str
    source: str = "agent"
    seed: int | None = None
    outcome: Outcome = "running"
    reward: float | None = None
    answer: str = ""
    started_at: str
    ended_at: str | None = None
    steps: list[StepRecord] = Field(default_factory=list)


class EpisodeSummaryRow(BaseModel):
    """An episode without its steps: what a history list shows."""

    id: int
    task_id: str
    intent: str
    start_url: str
    mode: str
    outcome: str
    started_at: str
    steps: int
    cloud_steps: int


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


class ExportedEpisode(BaseModel):
    """One line of `symbiote export`: the episode and its chat-style training view."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["symbiote.episode.v1"] = "symbiote.episode.v1"
    episode: EpisodeRecord
    messages: list[ChatMessage]
