"""Training examples from trajectories: the store (or an exported JSONL) → multi-task examples.

Multi-task, as in the paper, so the student keeps its reasoning:
  (1) action:    objective + short history + observation → "REASON: … ACTION: …"
  (2) rationale: the same prompt + "Chosen action: …" → "REASON: …"
Both use the prompt the on-device policy sends (core.prompts), in the student's prompt style.
Secrets stay placeholders: the store never holds their values (core.loop masks them).

Id renumbering (`id_copies`): on a page, ids count up in DOM order, so "Tab #3" is nearly always
[4] and the student learns positions instead of reading the id off the element's line (measured:
right rationale, wrong id, on click-tab/click-option/click-link). Extra copies of each action
example renumber every id of the episode (observation, history and action, one mapping per
episode, order kept), so only reading the line gives the right id.

Port moving (`build_student_examples`): the suites are served on whatever loopback port the
machine gives, and the page's URL, port included, heads every prompt; each episode was recorded
on one port. On the demo page 3 of 200 ports tipped v7's first action (trainer/bench/port_noise).
Each renumbered copy therefore also moves the loopback port (the same one through the episode),
so the port is a detail the student sees change while the right action does not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from core.actions import ACTION_BY_NAME, ElementAction, parse_action
from core.browser.views import parse_observation_text
from core.errors import ActionParseError, SymbioteError
from core.policies.formats import (
    QUOTED_NAME,
    history_line,
    item_names,
    named_text,
    student_target,
    student_user_prompt,
    with_items,
)
from core.privacy.secrets import MASK, NO_SECRETS, SECRET_PLACEHOLDER, placeholder
from core.privacy.task_secrets import lift_task_secrets
from core.prompts import (
    HISTORY_STEPS,
    assistant_target,
    chatml,
    format_user_prompt,
    system_prompt,
)
from core.store.export import read_jsonl
from core.store.service import TrajectoryStore
from core.store.views import EpisodeRecord, StepRecord

log = logging.getLogger(__name__)

# "demonstration": a recording of the user doing the task (`symbiote record`).
DEFAULT_SOURCES = ("teacher", "speculative", "approved", "exploration", "demonstration")
RATIONALE_CUE = "\nCHOSEN ACTION: {action}\nExplain the choice."


class DatasetError(SymbioteError):
    """No usable training data, or data that would leak evaluation seeds."""


@dataclass(frozen=True)
class Example:
    prompt: str   # ChatML text up to and including "<|im_start|>assistant\n"
    target: str   # what the student must write (loss is on these tokens only)
    kind: str     # "action" | "rationale"
    task_id: str
    seed: int | None


def load_episodes(store: TrajectoryStore | None = None, jsonl: Path | None = None,
                  sources: Iterable[str] = DEFAULT_SOURCES) -> list[EpisodeRecord]:
    """Successful episodes from the wanted sources."""
    wanted = set(sources)
    if jsonl is not None:
        episodes = [e.episode for e in read_jsonl(jsonl)]
    elif store is not None:
        episodes = list(store.iter_episodes(store.episode_ids(outcome="success")))
    else:
        raise DatasetError("give a store or an exported JSONL file")
    return [e for e in episodes if e.outcome == "success" and e.source in wanted and e.steps]


def deduplicate(episodes: list[EpisodeRecord]) -> list[EpisodeRecord]:
    """Drop episodes whose (intent, observations, actions) repeat an earlier one exactly."""
    seen: set[str] = set()
    kept = []
    for episode in episodes:
        key = hashlib.sha256(json.dumps(
            [episode.intent] + [(s.observation, s.action) for s in episode.steps]
        ).encode()).hexdigest()
        if key not in seen:
            seen.add(key)
            kept.append(episode)
    return kept


# Suites whose tasks are one fixed page each: the seed a bench recorded them under is not a
# variant, so evaluation seeds do not hold them out (only --holdout-tasks does). The practice
# teacher runs were recorded under seed 1000, and `--eval-seeds 1000-1999` silently dropped
# every one of them from v1-v5's data.
UNSEEDED = ("practice/",)


def split(episodes: list[EpisodeRecord], eval_seeds: Iterable[int] = (),
          holdout_tasks: Iterable[str] = (), unseeded: tuple[str, ...] = UNSEEDED
          ) -> list[EpisodeRecord]:
    """The training part: evaluation seeds (of seeded suites) and held-out tasks are never
    trained on. A task that loses every episode to the seeds is named in a warning."""
    seeds, tasks = set(eval_seeds), set(holdout_tasks)
    kept = [e for e in episodes if e.task_id not in tasks
            and (e.seed not in seeds or e.task_id.startswith(unseeded))]
    lost = {e.task_id for e in episodes} - {e.task_id for e in kept} - tasks
    if lost:
        log.warning("the evaluation seeds leave no episode of %d task(s): %s", len(lost),
                    ", ".join(sorted(lost)[:8]))
    return kept


_LINE_ID = re.compile(r"^(\s*)\[(\d+)\]", re.M)
_ACTION_ID = re.compile(r"^(\w+) \[(\d+)\]")


def id_mapping(episode: EpisodeRecord, rng: random.Random) -> dict[str, str]:
    """Every element id of the episode → a new one: a random start, random gaps, order kept."""
    ids = sorted({int(m.group(2)) for s in episode.steps for m in _LINE_ID.finditer(s.observation)})
    mapping, current = {}, rng.randint(1, 60)
    for old in ids:
        mapping[str(old)] = str(current)
        current += rng.randint(1, 4)
    return mapping


def renumber_action(line: str, mapping: dict[str, str]) -> str:
    """`click [4]` → `click [9]`; only an id argument changes, never typed text or answers."""
    match = _ACTION_ID.match(line)
    cls = ACTION_BY_NAME.get(match.group(1)) if match else None
    if not (match and cls and cls.ARGS and cls.ARGS[0].kind == "id"):
        return line
    new = mapping.get(match.group(2), match.group(2))
    return f"{match.group(1)} [{new}]" + line[match.end():]


def renumber_observation(text: str, mapping: dict[str, str]) -> str:
    return _LINE_ID.sub(lambda m: f"{m.group(1)}[{mapping.get(m.group(2), m.group(2))}]", text)


def label_of(step: StepRecord) -> tuple[str, str] | None:
    """The action (and rationale) the step should have taken when it differs from the one it
    took: a slip the speculative router let the student make (trainer.speculative) keeps the
    large model's correction among its candidates. None: the step is its own demonstration."""
    for c in step.candidates:
        if c.get("label"):
            return str(c.get("action", "")), str(c.get("rationale", ""))
    return None


