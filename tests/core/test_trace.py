"""`--trace`: a Playwright trace per episode, real Chromium on the practice sites, and no
typed secret in any file of it (tests.support.redteam.Leaks: every encoding)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from core.browser.session import BrowserSession
from core.loop import EpisodeResult, run_episode
from core.routing.base import SingleSeatRouter
from core.store.recorder import StoreRecorder, TraceRecorder
from core.store.service import TrajectoryStore
from tests.support.redteam import Leaks
from trainer.suites import reference_teacher
from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer


def traced(task_id: str, server: SiteServer, session: BrowserSession,
           tmp_path: Path) -> tuple[EpisodeResult, list[Path]]:
    store = TrajectoryStore(tmp_path / "t.db")
    task = {t.id: t for t in load_practice_tasks(server.base_url)}["practice/" + task_id]
    tracer = TraceRecorder(session, store)
    result = run_episode(task, session, SingleSeatRouter(reference_teacher()),
                         secrets=demo_secrets(server.base_url),
                         hooks=[StoreRecorder(store), tracer])
    store.close()
    return result, tracer.saved


def members(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8", "replace") for n in z.namelist()}


def test_a_trace_per_episode(server: SiteServer, session: BrowserSession,
                             tmp_path: Path) -> None:
    result, saved = traced("shop-open-product", server, session, tmp_path)
    assert result.outcome == "success"
    assert saved == [tmp_path / "traces" / f"episode-{result.episode_id}.zip"]
    files = members(saved[0])
    assert "trace.trace" in files and any(n.endswith(".jpeg") for n in files)  # screencast
    assert "Canvas Day Backpack" in "\n".join(files.values())                  # snapshots


def test_no_typed_secret_in_the_trace(server: SiteServer, session: BrowserSession,
                                      tmp_path: Path) -> None:
    result, saved = traced("webmail-login", server, session, tmp_path)
    assert result.outcome == "success"
    # before the password was typed, and after the sign-in left that page
    assert [p.name for p in saved] == [f"episode-{result.episode_id}.zip",
                                       f"episode-{result.episode_id}-part2.zip"]
    texts = {f"{p.name}:{n}": t for p in saved for n, t in members(p).items()}
    assert "alex.morgan" in "\n".join(members(saved[0]).values())  # the username, typed
    assert "inbox" in "\n".join(members(saved[1]).values()).lower()
    Leaks(demo_secrets().values()).assert_clean(texts)
