"""The MCP server: Symbiote's tools for Claude Desktop, Cursor or any MCP client.

The client is a reader off the device like a cloud: every text a tool returns is either a
prompt the boundary released for the episode's mode (step-by-step browsing, app.mcp.driver)
or passes the boundary's redaction (answers, stored episodes, the audit), and every response is
recorded in cloud_requests (`url` mcp://<tool>), so `symbiote audit` shows what the client got.

`--mode` is the most a client may ask for: `run_task` refuses a mode that sends more than it,
and step-by-step browsing uses it (local mode has no seat for the client, so it refuses).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from app.mcp.driver import CLIENT_MODEL, ClientSeat, StepEpisode
from app.mcp.views import AuditLine, EpisodeLine, StepView, TaskResult
from core.actions import describe_actions
from core.agent import AgentConfig, build_router
from core.browser.session import BrowserConfig, BrowserSession
from core.errors import ConfigError, SymbioteError
from core.loop import EpisodeHooks, EpisodeOptions, StepEvent, run_episode
from core.privacy.secrets import Secrets
from core.store.recorder import StoreRecorder
from core.store.service import TrajectoryStore
from core.tasks import AdHocTask, Task

log = logging.getLogger(__name__)

# From the most private to the one that sends most: a client may ask for what --mode allows.
MODE_ORDER = ("local", "hybrid", "hybrid-redact", "cloud")
PRACTICE = "practice/"

READ_LOCAL = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True,
                             openWorldHint=False)
BROWSE = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False,
                         openWorldHint=True)
OPEN = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=False,
                       openWorldHint=True)

INSTRUCTIONS = f"""Symbiote browses in a real local Chromium and decides on this device what
you may see. run_task lets Symbiote's own agent do a task. open/observe/act let you drive the
browser one step at a time: you receive the step prompt (OBJECTIVE, PREVIOUS ACTIONS,
OBSERVATION with `[id] role 'name'` lines); personal data may be placeholders such as
<EMAIL_7QX2> that you can use in actions (they are mapped back on the device), secrets are
{{{{secret:NAME}}}}, and steps with private data may be decided on the device without you.
Actions (one per act call):
{describe_actions()}"""


@dataclass
class Services:
    """What the tools share: the config from the command line, the DB, the practice sites."""

    config: AgentConfig
    db_path: str
    browser: BrowserConfig = field(default_factory=BrowserConfig)
    secrets: Callable[[], Secrets] = Secrets
    _store: TrajectoryStore | None = None
    _sites: Any = None
    _redactor: Callable[[str, str], str] | None = None
    episode: StepEpisode | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def store(self) -> TrajectoryStore:
        if self._store is None:
            self._store = TrajectoryStore(self.db_path)
        return self._store

    def practice_tasks(self) -> dict[str, Task]:
        """The bundled practice sites, served on 127.0.0.1 on first use."""
        from trainer.suites.practice.tasks import load_practice_tasks
        from trainer.suites.sites import SiteServer

        if self._sites is None:
            self._sites = SiteServer().start()
        return {t.id: t for t in load_practice_tasks(self._sites.base_url)}

    def episode_secrets(self, task: Task) -> Secrets:
        if task.id.startswith(PRACTICE):
            from trainer.suites.practice.tasks import demo_secrets

            return demo_secrets(self._sites.base_url)
        return self.secrets()

    def task(self, task: str, start_url: str) -> Task:
        """A practice task by id (`practice/shop-open-product`), else the user's task."""
        if task.startswith(PRACTICE) and not start_url:
            tasks = self.practice_tasks()
            if task not in tasks:
                raise ConfigError(f"unknown practice task {task!r}; known: {', '.join(tasks)}")
            return tasks[task]
        return AdHocTask.create(task, start_url)

    def redact(self, text: str, where: str = "task") -> str:
        """For texts the boundary has not released: every finding replaced, secrets masked."""
        if not text:
            return text
        if self._redactor is None:
            from core.privacy.boundary import export_redactor

            secrets = self.secrets()
            if self._sites is not None:
                from trainer.suites.practice.tasks import demo_secrets

                secrets = secrets.plus(demo_secrets(self._sites.base_url).items())
            self._redactor = export_redactor(secrets)  # type: ignore[assignment]
        return self._redactor(text, where)  # type: ignore[misc]

    def record(self, tool: str, response: object, episode_id: int | None = None,
               step: int = -1) -> None:
        """Every response to the client is a payload that left: audited like one."""
        data = json.loads(json.dumps(response, default=_plain))
        row = self.store.start_cloud_request(episode_id=episode_id, step_idx=step,
                                             url=f"mcp://{tool}", model=CLIENT_MODEL,
                                             payload={"tool": tool, "response": data})
        self.store.finish_cloud_request(row, status="ok")

    def allowed(self, mode: str) -> str:
        if mode not in MODE_ORDER:
            raise ConfigError(f"unknown mode {mode!r}; choose one of: {', '.join(MODE_ORDER)}")
        if MODE_ORDER.index(mode) > MODE_ORDER.index(self.config.mode):
            raise ConfigError(f"mode {mode!r} sends more than this server allows "
                              f"({self.config.mode!r}); start `symbiote mcp --mode {mode}`")
        return mode

    def close(self) -> None:
        if self.episode is not None:
            self.episode.close()
        if self._sites is not None:
            self._sites.stop()


