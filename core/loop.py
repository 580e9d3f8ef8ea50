"""run_episode: the only agent loop. Routers, seats and policies plug into it; modes never
copy it, and whoever needs to follow an episode (the store, the app, a benchmark) subscribes
as an `EpisodeHooks` instead of the loop calling them.

One step is four phases: observe → decide → act → record. The episode ends on `stop`, when the
task's evaluator says it is done, on the step budget, or when the user stops it. Between two
steps the user may hold it (core.user.Takeover: pause, take over the browser, hand it back):
what they do meanwhile becomes steps of route `user`, and the next step observes the page as
they left it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from core.actions import Action, ElementAction, Note, Scroll, Stop
from core.browser.session import BrowserSession
from core.browser.views import Observation
from core.confirm import Confirmer, ask, confirm_request, needs_confirmation
from core.errors import BrowserError, PolicyError
from core.policies.base import HistoryItem, StepContext
from core.policies.formats import named_text
from core.privacy.secrets import LOG_MASK, NO_SECRETS, Secrets
from core.privacy.task_secrets import lift_task_secrets
from core.routing.base import Decision, Router
from core.tasks import Evaluation, Task
from core.user import USER_POLICY, Takeover, rationale

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpisodeOptions:
    mode: str = "local"
    max_steps: int | None = None    # None: the task's own budget
    seed: int | None = None
    source: str = "agent"           # who demonstrated it, for the trainer: agent, teacher, …
    screenshots: bool = False       # a screenshot after every step, for hooks that show them
    # Irreversible actions (core.confirm): held for the user's approval. The front ends
    # default to "irreversible"; harnesses (bench, cycle, tests) run with "never".
    confirm: str = "never"


@dataclass(frozen=True)
class EpisodeStart:
    task: Task
    intent: str        # as every seat sees it: credentials in it are placeholders now
    router_id: str
    options: EpisodeOptions
    secrets: Secrets   # the episode's: what hooks mask out of what they store or show
    url: str = ""                    # the start page, opened
    screenshot: bytes | None = None  # of it, when options.screenshots: shown before step 1
    budget: int = 0                  # the step budget


@dataclass(frozen=True)
class StepEvent:
    """One finished step, as hooks receive it."""

    episode_id: int | None
    idx: int
    context: StepContext
    decision: Decision
    error: str
    latency_ms: float
    url_after: str = ""             # the page the action left the browser on
    screenshot: bytes | None = None  # of that page, when options.screenshots

    @property
    def observation(self) -> Observation:
        return self.context.observation


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
    detail: str = ""   # the evaluator's verdict in words
    wall_s: float = 0.0


class EpisodeHooks:
    """Subscribers to an episode. `on_start` may number the episode (the store's recorder
    does); the first number returned is the episode's id."""

    def on_start(self, start: EpisodeStart) -> int | None:
        return None

    def on_decide(self, idx: int, context: StepContext) -> None:
        """A decision starts (it may take seconds on the device): a front end says so."""

    def on_step(self, event: StepEvent) -> None:
        pass

    def on_hold(self, state: str) -> None:
        """The user holds the episode ('paused'; 'user': they have the browser) or gave it
        back ('running')."""

    def on_finish(self, result: EpisodeResult) -> None:
        pass


# The same action on a page it does not change, this many times in a row (or two actions taken
# in turn, this many times each): the episode stops.
REPEAT_LIMIT = 3


