"""The cloud policy: Claude through the `anthropic` SDK (Messages API).

Every request passes through `CloudPolicy.send`, which records the exact payload in the audit
(cloud_requests table) before anything leaves the machine, then the response and token usage.
`propose` = build_payload → send → parse, so a router can show (or redact) the payload first.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from core.actions import ActionParseError, parse_action
from core.policies.base import Candidate, PolicyError, StepContext
from core.prompts import system_prompt, user_prompt

log = logging.getLogger(__name__)

KEYRING_SERVICE = "symbiote"
KEYRING_API_KEY = "anthropic_api_key"
TOP_K_INSTRUCTION = (
    "\nGive your {k} best next actions, best first, each as a REASON line then an ACTION line."
)
TextFilter = Callable[[str], str]


class CloudError(PolicyError):
    """The cloud could not answer (network, status, rate limit, bad key)."""


@dataclass
class CloudSettings:
    model: str = "claude-sonnet-5"
    base_url: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 0
    max_tokens: int = 300
    api_key: str | None = None


def api_key_from_env_or_keyring() -> str | None:
    key = os.environ.get("ANTHROPIC_API_KEY")
    if key:
        return key
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, KEYRING_API_KEY)
    except Exception:  # keyring backends raise their own types; no key is the answer
        log.debug("no keyring backend for the API key", exc_info=True)
        return None


class CloudAudit:
    """Writes cloud requests to the store: the payload before sending, the response after."""

    def __init__(self, store):  # type: ignore[no-untyped-def]
        self.store = store

    def before(self, payload: dict[str, object], url: str, context: StepContext) -> int:
        return int(self.store.record_cloud_request({
            "episode_id": context.episode_id, "step_idx": context.step, "url": url,
            "model": str(payload.get("model")), "payload": json.dumps(payload),
            "response": "", "status": "sending", "input_tokens": 0, "output_tokens": 0,
            "error": ""}))

    def after(self, row_id: int, *, response: str, status: str, input_tokens: int = 0,
              output_tokens: int = 0, error: str = "") -> None:
        self.store.db["cloud_requests"].update(row_id, {
            "response": response, "status": status, "input_tokens": input_tokens,
            "output_tokens": output_tokens, "error": error})


class CloudPolicy:
    def __init__(self, settings: CloudSettings | None = None, audit: CloudAudit | None = None,
                 demonstrations: Callable[[StepContext], str] | None = None):
        self.settings = settings or CloudSettings()
        self.audit = audit
        self.demonstrations = demonstrations
        self.requests = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self._client = None

    @property
    def id(self) -> str:
        return f"cloud:{self.settings.model}"

    @property
    def url(self) -> str:
        return (self.settings.base_url or "https://api.anthropic.com").rstrip("/") + "/v1/messages"

    def _get_client(self):  # type: ignore[no-untyped-def]
        if self._client is None:
            import anthropic

            key = self.settings.api_key or api_key_from_env_or_keyring()
            if not key:
                raise CloudError("no Anthropic API key: set ANTHROPIC_API_KEY or store one in "
                                 "the keyring (the app's Settings)")
            self._client = anthropic.Anthropic(api_key=key, base_url=self.settings.base_url,
                                               timeout=self.settings.timeout_s,
                                               max_retries=self.settings.max_retries)
        return self._client

    def build_payload(self, context: StepContext, k: int = 1,
                      text_filter: TextFilter | None = None) -> dict[str, object]:
        """The exact request body. `text_filter` (redaction) is applied to every text in it."""
        keep = text_filter or (lambda s: s)
        system = system_prompt() + (TOP_K_INSTRUCTION.format(k=k) if k > 1 else "")
        user = user_prompt(context)
        if self.demonstrations is not None:
            demos = self.demonstrations(context)
            if demos:
                user = demos + "\n\n" + user
        return {"model": self.settings.model, "max_tokens": self.settings.max_tokens,
                "system": keep(system), "messages": [{"role": "user", "content": keep(user)}]}

    def send(self, payload: dict[str, object], context: StepContext) -> str:
        import anthropic

        client = self._get_client()
        row = self.audit.before(payload, self.url, context) if self.audit else None
        self.requests += 1
        try:
            message = client.messages.create(**payload)  # type: ignore[arg-type]
        except anthropic.AuthenticationError as exc:
            self._fail(row, "auth", exc)
            raise CloudError("the Anthropic API key was refused (401): check it in Settings "
                             "or ANTHROPIC_API_KEY") from exc
        except anthropic.RateLimitError as exc:
            self._fail(row, "rate_limited", exc)
            raise CloudError("the cloud model is rate-limited (429): try again later") from exc
        except anthropic.APIStatusError as exc:
            self._fail(row, f"http_{exc.status_code}", exc)
            raise CloudError(f"the cloud model answered with an error ({exc.status_code})") from exc
        except anthropic.APIConnectionError as exc:
            self._fail(row, "unreachable", exc)
            raise CloudError(f"the cloud model at {self.url} is unreachable: "
                             "check the network or the base URL") from exc
        text = "".join(getattr(block, "text", "") for block in message.content)
        usage = message.usage
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        if self.audit and row is not None:
            self.audit.after(row, response=text, status="ok", input_tokens=usage.input_tokens,
                             output_tokens=usage.output_tokens)
        return text

    def _fail(self, row: int | None, status: str, exc: Exception) -> None:
        if self.audit and row is not None:
            self.audit.after(row, response="", status=status, error=str(exc)[:300])

    def parse(self, text: str, context: StepContext, k: int = 1,
              restore: TextFilter | None = None) -> list[Candidate]:
        """REASON/ACTION pairs in order → ranked candidates (score = -rank: no log-probs)."""
        back = restore or (lambda s: s)
        candidates: list[Candidate] = []
        reason = ""
        for line in text.splitlines():
            line = line.strip()
            if line.upper().startswith("REASON:"):
                reason = line.split(":", 1)[1].strip()
            elif line.upper().startswith("ACTION:"):
                try:
                    action = parse_action(back(line.split(":", 1)[1]),
                                          valid_ids=context.observation.ids)
                except ActionParseError as exc:
                    log.warning("cloud proposed an invalid action %r: %s", line, exc)
                    continue
                candidates.append(Candidate(action=action, rationale=back(reason),
                                            score=-float(len(candidates)), source=self.id))
        if not candidates:
            raise CloudError(f"the cloud model's answer holds no valid action: {text[:200]!r}")
        return candidates[: max(k, 1)]

    def propose(self, context: StepContext, k: int = 1) -> list[Candidate]:
        return self.parse(self.send(self.build_payload(context, k), context), context, k)
