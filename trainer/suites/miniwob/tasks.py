"""MiniWoB++ episodes as Symbiote tasks.

The package's task pages are served over http by `trainer.suites.sites.SiteServer` and driven
through the same BrowserSession as every other task; the package's own Selenium layer is not used.
The reward logic stays the page's own (html/core/core.js): `validate` reads its globals.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Error as PlaywrightError

from core.browser.session import BrowserSession
from core.errors import BrowserError
from core.paths import RESOURCES
from core.tasks import Evaluation
from trainer.suites.sites import miniwob_html_dir

log = logging.getLogger(__name__)

# core.js ends an episode after 10 s; a small model on 2 cores needs far longer per step, and
# we judge it on its actions, not its speed.
EPISODE_MAX_TIME_MS = 10 * 60 * 1000
READY_TIMEOUT_MS = 10_000
DEFAULT_MAX_STEPS = 10
# Multi-step tasks get a larger budget (about twice what the reference solver needs).
MAX_STEPS: dict[str, int] = {
    "click-checkboxes": 15,
    "click-checkboxes-large": 25,
    "click-checkboxes-soft": 15,
    "click-checkboxes-transfer": 15,
    "click-tab-2": 15,
    "click-tab-2-hard": 15,
    "click-collapsible-2": 15,
    "enter-date": 12,
    "form-sequence": 15,
    "form-sequence-2": 15,
    "form-sequence-3": 15,
    "login-user": 12,
    "login-user-popup": 15,
    "navigate-tree": 15,
    "search-engine": 15,
    "use-autocomplete": 12,
    "phone-book": 20,
    "read-table": 12,
    "read-table-2": 12,
    "email-inbox": 15,
    "email-inbox-forward-nl": 15,
    "email-inbox-forward-nl-turk": 15,
    "email-inbox-nl-turk": 15,
    "email-inbox-reply": 15,
    "email-inbox-delete": 10,
    "social-media": 12,
    "social-media-all": 25,
    "social-media-some": 20,
    "book-flight": 25,
    "terminal": 15,
}
# The task area plus the floating layers jQuery UI attaches to <body> (dialogs, autocomplete
# menus, date pickers): the instruction box (#query) and the reward HUD stay out.
OBSERVE_ROOT = "#area, body > .ui-dialog, body > .ui-autocomplete, body > .ui-datepicker"


def miniwob_task_names() -> list[str]:
    """Every task the installed miniwob package ships, sorted."""
    return sorted(p.stem for p in (miniwob_html_dir() / "miniwob").glob("*.html"))


DEV_TASKS_FILE = RESOURCES / "benchmarks" / "miniwob-dev.txt"


def dev_task_names() -> list[str]:
    """The development tasks (tuning, reference solvers, training); the rest are held out."""
    return load_task_list(f"@{DEV_TASKS_FILE}")


def load_task_list(spec: str) -> list[str]:
    """`"a,b,c"` or `"@path"` (one name per line, `#` comments) -> validated task names."""
    spec = spec.strip()
    if spec.startswith("@"):
        path = Path(spec[1:]).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read the MiniWoB task list {path}: {exc.strerror}") from exc
        names = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    else:
        names = [part.strip() for part in spec.split(",")]
    names = [n.removeprefix("miniwob/") for n in names if n]
    known = set(miniwob_task_names())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"unknown MiniWoB task(s): {', '.join(unknown)}. Names are the package's page names, "
            "e.g. click-button; `miniwob_task_names()` lists all."
        )
    if not names:
        raise ValueError(f"the MiniWoB task list {spec!r} names no task")
    return names


class MiniWoBTask:
    """One MiniWoB++ episode of task `name` with a fixed seed. Implements core.tasks.Task."""

    source = "miniwob"

    def __init__(self, name: str, seed: int | str, base_url: str, max_steps: int | None = None):
        if name not in set(miniwob_task_names()):
            raise ValueError(
                f"unknown MiniWoB task {name!r}: the miniwob package has no page {name}.html"
            )
        self.name = name
        self.seed = seed
        self.id = f"miniwob/{name}"
        self.start_url = f"{base_url.rstrip('/')}/miniwob/miniwob/{name}.html"
        self.allowed_domains: list[str] | None = [urlparse(base_url).netloc]
        self.max_steps = max_steps or MAX_STEPS.get(name, DEFAULT_MAX_STEPS)
        self._saved_root: str | None = None

    def __repr__(self) -> str:
        return f"MiniWoBTask({self.name!r}, seed={self.seed!r})"

    def setup(self, session: BrowserSession) -> str:
        session.goto(self.start_url)
        page = session.page
        try:
            # window.onload runs core.startEpisode(), which adds the START cover.
            page.wait_for_function("() => typeof core !== 'undefined' && core.cover_div !== null",
                                   timeout=READY_TIMEOUT_MS)
            page.evaluate(
                """([seed, maxTime]) => {
                    Math.seedrandom(seed);
                    core.EPISODE_MAX_TIME = maxTime;
                    core.startEpisodeReal();
                }""",
                [self.seed, EPISODE_MAX_TIME_MS],
            )
            page.wait_for_function("() => WOB_TASK_READY === true", timeout=READY_TIMEOUT_MS)
            utterance = page.evaluate("() => core.getUtterance()")
        except PlaywrightError as exc:
            raise BrowserError(f"MiniWoB task {self.name} did not start: "
                               f"{exc.message.splitlines()[0]}") from exc
        try:
            # Icons are CSS images fetched after the episode starts; let them arrive so they
            # have a size (and can be clicked) at the first observation.
            page.wait_for_load_state("networkidle", timeout=2000)
        except PlaywrightError:
            log.debug("miniwob %s: network not idle after 2 s", self.name)
        # Some tasks return {utterance, fields} (fields are for the Selenium layer's training).
        intent = str(utterance["utterance"] if isinstance(utterance, dict) else utterance)
        self._saved_root = session.config.observe_root
        session.config.observe_root = OBSERVE_ROOT
        log.debug("miniwob %s seed=%s: %s", self.name, self.seed, intent)
        return intent

    def validate(self, session: BrowserSession, answer: str | None) -> Evaluation:
        try:
            done, raw, reason = session.page.evaluate(
                "() => [WOB_DONE_GLOBAL, WOB_RAW_REWARD_GLOBAL, WOB_REWARD_REASON]"
            )
        except PlaywrightError as exc:
            # The agent navigated away from the task page: the episode cannot be judged a win.
            log.debug("miniwob globals unreadable: %s", exc.message)
            if answer is None:
                return Evaluation(done=False, success=None)
            return Evaluation(done=True, success=False, reward=0.0,
                              detail="the task page was left before the task was done")
        if done:
            reward = float(raw)
            detail = f"page reward {reward:+.2f}" + (f" ({reason})" if reason else "")
            return Evaluation(done=True, success=reward > 0, reward=reward, detail=detail)
        if answer is None:
            return Evaluation(done=False, success=None)
        return Evaluation(done=True, success=False, reward=0.0,
                          detail="the agent stopped before the task was done")

    def teardown(self, session: BrowserSession) -> None:
        session.config.observe_root = self._saved_root
        self._saved_root = None
