"""The large seats over the wire: Claude's tool call (structured output) and its text
fallback, an OpenAI-compatible `/v1/chat/completions` server, prices and `--budget`.

The fakes of the two APIs are the only test doubles; their mind is the practice sites'
teacher reading the payload as sent (tests.core.test_leak.cloud_brain), so the episodes make
real progress in real Chromium. The router is build_router's (the shipped SmolLM2 on the
device; in cloud mode it decides nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core.actions import action_from_fields, action_schema, parse_action
from core.agent import AgentConfig, build_router
from core.browser.session import BrowserSession
from core.loop import EpisodeOptions, EpisodeResult, run_episode
from core.pricing import Prices
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from tests.core.test_leak import cloud_brain
from tests.support.anthropic_server import FakeAnthropic
from tests.support.openai_server import FakeOpenAI
from trainer.suites.practice.tasks import demo_secrets, load_practice_tasks
from trainer.suites.sites import SiteServer


@pytest.fixture()
def store(tmp_path) -> Iterator[TrajectoryStore]:  # type: ignore[no-untyped-def]
    db = TrajectoryStore(tmp_path / "seats.db")
    yield db
    db.close()


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")


def run(task_id: str, config: AgentConfig, server: SiteServer, session: BrowserSession,
        store: TrajectoryStore, current: dict[str, str]) -> EpisodeResult:
    task = {t.id: t for t in load_practice_tasks(server.base_url)}["practice/" + task_id]
    current["task"] = task.id
    router = build_router(config, store=store)
    return run_episode(task, session, router, secrets=demo_secrets(server.base_url),
                       hooks=[StoreRecorder(store)], options=EpisodeOptions(mode=config.mode))


def test_action_schema_round_trips_every_kind() -> None:
    schema = action_schema()
    assert set(schema["properties"]["action"]["enum"]) == {  # type: ignore[index]
        "click", "type", "select", "scroll", "go_back", "goto", "note", "stop"}
    for text in ["click [3]", "type [5] [alex@mail.example] [1]", "select [2] [Blue]",
                 "scroll [down]", "go_back", "goto [http://127.0.0.1/x]", "note [a fact]",
                 "stop [42]", "stop []"]:
        action = parse_action(text)
        fields = {"action": action.NAME, **{a.field: getattr(action, a.field)
                                            for a in action.ARGS}}
        assert parse_action(action_from_fields(fields)) == action


@pytest.mark.parametrize("tool_use", [True, False], ids=["tool-call", "text-fallback"])
def test_claude_answers_by_tool_call_or_text(tool_use: bool, server: SiteServer,
                                             session: BrowserSession,
                                             store: TrajectoryStore) -> None:
    current = {"task": ""}
    with FakeAnthropic(responder=cloud_brain(current), tool_use=tool_use) as fake:
        result = run("shop-headlamp-price", AgentConfig(mode="cloud", cloud_url=fake.url),
                     server, session, store, current)
        bodies = [r.body for r in fake.requests]
    assert result.outcome == "success", (result.detail, result.error)
    assert all(b["tools"][0]["input_schema"] == action_schema() for b in bodies)  # type: ignore[index]
    assert all(b["tool_choice"] == {"type": "tool", "name": "act"} for b in bodies)
    rows = store.cloud_requests(result.episode_id)
    assert len(rows) == len(bodies) == len(result.steps)
    assert all("\nACTION: " in str(r["response"]) for r in rows)


def test_openai_compatible_seat_runs_a_practice_task(server: SiteServer,
                                                     session: BrowserSession,
                                                     store: TrajectoryStore) -> None:
    current = {"task": ""}
    brain = cloud_brain(current)
    # The chat format: the system turn first, the step prompt second.
    with FakeOpenAI(responder=lambda body: brain(
            {"messages": [body["messages"][1]]})) as fake:  # type: ignore[index]
        config = AgentConfig(mode="cloud", large="openai", cloud_url=fake.base_url,
                             cloud_model="gpt-4o-mini")
        result = run("shop-open-product", config, server, session, store, current)
        requests = list(fake.requests)
    assert result.outcome == "success", (result.detail, result.error)
    assert requests and all(r.path == "/v1/chat/completions" for r in requests)
    assert requests[0].headers.get("authorization") == "Bearer test-key"
    assert [m["role"] for m in requests[0].body["messages"]] == ["system", "user"]  # type: ignore[index]
    rows = store.cloud_requests(result.episode_id)
    assert [r["url"] for r in rows] == [fake.base_url + "/chat/completions"] * len(requests)
    assert all(json.loads(str(r["payload"])) == q.body for r, q in zip(rows, requests,
                                                                       strict=True))
    assert all(int(r["input_tokens"]) > 0 for r in rows)  # type: ignore[call-overload]


def test_budget_stops_the_episode_before_the_request_that_would_exceed_it(
        server: SiteServer, session: BrowserSession, store: TrajectoryStore) -> None:
    current = {"task": ""}
    prices = Prices.load()
    with FakeAnthropic(responder=cloud_brain(current)) as fake:
        # enough for a few steps of the 24-step purchase, not for all of them
        config = AgentConfig(mode="cloud", cloud_url=fake.url, budget_usd=0.02)
        result = run("shop-buy-bottle", config, server, session, store, current)
        sent = len(fake.requests)
    assert result.outcome == "error" and "budget $0.0200 reached" in result.error
    assert 1 <= sent == len(result.steps)   # the steps before it are recorded, nothing lost
    episode = store.episode(result.episode_id)  # type: ignore[arg-type]
    assert episode.outcome == "error" and len(episode.steps) == sent
    rows = store.cloud_requests(result.episode_id)
    assert len(rows) == sent                 # the refused request never left
    spent = prices.total([(str(r["model"]), int(r["input_tokens"]),  # type: ignore[call-overload]
                           int(r["output_tokens"])) for r in rows])  # type: ignore[call-overload]
    assert spent is not None and spent <= 0.02


def test_user_prices_override_the_table(tmp_path) -> None:  # type: ignore[no-untyped-def]
    user = tmp_path / "prices.json"
    user.write_text(json.dumps({"models": {"my-llama": {"input": 0, "output": 0},
                                           "claude-sonnet-5": {"input": 1, "output": 2}}}))
    prices = Prices.load(user)
    assert prices.cost("my-llama", 10**6, 10**6) == 0
    assert prices.cost("claude-sonnet-5", 10**6, 10**6) == 3
    assert prices.cost("gpt-4o-2024-08-06", 10**6, 0) == 2.5   # a dated name: its family
    assert prices.cost("unknown-model", 1, 1) is None
