"""The privacy boundary: what may leave the device, decided on the device, in one place.

`Boundary.release(parts)` takes the prompt parts of a step (objective, earlier actions and their
errors, notes, demonstrations, observation) and, for the episode's mode:
  1. scans every part in its own scope with the detector (names in the task are looked for
     with NER even when the same prompt holds an observation) and the vault's values;
  2. redacts what the mode lets through (hybrid-redact) and masks vault values everywhere;
  3. checks the result again with an independent matcher: no vault value, in any encoding a
     page can produce, may remain;
and returns a `Release`: the parts that may be sent, or the findings that keep the step local.
Truncation happens after this, when the parts are rendered. Routers, the MCP server and
exports all go through here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from core.privacy.dom import DomField
from core.privacy.redaction import Redactor
from core.privacy.rules import Mode, keeps_local, redacts
from core.privacy.secrets import NO_SECRETS, Secrets, folded_in
from core.privacy.views import Finding, Where
from core.prompts import PromptParts

log = logging.getLogger(__name__)

# A page larger than this is not scanned (libphonenumber alone needs seconds on a page of
# numbers): it stays on the device, the safe answer.
MAX_SCAN_CHARS = 40_000
TASK_CACHE = 64


class Detector(Protocol):
    vault_values: Callable[[], Iterable[str]] | None

    def scan(self, text: str, where: Where,
             fields: dict[str, DomField] | None = None) -> list[Finding]: ...

    def page_fields(self, observation_text: str) -> dict[str, DomField]: ...


@dataclass(frozen=True)
class Release:
    """What the boundary decided for one outgoing step."""

    parts: PromptParts                 # what may be sent (redacted, masked)
    findings: tuple[Finding, ...]      # everything found in the raw parts
    blocked: tuple[Finding, ...]       # what keeps the step on the device (empty: may go)
    redactions: tuple[str, ...]        # placeholders that replaced values in `parts`

    @property
    def allowed(self) -> bool:
        return not self.blocked

    def why(self) -> str:
        """One line for the step log and the user: what kept the step local."""
        if not self.blocked:
            return ""
        kinds = sorted({f.entity_type for f in self.blocked})
        scopes = sorted({_SCOPE_WORDS[f.where] for f in self.blocked})
        return f"private data ({', '.join(kinds)}) in {' and '.join(scopes)}"


_SCOPE_WORDS = {"task": "the task, notes or history", "observation": "the page",
                "action": "an action"}


def unscanned(where: Where, size: int) -> Finding:
    return Finding("other", "UNSCANNED", where, 0, size, 1.0, "boundary")


class Boundary:
    """One per router; `start_episode` gives each episode fresh placeholders."""

    def __init__(self, detector: Detector, mode: Mode, secrets: Secrets = NO_SECRETS) -> None:
        self.detector = detector
        self.mode = mode
        self.start_episode(secrets)

    def start_episode(self, secrets: Secrets) -> None:
        """The episode's secrets (its vault, and what the task itself held) and fresh
        placeholders."""
        self.secrets = secrets
        self.detector.vault_values = secrets.values
        self.redactor = Redactor(self.detector, secrets=secrets)
        self._task_cache: dict[str, list[Finding]] = {}

    def scan(self, text: str, where: Where,
             fields: dict[str, DomField] | None = None) -> list[Finding]:
        """The detector's findings, or UNSCANNED for a text too large to scan in time."""
        if not text.strip():
            return []
        if len(text) > MAX_SCAN_CHARS:
            return [unscanned(where, len(text))]
        if where != "task":
            return self.detector.scan(text, where, fields)
        cached = self._task_cache.get(text)
        if cached is None:  # the objective and recent errors repeat at every step
            cached = self.detector.scan(text, "task")
            if len(self._task_cache) >= TASK_CACHE:
                self._task_cache.clear()
            self._task_cache[text] = cached
        return cached

    def release(self, parts: PromptParts, url: str = "") -> Release:
        fields = (self.detector.page_fields(parts.observation)
                  if len(parts.observation) <= MAX_SCAN_CHARS else {})
        found: list[Finding] = []

        def check(text: str, where: Where) -> str:
            findings = self.scan(text, where, fields if where == "action" else None)
            found.extend(findings)
            if redacts(self.mode):
                passing = [f for f in findings if not keeps_local(f, self.mode)]
                # Where a value was seen decides where restore() may type it: the page for the
                # observation, the task for the objective. Earlier actions, their errors, notes
                # and examples only echo values seen somewhere already and add no place: as
                # "the task" they made an address typed on one site restorable on every other.
                seen: str | None = (url if where == "observation"
                                    else "" if text is parts.objective else None)
                text = self.redactor.redact(text, passing, url=seen)
            return self.secrets.mask(text)

        released = parts.map(check)
        blocked = [f for f in found if keeps_local(f, self.mode)]
        replaced = list(self.redactor.mapping.values())
        survived = []
        for text, where in released.texts():
            # The independent check: a vault value in an encoding the detector missed, or a
            # value this episode already replaced, echoed back spaced or re-cased by a page.
            if self.secrets.find_in(text):
                survived.append(Finding("credential", "VAULT_SECRET", where, 0, 0, 1.0,
                                        "boundary"))
            elif replaced and folded_in(replaced, text):
                survived.append(Finding("identity", "REPLACED_VALUE", where, 0, 0, 1.0,
                                        "boundary"))
        if survived:
            log.warning("a private value survived redaction; the step stays on the device")
            blocked += survived
        redactions = self.redactor.placeholders_in(released.user_text())
        return Release(released, tuple(found), tuple(blocked), tuple(redactions))

    def check_action_text(self, text: str, observation_text: str) -> list[Finding]:
        """Findings in an action a large seat proposed (hybrid re-checks it before acting)."""
        fields = self.detector.page_fields(observation_text)
        return [f for f in self.scan(text, "action", fields) if not f.is_signal]

    def redact(self, text: str, where: Where) -> str:
        """A text for a reader off the device (an export, an MCP client): every finding
        replaced, vault values masked. The episode's redactor is used, so a value keeps its
        placeholder across the texts of one export."""
        return self.secrets.mask(self.redactor.redact(text, self.scan(text, where)))


def export_redactor(secrets: Secrets = NO_SECRETS) -> Callable[[str, Where], str]:
    """`redact(text, where)` for an export: every finding replaced by a placeholder, vault
    values by `{{secret:name}}`, one pseudonym table for the whole export."""
    from core.privacy.detector import get_detector  # presidio and spaCy: seconds to load

    return Boundary(get_detector(), "hybrid-redact", secrets).redact
