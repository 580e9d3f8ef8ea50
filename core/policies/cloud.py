"""The cloud seat: Claude through the `anthropic` SDK (Messages API).

`build_payload` renders prompt parts that the privacy boundary has already checked; `send`
records the exact payload in the audit (the store's cloud_requests table) before anything leaves
the machine, then the response and token usage; `parse` turns REASON/ACTION pairs into ranked
candidates. A reply the seat cannot use (an HTTP error, a body that is not a Messages reply, no
valid action) is a CloudError, and its audit row says why.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Protocol

from core.actions import parse_action
from core.errors import ActionParseError, CloudError
from core.policies.base import Candidate, StepContext
from core.prompts import PromptParts, system_prompt

log = logging.getLogger(__name__)

KEYRING_SERVICE = "symbiote"
KEYRING_API_KEY = "anthropic_api_key"
TOP_K_INSTRUCTION = (
    "\nGive your {k} best next actions, best first, each as a REASON line then an ACTION line."
)


class Audit(Protocol):
    """Where cloud requests are recorded (core.store.service.TrajectoryStore)."""

    def start_cloud_request(self, *, episode_id: int | None, step_idx: int, url: str,
                            model: str, payload: dict[str, object]) -> int: ...

    def finish_cloud_request(self, row_id: int, *, status: str, response: str = "",
                             input_tokens: int = 0, output_tokens: int = 0,
                             error: str = "") -> None: ...


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


def parse_reply(text: str, context: StepContext, k: int, source: str) -> list[Candidate]:
    """REASON/ACTION pairs in order → ranked candidates (score = -rank: no log-probs)."""
    candidates: list[Candidate] = []
    reason = ""
    for line in text.splitlines():
        line = line.strip()
        if line.upper().startswith("REASON:"):
            reason = line.split(":", 1)[1].strip()
        elif line.upper().startswith("ACTION:"):
            try:
                action = parse_action(line.split(":", 1)[1], valid_ids=context.observation.ids)
            except ActionParseError as exc:
                log.warning("the cloud proposed an invalid action: %s", exc)
                continue
            candidates.append(Candidate(action=action, rationale=reason,
                                        score=-float(len(candidates)), source=source))
    if not candidates:
        raise CloudError(f"the cloud model's answer holds no valid action ({len(text)} "
                         "characters)")
    return candidates[: max(k, 1)]


class CloudPolicy:
    """A `CloudSeat` (core.routing.seats): it only ever sends what a router hands it."""

    def __init__(self, settings: CloudSettings | None = None, audit: Audit | None = None):
        self.settings = settings or CloudSettings()
        self.audit = audit
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

    def not_ready(self) -> str:
        if self.settings.api_key or api_key_from_env_or_keyring():
            return ""
        return ("no Anthropic API key: set ANTHROPIC_API_KEY or store one in the keyring "
                "(the app's Settings)")

    def _get_client(self):  # type: ignore[no-untyped-def]
        if self._client is None:
            import anthropic

            key = self.settings.api_key or api_key_from_env_or_keyring()
            if not key:
                raise CloudError(self.not_ready())
            self._client = anthropic.Anthropic(api_key=key, base_url=self.settings.base_url,
                                               timeout=self.settings.timeout_s,
                                               max_retries=self.settings.max_retries)
        return self._client

    def build_payload(self, parts: PromptParts, k: int = 1) -> dict[str, object]:
        """The exact request body, from parts the boundary has already checked."""
        system = system_prompt() + (TOP_K_INSTRUCTION.format(k=k) if k > 1 else "")
        return {"model": self.settings.model, "max_tokens": self.settings.max_tokens,
                "system": system, "messages": [{"role": "user", "content": parts.user_text()}]}

    def send(self, payload: dict[str, object], context: StepContext) -> str:
        import anthropic

        client = self._get_client()
        row = (self.audit.start_cloud_request(
            episode_id=context.episode_id, step_idx=context.step, url=self.url,
            model=str(payload.get("model")), payload=payload) if self.audit else None)
        self.requests += 1
        try:
            message = client.messages.create(**payload)  # type: ignore[arg-type]
            if not isinstance(message.content, list):
                # The SDK builds a Message from any JSON object without checking it: a string
                # `content` read as characters made an empty answer recorded as "ok".
                raise TypeError(f"content is {type(message.content).__name__}, not blocks")
            text = "".join(getattr(block, "text", "") or "" for block in message.content)
            usage = message.usage
            tokens_in, tokens_out = int(usage.input_tokens), int(usage.output_tokens)
        except anthropic.AuthenticationError as exc:
            raise self._fail(row, "auth", exc, "the Anthropic API key was refused (401): check "
                             "it in Settings or ANTHROPIC_API_KEY") from exc
        except anthropic.RateLimitError as exc:
            raise self._fail(row, "rate_limited", exc, "the cloud model is rate-limited (429): "
                             "try again later") from exc
        except anthropic.APIStatusError as exc:
            raise self._fail(row, f"http_{exc.status_code}", exc, "the cloud model answered "
                             f"with an error ({exc.status_code})") from exc
        except anthropic.APIConnectionError as exc:
            raise self._fail(row, "unreachable", exc, f"the cloud model at {self.url} is "
                             "unreachable: check the network or the base URL") from exc
        except (anthropic.APIError, ValueError, TypeError, AttributeError) as exc:
            # A 200 whose body is not a Messages reply (HTML, odd JSON): nothing to act on.
            raise self._fail(row, "bad_response", exc, f"the cloud at {self.url} sent a reply "
                             "that is not a Messages API answer") from exc
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out
        if self.audit and row is not None:
            self.audit.finish_cloud_request(row, status="ok", response=text,
                                            input_tokens=tokens_in, output_tokens=tokens_out)
        return text

    def _fail(self, row: int | None, status: str, exc: Exception, message: str) -> CloudError:
        if self.audit and row is not None:
            self.audit.finish_cloud_request(row, status=status, error=str(exc)[:300])
        return CloudError(message)

    def parse(self, text: str, context: StepContext, k: int = 1) -> list[Candidate]:
        return parse_reply(text, context, k, self.id)
