"""Practice tasks on the local practice sites (resources/sites/), in WebArena's config style.

Each entry of resources/sites/tasks.json is one task: an intent, a start page, a step budget
and an evaluator. The evaluator follows WebArena's three kinds, all of which must pass:

- string_match: the `stop [answer]` against reference answers (exact_match, must_include,
  fuzzy_match; fuzzy here is a normalized token match, not an LLM judge);
- url_match: the page the episode ended on against a reference URL (path + query subset);
- program_html: a JS expression evaluated on the page; `state` in it is the site's stored state
  (localStorage "practice.<site>"), `document` the page. `{{secret:NAME}}` in a reference is
  resolved from the practice secrets and compared exactly, never shown in a detail.

An episode ends when the agent stops or the budget runs out (WebArena semantics): `validate`
says done=False during the episode and gives the verdict when called with the final answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse

from playwright.sync_api import Error as PlaywrightError
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from core.browser.session import BrowserSession
from core.errors import SymbioteError
from core.paths import RESOURCES
from core.privacy.secrets import SECRET_PLACEHOLDER, Secrets, origin_of
from core.tasks import Evaluation
from trainer.suites.matching import clean_answer, fuzzy_match

log = logging.getLogger(__name__)

SITES_DIR = RESOURCES / "sites"
TASKS_FILE = SITES_DIR / "tasks.json"
SECRETS_FILE = SITES_DIR / "secrets.json"
OR = " |OR| "  # WebArena's separator of alternative references


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequiredContents(_Strict):
    exact_match: str | None = None
    must_include: list[str] | None = None
    must_exclude: list[str] | None = None


class ProgramCheck(_Strict):
    url: str = "last"
    locator: str
    required_contents: RequiredContents


class ReferenceAnswers(_Strict):
    exact_match: str | None = None
    must_include: list[str] | None = None
    fuzzy_match: list[str] | None = None

    @field_validator("fuzzy_match", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class EvalConfig(_Strict):
    eval_types: list[Literal["string_match", "url_match", "program_html"]]
    reference_answers: ReferenceAnswers | None = None
    reference_url: str | None = None
    program_html: list[ProgramCheck] = []


class PracticeConfig(_Strict):
    task_id: str
    site: Literal["webmail", "shop", "account"]
    intent: str
    start_url: str
    start_state: dict[str, str | bool] = {}
    allowed_domains: list[str] | None = None
    max_steps: int = 10
    tags: list[str] = []
    eval: EvalConfig


class PracticeConfigError(SymbioteError):
    """The practice task file is malformed; the message names the file and the task."""


def load_practice_configs(path: Path = TASKS_FILE) -> list[PracticeConfig]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PracticeConfigError(f"cannot read practice tasks from {path}: {exc}") from exc
    configs: list[PracticeConfig] = []
    for entry in raw:
        try:
            configs.append(PracticeConfig.model_validate(entry))
        except ValidationError as exc:
            task_id = entry.get("task_id", "?") if isinstance(entry, dict) else "?"
            raise PracticeConfigError(f"{path}: task {task_id!r} is invalid: {exc}") from exc
    ids = [c.task_id for c in configs]
    if len(ids) != len(set(ids)):
        raise PracticeConfigError(f"{path}: task ids are not unique")
    return configs


def load_practice_secrets(path: Path = SECRETS_FILE) -> dict[str, str]:
    """The synthetic practice credentials (name -> value), for tests and the demo."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return dict(data["secrets"])


# --- matching ------------------------------------------------------------------------------

def _includes(reference: str, value: str) -> bool:
    return any(clean_answer(alt) in clean_answer(value) for alt in reference.split(OR))


def check_answer(refs: ReferenceAnswers, answer: str) -> list[str]:
    """Failures of a stop answer against the references (empty list: it passes)."""
    failures = []
    if refs.exact_match is not None and not any(
            clean_answer(alt) == clean_answer(answer) for alt in refs.exact_match.split(OR)):
        failures.append(f"answer {answer!r} is not {refs.exact_match!r}")
    for ref in refs.must_include or []:
        if not _includes(ref, answer):
            failures.append(f"answer {answer!r} does not include {ref!r}")
    for ref in refs.fuzzy_match or []:
        if not any(fuzzy_match(alt, answer) for alt in ref.split(OR)):
            failures.append(f"answer {answer!r} does not match {ref!r}")
    return failures


def _url_key(url: str) -> tuple[str, dict[str, str]]:
    parsed = urlparse(url)
    path = parsed.path
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return f"{parsed.netloc}{path.rstrip('/')}", dict(parse_qsl(parsed.query))


def url_matches(reference: str, actual: str) -> bool:
    """Same host and path (index.html = folder), and every reference query parameter present."""
    ref_path, ref_query = _url_key(reference)
    act_path, act_query = _url_key(actual)
    return ref_path == act_path and all(act_query.get(k) == v for k, v in ref_query.items())