@contextlib.contextmanager
def user_errors(services: Services) -> Iterator[None]:
    """A user's error reaches the client as the tool's error, in one redacted sentence; the
    program's own faults stay in the server's log."""
    try:
        yield
    except SymbioteError as exc:
        raise ToolError(services.redact(str(exc))) from exc


def _plain(value: object) -> object:
    if hasattr(value, "model_dump"):
        return value.model_dump()  # type: ignore[attr-defined]
    return str(value)


class _Progress(EpisodeHooks):
    """A progress notification per step, from the loop's thread, its text redacted."""

    def __init__(self, ctx: Context, services: Services, total: int) -> None:
        self.ctx, self.services, self.total = ctx, services, total

    def on_step(self, event: StepEvent) -> None:
        text = self.services.redact(f"step {event.idx + 1}: {event.decision.action.to_text()}"
                                    f" ({event.decision.route})")
        try:
            anyio.from_thread.run(self.ctx.report_progress, event.idx + 1, self.total, text)
        except Exception:  # a client that went away does not stop the episode
            log.debug("progress notification not sent", exc_info=True)


def build_server(services: Services) -> MCPServer:
    server = MCPServer(name="symbiote", instructions=INSTRUCTIONS, log_level="WARNING")
    tool_lock = anyio.Lock()  # one browser, one small model: tool calls take turns

    @server.tool(annotations=BROWSE)
    async def run_task(task: str, ctx: Context, start_url: str = "",
                       mode: str = "local") -> TaskResult:
        """Let Symbiote's own agent do a task in the browser and return its answer, outcome
        and episode id. `task` in natural language with `start_url`, or a bundled practice
        task id (e.g. practice/shop-open-product) without one. `mode` local (default: nothing
        leaves the device), hybrid, hybrid-redact or cloud, up to what the server allows."""
        with user_errors(services):
            allowed = services.allowed(mode)
            async with tool_lock:
                result = await anyio.to_thread.run_sync(_run_task, services, task, start_url,
                                                        allowed, ctx)
        services.record("run_task", result, result.episode_id)
        return result

    @server.tool(annotations=OPEN)
    async def open(url: str, task: str = "") -> StepView:  # noqa: A001 (the tool's name)
        """Open a page to drive it step by step with observe and act. `task` is the
        objective shown in every step prompt. `url` may be a practice task id such as
        practice/webmail-jamie-phone (its own objective and evaluator)."""
        with user_errors(services):
            async with tool_lock:
                view = await anyio.to_thread.run_sync(_open, services, url, task)
        services.record("open", view, view.episode_id, view.step)
        return view

    @server.tool(annotations=READ_LOCAL)
    async def observe() -> StepView:
        """The current step prompt of the open page (what the boundary released)."""
        with user_errors(services):
            async with tool_lock:
                episode = _current(services)
                view = episode.view(_episode_redactor(services, episode))
        services.record("observe", view, view.episode_id, view.step)
        return view

    @server.tool(annotations=BROWSE)
    async def act(action: str, reason: str = "") -> StepView:
        """Do one action on the open page, e.g. `click [12]`, `type [5] [<EMAIL_7QX2>] [1]`,
        `stop [the answer]`; returns the next step prompt, or the outcome when finished."""
        with user_errors(services):
            async with tool_lock:
                episode = _current(services)
                await anyio.to_thread.run_sync(episode.act, action, reason)
                view = episode.view(_episode_redactor(services, episode))
        services.record("act", view, view.episode_id, view.step)
        return view

    @server.tool(annotations=READ_LOCAL)
    async def list_episodes(limit: int = 20) -> list[EpisodeLine]:
        """The newest episodes in Symbiote's database, their tasks redacted."""
        with user_errors(services):
            lines = await anyio.to_thread.run_sync(_list_episodes, services, limit)
        services.record("list_episodes", lines)
        return lines

    @server.tool(annotations=READ_LOCAL)
    async def get_episode(episode_id: int) -> dict[str, Any]:
        """One episode with its steps, redacted as an export is."""
        with user_errors(services):
            data = await anyio.to_thread.run_sync(_get_episode, services, episode_id)
        services.record("get_episode", data, episode_id)
        return data

    @server.tool(annotations=READ_LOCAL)
    async def audit(episode_id: int) -> list[AuditLine]:
        """What left the device in an episode: every cloud request and MCP response."""
        with user_errors(services):
            lines = await anyio.to_thread.run_sync(_audit, services, episode_id)
        services.record("audit", lines, episode_id)
        return lines

    return server


