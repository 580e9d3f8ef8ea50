"""The step prompt: one format shared by the on-device policy, the cloud seat and the trainer.

A prompt is built from `PromptParts` (objective, earlier steps, notes, observation, optional
demonstrations), so the privacy boundary can scan and redact each part in its own scope before
anything is rendered, and truncation happens after redaction, never before.

Order matters for speed: the fixed system text comes first, then the objective (fixed for an
episode), then the short history, then the observation, so llama.cpp reuses its KV cache for
everything before the history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from core.actions import describe_actions
from core.paths import RESOURCES
from core.policies.base import StepContext
from core.privacy.views import Where

HISTORY_STEPS = 4
MAX_HISTORY_STEPS = 32  # the most a student may be taught to read (registry and `train`)
ERROR_CHARS = 80
NOTES_SHOWN = 5

# "full" lists the action language (models that were never taught it need it); "compact" is
# for distilled students, which learned the language from data: ~25 tokens instead of ~210,
# which matters most for training time, since every example carries the system prompt.
# "student" is the action-first format of core.policies.formats.ActionFirst ("student-items"
# the same with repeated controls named by their item).
PROMPT_FILES = {"full": "system.txt", "compact": "system_compact.txt",
                "student": "system_student.txt", "student-items": "system_student.txt"}


def system_prompt(style: str = "full") -> str:
    if style not in PROMPT_FILES:
        raise ValueError(f"unknown prompt style {style!r}; choose one of {sorted(PROMPT_FILES)}")
    template = (RESOURCES / "prompts" / PROMPT_FILES[style]).read_text(encoding="utf-8")
    return template.replace("{actions}", describe_actions()).strip()


@dataclass(frozen=True)
class PastStep:
    action: str
    error: str = ""

    def line(self) -> str:
        return self.action + (f" (failed: {self.error[:ERROR_CHARS]})" if self.error else "")


TextMap = Callable[[str, Where], str]


@dataclass(frozen=True)
class PromptParts:
    """The texts a step prompt is made of, before rendering."""

    objective: str
    past: tuple[PastStep, ...]
    notes: tuple[str, ...]
    observation: str
    demonstrations: str = ""

    def texts(self) -> Iterator[tuple[str, Where]]:
        """Every text in the parts with the scope it is scanned in."""
        yield self.objective, "task"
        for step in self.past:
            yield step.action, "action"
            yield step.error, "task"
        for note in self.notes:
            yield note, "task"
        yield self.observation, "observation"
        yield self.demonstrations, "task"

    def map(self, f: TextMap) -> PromptParts:
        """The same parts with `f(text, where)` applied to each text (redaction, masking)."""
        return replace(
            self, objective=f(self.objective, "task"),
            past=tuple(PastStep(f(s.action, "action"), f(s.error, "task")) for s in self.past),
            notes=tuple(f(n, "task") for n in self.notes),
            observation=f(self.observation, "observation"),
            demonstrations=f(self.demonstrations, "task") if self.demonstrations else "")

    def history_lines(self) -> list[str]:
        return [step.line() for step in self.past]

    def user_text(self) -> str:
        user = format_user_prompt(self.objective, self.history_lines(), list(self.notes),
                                  self.observation)
        return self.demonstrations + "\n\n" + user if self.demonstrations else user


def prompt_parts(context: StepContext, max_observation_chars: int | None = None,
                 demonstrations: str = "") -> PromptParts:
    past = tuple(PastStep(item.action.to_text(), item.error)
                 for item in context.history[-HISTORY_STEPS:])
    return PromptParts(objective=context.intent, past=past, notes=tuple(context.notes),
                       observation=context.observation.text(max_observation_chars),
                       demonstrations=demonstrations)


def format_user_prompt(intent: str, past: list[str], notes: list[str], observation: str) -> str:
    """The user turn. The export and the trainer rebuild it from stored steps with this too."""
    parts = [f"OBJECTIVE: {intent}"]
    parts.append("PREVIOUS ACTIONS:\n" + ("\n".join(past) if past else "none"))
    if notes:
        parts.append("NOTES:\n" + "\n".join(notes[-NOTES_SHOWN:]))
    parts.append("OBSERVATION:\n" + observation)
    return "\n".join(parts)


def assistant_target(rationale: str, action: str) -> str:
    """What the model is taught to write, and what the grammar admits."""
    return f"REASON: {rationale.strip() or 'Next step.'}\nACTION: {action}"


def chatml(system: str, user: str, assistant: str | None = None) -> str:
    """SmolLM2's chat template (ChatML), rendered as text so token prefixes stay stable."""
    text = f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
    text += "<|im_start|>assistant\n"
    if assistant is not None:
        text += assistant + "<|im_end|>\n"
    return text