def build_examples(episodes: list[EpisodeRecord], *, prompt_style: str = "compact",
                   rationale_share: float = 0.5, seed: int = 0,
                   id_copies: int = 0) -> list[Example]:
    """Action examples for every step (plus `id_copies` renumbered copies each); rationale
    examples for a share of steps."""
    rng = random.Random(seed)
    system = system_prompt(prompt_style)
    examples = []
    for episode in episodes:
        mappings = [id_mapping(episode, rng) for _ in range(id_copies)]
        for step in episode.steps:
            label = label_of(step)
            if step.error and label is None:
                continue  # a failed action is not a demonstration
            action, rationale = label or (step.action, step.rationale)
            user = format_user_prompt(episode.intent, step.prompt_history, step.notes,
                                      step.observation)
            examples.append(Example(chatml(system, user), assistant_target(rationale, action),
                                    "action", episode.task_id, episode.seed))
            for mapping in mappings:
                past = [renumber_action(line, mapping) for line in step.prompt_history]
                renumbered = format_user_prompt(episode.intent, past, step.notes,
                                                renumber_observation(step.observation, mapping))
                examples.append(Example(chatml(system, renumbered), assistant_target(
                    rationale, renumber_action(action, mapping)),
                    "action", episode.task_id, episode.seed))
            if rationale and rng.random() < rationale_share:
                cue = RATIONALE_CUE.format(action=action)
                examples.append(Example(chatml(system, user + cue),
                                        f"REASON: {rationale.strip()}", "rationale",
                                        episode.task_id, episode.seed))
    if not examples:
        raise DatasetError("no training examples: the data holds no successful episode "
                           "from the selected sources")
    rng.shuffle(examples)
    return examples


