"""Adapters to Symbiote's loop: a synthetic task as a `core.tasks.Task` (its synthetic
secrets in `.secrets`), and the generic solver as the teacher seat."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlparse

from playwright.sync_api import Error as PlaywrightError

from core.browser.session import BrowserSession
from core.privacy.secrets import SecretKind, Secrets, origin_of
from core.tasks import Evaluation
from trainer.suites.synthetic.site import families as all_families
from trainer.suites.synthetic.site import spec
from trainer.suites.synthetic.solver import solve
from trainer.suites.synthetic.spec import Split, TaskSpec
from trainer.teacher import TeacherPolicy

log = logging.getLogger(__name__)


@dataclass
class SyntheticTask:
    """One spec bound to a running server (`base_url` like SiteServer.base_url)."""

    spec: TaskSpec
    base_url: str
    source: str = "synthetic"
    allowed_domains: list[str] | None = field(init=False)
    secrets: Secrets = field(init=False, repr=False)
    id: str = field(init=False)
    start_url: str = field(init=False)
    max_steps: int = field(init=False)
    last_failures: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.id = self.spec.task_id
        self.start_url = urljoin(self.base_url, self.spec.start_path)
        self.max_steps = self.spec.max_steps
        self.allowed_domains = [urlparse(self.base_url).netloc]
        self.secrets = task_secrets(self.spec, self.base_url)

    def setup(self, session: BrowserSession) -> str:
        session.goto(self.start_url + "?reset=1")
        return self.spec.intent

    def validate(self, session: BrowserSession, answer: str | None) -> Evaluation:
        if answer is None:  # WebArena: the verdict comes when the agent stops or runs out
            return Evaluation(done=False, success=None)
        url = session.page.url
        self.last_failures = self.spec.evaluate(self.read_state(session), answer, url)
        success = not self.last_failures
        detail = "all checks passed" if success else "; ".join(self.last_failures)
        return Evaluation(done=True, success=success, reward=1.0 if success else 0.0,
                          detail=detail)

    def read_state(self, session: BrowserSession) -> dict[str, object]:
        """The task's localStorage entry, read from a page of the server's origin."""
        page = session.page
        try:
            if not page.url.startswith(self.base_url):
                page.goto(self.base_url, wait_until="domcontentloaded")
            raw = page.evaluate("k => localStorage.getItem(k)", self.spec.state_key)
        except PlaywrightError as exc:
            log.warning("cannot read the state of %s: %s", self.id, exc.message)
            return {}
        state = json.loads(raw) if raw else {}
        return state if isinstance(state, dict) else {}

    def teardown(self, session: BrowserSession) -> None:
        pass


def teacher() -> TeacherPolicy:
    """The generic solver as the teacher seat, for every synthetic task id."""
    return TeacherPolicy({}, families={"synthetic/": solve})


def task_secrets(spec: TaskSpec, base_url: str) -> Secrets:
    """The vault of one task: its synthetic secrets, bound to the server's origin and to
    fields of their kind, nothing else."""
    kinds: dict[str, SecretKind] = {name: "card" if "card" in name else "password"
                                    for name in spec.secrets}
    return Secrets.from_mapping(dict(spec.secrets), (origin_of(base_url),), kinds)


def load_tasks(base_url: str, families: list[str], seeds: Iterable[int]) -> list[SyntheticTask]:
    """Synthetic tasks bound to a running server, family by family, seed by seed."""
    return [SyntheticTask(spec(family, seed), base_url) for family in families for seed in seeds]


def synthetic_tasks(base_url: str, split: Split, seeds: Iterable[int]) -> list[SyntheticTask]:
    """Every family of a split, at these seeds."""
    return load_tasks(base_url, all_families(split), list(seeds))
