"""Typed data of the workflow concern: the workflow file, validated at the edge."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# `{{param:KEY}}` in a workflow's texts: filled from `--set KEY=VALUE` (or the default).
PARAM_PLACEHOLDER = re.compile(r"\{\{param:([A-Za-z0-9_]+)\}\}")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
StepKind = Literal["click", "type", "select", "scroll", "go_back", "goto", "stop"]


def param(key: str) -> str:
    return "{{param:" + key + "}}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Strict):
    """An element as a person would point at it: its role, its accessible name, the text
    just before it on the page, and which of several such elements (0: the first)."""

    role: str
    name: str = ""        # may hold {{param:…}}
    nearby: str = ""
    occurrence: int = 0


class AnswerSource(_Strict):
    """Where a `stop` answer was read: the element, and the text around the answer in its
    name (the answer is what lies between `prefix` and `suffix` on the replayed page)."""

    role: str
    nearby: str = ""
    prefix: str = ""
    suffix: str = ""


class WorkflowStep(_Strict):
    kind: StepKind
    page: str = ""                 # the path of the page the step was taken on
    target: Target | None = None   # click, type, select
    text: str = ""                 # type: may hold {{param:…}} and {{secret:…}}
    press_enter: bool = False
    option: str = ""               # select
    direction: Literal["up", "down"] = "down"
    url: str = ""                  # goto
    answer: str = ""               # stop (a literal, or {{param:…}})
    answer_from: AnswerSource | None = None


class Workflow(_Strict):
    format: Literal["symbiote.workflow.v1"] = "symbiote.workflow.v1"
    name: str
    intent: str                    # with {{param:…}} where a parameter came from the task
    start_url: str
    allowed_domains: list[str] | None = None
    params: dict[str, str] = Field(default_factory=dict)   # key → the value it was saved with
    steps: list[WorkflowStep]
    source_episode: int | None = None
    source: str = ""               # the saved episode's source: teacher, demonstration, …
    created_at: str = ""

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError("a workflow name is letters, digits, '_', '-' or '.' "
                             "(up to 64), starting with a letter or digit")
        return value
