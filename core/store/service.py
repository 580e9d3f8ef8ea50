"""The trajectory store: SQLite (WAL) through sqlite-utils.

Every step is committed as it happens, so a kill -9 mid-episode loses at most the step in
flight. Observations, actions and payloads are stored as the models saw them: secrets are
placeholders or masked before they get here (see core.loop).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from pydantic import ValidationError

from core.prompts import assistant_target, format_user_prompt, system_prompt
from core.store.views import ChatMessage, EpisodeRecord, ExportedEpisode, StepRecord

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The database cannot be opened or written. The message names the path."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class TrajectoryStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10)
            self.db = sqlite_utils.Database(conn)
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._create_schema()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the database at {self.path}: {exc}") from exc

    def close(self) -> None:
        self.db.conn.close()

    def _create_schema(self) -> None:
        db = self.db
        db["tasks"].create(
            {"id": str, "source": str, "intent": str, "start_url": str, "config": str},
            pk="id", if_not_exists=True,
        )
        db["episodes"].create(
            {"id": int, "task_id": str, "intent": str, "start_url": str, "mode": str,
             "policy": str, "source": str, "seed": int, "outcome": str, "reward": float,
             "answer": str, "started_at": str, "ended_at": str},
            pk="id", if_not_exists=True,
        )
        db["steps"].create(
            {"id": int, "episode_id": int, "idx": int, "url": str, "observation": str,
             "action": str, "rationale": str, "policy_id": str, "route": str,
             "findings": str, "candidates": str, "latency_ms": float, "error": str,
             "prompt_history": str, "notes": str, "screenshot": bytes, "created_at": str},
            pk="id", foreign_keys=[("episode_id", "episodes", "id")], if_not_exists=True,
        )
        db["cloud_requests"].create(
            {"id": int, "episode_id": int, "step_idx": int, "created_at": str, "url": str,
             "model": str, "payload": str, "response": str, "status": str,
             "input_tokens": int, "output_tokens": int, "error": str},
            pk="id", if_not_exists=True,
        )
        db["steps"].create_index(["episode_id", "idx"], unique=True, if_not_exists=True)

    # --- writes -------------------------------------------------------------------------

    def upsert_task(self, task_id: str, source: str, intent: str, start_url: str,
                    config: dict[str, object] | None = None) -> None:
        self.db["tasks"].upsert(
            {"id": task_id, "source": source, "intent": intent, "start_url": start_url,
             "config": json.dumps(config or {})}, pk="id")

    def start_episode(self, *, task_id: str, intent: str, start_url: str, mode: str,
                      policy: str, source: str = "agent", seed: int | None = None) -> int:
        table = self.db["episodes"]
        table.insert({"task_id": task_id, "intent": intent, "start_url": start_url,
                      "mode": mode, "policy": policy, "source": source, "seed": seed,
                      "outcome": "running", "reward": None, "answer": "",
                      "started_at": _now(), "ended_at": None})
        return int(table.last_pk)

    def add_step(self, episode_id: int, step: StepRecord, screenshot: bytes | None = None) -> None:
        row = step.model_dump()
        for key in ("findings", "candidates", "prompt_history", "notes"):
            row[key] = json.dumps(row[key])
        row.update(episode_id=episode_id, created_at=_now(), screenshot=screenshot)
        self.db["steps"].insert(row)

    def finish_episode(self, episode_id: int, *, outcome: str, reward: float | None,
                       answer: str = "") -> None:
        self.db["episodes"].update(episode_id, {"outcome": outcome, "reward": reward,
                                                "answer": answer, "ended_at": _now()})

    def record_cloud_request(self, row: dict[str, object]) -> int:
        row = {**row, "created_at": _now()}
        table = self.db["cloud_requests"]
        table.insert(row)
        return int(table.last_pk)

    def delete_episode(self, episode_id: int) -> None:
        with self.db.conn:
            self.db.execute("DELETE FROM steps WHERE episode_id = ?", [episode_id])
            self.db.execute("DELETE FROM cloud_requests WHERE episode_id = ?", [episode_id])
            self.db.execute("DELETE FROM episodes WHERE id = ?", [episode_id])

    # --- reads --------------------------------------------------------------------------

    def episode_ids(self, *, outcome: str | None = None, source: str | None = None,
                    task_prefix: str | None = None) -> list[int]:
        where, args = [], []
        if outcome:
            where.append("outcome = ?")
            args.append(outcome)
        if source:
            where.append("source = ?")
            args.append(source)
        if task_prefix:
            where.append("task_id LIKE ?")
            args.append(task_prefix + "%")
        sql = "SELECT id FROM episodes" + (" WHERE " + " AND ".join(where) if where else "")
        return [r[0] for r in self.db.execute(sql + " ORDER BY id", args).fetchall()]

    def episode(self, episode_id: int) -> EpisodeRecord:
        """One episode with its steps. A corrupt row raises StoreError naming it."""
        rows = list(self.db.query("SELECT * FROM episodes WHERE id = ?", [episode_id]))
        if not rows:
            raise StoreError(f"no episode {episode_id} in {self.path}")
        steps = []
        for srow in self.db.query(
            "SELECT * FROM steps WHERE episode_id = ? ORDER BY idx", [episode_id]
        ):
            try:
                for key in ("findings", "candidates", "prompt_history", "notes"):
                    srow[key] = json.loads(srow[key] or "[]")
                for key in ("id", "episode_id", "created_at", "screenshot"):
                    srow.pop(key, None)
                steps.append(StepRecord(**{k: v for k, v in srow.items() if v is not None}))
            except (ValueError, ValidationError) as exc:
                raise StoreError(f"corrupt step row {srow.get('idx')} of episode "
                                 f"{episode_id}: {exc}") from exc
        row = {k: v for k, v in rows[0].items() if v is not None}
        try:
            return EpisodeRecord(**row, steps=steps)
        except ValidationError as exc:
            raise StoreError(f"corrupt episode row {episode_id}: {exc}") from exc

    def iter_episodes(self, ids: Iterable[int]) -> Iterator[EpisodeRecord]:
        """Episodes by id; corrupt ones are skipped with a warning naming them."""
        for episode_id in ids:
            try:
                yield self.episode(episode_id)
            except StoreError as exc:
                log.warning("skipping: %s", exc)

    def screenshots(self, episode_id: int) -> dict[int, bytes]:
        rows = self.db.execute(
            "SELECT idx, screenshot FROM steps WHERE episode_id = ? AND screenshot IS NOT NULL",
            [episode_id]).fetchall()
        return {int(idx): bytes(data) for idx, data in rows}

    def cloud_requests(self, episode_id: int | None = None) -> list[dict[str, object]]:
        if episode_id is None:
            return list(self.db.query("SELECT * FROM cloud_requests ORDER BY id"))
        return list(self.db.query(
            "SELECT * FROM cloud_requests WHERE episode_id = ? ORDER BY id", [episode_id]))

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- export -----------------------------------------------------------------------------

def to_chat(episode: EpisodeRecord) -> ExportedEpisode:
    """The chat view of an episode: one user/assistant pair per step, in the step prompt
    format the on-device policy uses (objective, previous actions, observation)."""
    messages = [ChatMessage(role="system", content=system_prompt())]
    for step in episode.steps:
        user = format_user_prompt(episode.intent, step.prompt_history, step.notes,
                                  step.observation)
        messages.append(ChatMessage(role="user", content=user))
        messages.append(ChatMessage(role="assistant",
                                    content=assistant_target(step.rationale, step.action)))
    return ExportedEpisode(episode=episode, messages=messages)


def redact_episode(episode: EpisodeRecord, redact: Callable[[str], str]) -> EpisodeRecord:
    """A copy with `redact` applied to every text a person or model could read."""
    steps = [step.model_copy(update={
        "observation": redact(step.observation), "action": redact(step.action),
        "rationale": redact(step.rationale), "error": redact(step.error),
        "prompt_history": [redact(h) for h in step.prompt_history],
        "notes": [redact(n) for n in step.notes],
        "candidates": [{**c, "action": redact(str(c.get("action", ""))),
                        "rationale": redact(str(c.get("rationale", "")))}
                       for c in step.candidates]}) for step in episode.steps]
    return episode.model_copy(update={"intent": redact(episode.intent),
                                      "answer": redact(episode.answer), "steps": steps})


def export_jsonl(store: TrajectoryStore, out: Path, ids: Iterable[int] | None = None,
                 redact: Callable[[str], str] | None = None) -> int:
    """Write episodes as JSONL; `redact` (e.g. the privacy redactor) is applied to all text."""
    ids = list(ids) if ids is not None else store.episode_ids()
    count = 0
    with out.open("w", encoding="utf-8") as fh:
        for episode in store.iter_episodes(ids):
            if redact is not None:
                episode = redact_episode(episode, redact)
            fh.write(to_chat(episode).model_dump_json() + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[ExportedEpisode]:
    """Read an export back; a malformed line is an error naming its line number."""
    episodes = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                episodes.append(ExportedEpisode.model_validate_json(line))
            except ValidationError as exc:
                raise StoreError(f"{path}:{lineno}: not a Symbiote episode: {exc}") from exc
    return episodes
