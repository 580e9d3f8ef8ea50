"""run_episode: the only agent loop. Policies and routers plug into it; modes never copy it.

observe → router.decide → execute → log, until `stop`, the task says done, or the budget.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.actions import Action
from core.browser.executor import SECRET_PLACEHOLDER, SecretResolver, secret_masker
from core.browser.session import BrowserError, BrowserSession
from core.browser.views import Observation
from core.policies.base import HistoryItem, PolicyError, StepContext
from core.privacy.dom import SECRET_FIELD_KINDS, autocomplete_kind
from core.prompts import history_lines
from core.routing import Decision, Router
from core.store.service import TrajectoryStore
from core.store.views import StepRecord
from core.tasks import Evaluation, Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepEvent:
    """What the CLI and the app show after each step."""

    episode_id: int | None
    idx: int
    observation: Observation
    decision: Decision
    error: str
    latency_ms: float


@dataclass
class EpisodeResult:
    episode_id: int | None
    task_id: str
    intent: str
    outcome: str  # success | failure | unknown | error | interrupted
    reward: float | None
    answer: str
    steps: list[StepEvent] = field(default_factory=list)
    error: str = ""
    wall_s: float = 0.0


def run_episode(
    task: Task,
    session: BrowserSession,
    router: Router,
    store: TrajectoryStore | None = None,
    *,
    mode: str = "local",
    max_steps: int | None = None,
    seed: int | None = None,
    source: str = "agent",
    secrets: SecretResolver | None = None,
    secret_values: Callable[[], list[str]] | None = None,
    on_step: Callable[[StepEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    screenshots: bool = False,
) -> EpisodeResult:
    started = time.perf_counter()
    mask = secret_masker(secret_values)
    session.allowed_domains = task.allowed_domains
    budget = max_steps if max_steps is not None else task.max_steps
    try:
        intent = task.setup(session)
    except BrowserError as exc:
        return EpisodeResult(None, task.id, "", "error", None, "", error=str(exc))

    episode_id = None
    if store is not None:
        store.upsert_task(task.id, task.source, intent, task.start_url)
        episode_id = store.start_episode(task_id=task.id, intent=intent, start_url=task.start_url,
                                         mode=mode, policy=router.id, source=source, seed=seed)
    result = EpisodeResult(episode_id, task.id, intent, "unknown", None, "")
    history: list[HistoryItem] = []
    notes: list[str] = []
    error = ""
    answer: str | None = None
    evaluation = Evaluation(done=False, success=None)
    try:
        for idx in range(budget):
            if should_stop is not None and should_stop():
                result.outcome = "interrupted"
                break
            observation = session.observe(last_error=error)
            context = StepContext(intent=intent, observation=observation, history=tuple(history),
                                  notes=tuple(notes), step=idx, task_id=task.id,
                                  episode_id=episode_id)
            t0 = time.perf_counter()
            try:
                decision = router.decide(context)
            except PolicyError as exc:
                result.outcome, result.error = "error", str(exc)
                log.error("policy failed at step %d: %s", idx, exc)
                break
            latency_ms = (time.perf_counter() - t0) * 1000
            action = decision.action
            error = secret_use_error(action, intent, observation)
            if not error and action.name not in ("stop", "note"):
                error = session.execute(action, secrets)
            if action.name == "note":
                notes.append(action.text)
            history.append(HistoryItem(action=action.to_text(), rationale=decision.rationale,
                                       error=error))
            event = StepEvent(episode_id, idx, observation, decision, error, latency_ms)
            result.steps.append(event)
            if store is not None and episode_id is not None:
                store.add_step(episode_id, _step_record(idx, observation, decision, error,
                                                        latency_ms, history_lines(context),
                                                        list(context.notes), mask),
                               screenshot=_screenshot(session) if screenshots else None)
            if on_step is not None:
                on_step(event)
            if action.name == "stop":
                answer = action.text
                break
            evaluation = task.validate(session, None)
            if evaluation.done:
                break
        evaluation = task.validate(session, answer if answer is not None else "")
        if result.outcome not in ("error", "interrupted"):
            result.outcome = _outcome(evaluation)
        result.reward = evaluation.reward
        result.answer = answer or ""
    except KeyboardInterrupt:
        result.outcome = "interrupted"
        raise
    finally:
        result.wall_s = time.perf_counter() - started
        if store is not None and episode_id is not None:
            store.finish_episode(episode_id, outcome=result.outcome, reward=result.reward,
                                 answer=mask(result.answer))
        try:
            task.teardown(session)
        except BrowserError:
            log.warning("task teardown failed", exc_info=True)
    return result


def secret_use_error(action: Action, intent: str, observation: Observation) -> str:
    """Secrets go where the user said, or into fields made for them. A page that talks the
    model into typing `{{secret:…}}` into a message body (prompt injection) is refused."""
    if action.name != "type":
        return ""
    element = observation.element(action.id)
    props = element.props if element else {}
    made_for_secrets = (props.get("type") == "password"
                        or autocomplete_kind(props.get("autocomplete", "")) in SECRET_FIELD_KINDS)
    for name in SECRET_PLACEHOLDER.findall(action.text):
        if "{{secret:" + name + "}}" not in intent and not made_for_secrets:
            log.warning("refused to type secret %r into [%s]", name, action.id)
            return (f"refused to type secret {name!r}: the task does not mention it and "
                    f"[{action.id}] is not a password or payment field")
    return ""


def _outcome(evaluation: Evaluation) -> str:
    if evaluation.success is None:
        return "unknown"
    return "success" if evaluation.success else "failure"


def _step_record(idx: int, observation: Observation, decision: Decision, error: str,
                 latency_ms: float, history_text: list[str], notes: list[str],
                 mask: Callable[[str], str]) -> StepRecord:
    candidates = []
    for c in decision.candidates:
        entry = {"action": c.action.to_text(), "rationale": mask(c.rationale),
                 "score": c.score, "source": c.source}
        if "grounded_from" in c.meta:  # the model's own click, before grounding in its reason
            entry["grounded_from"] = mask(str(c.meta["grounded_from"]))
        candidates.append(entry)
    return StepRecord(
        idx=idx, url=observation.url, observation=mask(observation.text()),
        action=mask(decision.action.to_text()), rationale=mask(decision.rationale),
        policy_id=decision.policy_id, route=decision.route, findings=list(decision.findings),
        candidates=candidates, latency_ms=round(latency_ms, 2), error=mask(error),
        prompt_history=[mask(h) for h in history_text], notes=[mask(n) for n in notes],
    )


def _screenshot(session: BrowserSession) -> bytes | None:
    try:
        return session.screenshot()
    except Exception:  # a dead page has no screenshot; the step is still logged
        log.debug("screenshot failed", exc_info=True)
        return None