# --- the action-first student (core.policies.formats.ActionFirst) ------------------------------

_NAMED_ID = re.compile(rf"^(?P<head>(?:click|type|select) (?:{QUOTED_NAME}) )\[(?P<id>\d+)\]")


_LOOPBACK_PORT = re.compile(r"(?<=//127\.0\.0\.1:)\d{2,5}\b|(?<=//localhost:)\d{2,5}\b")


def move_port(text: str, port: int) -> str:
    """Every loopback URL's port in `text` → `port` (`http://127.0.0.1:41235/x` → `:port/x`)."""
    return _LOOPBACK_PORT.sub(str(port), text)


def renumber_named(line: str, mapping: dict[str, str]) -> str:
    """`click 'Sign in' [12]` → `click 'Sign in' [30]`."""
    match = _NAMED_ID.match(line)
    if match is None:
        return renumber_action(line, mapping)
    new = mapping.get(match.group("id"), match.group("id"))
    return f"{match.group('head')}[{new}]" + line[match.end():]


def unmask(action: str, intent: str, typed: set[str]) -> str:
    """A teacher that typed a task secret's value (a one-time code written in the task) is
    stored with the value masked: `type [9] [<secret>]`. The student must learn the
    placeholder, never the mask: the task's one placeholder not typed yet takes its place.
    With none or several left the step cannot be told and raises (the episode is skipped)."""
    if f"[{MASK}]" not in action:
        return action
    left = [n for n in dict.fromkeys(SECRET_PLACEHOLDER.findall(intent)) if n not in typed]
    if len(left) != 1:
        raise ValueError(f"a masked value typed with {len(left)} task secrets left to type")
    return action.replace(f"[{MASK}]", f"[{placeholder(left[0])}]", 1)


@dataclass(frozen=True)
class StudentStep:
    """One step as the action-first student reads and writes it."""

    user: str
    target: str


def student_steps(episode: EpisodeRecord, mapping: dict[str, str] | None = None,
                  items: bool = False, history: int = HISTORY_STEPS) -> list[StudentStep | None]:
    """Every step of `episode` in the student's format (None for a failed one, which is no
    demonstration). Credentials written in the task are lifted to placeholders exactly as
    the loop lifts them at run time (core.privacy.task_secrets), so the student learns to
    type `{{secret:…}}` and never sees the value. `mapping` renumbers every id. `items`
    ("student-items") names repeated controls by their item in the observation and the
    target, as core.policies.formats.ActionFirst does at run time; the history keeps the
    plain name, as the loop records it. `history`: how many earlier steps a prompt shows
    (the trained model's registry `history_steps`, which the loop then shows it)."""
    intent, lifted = lift_task_secrets(episode.intent, episode.start_url, NO_SECRETS)
    swaps = [(s.value, placeholder(s.name)) for s in lifted.items()]

    def clean(text: str) -> str:
        for value, token in swaps:
            text = text.replace(value, token)
        return text

    def ids(text: str) -> str:
        return renumber_observation(text, mapping) if mapping else text

    def ids_named(line: str) -> str:
        return renumber_named(line, mapping) if mapping else line

    observations = [parse_observation_text(step.observation) for step in episode.steps]
    page_items = [item_names(o) if items else {} for o in observations]
    labels = [label_of(step) for step in episode.steps]  # a slip's correction, else None
    named: list[str] = []      # what each step did, as the history shows it
    targets: list[str] = []    # what each step should do: the same, or a slip's correction
    typed: set[str] = set()
    for step, label, obs, names in zip(episode.steps, labels, observations, page_items,
                                       strict=True):
        wanted = parse_action(unmask(clean(label[0]), intent, typed)) if label else None
        action = parse_action(unmask(clean(step.action), intent, typed))
        typed.update(SECRET_PLACEHOLDER.findall(action.to_text()))
        element = obs.element(action.id) if isinstance(action, ElementAction) else None
        named.append(ids_named(named_text(action, element)))
        if wanted is not None:
            action = wanted
            element = obs.element(action.id) if isinstance(action, ElementAction) else None
        item = names.get(element.id, "") if element is not None else ""
        targets.append(ids_named(named_text(action, element, item)))
    pages = [o.url + "\n" + o.tree_text() for o in observations]
    no_effect = [i + 1 < len(pages) and pages[i + 1] == pages[i] and not episode.steps[i].error
                 and not named[i].startswith("scroll") for i in range(len(pages))]
    out: list[StudentStep | None] = []
    for i, (step, label) in enumerate(zip(episode.steps, labels, strict=True)):
        if step.error and label is None:
            out.append(None)
            continue
        past = [history_line(named[j], episode.steps[j].error, no_effect[j])
                for j in range(max(0, i - history), i)]
        observation = with_items(step.observation, page_items[i])
        user = student_user_prompt(intent, ids(clean(observation)), past,
                                   [clean(n) for n in step.notes])
        rationale = label[1] if label else step.rationale
        out.append(StudentStep(user, student_target(targets[i], clean(rationale))))
    return out


