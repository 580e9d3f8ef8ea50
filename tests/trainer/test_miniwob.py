"""MiniWoB++ through the one agent loop on real Chromium: the task adapter, the observation of
MiniWoB widgets and the reference solvers. Wrong actions must fail with the page's own reward."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.browser.session import BrowserSession
from core.loop import EpisodeOptions, run_episode
from core.policies.base import StepContext
from core.routing.base import SingleSeatRouter
from tests.support.scripted import ScriptedPolicy, element_id
from trainer.suites.miniwob.solvers import SOLVERS
from trainer.suites.miniwob.tasks import (
    MiniWoBTask,
    dev_task_names,
    load_task_list,
    miniwob_task_names,
)
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy


def test_task_lists(tmp_path: Path) -> None:
    names = miniwob_task_names()
    assert len(names) >= 100 and "click-button" in names and "book-flight" in names
    assert load_task_list("click-button, enter-text") == ["click-button", "enter-text"]
    listing = tmp_path / "tasks.txt"
    listing.write_text("# dev\nclick-test\n\nfocus-text  # a comment\n", encoding="utf-8")
    assert load_task_list(f"@{listing}") == ["click-test", "focus-text"]
    with pytest.raises(ValueError, match="unknown MiniWoB task.*click-buton"):
        load_task_list("click-buton")
    with pytest.raises(ValueError, match="unknown MiniWoB task"):
        MiniWoBTask("no-such-task", 0, "http://127.0.0.1:1/")
    assert len(dev_task_names()) >= 20


def test_every_dev_task_has_a_solver_and_no_other_task_does() -> None:
    miniwob = {k.split("/", 1)[1] for k in SOLVERS}
    assert all(k.startswith("miniwob/") for k in SOLVERS)
    assert miniwob == set(dev_task_names())


@pytest.mark.parametrize("name", ["click-button", "enter-text", "click-checkboxes", "login-user",
                                  "social-media", "form-sequence"])
def test_teacher_solves_dev_task(name: str, server: SiteServer, session: BrowserSession) -> None:
    task = MiniWoBTask(name, 3, server.base_url)
    result = run_episode(task, session, SingleSeatRouter(TeacherPolicy(SOLVERS)),
                         options=EpisodeOptions(seed=3))
    assert result.outcome == "success", result
    assert result.reward == 1.0
    # the task's password reached the seats as a placeholder, nothing else is a template
    assert result.intent and "{" not in result.intent.replace("{{secret:task_password}}", "")
    assert session.config.observe_root is None  # teardown restored it


def test_observation_is_the_task_area(server: SiteServer, session: BrowserSession) -> None:
    task = MiniWoBTask("click-dialog", 0, server.base_url)
    intent = task.setup(session)
    try:
        observation = session.observe()
        names = [e.name for e in observation.elements]
        assert intent not in " ".join(names)          # the instruction box is left out
        assert "START" not in names                   # and so is the sync cover
        assert observation.elements[0].role == "dialog"  # jQuery UI moved it under <body>
        assert task.validate(session, None).done is False
    finally:
        task.teardown(session)


def test_same_seed_same_episode(server: SiteServer, session: BrowserSession) -> None:
    def episode(seed: int) -> tuple[str, str]:
        task = MiniWoBTask("click-checkboxes", seed, server.base_url)
        intent = task.setup(session)
        try:
            return intent, session.observe().text()
        finally:
            task.teardown(session)

    assert episode(5) == episode(5)


def _wrong_button(ctx: StepContext) -> str:
    wanted = ctx.intent.split('"')[1]
    other = next(e for e in ctx.observation.elements if e.role == "button" and e.name != wanted)
    return f"click [{other.id}]"


def test_wrong_click_fails(server: SiteServer, session: BrowserSession) -> None:
    # Seed 0 has "okay", "okay" and "next": a wrong button exists.
    task = MiniWoBTask("click-button", 0, server.base_url)
    result = run_episode(task, session, SingleSeatRouter(ScriptedPolicy([_wrong_button])))
    assert result.outcome == "failure" and result.reward is not None and result.reward <= 0
    assert len(result.steps) == 1  # the page ended the episode


def test_wrong_text_fails(server: SiteServer, session: BrowserSession) -> None:
    def typed(ctx: StepContext) -> str:
        return f"type [{element_id(ctx, 'textbox', '')}] [not the name] [0]"

    policy = ScriptedPolicy([typed, lambda ctx: f"click [{element_id(ctx, 'button', 'Submit')}]"])
    result = run_episode(MiniWoBTask("enter-text", 1, server.base_url), session,
                         SingleSeatRouter(policy))
    assert result.outcome == "failure" and result.reward is not None and result.reward <= 0


def test_stopping_early_is_a_failure(server: SiteServer, session: BrowserSession) -> None:
    result = run_episode(MiniWoBTask("enter-text", 2, server.base_url), session,
                         SingleSeatRouter(ScriptedPolicy(["stop []"])))
    assert result.outcome == "failure" and result.reward == 0.0
