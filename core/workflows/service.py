"""Saving workflows: a stored successful episode → a `Workflow` file, and the library of them.

A step names its element the way a person would point at it again (role, accessible name, the
text just before it), never by the run's ids, which change from page load to page load. A text
the episode typed that came from the task becomes a parameter; a secret stays a
`{{secret:…}}` placeholder, so no value is ever written to a workflow file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from pydantic import ValidationError

from core.actions import (
    Click,
    ElementAction,
    GoBack,
    Goto,
    Note,
    Scroll,
    Select,
    Stop,
    Type,
    parse_action,
)
from core.browser.views import Element, Observation, parse_observation_text
from core.errors import ActionParseError, WorkflowError
from core.paths import workflows_dir
from core.privacy.secrets import SECRET_PLACEHOLDER
from core.store.views import EpisodeRecord
from core.workflows.views import (
    NAME_PATTERN,
    PARAM_PLACEHOLDER,
    AnswerSource,
    Target,
    Workflow,
    WorkflowStep,
    param,
)

log = logging.getLogger(__name__)

# Lines whose text a person reads as "the text near" a control.
TEXT_ROLES = ("StaticText", "heading", "cell", "columnheader", "status", "alert", "label")
NEARBY_REACH = 6   # elements looked back for that text


def norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def nearby_text(observation: Observation, element: Element) -> str:
    """The nearest text line before `element` in the observation (its card's title, the
    question a field answers): what tells two "Add to cart" buttons apart."""
    elements = observation.elements
    try:
        index = next(i for i, e in enumerate(elements) if e.id == element.id)
    except StopIteration:
        return ""
    for other in reversed(elements[max(0, index - NEARBY_REACH):index]):
        if other.role in TEXT_ROLES and other.name and norm(other.name) != norm(element.name):
            return other.name
    return ""


def target_for(observation: Observation, element: Element) -> Target:
    nearby = nearby_text(observation, element)
    twins = [e for e in observation.elements if e.role == element.role
             and norm(e.name) == norm(element.name) and nearby_text(observation, e) == nearby]
    occurrence = next((i for i, e in enumerate(twins) if e.id == element.id), 0)
    return Target(role=element.role, name=element.name, nearby=nearby, occurrence=occurrence)


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:24] or "text"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _templater(params: Mapping[str, str], whole_words: bool) -> re.Pattern[str] | None:
    values = sorted({v for v in params.values() if v}, key=len, reverse=True)
    if not values:
        return None
    alternatives = "|".join(re.escape(v) for v in values)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)" if whole_words else
                      f"(?:{alternatives})")


def _template(text: str, params: Mapping[str, str], whole_words: bool = False) -> str:
    """`text` with each parameter's value replaced by its placeholder, in one pass (longest
    value first), never inside a secret placeholder."""
    pattern = _templater(params, whole_words)
    if pattern is None or not text:
        return text
    key_of = {v: k for k, v in params.items()}
    pieces = SECRET_PLACEHOLDER.split(text)
    out = []
    for i, piece in enumerate(pieces):
        # split() interleaves the secret names (odd indexes): put their placeholders back.
        out.append("{{secret:" + piece + "}}" if i % 2 else
                   pattern.sub(lambda m: param(key_of[m.group(0)]), piece))
    return "".join(out)


def _answer_source(observation: Observation, answer: str) -> AnswerSource | None:
    """The element whose text held the answer, preferring text lines to controls."""
    found = [e for e in observation.elements if answer in e.name]
    found.sort(key=lambda e: e.role not in TEXT_ROLES)
    if not found:
        return None
    element = found[0]
    prefix, _, suffix = element.name.partition(answer)
    return AnswerSource(role=element.role, nearby=nearby_text(observation, element),
                        prefix=prefix, suffix=suffix)


def _typed_params(episode: EpisodeRecord, explicit: Mapping[str, str]) -> dict[str, str]:
    """Texts the episode typed that the task itself says: each becomes a parameter named
    after its field's label ("quantity", "subject"), unless a given one covers it."""
    found: dict[str, str] = {}
    taken = set(explicit)
    covered = set(explicit.values())
    for step in episode.steps:
        try:
            action = parse_action(step.action)
        except ActionParseError:
            continue
        if not isinstance(action, Type) or step.error or "{{secret:" in action.text:
            continue
        text = action.text.strip()
        if not text or text in covered or text in found.values():
            continue
        if not re.search(rf"(?<!\w){re.escape(text)}(?!\w)", episode.intent):
            continue
        element = parse_observation_text(step.observation).element(action.id)
        key = _slug(element.name if element else "text", taken)
        taken.add(key)
        found[key] = text
    return found


