"""The cloud seats: Claude through the `anthropic` SDK (Messages API), and any
OpenAI-compatible endpoint (`/v1/chat/completions`: OpenAI, or a user's own llama-server, vLLM
or Ollama) through the `openai` SDK. Both share everything but the wire format:

`build_payload` renders prompt parts that the privacy boundary has already checked; `send`
records the exact payload in the audit (the store's cloud_requests table) before anything leaves
the machine, then the response, token usage and its price (core.pricing); `parse` turns
REASON/ACTION pairs into ranked candidates. Claude is asked for one tool call whose input
follows the action language's JSON schema (core.actions.action_schema: structured output); a
reply in REASON/ACTION text is read as well. A reply the seat cannot use (an HTTP error, a body
that is not a reply of its API, no valid action) is a CloudError, and its audit row says why.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Protocol

from core.actions import action_from_fields, action_schema, parse_action
from core.errors import ActionParseError, CloudError, PolicyError
from core.policies.base import Candidate, StepContext
from core.pricing import Prices
from core.prompts import PromptParts, system_prompt

log = logging.getLogger(__name__)

KEYRING_SERVICE = "symbiote"
KEYRING_API_KEY = "anthropic_api_key"
KEYRING_OPENAI_KEY = "openai_api_key"
ACTION_TOOL = "act"
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
    structured: bool = True          # Claude: a tool call with the action schema
    budget_usd: float | None = None  # per episode; None: no limit


def api_key_from_env_or_keyring(env: str = "ANTHROPIC_API_KEY",
                                entry: str = KEYRING_API_KEY) -> str | None:
    key = os.environ.get(env)
    if key:
        return key
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, entry)
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


class BudgetExceeded(PolicyError):
    """The next request would take the episode over its budget: the episode stops there."""


class CloudPolicy:
    """A `CloudSeat` (core.routing.seats): it only ever sends what a router hands it. This
    class is Claude's; `OpenAICompatible` changes only the wire format."""

    api = "Anthropic"
    default_url = "https://api.anthropic.com"
    path = "/v1/messages"
    key_env, key_entry = "ANTHROPIC_API_KEY", KEYRING_API_KEY

    def __init__(self, settings: CloudSettings | None = None, audit: Audit | None = None,
                 prices: Prices | None = None):
        self.settings = settings or CloudSettings()
        self.audit = audit
        self.prices = prices or Prices.load()
        self.requests = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.spent: dict[int | None, float] = {}   # dollars per episode
        self._client = None

    @property
    def id(self) -> str:
        return f"cloud:{self.settings.model}"

    @property
    def url(self) -> str:
        return (self.settings.base_url or self.default_url).rstrip("/") + self.path

    def _key(self) -> str | None:
        return self.settings.api_key or api_key_from_env_or_keyring(self.key_env, self.key_entry)

    def not_ready(self) -> str:
        if self._key():
            return ""
        return (f"no {self.api} API key: set {self.key_env} or store one in the keyring "
                "(the app's Settings)")

    def _get_client(self):  # type: ignore[no-untyped-def]
        if self._client is None:
            key = self._key()
            if not key:
                raise CloudError(self.not_ready())
            self._client = self._make_client(key)
        return self._client

    # --- the wire format: Claude's Messages API ----------------------------------------------

    def _sdk(self):  # type: ignore[no-untyped-def]
        import anthropic

        return anthropic

    def _make_client(self, key: str):  # type: ignore[no-untyped-def]
        return self._sdk().Anthropic(api_key=key, base_url=self.settings.base_url,
                                     timeout=self.settings.timeout_s,
                                     max_retries=self.settings.max_retries)

    def build_payload(self, parts: PromptParts, k: int = 1) -> dict[str, object]:
        """The exact request body, from parts the boundary has already checked. One action
        is asked for as a tool call (structured output); k > 1 as REASON/ACTION text."""
        system = system_prompt() + (TOP_K_INSTRUCTION.format(k=k) if k > 1 else "")
        payload: dict[str, object] = {
            "model": self.settings.model, "max_tokens": self.settings.max_tokens,
            "system": system, "messages": [{"role": "user", "content": parts.user_text()}]}
        if k <= 1 and self.settings.structured:
            payload["tools"] = [{"name": ACTION_TOOL, "description": "Do the next action.",
                                 "input_schema": action_schema()}]
            payload["tool_choice"] = {"type": "tool", "name": ACTION_TOOL}
        return payload

    def _create(self, client, payload: dict[str, object]) -> tuple[str, int, int]:  # type: ignore[no-untyped-def]
        message = client.messages.create(**payload)
        if not isinstance(message.content, list):
            # The SDK builds a Message from any JSON object without checking it: a string
            # `content` read as characters made an empty answer recorded as "ok".
            raise TypeError(f"content is {type(message.content).__name__}, not blocks")
        texts = []
        for block in message.content:
            if getattr(block, "type", "") == "tool_use" and isinstance(block.input, dict):
                texts.append(tool_answer(block.input))
            else:
                texts.append(getattr(block, "text", "") or "")
        usage = message.usage
        return "".join(texts), int(usage.input_tokens), int(usage.output_tokens)

    # --- shared: budget, audit, errors ---------------------------------------------------------

    def estimate(self, payload: dict[str, object]) -> float | None:
        """The most this request can cost: its characters / 4 in, max_tokens out."""
        tokens_in = len(json.dumps(payload, ensure_ascii=False)) // 4
        return self.prices.cost(self.settings.model, tokens_in, self.settings.max_tokens)

    def _check_budget(self, payload: dict[str, object], episode_id: int | None) -> None:
        budget = self.settings.budget_usd
        if budget is None:
            return
        estimate = self.estimate(payload)
        if estimate is None:
            raise BudgetExceeded(f"no price for {self.settings.model} (resources/prices.json "
                                 "or prices.json in the data dir), so --budget cannot be kept")
        spent = self.spent.get(episode_id, 0.0)
        if spent + estimate > budget:
            raise BudgetExceeded(f"budget ${budget:.4f} reached: ${spent:.4f} spent, the next "
                                 f"request could cost up to ${estimate:.4f}; it was not sent")

    def send(self, payload: dict[str, object], context: StepContext) -> str:
        sdk = self._sdk()
        client = self._get_client()
        self._check_budget(payload, context.episode_id)
        row = (self.audit.start_cloud_request(
            episode_id=context.episode_id, step_idx=context.step, url=self.url,
            model=str(payload.get("model")), payload=payload) if self.audit else None)
        self.requests += 1
        try:
            text, tokens_in, tokens_out = self._create(client, payload)
        except sdk.AuthenticationError as exc:
            raise self._fail(row, "auth", exc, f"the {self.api} API key was refused (401): "
                             f"check it in Settings or {self.key_env}") from exc
        except sdk.RateLimitError as exc:
            raise self._fail(row, "rate_limited", exc, "the cloud model is rate-limited (429): "
                             "try again later") from exc
        except sdk.APIStatusError as exc:
            raise self._fail(row, f"http_{exc.status_code}", exc, "the cloud model answered "
                             f"with an error ({exc.status_code})") from exc
        except sdk.APIConnectionError as exc:
            raise self._fail(row, "unreachable", exc, f"the cloud model at {self.url} is "
                             "unreachable: check the network or the base URL") from exc
        except (sdk.APIError, ValueError, TypeError, AttributeError, IndexError) as exc:
            # A 200 whose body is not a reply of the API (HTML, odd JSON): nothing to act on.
            raise self._fail(row, "bad_response", exc, f"the cloud at {self.url} sent a reply "
                             f"that is not a {self.api} API answer") from exc
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out
        cost = self.prices.cost(self.settings.model, tokens_in, tokens_out)
        self.spent[context.episode_id] = self.spent.get(context.episode_id, 0.0) + (cost or 0.0)
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