@dataclass
class _Progress:
    """What the episode has done so far."""

    history: list[HistoryItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""           # the last action's error, shown in the next observation
    answer: str | None = None
    page: str = ""            # the last observation's state, to tell whether an action did
    seen: set[str] = field(default_factory=set)   # every page state the episode has shown
    # Steps (indexes into history) that changed nothing: the page stayed as it was, or came
    # back to one shown before (a toggle clicked on and off).
    stale: set[int] = field(default_factory=set)

    def stuck(self) -> str:
        """'' or how the last actions go round: one action repeated, or two taken in turn
        (A, B, A, B, …), each changing nothing new (the same page, a failure on it, or a page
        shown before)."""
        n = len(self.history)
        for period in (1, 2):
            span = REPEAT_LIMIT * period
            last = [h.action for h in self.history[-span:]]
            if (len(last) == span and all(i in self.stale for i in range(n - span, n))
                    and all(last[i] == last[i - period] for i in range(period, span))
                    and len(set(last[:period])) == period):
                if period == 1:
                    return f"{self.history[-1].action} was repeated {REPEAT_LIMIT} times"
                return (f"{last[0]} and {last[1]} were taken in turn {REPEAT_LIMIT} times "
                        "each")
        return ""


def run_episode(task: Task, session: BrowserSession, router: Router, *,
                secrets: Secrets = NO_SECRETS, hooks: Sequence[EpisodeHooks] = (),
                options: EpisodeOptions = EpisodeOptions(),
                should_stop: Callable[[], bool] | None = None,
                confirmer: Confirmer | None = None,
                takeover: Takeover | None = None) -> EpisodeResult:
    """`confirmer` answers whether a held irreversible action may go ahead (options.confirm);
    with none, a held action is declined. `takeover`: the user's controls (pause, take over,
    hand back), read between steps."""
    started = time.perf_counter()
    session.allowed_domains = task.allowed_domains
    try:
        intent = task.setup(session)
    except BrowserError as exc:
        return EpisodeResult(None, task.id, "", "error", None, "", error=str(exc))
    intent, secrets = lift_task_secrets(intent, task.start_url, secrets)
    if takeover is not None:  # what the user types into secret fields is masked like the rest
        secrets = Secrets(lambda known=secrets: [*known.items(), *takeover.new_secrets()])
    LOG_MASK.watch(secrets)
    router.start_episode(secrets)
    budget = options.max_steps if options.max_steps is not None else task.max_steps
    start = EpisodeStart(task, intent, router.id, options, secrets, _url(session),
                         session.try_screenshot() if options.screenshots else None, budget)
    numbers = [hook.on_start(start) for hook in hooks]  # every hook hears the start
    episode_id = next((i for i in numbers if i is not None), None)
    result = EpisodeResult(episode_id, task.id, intent, "unknown", None, "")
    progress = _Progress()
    try:
        for _ in range(budget):  # the agent's steps; the user's do not count
            if should_stop is not None and should_stop():
                result.outcome = "interrupted"
                break
            if takeover is not None and takeover.held():
                _user_turn(takeover, session, task, intent, secrets, progress, hooks, result,
                           options)
                if should_stop is not None and should_stop():
                    result.outcome = "interrupted"
                    break
                if task.validate(session, None).done:
                    break
            idx = len(result.steps)
            context = _observe(session, task, intent, progress, idx, episode_id)
            going_round = progress.stuck()
            if going_round:
                result.outcome = "failure"
                result.error = f"stopped: {going_round} and changed nothing"
                break
            for hook in hooks:
                hook.on_decide(idx, context)
            t0 = time.perf_counter()
            try:
                decision = router.decide(context)
            except PolicyError as exc:
                result.outcome, result.error = "error", str(exc)
                log.error("policy failed at step %d: %s", idx, exc)
                break
            latency_ms = (time.perf_counter() - t0) * 1000
            error = _act(session, decision, secrets, context, progress,
                         partial(_approved, options.confirm, confirmer))
            event = StepEvent(episode_id, idx, context, decision, error, latency_ms,
                              _url(session), session.try_screenshot() if options.screenshots
                              else None)
            result.steps.append(event)
            for hook in hooks:
                hook.on_step(event)
            if progress.answer is not None or task.validate(session, None).done:
                break
        _judge(task, session, progress, result)
    except KeyboardInterrupt:
        result.outcome = "interrupted"
        raise
    finally:
        result.wall_s = time.perf_counter() - started
        for hook in hooks:
            hook.on_finish(result)
        try:
            task.teardown(session)
        except BrowserError:
            log.warning("task teardown failed", exc_info=True)
    return result


def _user_turn(takeover: Takeover, session: BrowserSession, task: Task, intent: str,
               secrets: Secrets, progress: _Progress, hooks: Sequence[EpisodeHooks],
               result: EpisodeResult, options: EpisodeOptions) -> None:
    """The episode is held: each thing the user does is a step of route `user`, recorded and
    shown as it happens, and in the history the agent reads when it goes on."""
    def on_state(state: str) -> None:
        for hook in hooks:
            hook.on_hold(state)

    for action, observation in takeover.user_turn(session, secrets, on_state):
        context = StepContext(intent=intent, observation=observation,
                              history=tuple(progress.history), notes=tuple(progress.notes),
                              step=len(result.steps), task_id=task.id,
                              episode_id=result.episode_id)
        event, item = user_step(action, context, "done by the user, who had taken over",
                                _url(session),
                                session.try_screenshot() if options.screenshots else None)
        progress.history.append(item)
        progress.error = ""
        result.steps.append(event)
        for hook in hooks:
            hook.on_step(event)


def user_step(action: Action, context: StepContext, why: str, url_after: str,
              screenshot: bytes | None = None) -> tuple[StepEvent, HistoryItem]:
    """A step the user did (route `user`) on `context.observation`: the event hooks receive
    and the history item later steps read."""
    observation = context.observation
    element = (observation.element(action.id) if isinstance(action, ElementAction)
               else None)
    decision = Decision(action, rationale(action, element), "user", USER_POLICY, why=why)
    event = StepEvent(context.episode_id, context.step, context, decision, "", 0.0, url_after,
                      screenshot)
    return event, HistoryItem(action=action, rationale=decision.rationale,
                              described=named_text(action, element), url=observation.url,
                              state=observation.state())


def _observe(session: BrowserSession, task: Task, intent: str, progress: _Progress, idx: int,
             episode_id: int | None) -> StepContext:
    observation = session.observe(last_error=progress.error)
    page = observation.state()
    last = progress.history[-1] if progress.history else None
    # The last action left the page as it was (or failed on it): the next decision should know,
    # and the grammar leaves that click out. A scroll moves what is in view, which the
    # observation (the whole page) does not show: never a repeat.
    if last and not isinstance(last.action, Scroll):
        if page == progress.page:
            progress.history[-1] = replace(last, no_effect=True)
            progress.stale.add(len(progress.history) - 1)
        elif page in progress.seen:
            progress.stale.add(len(progress.history) - 1)
    progress.page = page
    progress.seen.add(page)
    return StepContext(intent=intent, observation=observation, history=tuple(progress.history),
                       notes=tuple(progress.notes), step=idx, task_id=task.id,
                       episode_id=episode_id)


def _approved(mode: str, confirmer: Confirmer | None, action: Action, context: StepContext,
              secrets: Secrets) -> str:
    """'' when `action` may go ahead; else why not, as the next observation says it."""
    reason = needs_confirmation(mode, action, context.observation)
    if not reason:
        return ""
    request = confirm_request(context.step, action, reason, context.observation, secrets)
    if ask(confirmer, request):
        log.info("the user approved %s", request.described)
        return ""
    return f"the user declined {request.described} ({reason}); do not try it again"


def _act(session: BrowserSession, decision: Decision, secrets: Secrets, context: StepContext,
         progress: _Progress,
         approve: Callable[[Action, StepContext, Secrets], str] | None = None) -> str:
    """Execute the decision (secrets only where they belong, irreversible actions only once the
    user approved them); '' or the error."""
    action = decision.action
    error = secrets.guard(action, context.intent, context.observation)
    if not error and approve is not None:
        error = approve(action, context, secrets)
    if not error and not isinstance(action, Note | Stop):
        error = session.execute(action, secrets)
    if isinstance(action, Note):
        progress.notes.append(action.text)
    elif isinstance(action, Stop):
        progress.answer = action.answer
    element = (context.observation.element(action.id) if isinstance(action, ElementAction)
               else None)
    progress.history.append(HistoryItem(action=action, rationale=decision.rationale,
                                        error=error, described=named_text(action, element),
                                        url=context.observation.url,
                                        state=context.observation.state()))
    progress.error = error
    return error


def _judge(task: Task, session: BrowserSession, progress: _Progress,
           result: EpisodeResult) -> None:
    evaluation = task.validate(session, progress.answer if progress.answer is not None else "")
    if result.outcome not in ("error", "interrupted"):
        result.outcome = _outcome(evaluation)
    result.reward = evaluation.reward
    result.detail = evaluation.detail
    result.answer = progress.answer or ""


def _outcome(evaluation: Evaluation) -> str:
    if evaluation.success is None:
        return "unknown"
    return "success" if evaluation.success else "failure"


def _url(session: BrowserSession) -> str:
    try:
        return session.page.url
    except BrowserError:
        return ""
