"""Episodes out of the store: the chat view (`symbiote export`, the trainer) and its JSONL."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import ValidationError

from core.browser.views import readable_url
from core.errors import StoreError
from core.privacy.views import Where
from core.prompts import assistant_target, format_user_prompt, system_prompt
from core.store.service import TrajectoryStore, problems
from core.store.views import ChatMessage, EpisodeRecord, ExportedEpisode


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


# Fields that hold the program's own words (ids, modes, labels, times), never page or task
# text: everything else in an episode is redacted for an export.
STRUCTURAL = frozenset({"id", "task_id", "mode", "policy", "source", "seed", "outcome",
                        "reward", "started_at", "ended_at", "idx", "policy_id", "route",
                        "latency_ms", "score", "findings", "category", "entity_type", "where",
                        "start", "end"})
Redact = Callable[[str, Where], str]
# URLs are redacted as they read (core.browser.views.readable_url), as the observation shows
# them: "phone=%28541%29+555-0199" is no number to the detector, "(541) 555-0199" is.
URL_FIELDS = frozenset({"url", "start_url", "url_after"})


def redact_episode(episode: EpisodeRecord, redact: Redact) -> EpisodeRecord:
    """A copy with `redact` applied to every text a person or model could read: every
    string field but the structural ones, URLs and candidates included."""
    def walk(value: object, key: str) -> object:
        if key in STRUCTURAL:
            return value
        if isinstance(value, str):
            if key in URL_FIELDS:
                value = readable_url(value)
            return redact(value, "observation" if key == "observation" else "task")
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        return value

    data = walk(episode.model_dump(), "")
    return EpisodeRecord.model_validate(data)


def export_jsonl(store: TrajectoryStore, out: Path, ids: Iterable[int] | None = None,
                 redact: Redact | None = None) -> int:
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
                raise StoreError(f"{path}:{lineno}: not a Symbiote episode: "
                                 f"{problems(exc)}") from exc
    return episodes