def build_student_examples(episodes: list[EpisodeRecord], *, seed: int = 0, id_copies: int = 0,
                           intents: Mapping[str, list[str]] | None = None,
                           copies: Mapping[str, int] | None = None,
                           style: str = "student",
                           history: int = HISTORY_STEPS) -> list[Example]:
    """Action-first examples: every successful step, plus `id_copies` renumbered copies
    (`copies` overrides that number by task-id prefix, e.g. {"practice/": 5}: a suite with
    few episodes is seen more often, each copy renumbered and, with `intents`, rephrased).
    `intents` gives other phrasings of a task's objective (by task id): each copy of an
    episode then reads one of them, so the student learns the task, not one sentence.
    Vault values never reach here (the store masks them) and task credentials are lifted
    to placeholders (`student_steps`); a page may still show a code the task needs typed."""
    rng = random.Random(seed)
    ports = random.Random(seed + 1)  # its own stream: ids and phrasings draw as before
    system = system_prompt(style)
    examples: list[Example] = []
    for episode in episodes:
        n = next((c for prefix, c in (copies or {}).items()
                  if episode.task_id.startswith(prefix)), id_copies)
        variants = [None] + [id_mapping(episode, rng) for _ in range(n)]
        phrasings = list((intents or {}).get(episode.task_id, []))
        for copy, mapping in enumerate(variants):
            shown = episode
            if phrasings and copy > 0:
                shown = episode.model_copy(update={"intent": rng.choice(phrasings)})
            try:
                steps = student_steps(shown, mapping, items=style == "student-items",
                                      history=history)
            except (ActionParseError, ValueError) as exc:
                log.warning("episode %s skipped: %s", episode.id, exc)
                break
            port = ports.randrange(20000, 65536) if copy > 0 else None
            examples += [Example(chatml(system, _on(step.user, port)), _on(step.target, port),
                                 "action", episode.task_id, episode.seed)
                         for step in steps if step]
    if not examples:
        raise DatasetError("no training examples: the data holds no successful episode "
                           "from the selected sources")
    rng.shuffle(examples)
    return examples


def _on(text: str, port: int | None) -> str:
    return text if port is None else move_port(text, port)


def data_hash(examples: list[Example]) -> str:
    digest = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: (e.prompt, e.target)):
        digest.update(ex.prompt.encode())
        digest.update(ex.target.encode())
    return digest.hexdigest()[:16]


def write_examples(examples: list[Example], path: Path) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps(asdict(ex)) + "\n")
