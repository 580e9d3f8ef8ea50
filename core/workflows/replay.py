"""Replaying a workflow: a router that needs no model.

`ReplayRouter` is a router like any other and runs in the one loop (core.loop.run_episode): at
each step it finds the workflow's next element on the page as it is now (role + accessible
name, told apart by nearby text) and returns the action on that element's current id. When the
page is not the one the step expects, or the element is not there, or a replayed action
failed, it hands the rest of the episode to the agent (the router `fallback` builds, only
then: a replay that never falls back loads no model) and says where in the step's `why`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlparse

from core.actions import Action, Click, GoBack, Goto, Scroll, Select, Stop, Type
from core.browser.session import BrowserSession
from core.browser.views import Element, Observation
from core.errors import WorkflowError
from core.policies.base import StepContext
from core.policies.formats import named_text
from core.privacy.secrets import NO_SECRETS, Secrets
from core.routing.base import Decision, Router
from core.tasks import Evaluation
from core.workflows.service import nearby_text, norm
from core.workflows.views import PARAM_PLACEHOLDER, Target, Workflow, WorkflowStep

log = logging.getLogger(__name__)
POLICY_ID = "workflow"
FALLBACK_BUDGET = 15   # steps the agent gets after a fallback


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with its `{{param:…}}` placeholders filled; a missing value is the user's to
    give."""
    def value(match: object) -> str:
        key = match.group(1)  # type: ignore[attr-defined]
        if key not in values:
            raise WorkflowError(f"the workflow needs a value for {key}: add --set {key}=…")
        return values[key]
    return PARAM_PLACEHOLDER.sub(value, text)


def parameter_values(workflow: Workflow, given: Mapping[str, str]) -> dict[str, str]:
    """The saved values, overridden by the given ones; an unknown key is a mistake."""
    unknown = sorted(set(given) - set(workflow.params))
    if unknown:
        known = ", ".join(sorted(workflow.params)) or "none"
        raise WorkflowError(f"workflow {workflow.name!r} has no parameter "
                            f"{', '.join(unknown)} (its parameters: {known})")
    return {**workflow.params, **given}


def same_page(expected: str, url: str) -> bool:
    """Same path; a folder and its index.html are one page."""
    def key(path: str) -> str:
        return path.removesuffix("index.html").rstrip("/")
    return not expected or key(expected) == key(urlparse(url).path)


def find_target(observation: Observation, target: Target, values: Mapping[str, str]
                ) -> Element | None:
    """The element a target names on this page: same role and name; several → the one with
    the same nearby text, then the same occurrence among them."""
    name = norm(fill(target.name, values))
    same = [e for e in observation.elements if e.role == target.role and norm(e.name) == name]
    if not same:
        return None
    near = [e for e in same if nearby_text(observation, e) == target.nearby]
    if near:
        same = near
    elif len(same) > 1:
        return None  # several look alike and none sits where the workflow's did
    return same[target.occurrence] if target.occurrence < len(same) else None


@dataclass
class ReplayState:
    """How far the replay got; the task and the caller read it."""

    total: int
    done: int = 0                       # workflow steps replayed
    fell_back_at: int | None = None     # the workflow step (0-based) the agent took over at
    reason: str = ""
    agent: str = ""                     # the router that took over

    @property
    def completed(self) -> bool:
        return self.fell_back_at is None and self.done >= self.total