def _run_task(services: Services, task_text: str, start_url: str, mode: str,
              ctx: Context) -> TaskResult:
    task = services.task(task_text, start_url)
    config = AgentConfig(**{**services.config.__dict__, "mode": mode})
    store = TrajectoryStore(services.db_path)
    try:
        router = build_router(config, store=store)
        secrets = services.episode_secrets(task)
        with BrowserSession(services.browser) as session:
            result = run_episode(task, session, router, secrets=secrets,
                                 hooks=[StoreRecorder(store),
                                        _Progress(ctx, services, task.max_steps)],
                                 options=EpisodeOptions(mode=mode, source="mcp"))
    finally:
        store.close()
    return TaskResult(episode_id=result.episode_id, outcome=result.outcome,
                      answer=services.redact(result.answer), steps=len(result.steps),
                      detail=services.redact(result.detail),
                      error=services.redact(result.error))


def _open(services: Services, url: str, objective: str) -> StepView:
    mode = services.config.mode
    if mode == "local":
        raise ConfigError("step-by-step browsing makes you the large seat, which local mode "
                          "does not have: start `symbiote mcp --mode hybrid-redact` (or hybrid)")
    if services.episode is not None:
        services.episode.close()
        services.episode = None
    task = (services.task(url, "") if url.startswith(PRACTICE)
            else AdHocTask.create(objective or "Browse the page as the user asks.", url))
    config = AgentConfig(**{**services.config.__dict__, "mode": mode})

    def make_router(seat: ClientSeat):  # type: ignore[no-untyped-def]
        return build_router(config, large_seat=seat)

    episode = StepEpisode(task, services.episode_secrets(task), make_router,
                          services.db_path, mode, services.browser)
    services.episode = episode
    episode.start()
    return episode.view(_episode_redactor(services, episode))


def _episode_redactor(services: Services, episode: StepEpisode) -> Callable[[str], str]:
    """The episode's own boundary (its placeholders) when it has one."""
    boundary = getattr(episode.router, "boundary", None)
    if boundary is not None:
        return lambda text: boundary.redact(text, "task")
    return services.redact


def _current(services: Services) -> StepEpisode:
    if services.episode is None:
        raise ConfigError("no page is open: call open first")
    return services.episode


def _list_episodes(services: Services, limit: int) -> list[EpisodeLine]:
    rows = services.store.episode_summaries()[: max(1, min(limit, 200))]
    return [EpisodeLine(id=r.id, task_id=r.task_id, intent=services.redact(r.intent),
                        mode=r.mode, outcome=r.outcome, started_at=r.started_at,
                        steps=r.steps, cloud_steps=r.cloud_steps) for r in rows]


def _get_episode(services: Services, episode_id: int) -> dict[str, Any]:
    from core.store.export import redact_episode

    episode = services.store.episode(episode_id)
    return redact_episode(episode, services.redact).model_dump()  # type: ignore[arg-type]


def _audit(services: Services, episode_id: int) -> list[AuditLine]:
    return [AuditLine(id=int(r["id"]), step_idx=r["step_idx"],  # type: ignore[arg-type]
                      url=str(r["url"]), model=str(r["model"]), status=str(r["status"]),
                      payload=services.redact(str(r["payload"])),
                      response=services.redact(str(r["response"] or "")),
                      input_tokens=int(r["input_tokens"] or 0),  # type: ignore[call-overload]
                      output_tokens=int(r["output_tokens"] or 0))  # type: ignore[call-overload]
            for r in services.store.cloud_requests(episode_id)]


def serve(services: Services, http_port: int | None = None) -> None:
    """stdio (the default), or streamable HTTP on 127.0.0.1:PORT."""
    server = build_server(services)
    try:
        if http_port is None:
            server.run("stdio")
        else:
            server.run("streamable-http", host="127.0.0.1", port=http_port)
    except SymbioteError:
        raise
    finally:
        services.close()
