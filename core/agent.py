"""The composition root: turns user choices (mode, small model, large seat) into a router.

The CLI, the benchmark and the app all build their agent here, so a mode means the same thing
everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from core.browser.executor import secret_masker
from core.models import ModelError, Registry
from core.policies.base import Policy
from core.routing import MODES, PrivacyRouter, Router, SingleSeatRouter

log = logging.getLogger(__name__)
LARGE_SEATS = ("teacher", "claude")


class ConfigError(ValueError):
    """A bad choice of mode, model or seat. The message says what is allowed."""


@dataclass
class AgentConfig:
    mode: str = "local"
    small: str | None = None        # registry name; None = the active model
    large: str = "claude"           # "claude" or "teacher"
    k: int = 1
    cloud_url: str | None = None    # Anthropic base_url (tests: the local fake server)
    cloud_model: str = "claude-sonnet-5"
    cloud_timeout_s: float = 30.0
    approval: str = "never"         # always | redacted | never
    fallback_local: bool = True     # cloud errors: the local model decides the step
    approver: Callable[..., bool] | None = None
    store: object = None            # TrajectoryStore for the cloud audit
    secret_values: Callable[[], list[str]] | None = None
    secret_items: Callable[[], list[tuple[str, str]]] | None = None  # (name, value): vault.items
    extra: dict[str, object] = field(default_factory=dict)

    def validate(self) -> None:
        if self.approval not in ("always", "redacted", "never"):
            raise ConfigError(f"unknown approval policy {self.approval!r}; choose always, "
                              "redacted or never")
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}; choose one of: {', '.join(MODES)}")
        if self.large not in LARGE_SEATS:
            raise ConfigError(f"unknown large seat {self.large!r}; choose one of: "
                              f"{', '.join(LARGE_SEATS)}")


_LLM_CACHE: dict[str, object] = {}


def small_policy(name: str | None = None, temperature: float = 0.0,
                 seed: int | None = None) -> Policy:
    """The on-device policy for a registry model, loaded once per process."""
    from core.policies.llm import LLMSettings, LocalLLM
    from core.policies.local import LocalPolicy

    resolved = Registry().resolve(name)
    llm = _LLM_CACHE.get(resolved.name)
    if llm is None:
        llm = LocalLLM.from_resolved(resolved, LLMSettings.from_env())
        _LLM_CACHE[resolved.name] = llm
    return LocalPolicy(llm, temperature=temperature, seed=seed)  # type: ignore[arg-type]


def large_policy(config: AgentConfig) -> Policy:
    if config.large == "teacher":
        from core.policies.teacher import TeacherPolicy

        return TeacherPolicy()
    from core.policies.cloud import CloudAudit, CloudPolicy, CloudSettings

    settings = CloudSettings(model=config.cloud_model, base_url=config.cloud_url,
                             timeout_s=config.cloud_timeout_s)
    audit = CloudAudit(config.store) if config.store is not None else None
    return CloudPolicy(settings, audit=audit, demonstrations=_demonstrations(config))


def _demonstrations(config: AgentConfig) -> Callable[..., str] | None:
    """Top-3 retrieved demonstrations for the cloud prompt, when a knowledge base exists next
    to the DB; redacted on the device before they can enter a payload."""
    store_path = getattr(config.store, "path", None)
    if store_path is None:
        return None
    from core.knowledge import index_path_for

    index = index_path_for(store_path)
    if not index.exists():
        return None
    from core.knowledge.service import KnowledgeBase, KnowledgeError
    from core.privacy.detector import get_detector
    from core.privacy.redaction import Redactor

    try:
        kb = KnowledgeBase(index)
    except KnowledgeError as exc:
        log.warning("knowledge base not used: %s", exc)
        return None
    redactor = Redactor(detector=get_detector(), secrets=config.secret_items)
    return kb.demonstrations(k=3, redact=lambda text: redactor.redact(text, where="task"))


def build_router(config: AgentConfig) -> Router:
    config.validate()
    try:
        if config.mode == "local":
            return SingleSeatRouter(small_policy(config.small), route="local", k=config.k)
        if config.mode == "cloud":
            log.warning("mode 'cloud' sends every step to the large seat, private ones too")
        local = small_policy(config.small)
    except ModelError as exc:
        raise ConfigError(str(exc)) from exc
    from core.privacy.detector import get_detector
    from core.privacy.redaction import Redactor

    items = config.secret_items
    values = config.secret_values or (
        (lambda: [value for _, value in items()]) if items is not None else None)
    detector = get_detector(vault_values=values)
    return PrivacyRouter(local=local, large=large_policy(config), detector=detector,
                         mode=config.mode,
                         redactor_factory=lambda: Redactor(detector=detector, secrets=items),
                         approval=config.approval,  # type: ignore[arg-type]
                         approver=config.approver, fallback_local=config.fallback_local,
                         mask=secret_masker(values), k=config.k)