@dataclass
class ReplayRouter:
    workflow: Workflow
    values: Mapping[str, str]
    fallback: Callable[[], Router]
    state: ReplayState = field(init=False)
    _agent: Router | None = field(default=None, init=False)
    _secrets: Secrets = field(default=NO_SECRETS, init=False)
    _last_was_replayed: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.state = ReplayState(total=len(self.workflow.steps))

    @property
    def id(self) -> str:
        return POLICY_ID

    def start_episode(self, secrets: Secrets) -> None:
        self._secrets = secrets
        self._agent = None
        self.state = ReplayState(total=len(self.workflow.steps))

    def decide(self, context: StepContext) -> Decision:
        if self._agent is not None:
            return self._agent.decide(context)
        last = context.history[-1] if context.history else None
        if last is not None and last.error and self._last_was_replayed:
            return self._fall_back(context, f"step {self.state.done} failed: {last.error}")
        if self.state.done >= self.state.total:
            return Decision(Stop(""), "Every workflow step is done.", "local", POLICY_ID,
                            why="the workflow is done")
        step = self.workflow.steps[self.state.done]
        action, problem = self._resolve(step, context.observation)
        if action is None:
            return self._fall_back(context, problem)
        self.state.done += 1
        self._last_was_replayed = True
        described = named_text(action, context.observation.element(getattr(action, "id", "")))
        return Decision(action, f"Workflow step {self.state.done} of {self.state.total}.",
                        "local", POLICY_ID,
                        why=f"workflow {self.workflow.name!r} step {self.state.done}/"
                            f"{self.state.total}: {described}")

    def _resolve(self, step: WorkflowStep, observation: Observation
                 ) -> tuple[Action | None, str]:
        number = self.state.done + 1
        if not same_page(step.page, observation.url):
            return None, (f"step {number} expects the page {step.page}, the browser is on "
                          f"{urlparse(observation.url).path}")
        if step.kind == "stop":
            return self._stop(step, observation, number)
        if step.kind == "scroll":
            return Scroll(step.direction), ""
        if step.kind == "go_back":
            return GoBack(), ""
        if step.kind == "goto":
            return Goto(fill(step.url, self.values)), ""
        assert step.target is not None
        element = find_target(observation, step.target, self.values)
        if element is None:
            name = fill(step.target.name, self.values)
            return None, f"step {number}: no {step.target.role} {name!r} on the page"
        if step.kind == "type":
            return Type(element.id, fill(step.text, self.values), step.press_enter), ""
        if step.kind == "select":
            option = fill(step.option, self.values)
            if element.options and option not in element.options:
                return None, f"step {number}: {element.name!r} has no option {option!r}"
            return Select(element.id, option), ""
        return Click(element.id), ""

    def _stop(self, step: WorkflowStep, observation: Observation, number: int
              ) -> tuple[Action | None, str]:
        source = step.answer_from
        if source is None:
            return Stop(fill(step.answer, self.values)), ""
        for element in observation.elements:
            name = element.name
            if (element.role == source.role and name.startswith(source.prefix)
                    and name.endswith(source.suffix)
                    and len(name) > len(source.prefix) + len(source.suffix)
                    and (not source.nearby or nearby_text(observation, element) ==
                         source.nearby)):
                return Stop(name[len(source.prefix):len(name) - len(source.suffix)]), ""
        return None, f"step {number}: the answer's text is not on the page"

    def _fall_back(self, context: StepContext, reason: str) -> Decision:
        self.state.fell_back_at, self.state.reason = self.state.done, reason
        self._agent = self.fallback()
        self._agent.start_episode(self._secrets)
        self.state.agent = self._agent.id
        log.info("workflow %s: the agent (%s) takes over: %s", self.workflow.name,
                 self._agent.id, reason)
        decision = self._agent.decide(context)
        why = f"fell back to the agent ({self._agent.id}) at workflow step " \
              f"{self.state.done + 1}: {reason}"
        return replace(decision, why=why + (f"; {decision.why}" if decision.why else ""))


@dataclass
class WorkflowTask:
    """A workflow as a task: its start page, its intent with the parameters filled. There is
    no evaluator: a replay that did every step on the pages the workflow expects succeeded;
    once the agent took over, nobody can tell (as for any ad-hoc task)."""

    workflow: Workflow
    values: Mapping[str, str]
    state: Callable[[], ReplayState]
    source: str = "workflow"
    id: str = field(init=False)
    start_url: str = field(init=False)
    allowed_domains: list[str] | None = field(init=False)
    max_steps: int = field(init=False)

    def __post_init__(self) -> None:
        self.id = f"workflow/{self.workflow.name}"
        self.start_url = fill(self.workflow.start_url, self.values)
        self.allowed_domains = self.workflow.allowed_domains
        self.max_steps = len(self.workflow.steps) + 1 + FALLBACK_BUDGET

    def setup(self, session: BrowserSession) -> str:
        session.goto(self.start_url)
        return fill(self.workflow.intent, self.values)

    def validate(self, session: BrowserSession, answer: str | None) -> Evaluation:
        if answer is None:
            return Evaluation(done=False, success=None)
        state = self.state()
        if state.completed:
            return Evaluation(done=True, success=True, reward=1.0,
                              detail=f"replayed all {state.total} steps")
        if state.fell_back_at is None:
            return Evaluation(done=True, success=False, reward=0.0,
                              detail=f"replayed {state.done} of {state.total} steps")
        return Evaluation(done=True, success=None,
                          detail=f"the agent took over at step {state.fell_back_at + 1}: "
                                 f"{state.reason}")

    def teardown(self, session: BrowserSession) -> None:
        pass