def tool_answer(fields: dict[str, object]) -> str:
    """A tool call's input (core.actions.action_schema) as the REASON/ACTION text the audit
    records and parse_reply reads; an unusable one is left for parse_reply to refuse."""
    reason = " ".join(str(fields.get("reason", "")).split())
    try:
        action = action_from_fields(fields)
    except ActionParseError as exc:
        log.warning("the cloud's tool call is not an action: %s", exc)
        return f"REASON: {reason}\n"
    return f"REASON: {reason}\nACTION: {action}"


class OpenAICompatible(CloudPolicy):
    """Any `/v1/chat/completions` endpoint through the `openai` SDK: OpenAI, or a user's own
    llama-server, vLLM or Ollama (then the large seat is private too). Answers are read as
    REASON/ACTION text, which every such server can give."""

    api = "OpenAI-compatible"
    default_url = "https://api.openai.com/v1"
    path = "/chat/completions"
    key_env, key_entry = "OPENAI_API_KEY", KEYRING_OPENAI_KEY

    @property
    def id(self) -> str:
        return f"openai:{self.settings.model}"

    def _key(self) -> str | None:
        # A local server (llama-server, Ollama) needs no key; the SDK insists on one.
        return super()._key() or ("none" if self.settings.base_url else None)

    def _sdk(self):  # type: ignore[no-untyped-def]
        import openai

        return openai

    def _make_client(self, key: str):  # type: ignore[no-untyped-def]
        return self._sdk().OpenAI(api_key=key, base_url=self.settings.base_url,
                                  timeout=self.settings.timeout_s,
                                  max_retries=self.settings.max_retries)

    def build_payload(self, parts: PromptParts, k: int = 1) -> dict[str, object]:
        system = system_prompt() + (TOP_K_INSTRUCTION.format(k=k) if k > 1 else "")
        return {"model": self.settings.model, "max_tokens": self.settings.max_tokens,
                "temperature": 0.0,
                "messages": [{"role": "system", "content": system},
                             {"role": "user", "content": parts.user_text()}]}

    def _create(self, client, payload: dict[str, object]) -> tuple[str, int, int]:  # type: ignore[no-untyped-def]
        completion = client.chat.completions.create(**payload)
        text = completion.choices[0].message.content
        if not isinstance(text, str):
            raise TypeError(f"message content is {type(text).__name__}, not text")
        usage = completion.usage
        return (text, int(usage.prompt_tokens) if usage else 0,
                int(usage.completion_tokens) if usage else 0)
