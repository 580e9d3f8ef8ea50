"""The user's own logins: a named profile keeps a sign-in across two sessions; the default
session starts empty; a session can attach to a Chromium that already runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.browser.session import BrowserConfig, BrowserSession
from core.errors import BrowserError, ConfigError
from core.loop import run_episode
from core.paths import profile_dir
from core.routing.base import SingleSeatRouter
from tests.support.chromium import debuggable_chromium
from trainer.suites.practice.solvers import SOLVERS
from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy

SESSION_JS = "() => (JSON.parse(localStorage.getItem('practice.webmail') || '{}').session || '')"


def _signed_in_as(session: BrowserSession, server: SiteServer) -> str:
    session.goto(server.url("webmail/inbox.html"))
    return str(session.page.evaluate(SESSION_JS))


def test_a_profile_keeps_a_login_across_runs(server: SiteServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYMBIOTE_HOME", str(tmp_path))
    folder = profile_dir("mail")
    assert folder == tmp_path / "profiles" / "mail"
    login = next(t for t in load_practice_tasks(server.base_url)
                 if t.config.task_id == "webmail-login")
    with BrowserSession(BrowserConfig(profile_dir=folder)) as first:
        result = run_episode(login, first, SingleSeatRouter(TeacherPolicy(SOLVERS)),
                             secrets=demo_secrets())
        assert result.outcome == "success"
    with BrowserSession(BrowserConfig(profile_dir=folder)) as second:
        assert _signed_in_as(second, server) == "alex.morgan"
    with BrowserSession() as fresh:  # the default: nothing of the profile
        assert _signed_in_as(fresh, server) == ""
    with pytest.raises(ConfigError):
        profile_dir("../escape")


def test_attach_to_a_running_chromium(server: SiteServer, tmp_path: Path) -> None:
    with debuggable_chromium(tmp_path) as (url, proc):
        with BrowserSession(BrowserConfig(cdp_url=url)) as attached:
            attached.goto(server.url("shop/index.html"))
            assert any(e.name == "Products" for e in attached.observe().elements)
        assert proc.poll() is None  # the user's browser is left running
        with pytest.raises(BrowserError, match="cannot attach"):
            BrowserSession(BrowserConfig(cdp_url="http://127.0.0.1:9")).start()
