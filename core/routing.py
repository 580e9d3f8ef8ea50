"""Routers decide which seat (on-device or cloud) answers a step. One loop, many routers.

The privacy-aware modes (hybrid, hybrid-redact, cloud) compose the same `Policy` objects; a
router returns a `Decision` and the loop executes it, whatever the mode.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from core.actions import Action
from core.policies.base import Candidate, Policy, PolicyError, StepContext

log = logging.getLogger(__name__)

Mode = Literal["local", "cloud", "hybrid", "hybrid-redact"]
MODES: tuple[str, ...] = ("local", "cloud", "hybrid", "hybrid-redact")


@dataclass(frozen=True)
class Decision:
    action: Action
    rationale: str
    route: Literal["local", "cloud"]
    policy_id: str
    candidates: tuple[Candidate, ...] = ()
    findings: tuple[dict[str, object], ...] = ()
    meta: dict[str, object] = field(default_factory=dict)


class Router(Protocol):
    @property
    def id(self) -> str: ...

    def decide(self, context: StepContext) -> Decision: ...


@dataclass
class SingleSeatRouter:
    """Every step to one policy. `local` mode uses it with the on-device policy."""

    policy: Policy
    route: Literal["local", "cloud"] = "local"
    k: int = 1

    @property
    def id(self) -> str:
        return self.policy.id

    def decide(self, context: StepContext) -> Decision:
        candidates = self.policy.propose(context, self.k)
        best = candidates[0]
        return Decision(action=best.action, rationale=best.rationale, route=self.route,
                        policy_id=best.source, candidates=tuple(candidates))


# --- privacy-aware routing ------------------------------------------------------------------

ApprovalPolicy = Literal["always", "redacted", "never"]
# What keeps a step on the device in hybrid-redact; other personal data (names, contacts,
# places) is pseudonymized instead. A person's name is identity-class but harmless once replaced.
SENSITIVE_CATEGORIES = frozenset({"credential", "payment", "identity"})
REDACTABLE_TYPES = frozenset({"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "LOCATION", "IP_ADDRESS"})


@dataclass(frozen=True)
class ApprovalRequest:
    """What the user is asked to approve: the exact payload that would leave the device."""

    payload: dict[str, object]
    redactions: tuple[str, ...]   # placeholders that replaced private values in the payload
    task_id: str
    step: int
    url: str


Approver = Callable[[ApprovalRequest], bool]


class Detector(Protocol):
    def scan_step(self, task_text: str, observation_text: str,
                  action_texts: list[str]) -> list[Any]: ...


class Redactor(Protocol):
    def redact(self, text: str) -> str: ...

    def restore(self, text: str) -> str: ...

    def placeholders_in(self, text: str) -> list[str]: ...


@dataclass
class PrivacyRouter:
    """Modes `cloud`, `hybrid` and `hybrid-redact` over one local and one large policy.

    hybrid: any finding in the task, the observation or the large seat's action → the local
    model decides the step; otherwise the large seat does.
    hybrid-redact: credential/payment/identity findings → local; other personal data (names,
    contacts, places) is pseudonymized in the payload and mapped back in the answer.
    cloud: every step to the large seat (comparison only); vault values are still masked.
    """

    local: Policy
    large: Any  # CloudPolicy-like: build_payload / send / parse; or any Policy (teacher)
    detector: Detector
    mode: str = "hybrid"
    redactor_factory: Callable[[], Redactor] | None = None
    approval: ApprovalPolicy = "never"
    approver: Approver | None = None
    fallback_local: bool = True
    mask: Callable[[str], str] = field(default=lambda s: s)
    k: int = 1
    stats: dict[str, int] = field(default_factory=lambda: {"local": 0, "cloud": 0, "denied": 0,
                                                            "fallback": 0, "requests": 0})
    _redactor: Redactor | None = None
    _episode: object = None

    @property
    def id(self) -> str:
        return f"{self.mode}({self.local.id}|{self.large.id})"

    def _local(self, context: StepContext, findings: list[Any], why: str) -> Decision:
        self.stats["local"] += 1
        candidates = self.local.propose(context, self.k)
        best = candidates[0]
        return Decision(action=best.action, rationale=best.rationale, route="local",
                        policy_id=best.source, candidates=tuple(candidates),
                        findings=tuple(_finding_dict(f) for f in findings), meta={"why": why})

    def decide(self, context: StepContext) -> Decision:
        if self._episode != (context.episode_id, context.task_id) or context.step == 0:
            # pseudonyms are stable within an episode, fresh for the next one
            self._episode = (context.episode_id, context.task_id)
            self._redactor = self.redactor_factory() if self.redactor_factory else None
        findings = self.detector.scan_step(context.intent, context.observation.text(), [])
        keep_local = [f for f in findings if self._keeps_local(f)]
        if keep_local and self.mode != "cloud":
            return self._local(context, findings, "private data in the task or page")
        if not hasattr(self.large, "build_payload"):  # an offline large seat (teacher)
            candidates = self.large.propose(context, self.k)
            return self._checked(context, candidates, findings, ())
        redactor = self._redactor if self.mode == "hybrid-redact" else None
        text_filter = (lambda s: redactor.redact(self.mask(s))) if redactor else self.mask
        payload = self.large.build_payload(context, self.k, text_filter=text_filter)
        redactions = tuple(redactor.placeholders_in(json.dumps(payload))) if redactor else ()
        if self._needs_approval(redactions):
            request = ApprovalRequest(payload, redactions, context.task_id, context.step,
                                      context.observation.url)
            if self.approver is None or not self.approver(request):
                self.stats["denied"] += 1
                return self._local(context, findings, "the user denied the cloud request")
        try:
            self.stats["requests"] += 1
            text = self.large.send(payload, context)
            candidates = self.large.parse(text, context, self.k,
                                          restore=redactor.restore if redactor else None)
        except PolicyError as exc:
            if not self.fallback_local:
                raise
            self.stats["fallback"] += 1
            log.warning("cloud failed, the local model decides this step: %s", exc)
            return self._local(context, findings, f"cloud failed: {exc}")
        return self._checked(context, candidates, findings, redactions)

    def _checked(self, context: StepContext, candidates: list[Candidate], findings: list[Any],
                 redactions: tuple[str, ...]) -> Decision:
        best = candidates[0]
        action_findings = self.detector.scan_step("", "", [best.action.to_text()])
        if self.mode == "hybrid" and action_findings:
            return self._local(context, findings + action_findings, "private data in the action")
        self.stats["cloud"] += 1
        return Decision(action=best.action, rationale=best.rationale, route="cloud",
                        policy_id=best.source, candidates=tuple(candidates),
                        findings=tuple(_finding_dict(f) for f in findings + action_findings),
                        meta={"redactions": list(redactions)})

    def _keeps_local(self, finding: Any) -> bool:
        if self.mode == "hybrid-redact":
            return (getattr(finding, "category", "other") in SENSITIVE_CATEGORIES
                    and getattr(finding, "entity_type", "") not in REDACTABLE_TYPES)
        return True

    def _needs_approval(self, redactions: tuple[str, ...]) -> bool:
        return self.approval == "always" or (self.approval == "redacted" and bool(redactions))


def _finding_dict(finding: Any) -> dict[str, object]:
    return finding.to_dict() if hasattr(finding, "to_dict") else dict(finding)
