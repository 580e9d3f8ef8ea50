"""The privacy-aware router: modes `cloud`, `hybrid` and `hybrid-redact` over one on-device
policy and one large seat.

Per step: the boundary (core.privacy.boundary) scans and, in hybrid-redact, redacts the step's
prompt parts; what it blocks is decided on the device. What it releases goes to the large seat,
after the user's approval when the approval policy asks. The seat's answer is mapped back
(placeholders only where they may go) and, in hybrid, checked once more: an action that would
put private data on the page is decided on the device instead. When the cloud fails, the
on-device model decides that step unless fallback is off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from core.errors import CloudError
from core.policies.base import Candidate, Policy, StepContext
from core.privacy.boundary import Boundary, Release
from core.privacy.redaction import PlaceholderError
from core.privacy.secrets import Secrets
from core.privacy.views import Finding
from core.prompts import prompt_parts
from core.routing.base import Decision, decision_from
from core.routing.seats import LargeSeat, OfflineSeat

log = logging.getLogger(__name__)

ApprovalPolicy = Literal["always", "redacted", "never"]


@dataclass(frozen=True)
class ApprovalRequest:
    """What the user is asked to approve: the exact payload that would leave the device."""

    payload: dict[str, object]
    redactions: tuple[str, ...]   # placeholders that replaced private values in the payload
    task_id: str
    step: int
    url: str


Approver = Callable[[ApprovalRequest], bool]
Demonstrations = Callable[[StepContext], str]


@dataclass
class RouterStats:
    local: int = 0
    cloud: int = 0
    denied: int = 0
    fallback: int = 0
    requests: int = 0


@dataclass
class PrivacyRouter:
    local: Policy
    large: LargeSeat
    boundary: Boundary
    approval: ApprovalPolicy = "never"
    approver: Approver | None = None
    fallback_local: bool = True
    k: int = 1
    demonstrations: Demonstrations | None = None
    stats: RouterStats = field(default_factory=RouterStats)

    @property
    def mode(self) -> str:
        return self.boundary.mode

    @property
    def id(self) -> str:
        return f"{self.mode}({self.local.id}|{self.large.id})"

    def start_episode(self, secrets: Secrets) -> None:
        # pseudonyms are stable within an episode, fresh after; the vault is the episode's
        self.boundary.start_episode(secrets)

    def decide(self, context: StepContext) -> Decision:
        demos = self.demonstrations(context) if self.demonstrations is not None else ""
        release = self.boundary.release(prompt_parts(context, demonstrations=demos),
                                        url=context.observation.url)
        if not release.allowed:
            return self._local(context, release.findings, release.why())
        if isinstance(self.large, OfflineSeat):
            return self._checked(context, self.large.policy.propose(context, self.k), release)
        not_ready = self.large.not_ready()
        if not_ready:  # nothing to approve: the request could not be sent
            self.stats.fallback += 1
            return self._local(context, release.findings, f"cloud not configured: {not_ready}")
        payload = self.large.build_payload(release.parts, self.k)
        if self._needs_approval(release.redactions):
            request = ApprovalRequest(payload, release.redactions, context.task_id,
                                      context.step, context.observation.url)
            if self.approver is None or not self.approver(request):
                self.stats.denied += 1
                why = ("the user denied the cloud request" if self.approver is not None
                       else "no one to approve the cloud request")
                return self._local(context, release.findings, why)
        try:
            self.stats.requests += 1
            text = self.large.send(payload, context)
            candidates = self._restored(self.large.parse(text, context, self.k), context)
        except CloudError as exc:
            if not self.fallback_local:
                raise
            self.stats.fallback += 1
            log.warning("cloud failed, the on-device model decides this step: %s", exc)
            return self._local(context, release.findings, f"cloud failed: {exc}")
        return self._checked(context, candidates, release)

    def _restored(self, candidates: list[Candidate], context: StepContext) -> list[Candidate]:
        """Placeholders mapped back where they may go; a candidate that misuses one is
        dropped (an injected page naming a placeholder in a URL)."""
        kept = []
        for c in candidates:
            try:
                action = self.boundary.redactor.restore_action(c.action, context.observation)
                rationale = self.boundary.redactor.restore_text(c.rationale)
            except PlaceholderError as exc:
                log.warning("dropped the cloud's %s: %s", c.action.NAME, exc)
                continue
            kept.append(Candidate(action, rationale, c.score, c.source, c.meta))
        if not kept:
            raise CloudError("every action the cloud proposed misused a placeholder")
        return kept

    def _local(self, context: StepContext, findings: tuple[Finding, ...], why: str
               ) -> Decision:
        self.stats.local += 1
        return decision_from(self.local.propose(context, self.k), "local", findings=findings,
                             why=why)

    def _checked(self, context: StepContext, candidates: list[Candidate],
                 release: Release) -> Decision:
        action_findings: list[Finding] = []
        if self.mode == "hybrid":
            action_findings = self.boundary.check_action_text(candidates[0].action.to_text(),
                                                              context.observation.text())
            if action_findings:
                return self._local(context, release.findings + tuple(action_findings),
                                   "private data in the large seat's action")
        self.stats.cloud += 1
        return decision_from(candidates, "cloud", findings=release.findings,
                             redactions=release.redactions)

    def _needs_approval(self, redactions: tuple[str, ...]) -> bool:
        return self.approval == "always" or (self.approval == "redacted" and bool(redactions))
