"""The composition root: turns user choices (mode, small model, large seat) into a router.

The CLI, the benchmark and the app all build their agent here, so a mode means the same thing
everywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.models import ModelError, Registry
from core.policies.base import Policy
from core.routing import MODES, Router, SingleSeatRouter

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
    extra: dict[str, object] = field(default_factory=dict)

    def validate(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}; choose one of: {', '.join(MODES)}")
        if self.large not in LARGE_SEATS:
            raise ConfigError(f"unknown large seat {self.large!r}; choose one of: "
                              f"{', '.join(LARGE_SEATS)}")


_LLM_CACHE: dict[str, object] = {}


def small_policy(name: str | None = None) -> Policy:
    """The on-device policy for a registry model, loaded once per process."""
    from core.policies.llm import LLMSettings, LocalLLM
    from core.policies.local import LocalPolicy

    resolved = Registry().resolve(name)
    llm = _LLM_CACHE.get(resolved.name)
    if llm is None:
        llm = LocalLLM.from_resolved(resolved, LLMSettings.from_env())
        _LLM_CACHE[resolved.name] = llm
    return LocalPolicy(llm)  # type: ignore[arg-type]


def large_policy(config: AgentConfig) -> Policy:
    if config.large == "teacher":
        from core.policies.teacher import TeacherPolicy

        return TeacherPolicy()
    from core.policies.cloud import build_cloud_policy  # type: ignore[import-not-found]

    return build_cloud_policy(config.extra)  # type: ignore[no-any-return]


def build_router(config: AgentConfig) -> Router:
    config.validate()
    try:
        if config.mode == "local":
            return SingleSeatRouter(small_policy(config.small), route="local", k=config.k)
        if config.mode == "cloud":
            log.warning("mode 'cloud' sends every step to the large seat, private ones too")
            return SingleSeatRouter(large_policy(config), route="cloud", k=config.k)
    except ModelError as exc:
        raise ConfigError(str(exc)) from exc
    raise ConfigError(f"mode {config.mode!r} needs the privacy router, which is not built yet")
