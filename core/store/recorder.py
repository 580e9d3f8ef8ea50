"""The store's subscriber to an episode: it numbers the episode and commits each step's row
as it happens, with the episode's secret values masked out of every text."""

from __future__ import annotations

from pathlib import Path

from core.browser.session import BrowserSession
from core.loop import EpisodeHooks, EpisodeResult, EpisodeStart, StepEvent
from core.privacy.secrets import NO_SECRETS, Secrets
from core.prompts import prompt_parts
from core.store.service import TrajectoryStore
from core.store.views import StepRecord


class StoreRecorder(EpisodeHooks):
    def __init__(self, store: TrajectoryStore) -> None:
        self.store = store
        self.secrets = NO_SECRETS
        self.episode_id: int | None = None

    def on_start(self, start: EpisodeStart) -> int:
        task, options = start.task, start.options
        self.secrets = start.secrets
        self.store.upsert_task(task.id, task.source, start.intent, task.start_url)
        self.episode_id = self.store.start_episode(
            task_id=task.id, intent=self.secrets.mask(start.intent), start_url=task.start_url,
            mode=options.mode, policy=start.router_id, source=options.source, seed=options.seed)
        return self.episode_id

    def on_step(self, event: StepEvent) -> None:
        if self.episode_id is not None:
            self.store.add_step(self.episode_id, step_record(event, self.secrets),
                                screenshot=event.screenshot)

    def on_finish(self, result: EpisodeResult) -> None:
        if self.episode_id is not None:
            self.store.finish_episode(self.episode_id, outcome=result.outcome,
                                      reward=result.reward,
                                      answer=self.secrets.mask(result.answer))


def step_record(event: StepEvent, secrets: Secrets = NO_SECRETS) -> StepRecord:
    """The row of one step: texts as the models saw them, secret values masked."""
    mask = secrets.mask
    decision = event.decision
    candidates = []
    for c in decision.candidates:
        entry: dict[str, object] = {"action": mask(c.action.to_text()),
                                    "rationale": mask(c.rationale), "score": c.score,
                                    "source": c.source}
        if "grounded_from" in c.meta:  # the model's own click, before grounding in its reason
            entry["grounded_from"] = mask(str(c.meta["grounded_from"]))
        if c.meta.get("label"):  # what should have been done (trainer.speculative's slips)
            entry["label"] = True
        candidates.append(entry)
    parts = prompt_parts(event.context)
    return StepRecord(
        idx=event.idx, url=mask(event.observation.url), observation=mask(event.observation.text()),
        action=mask(decision.action.to_text()), rationale=mask(decision.rationale),
        policy_id=decision.policy_id, route=decision.route,
        findings=[f.to_dict() for f in decision.findings], candidates=candidates,
        latency_ms=round(event.latency_ms, 2), error=mask(event.error),
        prompt_history=[mask(h) for h in parts.history_lines()],
        notes=[mask(n) for n in parts.notes], why=decision.why, url_after=mask(event.url_after))


class TraceRecorder(EpisodeHooks):
    """`--trace`: the episode's Playwright trace next to the DB (core.browser.trace says what
    it holds and why it pauses around typed secrets)."""

    def __init__(self, session: BrowserSession, store: TrajectoryStore) -> None:
        self.session = session
        self.folder = trace_folder(store)
        self.saved: list[Path] = []

    def on_start(self, start: EpisodeStart) -> None:
        self.session.start_trace(title=start.task.id)

    def on_finish(self, result: EpisodeResult) -> None:
        name = f"episode-{result.episode_id if result.episode_id is not None else 'x'}.zip"
        self.saved = self.session.finish_trace(self.folder / name)


def trace_folder(store: TrajectoryStore) -> Path:
    return store.path.parent / "traces"
