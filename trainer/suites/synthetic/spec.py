"""The typed task of one (family, seed): intent, reference plan and WebArena-style evaluator.

Pure standard library: the generator, the solver and the evaluator run without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlparse

from trainer.suites.matching import clean_answer, fuzzy_match

StepKind = Literal["click", "type", "select", "stop"]
# What a step changes, which is how the solver tells from an observation whether it is done:
#   value    - a field shows the typed text / chosen option / wanted checked state
#   navigate - the page changes (never "done" while the page is still shown)
#   reveal   - another element appears (a menu, a tab panel, a dialog)
#   dismiss  - the target itself (or `gone`) disappears (a cookie banner)
Effect = Literal["value", "navigate", "reveal", "dismiss", "stop"]
Split = Literal["train", "heldout"]


@dataclass(frozen=True)
class Target:
    """An element as Symbiote's observation shows it: role, accessible name, and its 0-based
    index among the visible elements with the same role and name."""

    role: str
    name: str
    nth: int = 0

    def describe(self) -> str:
        """How a rationale names it: by its visible text, with its position when repeated."""
        noun = {"textbox": "field", "combobox": "drop-down", "searchbox": "search box",
                "menuitem": "menu item", "switch": "switch"}.get(self.role, self.role)
        if self.nth:
            return f"the {ordinal(self.nth + 1)} '{self.name}' {noun}"
        return f"the '{self.name}' {noun}"


@dataclass(frozen=True)
class Step:
    page: str               # page key: file name plus the query parameters that matter
    kind: StepKind
    target: Target | None   # None only for stop
    text: str = ""          # the text typed, the option chosen, or the answer
    rationale: str = ""
    effect: Effect = "value"
    checked: bool | None = None      # for a click on a checkbox/radio/switch: the state wanted
    reveals: Target | None = None    # for a reveal: what shows once it worked
    gone: Target | None = None       # for a dismiss: what vanishes once it worked (default:
    #                                  the target; set when the target starts hidden)
    enter: bool = False              # type, then press Enter (submits the form)


# --- checks (WebArena's program_html / url_match / string_match) ----------------------------

@dataclass(frozen=True)
class FieldCheck:
    """state["forms"][form][field] equals `expected`, or the secret named `secret`."""

    form: str
    field: str
    expected: str | bool = ""
    secret: str = ""


@dataclass(frozen=True)
class LogCheck:
    """state["log"] (the clicks that change data: add to cart, archive…) is exactly this."""

    expected: tuple[str, ...]


@dataclass(frozen=True)
class StateCheck:
    key: str
    expected: str


@dataclass(frozen=True)
class UrlCheck:
    page: str  # a page key, as Step.page


@dataclass(frozen=True)
class AnswerCheck:
    reference: str
    exact: bool = False  # exact after clean_answer; otherwise fuzzy token match


Check = FieldCheck | LogCheck | StateCheck | UrlCheck | AnswerCheck


@dataclass(frozen=True)
class TaskSpec:
    task_id: str
    family: str
    seed: int
    split: Split
    intent: str
    start_path: str
    max_steps: int
    plan: tuple[Step, ...]
    checks: tuple[Check, ...]
    # The fields the task leaves alone, each as a step that puts back what the page first
    # showed: the teacher takes one only when a slip changed that field (solver.py).
    guards: tuple[Step, ...] = ()
    # name -> the synthetic value the page expects; never shown in a repr (logs).
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    variant: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def root(self) -> str:
        """The folder every page of this task lives in, e.g. /synthetic/signin/17/."""
        return self.start_path.rsplit("/", 1)[0] + "/"

    @property
    def state_key(self) -> str:
        return f"synthetic.{self.family}.{self.seed}"

    def evaluate(self, state: Mapping[str, object], answer: str, url: str) -> list[str]:
        """Every failed check (empty: success). Secret values are never echoed."""
        failures: list[str] = []
        forms = state.get("forms") if isinstance(state.get("forms"), dict) else {}
        for check in self.checks:
            match check:
                case FieldCheck(form=form, field=name, expected=expected, secret=secret):
                    values = forms.get(form) if isinstance(forms, dict) else None
                    if not isinstance(values, dict):
                        failures.append(f"form {form!r} was never submitted")
                        continue
                    got = values.get(name)
                    if secret:
                        if got != self.secrets.get(secret):
                            failures.append(f"{form}.{name} is not {{{{secret:{secret}}}}}")
                    elif not _same_value(got, expected):
                        failures.append(f"{form}.{name} is {got!r}, expected {expected!r}")
                case LogCheck(expected=expected):
                    log = tuple(state.get("log") or ())
                    if log != expected:
                        failures.append(f"log is {list(log)}, expected {list(expected)}")
                case StateCheck(key=key, expected=expected):
                    if state.get(key) != expected:
                        failures.append(f"{key} is {state.get(key)!r}, expected {expected!r}")
                case UrlCheck(page=page):
                    if not self.url_is(url, page):
                        failures.append(f"ended on {url}, expected {self.root}{page}")
                case AnswerCheck(reference=ref, exact=exact):
                    ok = (clean_answer(ref) == clean_answer(answer)) if exact else \
                        fuzzy_match(ref, answer)
                    if not ok:
                        failures.append(f"answer {answer!r} does not match {ref!r}")
        return failures

    def page_of(self, url: str) -> str | None:
        """The plan's page key the URL shows, or None when it is not one of the plan's pages.
        Only the query parameters some plan page names count (`?page=2`, `?id=k3`)."""
        parsed = urlparse(url)
        if not parsed.path.startswith(self.root):
            return None
        name = parsed.path[len(self.root):] or "index.html"
        query = dict(parse_qsl(parsed.query))
        best: tuple[int, str] | None = None
        for page in dict.fromkeys(s.page for s in self.plan):
            path, wanted = _split_key(page)
            if path != name:
                continue
            significant = {k for p in self.plan for k in _split_key(p.page)[1]
                           if _split_key(p.page)[0] == path}
            if all(query.get(k) == wanted.get(k) for k in significant | set(wanted)):
                if best is None or len(wanted) > best[0]:
                    best = (len(wanted), page)
        return best[1] if best else None

    def url_is(self, url: str, page: str) -> bool:
        parsed = urlparse(url)
        path, wanted = _split_key(page)
        query = dict(parse_qsl(parsed.query))
        return parsed.path == self.root + path and all(query.get(k) == v for k, v in wanted.items())

    def blocks(self) -> dict[str, tuple[Step, ...]]:
        """The plan's steps grouped by page, in order (each page is one contiguous run)."""
        grouped: dict[str, list[Step]] = {}
        for step in self.plan:
            grouped.setdefault(step.page, []).append(step)
        return {page: tuple(steps) for page, steps in grouped.items()}


def _split_key(page: str) -> tuple[str, dict[str, str]]:
    path, _, query = page.partition("?")
    return path, dict(parse_qsl(query))


def _same_value(got: object, expected: str | bool) -> bool:
    if isinstance(expected, bool):
        return got is expected
    return isinstance(got, str) and " ".join(got.split()) == " ".join(expected.split())


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
