"""A secret written in the task moves to the episode's vault before any seat sees the task.

"Sign in as hquist with password Kestrel!Harbor-88" would otherwise keep every step of the
episode on the device (the finding is in the task), store the password with every step, and
let the model type it anywhere. Lifted, the task reads "… with password
{{secret:task_password}}", the value becomes an episode-scoped secret bound to the start
page's origin and to fields of its kind, and the step routes on what is left.

Only the pattern recognizers run here (core.privacy.patterns: passwords and PINs after their
label, one-time codes, card numbers with Luhn, security codes, API keys): they need no NLP
model, so every episode can afford them, in every mode.
"""

from __future__ import annotations

from core.privacy import patterns
from core.privacy.secrets import Secret, SecretKind, Secrets, origin_of, placeholder

# pattern list, the name its secrets get, their kind
LIFTED: tuple[tuple[tuple[patterns.GroupPattern, ...], str, SecretKind], ...] = (
    (patterns.PRIVATE_KEY_PATTERNS, "task_key", "other"),
    (patterns.API_KEY_PATTERNS, "task_token", "other"),
    (patterns.CARD_PATTERNS, "task_card", "card"),
    (patterns.CVV_PATTERNS, "task_cvv", "card"),
    (patterns.PASSWORD_PATTERNS, "task_password", "password"),
    (patterns.OTP_PATTERNS, "task_code", "otp"),
)


def find_task_secrets(intent: str) -> list[tuple[int, int, str, SecretKind]]:
    """(start, end, base name, kind) of each credential in the task, without overlaps."""
    found: list[tuple[int, int, str, SecretKind]] = []
    for pattern_list, name, kind in LIFTED:
        for start, end, _ in patterns.spans(pattern_list, intent):
            if "{{secret:" in intent[max(0, start - 9):end + 2]:
                continue  # already a placeholder
            if not any(start < e and s < end for s, e, _, _ in found):
                found.append((start, end, name, kind))
    return sorted(found)


def lift_task_secrets(intent: str, start_url: str, secrets: Secrets) -> tuple[str, Secrets]:
    """The task with its credentials replaced by placeholders, and the episode's secrets with
    them added (bound to the start URL's origin)."""
    found = find_task_secrets(intent)
    if not found:
        return intent, secrets
    site = origin_of(start_url)
    lifted: list[Secret] = []
    names: dict[str, str] = {}  # value -> name: the same value twice is one secret
    parts, pos = [], 0
    for start, end, base, kind in found:
        value = intent[start:end]
        if value not in names:
            count = sum(1 for s in lifted if s.name.startswith(base))
            names[value] = base if count == 0 else f"{base}_{count + 1}"
            lifted.append(Secret(names[value], value, (site,) if site else (), kind))
        parts += [intent[pos:start], placeholder(names[value])]
        pos = end
    parts.append(intent[pos:])
    return "".join(parts), secrets.plus(lifted)
