"""Recorded demonstrations on real Chromium: a scripted user (Playwright acting on the page
as a person would: clicks, keystrokes) signs in; the recording is an episode with source
`demonstration` whose workflow replays to success, and the password is nowhere in the DB."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.browser.session import BrowserConfig, BrowserSession
from core.loop import EpisodeOptions, run_episode
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.workflows.recording import DemonstrationRecorder
from core.workflows.replay import ReplayRouter, parameter_values
from core.workflows.service import workflow_from_episode
from trainer.suites.practice.tasks import (
    PracticeTask,
    demo_secrets,
    load_practice_secrets,
    load_practice_tasks,
)
from trainer.suites.sites import SiteServer

PASSWORD = load_practice_secrets()["webmail_password"]


def test_a_recorded_sign_in_replays_and_keeps_no_secret(
        server: SiteServer, display: bool, tmp_path: Path) -> None:
    tasks = {t.config.task_id: t for t in load_practice_tasks(server.base_url)}
    task: PracticeTask = tasks["webmail-login"]
    db_path = tmp_path / "symbiote.db"
    store = TrajectoryStore(db_path)
    with BrowserSession(BrowserConfig(headless=not display)) as browser:
        recorder = DemonstrationRecorder(browser, task, hooks=[StoreRecorder(store)],
                                         known=demo_secrets())
        episode_id = recorder.start()
        page = browser.page
        page.get_by_label("Username").click()
        page.keyboard.type("alex.morgan", delay=20)
        page.get_by_label("Password").click()
        page.keyboard.type(PASSWORD, delay=20)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/inbox.html")
        result = recorder.finish()
    assert result.outcome == "success", result.detail
    stored = store.episode(episode_id or -1)
    assert stored.source == "demonstration" and stored.policy == "user"
    actions = [s.action for s in stored.steps]
    assert len(actions) == 3, actions
    assert actions[0].startswith("type [") and actions[0].endswith("[alex.morgan] [0]")
    assert actions[1].endswith("[{{secret:webmail_password}}] [0]")
    assert actions[2].startswith("click [")
    # The ids are the ones of the observation stored with each step.
    assert all(f"[{a.split('[')[1].split(']')[0]}]" in s.observation
               for a, s in zip(actions, stored.steps, strict=True))
    assert recorder.new_secrets == []  # the vault (demo secrets) already holds the password

    workflow = workflow_from_episode(stored, "login")
    router = ReplayRouter(workflow, parameter_values(workflow, {}), lambda: pytest.fail(
        "the replay of a recording fell back"))
    with BrowserSession() as session:  # a fresh browser: nothing of the recording's
        replayed = run_episode(task, session, router, secrets=demo_secrets(),
                               hooks=[StoreRecorder(store)],
                               options=EpisodeOptions(source="workflow"))
    assert replayed.outcome == "success", replayed.detail
    store.close()
    for path in tmp_path.glob("symbiote.db*"):  # the WAL too
        assert PASSWORD.encode() not in path.read_bytes(), path


def test_a_new_secret_is_a_placeholder_offered_not_stored(
        server: SiteServer, tmp_path: Path) -> None:
    """A password the vault does not hold gets a new placeholder; only the recorder keeps
    the value, to offer it for the vault."""
    task = next(t for t in load_practice_tasks(server.base_url)
                if t.config.task_id == "webmail-login")
    store = TrajectoryStore(tmp_path / "symbiote.db")
    secret = "Orchid-Falcon-7730!"
    with BrowserSession() as browser:
        recorder = DemonstrationRecorder(browser, task, hooks=[StoreRecorder(store)])
        episode_id = recorder.start()
        browser.page.get_by_label("Password").click()
        browser.page.keyboard.type(secret)
        browser.page.get_by_label("Username").click()
        recorder.finish()
    [offered] = recorder.new_secrets
    assert offered.kind == "password" and offered.value == secret
    assert offered.sites == (f"http://127.0.0.1:{server.port}",)
    steps = store.episode(episode_id or -1).steps
    assert steps[0].action.endswith("[{{secret:" + offered.name + "}}] [0]")
    store.close()
    for path in tmp_path.glob("symbiote.db*"):
        assert secret.encode() not in path.read_bytes()