def check_contents(required: RequiredContents, value: str,
                   secrets: Mapping[str, str]) -> list[str]:
    failures = []
    if required.exact_match is not None:
        ref = required.exact_match
        if SECRET_PLACEHOLDER.search(ref):
            # Compared exactly and never echoed: the detail may be logged.
            if value != SECRET_PLACEHOLDER.sub(lambda m: secrets.get(m.group(1), "\0"), ref):
                failures.append(f"value does not equal {ref}")
        elif not any(clean_answer(alt) == clean_answer(value) for alt in ref.split(OR)):
            failures.append(f"value {value[:120]!r} is not {ref!r}")
    for ref in required.must_include or []:
        if not _includes(ref, value):
            failures.append(f"value {value[:120]!r} does not include {ref!r}")
    for ref in required.must_exclude or []:
        if clean_answer(ref) in clean_answer(value):
            failures.append(f"value includes forbidden {ref!r}")
    return failures


# --- the task ------------------------------------------------------------------------------

@dataclass
class PracticeTask:
    """One practice config bound to a running SiteServer (`base_url` ends with '/')."""

    config: PracticeConfig
    base_url: str
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    source: str = "practice"
    id: str = field(init=False)
    start_url: str = field(init=False)
    allowed_domains: list[str] | None = field(init=False)
    max_steps: int = field(init=False)

    def __post_init__(self) -> None:
        if not self.base_url.endswith("/"):
            self.base_url += "/"
        self.id = f"practice/{self.config.task_id}"
        self.start_url = urljoin(self.base_url, self.config.start_url)
        # The config names hosts; the task is bound to the server's origin (its port too).
        self.allowed_domains = ([urlparse(self.base_url).netloc]
                                if self.config.allowed_domains is not None else None)
        self.max_steps = self.config.max_steps

    @property
    def intent(self) -> str:
        return self.config.intent

    def reset_url(self) -> str:
        """The start page with the site's reset parameters: every episode starts clean."""
        params = {"reset": "1"}
        for key, value in self.config.start_state.items():
            if value is not False:
                params[key] = "1" if value is True else str(value)
        sep = "&" if "?" in self.start_url else "?"
        return self.start_url + sep + urlencode(params)

    def setup(self, session: BrowserSession) -> str:
        session.goto(self.reset_url())
        return self.config.intent

    def validate(self, session: BrowserSession, answer: str | None) -> Evaluation:
        if answer is None:
            return Evaluation(done=False, success=None)
        failures = self.evaluate(session, answer)
        success = not failures
        detail = "all checks passed" if success else "; ".join(failures)
        log.info("practice %s: %s", self.id, "success" if success else detail)
        return Evaluation(done=True, success=success, reward=1.0 if success else 0.0,
                          detail=detail)

    def teardown(self, session: BrowserSession) -> None:
        pass

    def evaluate(self, session: BrowserSession, answer: str) -> list[str]:
        """Every failed check, in config order; url_match first as it reads the final page."""
        spec = self.config.eval
        failures: list[str] = []
        if "string_match" in spec.eval_types:
            failures += check_answer(spec.reference_answers or ReferenceAnswers(), answer)
        if "url_match" in spec.eval_types and spec.reference_url:
            actual = session.page.url
            refs = [urljoin(self.base_url, r) for r in spec.reference_url.split(OR)]
            if not any(url_matches(ref, actual) for ref in refs):
                failures.append(f"ended on {actual}, expected {spec.reference_url}")
        if "program_html" in spec.eval_types:
            for check in spec.program_html:
                failures += self._program_check(session, check)
        return failures

    def _program_check(self, session: BrowserSession, check: ProgramCheck) -> list[str]:
        page = session.page
        try:
            if check.url != "last":
                page.goto(urljoin(self.base_url, check.url), wait_until="domcontentloaded")
            elif not page.url.startswith(self.base_url):
                # localStorage belongs to the sites' origin: read it from a page of that origin.
                page.goto(self.base_url, wait_until="domcontentloaded")
            key = json.dumps(f"practice.{self.config.site}")
            script = (f"() => {{ const state = JSON.parse(localStorage.getItem({key}) || 'null');"
                      f" return ({check.locator}); }}")
            value = page.evaluate(script)
        except PlaywrightError as exc:
            return [f"locator {check.locator!r} failed: {exc.message.splitlines()[0]}"]
        text = value if isinstance(value, str) else json.dumps(value)
        return check_contents(check.required_contents, text, self.secrets)


def load_practice_tasks(base_url: str, secrets: Mapping[str, str] | None = None,
                        path: Path = TASKS_FILE) -> list[PracticeTask]:
    """All practice tasks bound to `base_url` (a SiteServer's). `secrets` default to the
    synthetic practice secrets; they only resolve `{{secret:…}}` in evaluator references."""
    resolved = load_practice_secrets() if secrets is None else secrets
    return [PracticeTask(config, base_url, resolved) for config in load_practice_configs(path)]


def demo_secrets(base_url: str = "") -> Secrets:
    """The practice sites' synthetic credentials, as a vault would serve them: bound to the
    practice server's origin (`base_url`; none given: only where a task names them) and to
    fields of their kind."""
    data = json.loads(SECRETS_FILE.read_text(encoding="utf-8"))
    sites = (origin_of(base_url),) if base_url else ()
    return Secrets.from_mapping(dict(data["secrets"]), sites, dict(data.get("kinds", {})))
