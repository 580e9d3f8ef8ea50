"""`symbiote mcp` as an MCP client sees it: the SDK's stdio client starts the real command
(`python -m app.cli.main mcp`, its own SYMBIOTE_HOME), lists the tools, lets Symbiote's agent
do a practice task in local mode (the shipped SmolLM2 student: shop-open-product is the
practice task it solves, docs/history-wave1.md), and drives another one step by step in
hybrid-redact as the large seat. Nothing is faked: the server's Chromium, detector, model and
SQLite are the product's. One session serves every test of the module.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from core.store.service import TrajectoryStore
from tests.core.test_leak import PAGE_CANARIES
from tests.support.redteam import Leaks, Payload
from trainer.suites.practice.tasks import demo_secrets

ROOT = Path(__file__).resolve().parents[2]
PHONE = "(541) 555-0199"


@dataclass
class Session:
    home: Path
    tools: dict[str, object] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)   # every text the client got
    responses: list[object] = field(default_factory=list)  # every tool's structured answer
    progress: list[tuple[float, str]] = field(default_factory=list)
    task: dict[str, object] = field(default_factory=dict)
    views: list[dict[str, object]] = field(default_factory=list)
    episode: dict[str, object] = field(default_factory=dict)
    audit: list[dict[str, object]] = field(default_factory=list)
    refused: str = ""

    @property
    def db(self) -> Path:
        return self.home / "symbiote.db"


def server_params(home: Path, *args: str) -> StdioServerParameters:
    env = {"SYMBIOTE_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    if os.environ.get("SYMBIOTE_CHROMIUM"):
        env["SYMBIOTE_CHROMIUM"] = os.environ["SYMBIOTE_CHROMIUM"]
    return StdioServerParameters(command=sys.executable, args=["-m", "app.cli.main", "mcp",
                                                               *args], env=env, cwd=str(ROOT))


def placeholder_client(prompt: str) -> str:
    """The large seat's mind: open the mail from the person the objective names (a
    placeholder), then answer with the number's placeholder."""
    payload = Payload.read({"messages": [{"content": prompt}]})
    person = re.search(r"<PERSON_[0-9A-Z]{4}>", payload.objective)
    phone = re.search(r"<PHONE_[0-9A-Z]{4}>", payload.user)
    if phone and payload.find("heading", "moved"):
        return f"stop [{phone.group(0)}]"
    link = person and payload.find("link", person.group(0))
    assert link, f"no link from the person in:\n{prompt}"
    return f"click [{link.id}]"


async def call(client: ClientSession, s: Session, tool: str, **arguments: object) -> object:
    result = await client.call_tool(tool, arguments)
    for block in result.content:
        s.received.append(getattr(block, "text", ""))
    assert not result.is_error, result.content
    data = result.structured_content
    s.received.append(json.dumps(data))
    s.responses.append(data)
    return data.get("result", data) if isinstance(data, dict) else data


async def scenario(s: Session) -> None:
    async with stdio_client(server_params(s.home)) as (read, write):
        async with ClientSession(read, write) as client:
            await client.initialize()
            s.tools = {t.name: t.annotations for t in (await client.list_tools()).tools}

            async def progress(done: float, total: float | None, message: str | None) -> None:
                s.progress.append((done, message or ""))
                s.received.append(message or "")

            result = await client.call_tool("run_task", {"task": "practice/shop-open-product"},
                                            progress_callback=progress)
            assert not result.is_error, result.content
            s.task = result.structured_content  # type: ignore[assignment]
            s.received.append(json.dumps(s.task))
            s.responses.append(s.task)

            denied = await client.call_tool("run_task", {"task": "practice/shop-open-product",
                                                         "mode": "cloud"})
            s.refused = " ".join(getattr(b, "text", "") for b in denied.content)

            view = await call(client, s, "open", url="practice/webmail-jamie-phone")
            s.views.append(view)  # type: ignore[arg-type]
            assert (await call(client, s, "observe")) == view
            while view["status"] == "your_turn" and len(s.views) < 5:  # type: ignore[index]
                view = await call(client, s, "act",
                                  action=placeholder_client(view["prompt"]),  # type: ignore[index]
                                  reason="as the objective asks")
                s.views.append(view)  # type: ignore[arg-type]
            episode_id = view["episode_id"]  # type: ignore[index]
            await call(client, s, "list_episodes")
            s.episode = await call(client, s, "get_episode",  # type: ignore[assignment]
                                   episode_id=episode_id)
            s.audit = await call(client, s, "audit",  # type: ignore[assignment]
                                 episode_id=episode_id)


