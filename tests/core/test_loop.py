"""The one agent loop on a real page: its phases, what hooks see, and the guard against an
action repeated on a page it does not change."""

from __future__ import annotations

from core.browser.session import BrowserSession
from core.loop import EpisodeHooks, EpisodeOptions, EpisodeStart, StepEvent, run_episode
from core.routing.base import SingleSeatRouter
from core.tasks import AdHocTask
from tests.support.scripted import ScriptedPolicy, element_id


class Watch(EpisodeHooks):
    def __init__(self) -> None:
        self.start: EpisodeStart | None = None
        self.decides: list[int] = []
        self.steps: list[StepEvent] = []

    def on_start(self, start: EpisodeStart) -> None:
        self.start = start

    def on_decide(self, idx: int, context: object) -> None:
        self.decides.append(idx)

    def on_step(self, event: StepEvent) -> None:
        self.steps.append(event)


def test_an_action_repeated_on_an_unchanged_page_stops_the_episode(
        session: BrowserSession, pages_url: str) -> None:
    heading = ScriptedPolicy([lambda ctx: f"click [{element_id(ctx, 'heading', 'Sign in')}]"])
    watch = Watch()
    task = AdHocTask.create("Sign in.", pages_url + "form.html", max_steps=10)
    result = run_episode(task, session, SingleSeatRouter(heading), hooks=[watch],
                         options=EpisodeOptions(screenshots=True))
    assert len(result.steps) == 3 and "repeated 3 times" in result.error
    history = watch.steps[-1].context.history
    assert [h.no_effect for h in history] == [True, True]  # known once the next page is seen
    assert history[0].described.startswith("click 'Sign in' [")
    assert watch.start is not None and watch.start.screenshot  # the start page, before step 1
    assert watch.start.budget == 10 and watch.decides == [0, 1, 2]
    assert all(e.url_after.endswith("form.html") and e.screenshot for e in watch.steps)


def test_actions_that_change_the_page_are_not_a_repeat(session: BrowserSession,
                                                       pages_url: str) -> None:
    def type_next(ctx) -> str:  # type: ignore[no-untyped-def]
        return f"type [{element_id(ctx, 'textbox', 'Username')}] [user{ctx.step}] [0]"

    task = AdHocTask.create("Type.", pages_url + "form.html", max_steps=4)
    result = run_episode(task, session, SingleSeatRouter(ScriptedPolicy([type_next])))
    assert len(result.steps) == 4 and result.error == ""


def test_scrolling_is_never_a_repeat(session: BrowserSession, pages_url: str) -> None:
    # the observation is the whole page, so it cannot show that a scroll moved the view
    task = AdHocTask.create("Read to the bottom.", pages_url + "form.html", max_steps=4)
    result = run_episode(task, session, SingleSeatRouter(ScriptedPolicy(["scroll [down]"])))
    assert len(result.steps) == 4 and result.error == ""
    assert not any(item.no_effect for item in result.steps[-1].context.history)


def test_an_action_that_fails_again_and_again_stops_the_episode(session: BrowserSession,
                                                               pages_url: str) -> None:
    """A click on a disabled button times out each time: three in a row end the episode,
    and from the first failure on the grammar leaves that click out."""
    disabled = ScriptedPolicy([lambda ctx: f"click [{element_id(ctx, 'button', 'Disabled')}]"])
    watch = Watch()
    task = AdHocTask.create("Press it.", pages_url + "form.html", max_steps=10)
    result = run_episode(task, session, SingleSeatRouter(disabled), hooks=[watch])
    assert len(result.steps) == 3 and "repeated 3 times" in result.error
    assert all(e.error for e in watch.steps)
    assert [h.no_effect for h in watch.steps[-1].context.history] == [True, True]


def test_a_toggle_clicked_on_and_off_is_a_repeat(session: BrowserSession,
                                                 pages_url: str) -> None:
    """Each click changes the page, but only back and forth between two states it showed
    before: after the first click nothing new happens, and the third such click ends it."""
    toggle = ScriptedPolicy([lambda ctx: f"click [{element_id(ctx, 'checkbox', 'Remember me')}]"])
    task = AdHocTask.create("Remember me.", pages_url + "form.html", max_steps=10)
    result = run_episode(task, session, SingleSeatRouter(toggle))
    assert len(result.steps) == 4 and "repeated 3 times" in result.error
    assert not any(item.no_effect for item in result.steps[-1].context.history)


def test_two_actions_taken_in_turn_that_go_round_stop_the_episode(
        session: BrowserSession, pages_url: str) -> None:
    """A page and a link back, visited in turn: after the first visit each step only returns
    to a page shown before, and three rounds of the pair end the episode with that reason."""
    def there_and_back(ctx) -> str:  # type: ignore[no-untyped-def]
        if ctx.observation.url.endswith("form.html"):
            return f"click [{element_id(ctx, 'link', 'Next page')}]"
        return f"click [{element_id(ctx, 'link', 'Back to the form')}]"

    task = AdHocTask.create("Find the page.", pages_url + "form.html", max_steps=20)
    result = run_episode(task, session, SingleSeatRouter(ScriptedPolicy([there_and_back])))
    assert len(result.steps) == 7  # an ad-hoc task has no evaluator: outcome unknown
    assert "were taken in turn 3 times each and changed nothing" in result.error
    history = result.steps[-1].context.history
    assert history[0].state == history[2].state != history[1].state  # the same page, again