def workflow_from_episode(episode: EpisodeRecord, name: str,
                          params: Mapping[str, str] | None = None) -> Workflow:
    """The workflow of a successful episode. `params` name values the task text holds
    (`product` → "Canvas Day Backpack"); typed values the task holds are found as well."""
    if not NAME_PATTERN.match(name):
        raise WorkflowError(f"{name!r} is not a workflow name: use letters, digits, '_', '-' "
                            "or '.'")
    if episode.outcome != "success":
        raise WorkflowError(f"episode {episode.id} ended {episode.outcome}; only a successful "
                            "episode can become a workflow")
    explicit = dict(params or {})
    for key, value in explicit.items():
        if not re.fullmatch(r"[A-Za-z0-9_]+", key):
            raise WorkflowError(f"parameter name {key!r}: use letters, digits and '_'")
        if not value or value not in episode.intent:
            raise WorkflowError(f"parameter {key}={value!r} does not occur in the task "
                                f"{episode.intent!r}: give a value the task text holds")
    typed = _typed_params(episode, explicit)
    steps = [step for s in episode.steps if (step := _step(s.action, s.observation, s.url,
                                                           s.error, explicit, typed))]
    if not steps:
        raise WorkflowError(f"episode {episode.id} has no step a workflow can replay")
    all_params = {**explicit, **typed}
    return Workflow(name=name, intent=_template(episode.intent, all_params, whole_words=True),
                    start_url=episode.start_url, params=all_params, steps=steps,
                    allowed_domains=[host] if (host := urlparse(episode.start_url).netloc)
                    else None,
                    source_episode=episode.id, source=episode.source,
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"))


def _step(action_text: str, observation_text: str, url: str, error: str,
          explicit: Mapping[str, str], typed: Mapping[str, str]) -> WorkflowStep | None:
    if error:
        return None   # it changed nothing (or not what it meant to): not part of the recipe
    try:
        action = parse_action(action_text)
    except ActionParseError as exc:
        raise WorkflowError(f"a stored action does not parse: {exc}") from exc
    observation = parse_observation_text(observation_text)
    page = urlparse(url).path
    if isinstance(action, Note):
        return None
    if isinstance(action, Stop):
        answer = _template(action.answer, explicit)
        source = (_answer_source(observation, action.answer)
                  if action.answer and answer == action.answer else None)
        return WorkflowStep(kind="stop", page=page, answer=answer, answer_from=source)
    if isinstance(action, Scroll):
        return WorkflowStep(kind="scroll", page=page, direction=action.direction)
    if isinstance(action, GoBack):
        return WorkflowStep(kind="go_back", page=page)
    if isinstance(action, Goto):
        return WorkflowStep(kind="goto", page=page, url=_template(action.url, explicit))
    assert isinstance(action, ElementAction)
    element = observation.element(action.id)
    if element is None:
        raise WorkflowError(f"step {action_text!r} names an element its observation lacks")
    target = target_for(observation, element)
    target = target.model_copy(update={"name": _template(target.name, explicit)})
    if isinstance(action, Type):
        text = _template(_template(action.text, explicit), typed)
        return WorkflowStep(kind="type", page=page, target=target, text=text,
                            press_enter=action.press_enter)
    if isinstance(action, Select):
        return WorkflowStep(kind="select", page=page, target=target,
                            option=_template(action.option, explicit))
    assert isinstance(action, Click)
    return WorkflowStep(kind="click", page=page, target=target)


def placeholders(workflow: Workflow) -> set[str]:
    """Every parameter a workflow's texts name."""
    texts = [workflow.intent] + [t for s in workflow.steps for t in (
        s.text, s.option, s.url, s.answer, s.target.name if s.target else "")]
    return {m for t in texts for m in PARAM_PLACEHOLDER.findall(t)}


class WorkflowLibrary:
    """Workflow files in a folder (default: the data dir's `workflows/`)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or workflows_dir()

    def path(self, name: str) -> Path:
        if not NAME_PATTERN.match(name):
            raise WorkflowError(f"{name!r} is not a workflow name")
        return self.folder / f"{name}.json"

    def save(self, workflow: Workflow, overwrite: bool = False) -> Path:
        path = self.path(workflow.name)
        if path.exists() and not overwrite:
            raise WorkflowError(f"a workflow named {workflow.name!r} exists; delete it first "
                                "or choose another name")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path.write_text(workflow.model_dump_json(indent=2), encoding="utf-8")
        except OSError as exc:
            raise WorkflowError(f"cannot write {path}: {exc.strerror}") from exc
        return path

    def load(self, name: str) -> Workflow:
        path = self.path(name)
        if not path.exists():
            known = ", ".join(self.names()) or "none saved yet"
            raise WorkflowError(f"no workflow named {name!r} (known: {known})")
        try:
            return Workflow.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError) as exc:
            raise WorkflowError(f"{path} is not a valid workflow file: "
                                f"{str(exc).splitlines()[0]}") from exc

    def names(self) -> list[str]:
        if not self.folder.exists():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def all(self) -> list[Workflow]:
        found = []
        for name in self.names():
            try:
                found.append(self.load(name))
            except WorkflowError as exc:
                log.warning("skipping: %s", exc)
        return found

    def delete(self, name: str) -> None:
        path = self.path(name)
        if not path.exists():
            raise WorkflowError(f"no workflow named {name!r}")
        path.unlink()
