"""Exports the ML ecosystem reads: Hugging Face `datasets` on disk, in TRL's formats.

- `trl`: one row per step, TRL's conversational `messages` (system, the step prompt, the
  assistant's REASON/ACTION target), as `trl.SFTTrainer` takes it.
- `preference`: one row per step of speculative synthesis (trainer.speculative) where the large
  seat overrode the small model: `prompt` (system + step prompt), `chosen` (the large seat's
  action that was executed), `rejected` (the small model's proposal), as `trl.DPOTrainer`
  takes it.

Both are saved with `Dataset.save_to_disk` (for `datasets.load_from_disk`), plus the same rows
as `data/train.parquet` and a README.md dataset card (YAML header naming the Parquet file,
then provenance), so the folder can also be pushed to the Hub as it is. Episodes pass the
boundary's redaction first, as every export does (core.store.export.redact_episode).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.errors import ConfigError
from core.prompts import assistant_target, format_user_prompt, system_prompt
from core.store.export import Redact, redact_episode
from core.store.service import TrajectoryStore
from core.store.views import ChatMessage, EpisodeRecord, StepRecord

Format = Literal["trl", "preference"]
SPECULATIVE = "speculative"


class SftRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[ChatMessage]
    episode_id: int
    step: int
    task_id: str
    source: str
    outcome: str


class PreferenceRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: list[ChatMessage]
    chosen: list[ChatMessage]
    rejected: list[ChatMessage]
    episode_id: int
    step: int
    task_id: str


def _prompt(episode: EpisodeRecord, step: StepRecord) -> list[ChatMessage]:
    user = format_user_prompt(episode.intent, step.prompt_history, step.notes, step.observation)
    return [ChatMessage(role="system", content=system_prompt()),
            ChatMessage(role="user", content=user)]


def _answer(rationale: str, action: str) -> list[ChatMessage]:
    return [ChatMessage(role="assistant", content=assistant_target(rationale, action))]


def sft_rows(episode: EpisodeRecord) -> list[SftRow]:
    return [SftRow(messages=_prompt(episode, s) + _answer(s.rationale, s.action),
                   episode_id=episode.id, step=s.idx, task_id=episode.task_id,
                   source=episode.source, outcome=episode.outcome) for s in episode.steps]


def _key(action: str) -> str:
    return " ".join(action.lower().split())


def preference_rows(episode: EpisodeRecord) -> list[PreferenceRow]:
    """The steps where the large seat's action replaced the small model's: the small
    proposal is the first candidate trainer.speculative records."""
    if episode.source != SPECULATIVE:
        return []
    rows = []
    for step in episode.steps:
        if not step.candidates:
            continue
        small = step.candidates[0]
        rejected = str(small.get("action", ""))
        if not rejected or _key(rejected) == _key(step.action):
            continue  # accepted: nothing to prefer
        rows.append(PreferenceRow(prompt=_prompt(episode, step),
                                  chosen=_answer(step.rationale, step.action),
                                  rejected=_answer(str(small.get("rationale", "")), rejected),
                                  episode_id=episode.id, step=step.idx,
                                  task_id=episode.task_id))
    return rows


def export_dataset(store: TrajectoryStore, out: Path, fmt: Format,
                   ids: Iterable[int] | None = None, redact: Redact | None = None) -> int:
    """Write the dataset folder; returns its number of rows."""
    import datasets  # the `integrations` extra; seconds to import

    ids = list(ids) if ids is not None else store.episode_ids()
    rows: list[BaseModel] = []
    episodes: list[EpisodeRecord] = []
    for episode in store.iter_episodes(ids):
        if redact is not None:
            episode = redact_episode(episode, redact)
        episodes.append(episode)
        rows += sft_rows(episode) if fmt == "trl" else preference_rows(episode)
    if not rows:
        what = "steps" if fmt == "trl" else "speculative steps the large seat overrode"
        raise ConfigError(f"no {what} in the chosen episodes: nothing to export")
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty: choose a new folder for the dataset")
    dataset = datasets.Dataset.from_list([r.model_dump() for r in rows])
    try:
        dataset.save_to_disk(str(out))
        (out / "data").mkdir(exist_ok=True)
        dataset.to_parquet(str(out / "data" / "train.parquet"))
        (out / "README.md").write_text(dataset_card(fmt, episodes, len(rows), store.path,
                                                    redact is not None), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the dataset to {out}: {exc.strerror}") from exc
    return len(rows)


def dataset_card(fmt: Format, episodes: list[EpisodeRecord], rows: int, db: Path,
                 redacted: bool) -> str:
    """A Hugging Face dataset card: the YAML header the Hub reads, then provenance."""
    sources = Counter(e.source for e in episodes)
    outcomes = Counter(e.outcome for e in episodes)
    columns = ("messages" if fmt == "trl" else "prompt, chosen, rejected")
    trainer = "trl.SFTTrainer" if fmt == "trl" else "trl.DPOTrainer"
    privacy = ("redacted by Symbiote's privacy boundary: personal data replaced by placeholders "
               "such as `<EMAIL_7QX2>`, vault secrets by `{{secret:NAME}}`" if redacted else
               "NOT redacted (`--raw`): the rows hold whatever the pages and tasks showed")
    extra = ", source, outcome" if fmt == "trl" else ""
    return f"""---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.parquet
tags:
- symbiote
- web-agent
- {"sft" if fmt == "trl" else "preference"}
---
# Symbiote trajectories ({fmt})

Exported by `symbiote export --format {fmt}` on {datetime.now(UTC).isoformat(timespec="seconds")}
from `{db.name}`: {len(episodes)} episode(s), {rows} row(s), one row per step.

- **Format**: TRL conversational ({columns}), for `{trainer}`; the system turn is Symbiote's
  step prompt (the action language), the user turn the step's objective, previous actions and
  page observation, the assistant turn `REASON: …` / `ACTION: …`.
- **Sources** (who acted): {json.dumps(dict(sources))}; **outcomes**: {json.dumps(dict(outcomes))}.
- **Privacy**: {privacy}.
- **Load**: `datasets.load_from_disk(FOLDER)`, or `datasets.load_dataset("parquet",
  data_files="FOLDER/data/train.parquet")`.
- **Columns besides the conversation**: episode_id, step, task_id{extra}.
"""
