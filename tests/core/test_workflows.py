"""Saved workflows on real Chromium and the practice sites: a teacher episode saved as a
workflow replays with no model at all, with another parameter too, and a renamed button hands
the rest to the agent with the step where it happened recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.browser.session import BrowserSession
from core.errors import WorkflowError
from core.loop import EpisodeOptions, EpisodeResult, run_episode
from core.routing.base import Router, SingleSeatRouter
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.workflows.replay import ReplayRouter, WorkflowTask, parameter_values
from core.workflows.service import WorkflowLibrary, workflow_from_episode
from core.workflows.views import Workflow
from trainer.suites.practice.solvers import SOLVERS
from trainer.suites.practice.tasks import PracticeTask, demo_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer
from trainer.teacher import TeacherPolicy


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrajectoryStore]:
    db = TrajectoryStore(tmp_path_factory.mktemp("wf") / "symbiote.db")
    yield db
    db.close()


@pytest.fixture(scope="module")
def tasks(server: SiteServer) -> dict[str, PracticeTask]:
    return {t.config.task_id: t for t in load_practice_tasks(server.base_url)}


@pytest.fixture()
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp must never be loaded: building the on-device model fails the test."""
    from core.llm import llama

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a replay loaded llama.cpp")
    monkeypatch.setattr(llama.LlamaModel, "__init__", refuse)


def teacher() -> Router:
    return SingleSeatRouter(TeacherPolicy(SOLVERS))


def teacher_episode(task: PracticeTask, session: BrowserSession, store: TrajectoryStore) -> int:
    result = run_episode(task, session, teacher(), secrets=demo_secrets(),
                         hooks=[StoreRecorder(store)], options=EpisodeOptions(source="teacher"))
    assert result.outcome == "success" and result.episode_id is not None
    return result.episode_id


def replay(workflow: Workflow, task: PracticeTask | None, session: BrowserSession,
           store: TrajectoryStore, values: dict[str, str] | None = None,
           fallback: Router | None = None) -> tuple[EpisodeResult, ReplayRouter]:
    def agent() -> Router:
        if fallback is None:
            raise AssertionError("the replay fell back to the agent")
        return fallback
    filled = parameter_values(workflow, values or {})
    router = ReplayRouter(workflow, filled, agent)
    run_task = task or WorkflowTask(workflow, filled, lambda: router.state)
    result = run_episode(run_task, session, router, secrets=demo_secrets(),
                         hooks=[StoreRecorder(store)],
                         options=EpisodeOptions(source="workflow"))
    return result, router


def test_teacher_episode_replays_without_a_model(
        tasks: dict[str, PracticeTask], session: BrowserSession, store: TrajectoryStore,
        tmp_path: Path, no_model: None) -> None:
    task = tasks["shop-add-socks"]
    episode_id = teacher_episode(task, session, store)
    workflow = workflow_from_episode(store.episode(episode_id), "socks",
                                     {"product": "Merino Wool Socks (2 pairs)"})
    # The typed quantity came from the task: it is a parameter too, found on its own.
    assert workflow.params == {"product": "Merino Wool Socks (2 pairs)", "quantity": "2"}
    assert workflow.intent == "Add {{param:quantity}} {{param:product}} to the cart."
    assert all(s.target is None or s.target.role for s in workflow.steps)
    library = WorkflowLibrary(tmp_path / "workflows")
    library.save(workflow)
    assert library.load("socks") == workflow and library.names() == ["socks"]
    with pytest.raises(WorkflowError, match="exists"):
        library.save(workflow)

    result, router = replay(workflow, task, session, store)
    assert result.outcome == "success", result.detail
    assert router.state.completed
    stored = store.episode(result.episode_id or -1)
    assert stored.source == "workflow" and stored.policy == "workflow"
    assert {s.policy_id for s in stored.steps} == {"workflow"}
    assert store.cloud_requests(result.episode_id) == []

    # Another product and quantity: the same workflow, no model either.
    mug = PracticeTask(task.config.model_copy(deep=True), task.base_url, task.secrets)
    mug.config.intent = "Add 3 Enamel Camping Mug to the cart."
    mug.config.eval.program_html[0].required_contents.exact_match = "p5 x3"
    result, router = replay(workflow, mug, session, store,
                            {"product": "Enamel Camping Mug", "quantity": "3"})
    assert result.outcome == "success", result.detail
    assert store.cloud_requests(result.episode_id) == []
    with pytest.raises(WorkflowError, match="no parameter colour"):
        parameter_values(workflow, {"colour": "red"})


def test_renamed_button_falls_back_to_the_agent_and_records_where(
        tasks: dict[str, PracticeTask], session: BrowserSession,
        store: TrajectoryStore) -> None:
    task = tasks["shop-add-socks"]
    workflow = workflow_from_episode(store.episode(teacher_episode(task, session, store)),
                                     "socks2")

    def renamed(route, request) -> None:  # type: ignore[no-untyped-def]
        body = route.fetch().text().replace('"Add to cart"', '"Add to basket"')
        route.fulfill(body=body, content_type="application/javascript")
    session.page.route("**/shop/app.js", renamed)
    try:
        result, router = replay(workflow, task, session, store, fallback=teacher())
    finally:
        session.page.unroute("**/shop/app.js")
    steps = store.episode(result.episode_id or -1).steps
    where = next(s for s in steps if s.policy_id != "workflow")
    assert router.state.fell_back_at is not None
    assert "fell back to the agent (teacher) at workflow step" in where.why
    assert "no button 'Add to cart'" in where.why
    assert all(s.policy_id == "workflow" for s in steps[:where.idx])
    assert result.outcome != "success"  # the agent finished: nobody can say it worked
