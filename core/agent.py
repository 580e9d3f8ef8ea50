"""The composition root: user choices (mode, small model, large seat) → a router.

The CLI, the app, the MCP server and the benchmarks all build their agent here, so a mode means
the same thing everywhere. A large seat that is not a cloud (the learning side's reference
solvers) is handed in ready-made as an `OfflineSeat`; the engine never imports it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.errors import ConfigError, KnowledgeError, ModelError
from core.models import Registry
from core.policies.base import Policy
from core.policies.grounding import GROUNDERS, make_grounder
from core.privacy.boundary import Boundary
from core.privacy.rules import MODES, Mode
from core.routing.base import Router, SingleSeatRouter
from core.routing.privacy import Approver, Demonstrations, PrivacyRouter
from core.routing.seats import LargeSeat
from core.store.service import TrajectoryStore

log = logging.getLogger(__name__)
CLOUD_SEATS = ("claude", "openai")  # openai: any OpenAI-compatible endpoint
DEFAULT_MODELS = {"claude": "claude-sonnet-5", "openai": "gpt-4o-mini"}
APPROVALS = ("always", "redacted", "never")


@dataclass
class AgentConfig:
    mode: str = "local"
    small: str | None = None        # registry name; None = the active model
    large: str = "claude"           # the cloud seat, when no other large seat is handed in
    grounding: str = "rules"        # core.policies.grounding.GROUNDERS; "off": the model alone
    k: int = 1
    cloud_url: str | None = None    # the API's base_url (tests: the local fake server)
    cloud_model: str | None = None  # None: the seat's default (DEFAULT_MODELS)
    cloud_timeout_s: float = 30.0
    approval: str = "never"         # always | redacted | never
    fallback_local: bool = True     # cloud errors: the on-device model decides the step
    budget_usd: float | None = None  # per episode: a request that could exceed it stops it

    def validate(self) -> None:
        if self.approval not in APPROVALS:
            raise ConfigError(f"unknown approval policy {self.approval!r}; choose always, "
                              "redacted or never")
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}; choose one of: {', '.join(MODES)}")
        if self.large not in CLOUD_SEATS:
            raise ConfigError(f"unknown large seat {self.large!r}; choose one of: "
                              f"{', '.join(CLOUD_SEATS)}")
        if self.budget_usd is not None and self.budget_usd < 0:
            raise ConfigError(f"--budget must be 0 or more dollars, not {self.budget_usd}")
        if self.grounding not in GROUNDERS:
            raise ConfigError(f"unknown grounding {self.grounding!r}; choose one of: "
                              f"{', '.join(GROUNDERS)}")


_LLM_CACHE: dict[str, object] = {}


def small_policy(name: str | None = None, *, temperature: float = 0.0,
                 seed: int | None = None, grounding: str = "rules") -> Policy:
    """The on-device policy for a registry model; the model is loaded once per process."""
    from core.llm.base import LLMSettings
    from core.llm.llama import LlamaModel
    from core.policies.local import LocalPolicy

    try:
        resolved = Registry().resolve(name)
    except ModelError as exc:
        raise ConfigError(str(exc)) from exc
    llm = _LLM_CACHE.get(resolved.name)
    if llm is None:
        llm = LlamaModel.from_resolved(resolved, LLMSettings.from_env())
        _LLM_CACHE[resolved.name] = llm
    return LocalPolicy(llm, temperature=temperature, seed=seed,  # type: ignore[arg-type]
                       grounding=make_grounder(grounding))


def cloud_seat(config: AgentConfig, store: TrajectoryStore | None) -> LargeSeat:
    from core.policies.cloud import CloudPolicy, CloudSettings, OpenAICompatible

    settings = CloudSettings(model=config.cloud_model or DEFAULT_MODELS[config.large],
                             base_url=config.cloud_url, timeout_s=config.cloud_timeout_s,
                             budget_usd=config.budget_usd)
    seat = OpenAICompatible if config.large == "openai" else CloudPolicy
    return seat(settings, audit=store)


def demonstrations(store: TrajectoryStore | None) -> Demonstrations | None:
    """Top-3 retrieved demonstrations for the cloud prompt, when a knowledge base exists next
    to the DB. They are prompt parts like any other: the boundary scans and redacts them."""
    if store is None:
        return None
    from core.knowledge import index_path_for

    index = index_path_for(store.path)
    if not index.exists():
        return None
    from core.knowledge.service import KnowledgeBase

    try:
        kb = KnowledgeBase(index)
    except KnowledgeError as exc:
        log.warning("knowledge base not used: %s", exc)
        return None
    return kb.demonstrations(k=3)


def build_router(config: AgentConfig, *, store: TrajectoryStore | None = None,
                 approver: Approver | None = None,
                 large_seat: LargeSeat | None = None) -> Router:
    """`store` audits cloud requests and holds the knowledge base; `large_seat` replaces the
    configured cloud seat (the learning side hands in its reference solvers this way)."""
    config.validate()
    local = small_policy(config.small, grounding=config.grounding)
    if config.mode == "local":
        return SingleSeatRouter(local, route="local", k=config.k)
    if config.mode == "cloud":
        log.warning("mode 'cloud' sends every step to the large seat, private ones too")
    from core.privacy.detector import get_detector

    mode: Mode = config.mode  # type: ignore[assignment]
    return PrivacyRouter(local=local, large=large_seat or cloud_seat(config, store),
                         boundary=Boundary(get_detector(), mode),
                         approval=config.approval,  # type: ignore[arg-type]
                         approver=approver, fallback_local=config.fallback_local, k=config.k,
                         demonstrations=demonstrations(store) if large_seat is None else None)