@pytest.fixture(scope="module")
def mcp_session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    s = Session(home=tmp_path_factory.mktemp("mcp-home"))
    anyio.run(scenario, s)
    return s


def test_tools_carry_annotations(mcp_session: Session) -> None:
    tools = mcp_session.tools
    assert set(tools) == {"run_task", "open", "observe", "act", "list_episodes",
                          "get_episode", "audit"}
    for name in ("observe", "list_episodes", "get_episode", "audit"):
        assert tools[name].read_only_hint and not tools[name].destructive_hint  # type: ignore[attr-defined]
    for name in ("run_task", "act"):
        assert tools[name].destructive_hint and tools[name].open_world_hint  # type: ignore[attr-defined]


def test_run_task_in_local_mode(mcp_session: Session) -> None:
    task = mcp_session.task
    assert task["outcome"] == "success", task
    assert mcp_session.progress and mcp_session.progress[0][0] == 1
    assert mcp_session.progress[-1][1].startswith(f"step {task['steps']}:")
    assert "sends more than this server allows" in mcp_session.refused


def test_step_by_step_in_hybrid_redact(mcp_session: Session) -> None:
    views = mcp_session.views
    assert [v["status"] for v in views] == ["your_turn", "your_turn", "finished"], views
    assert views[-1]["outcome"] == "success"
    assert re.fullmatch(r"<PHONE_[0-9A-Z]{4}>", str(views[-1]["answer"])), views[-1]
    # The placeholder was mapped back on the device: the page's number is the answer.
    store = TrajectoryStore(mcp_session.db)
    episode = store.episode(int(views[-1]["episode_id"]))  # type: ignore[arg-type]
    assert episode.outcome == "success" and episode.answer == PHONE
    assert [s.route for s in episode.steps] == ["cloud", "cloud"]


def test_nothing_private_reached_the_client(mcp_session: Session) -> None:
    received = [t for t in mcp_session.received if t]
    assert any("<PERSON_" in t for t in received), "nothing was redacted: proves nothing"
    secrets = demo_secrets().values()
    Leaks([*secrets, *PAGE_CANARIES, "Jamie Rivera", "jamie.rivera"]).assert_clean(
        {"what the MCP client received": received})


def test_every_response_is_in_cloud_requests(mcp_session: Session) -> None:
    store = TrajectoryStore(mcp_session.db)
    rows = store.cloud_requests()
    audited = [json.loads(str(r["payload"])) for r in rows]
    sent = [a["response"] for a in audited if "response" in a]
    for response in mcp_session.responses:
        inner = response.get("result", response) if isinstance(response, dict) else response
        assert inner in sent, f"not audited: {str(inner)[:200]}"
    # the step payloads handed to the client are audited with the client's action
    steps = [r for r in rows if r["url"] == "mcp://client"]
    assert [r["status"] for r in steps] == ["ok", "ok"]
    assert steps[-1]["response"].endswith("ACTION: stop [" +  # type: ignore[union-attr]
                                          str(mcp_session.views[-1]["answer"]) + "]")
    assert mcp_session.audit and any(a["url"] == "mcp://client" for a in mcp_session.audit)


def test_streamable_http_on_localhost(tmp_path: Path) -> None:
    """`symbiote mcp --http PORT`: the same tools over streamable HTTP, bound to 127.0.0.1."""
    import socket
    import subprocess
    import time

    from mcp.client.streamable_http import streamable_http_client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    params = server_params(tmp_path)
    proc = subprocess.Popen([params.command, *params.args, "--http", str(port)],
                            env={**os.environ, **(params.env or {})}, cwd=params.cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)

        async def listing() -> tuple[set[str], object]:
            async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write):
                async with ClientSession(read, write) as client:
                    await client.initialize()
                    tools = {t.name for t in (await client.list_tools()).tools}
                    result = await client.call_tool("list_episodes", {})
                    return tools, result.structured_content

        tools, episodes = anyio.run(listing)
        assert {"run_task", "open", "observe", "act"} <= tools
        assert episodes == {"result": []}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
