"""Answer matching shared by the suites' evaluators (WebArena's string_match rules).
Standard library only: the synthetic web's generator needs nothing more."""

from __future__ import annotations

import re


def clean_answer(text: str) -> str:
    """WebArena's light normalization: case, outer whitespace and quotes, a final period."""
    text = " ".join(text.strip().lower().split())
    text = text.strip("\"'`")
    return text[:-1] if text.endswith(".") else text


def fuzzy_tokens(text: str) -> list[str]:
    """Aggressive normalization for fuzzy_match: digit-group commas, punctuation, case."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower())
    text = re.sub(r"[^\w@.+-]+", " ", text)
    return [t.strip(".") for t in text.split() if t.strip(".")]


def fuzzy_match(reference: str, answer: str) -> bool:
    ref, ans = fuzzy_tokens(reference), fuzzy_tokens(answer)
    return bool(ref) and f" {' '.join(ref)} " in f" {' '.join(ans)} "
