"""The trajectory store: SQLite (WAL) through sqlite-utils.

Every step is committed as it happens, so a kill -9 mid-episode loses at most the step in
flight. Observations, actions and payloads are stored as the models saw them: secrets are
placeholders or masked before they get here (see core.loop).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from pydantic import ValidationError

from core.errors import StoreError
from core.store.views import EpisodeRecord, EpisodeSummaryRow, StepRecord

log = logging.getLogger(__name__)
# Columns added after the first release: an older DB gets them when it is opened.
ADDED_STEP_COLUMNS = {"why": str, "url_after": str}


def problems(exc: ValidationError) -> str:
    """What is wrong with a row, without the values it holds (they may be private)."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                     for e in exc.errors(include_input=False)[:3])


def _int(value: object) -> int:
    try:
        return int(value or 0)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


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
        columns = db["steps"].columns_dict
        for name, kind in ADDED_STEP_COLUMNS.items():
            if name not in columns:
                db["steps"].add_column(name, kind)

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

    def start_cloud_request(self, *, episode_id: int | None, step_idx: int, url: str,
                            model: str, payload: dict[str, object]) -> int:
        """Record a request's exact payload before it is sent; returns the row's id."""
        table = self.db["cloud_requests"]
        table.insert({"episode_id": episode_id, "step_idx": step_idx, "created_at": _now(),
                      "url": url, "model": model, "payload": json.dumps(payload),
                      "response": "", "status": "sending", "input_tokens": 0,
                      "output_tokens": 0, "error": ""})
        return int(table.last_pk)

    def finish_cloud_request(self, row_id: int, *, status: str, response: str = "",
                             input_tokens: int = 0, output_tokens: int = 0,
                             error: str = "") -> None:
        self.db["cloud_requests"].update(row_id, {
            "response": response, "status": status, "input_tokens": input_tokens,
            "output_tokens": output_tokens, "error": error})

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

    def episode_summaries(self) -> list[EpisodeSummaryRow]:
        """One row per episode, newest first, without loading observations."""
        sql = ("SELECT e.id, e.task_id, e.intent, e.start_url, e.mode, e.outcome, "
               "e.started_at, (SELECT COUNT(*) FROM steps s WHERE s.episode_id = e.id), "
               "(SELECT COUNT(*) FROM steps s WHERE s.episode_id = e.id AND s.route = 'cloud') "
               "FROM episodes e ORDER BY e.id DESC")
        return [EpisodeSummaryRow(id=int(r[0]), task_id=r[1] or "", intent=r[2] or "",
                                  start_url=r[3] or "", mode=r[4] or "", outcome=r[5] or "",
                                  started_at=r[6] or "", steps=int(r[7]),
                                  cloud_steps=int(r[8]))
                for r in self.db.execute(sql).fetchall()]

    def episode(self, episode_id: int) -> EpisodeRecord:
        """One episode with its steps. A corrupt row raises StoreError naming it."""
        rows = list(self.db.query("SELECT * FROM episodes WHERE id = ?", [episode_id]))
        if not rows:
            raise StoreError(f"no episode {episode_id} in {self.path}")
        steps = []
        for srow in self.db.query(
            "SELECT * FROM steps WHERE episode_id = ? ORDER BY idx", [episode_id]
        ):
            # Named by its idx only when that is a number: a corrupt `idx` column may hold
            # anything, page text too, and this message is logged.
            idx = srow.get("idx")
            where = (f"step row {idx}" if isinstance(idx, int) else
                     f"step row (id {srow.get('id')})") + f" of episode {episode_id}"
            try:
                for key in ("findings", "candidates", "prompt_history", "notes"):
                    srow[key] = json.loads(srow[key] or "[]")
                for key in ("id", "episode_id", "created_at", "screenshot"):
                    srow.pop(key, None)
                steps.append(StepRecord(**{k: v for k, v in srow.items() if v is not None}))
            except ValidationError as exc:
                raise StoreError(f"corrupt {where}: {problems(exc)}") from exc
            except ValueError as exc:
                raise StoreError(f"corrupt {where}: a JSON column does not parse") from exc
        row = {k: v for k, v in rows[0].items() if v is not None}
        try:
            return EpisodeRecord(**row, steps=steps)
        except ValidationError as exc:
            raise StoreError(f"corrupt episode row {episode_id}: {problems(exc)}") from exc

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

    def cloud_request_totals(self) -> dict[int, tuple[int, int, int]]:
        """Per episode: (requests, input tokens, output tokens) of its cloud_requests rows,
        sent or not (read-only; what `symbiote audit` lists, summed)."""
        rows = self.db.execute(
            "SELECT episode_id, COUNT(*), COALESCE(SUM(input_tokens), 0), "
            "COALESCE(SUM(output_tokens), 0) FROM cloud_requests "
            "WHERE episode_id IS NOT NULL GROUP BY episode_id").fetchall()
        return {int(r[0]): (int(r[1]), int(r[2]), int(r[3])) for r in rows}

    def cloud_usage(self) -> dict[int, list[tuple[str, int, int]]]:
        """Per episode: (model, input tokens, output tokens) summed per model, for prices."""
        rows = self.db.execute(
            "SELECT episode_id, model, COALESCE(SUM(input_tokens), 0), "
            "COALESCE(SUM(output_tokens), 0) FROM cloud_requests "
            "WHERE episode_id IS NOT NULL GROUP BY episode_id, model").fetchall()
        usage: dict[int, list[tuple[str, int, int]]] = {}
        for episode_id, model, tokens_in, tokens_out in rows:
            usage.setdefault(int(episode_id), []).append(
                (str(model or ""), _int(tokens_in), _int(tokens_out)))
        return usage

    def step_latencies(self, route: str = "local", limit: int = 200) -> list[float]:
        """Decision times (ms) of the newest `limit` steps on `route` (read-only)."""
        rows = self.db.execute(
            "SELECT latency_ms FROM steps WHERE route = ? AND latency_ms > 0 "
            "ORDER BY id DESC LIMIT ?", [route, limit]).fetchall()
        return [float(r[0]) for r in rows]

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
