"""The step prompt: one format shared by the on-device policy, the cloud policy and the trainer.

Order matters for speed: the fixed system text comes first, then the objective (fixed for an
episode), then the short history, then the observation, so llama.cpp reuses its KV cache for
everything before the history.
"""

from __future__ import annotations

from core.actions import describe_actions
from core.paths import RESOURCES
from core.policies.base import StepContext

HISTORY_STEPS = 4


# "full" lists the action language (models that were never taught it need it); "compact" is
# for distilled students, which learned the language from data: ~25 tokens instead of ~210,
# which matters most for training time, since every example carries the system prompt.
PROMPT_FILES = {"full": "system.txt", "compact": "system_compact.txt"}


def system_prompt(style: str = "full") -> str:
    if style not in PROMPT_FILES:
        raise ValueError(f"unknown prompt style {style!r}; choose one of {sorted(PROMPT_FILES)}")
    template = (RESOURCES / "prompts" / PROMPT_FILES[style]).read_text(encoding="utf-8")
    return template.replace("{actions}", describe_actions()).strip()


def history_lines(context: StepContext, limit: int = HISTORY_STEPS) -> list[str]:
    items = context.history[-limit:]
    lines = []
    for item in items:
        line = item.action
        if item.error:
            line += f" (failed: {item.error[:80]})"
        lines.append(line)
    return lines


def format_user_prompt(intent: str, past: list[str], notes: list[str], observation: str) -> str:
    """The user turn. The export (core.store) rebuilds it from stored steps with this too."""
    parts = [f"OBJECTIVE: {intent}"]
    parts.append("PREVIOUS ACTIONS:\n" + ("\n".join(past) if past else "none"))
    if notes:
        parts.append("NOTES:\n" + "\n".join(notes[-5:]))
    parts.append("OBSERVATION:\n" + observation)
    return "\n".join(parts)


def user_prompt(context: StepContext, max_observation_chars: int | None = None) -> str:
    return format_user_prompt(context.intent, history_lines(context), list(context.notes),
                              context.observation.text(max_observation_chars))


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
