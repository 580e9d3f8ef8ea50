"""What a policy needs from a small language model, and nothing about how it runs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol


def logprob_after(text: str, pieces: tuple[str, ...] | list[str],
                  token_logprobs: tuple[float, ...] | list[float], marker: str) -> float:
    """Log-probability of the tokens of `text` after `marker` (all of them without it)."""
    end = text.find(marker)
    if end < 0:
        return float(sum(token_logprobs))
    end += len(marker)
    pos, total = 0, 0.0
    for piece, lp in zip(pieces, token_logprobs, strict=True):
        if pos + len(piece) > end:
            total += lp
        pos += len(piece)
    return total


@dataclass(frozen=True)
class Floor:
    """Give up a greedy decoding once the log-probability of its tokens after `marker` is at
    or below `logprob`: every later token only lowers it (each log-probability is <= 0), so
    the finished output could not score above `logprob`. A search that keeps the most likely
    of several decodings passes the best score so far and loses nothing by it."""

    marker: str
    logprob: float


@dataclass(frozen=True)
class Generation:
    text: str
    token_logprobs: tuple[float, ...]
    pieces: tuple[str, ...]
    n_prompt: int
    n_reused: int
    n_generated: int
    prefill_s: float
    decode_s: float
    abandoned: bool = False   # stopped at a `Floor`: `text` is unfinished

    @property
    def logprob(self) -> float:
        return float(sum(self.token_logprobs))

    def logprob_after(self, marker: str) -> float:
        """Log-probability of the tokens after `marker` (e.g. the action after "ACTION: ")."""
        return logprob_after(self.text, self.pieces, self.token_logprobs, marker)


@dataclass(frozen=True)
class LLMSettings:
    n_ctx: int = 2048
    n_threads: int = 1        # decode: 1 thread measured ~10x faster than 2 with Chromium busy
    n_threads_batch: int = 0  # prefill: 0 = all cores (measured ~1.7x faster than 1 when quiet)
    n_batch: int = 512
    seed: int = 0

    @classmethod
    def from_env(cls) -> LLMSettings:
        def _int(name: str, default: int) -> int:
            value = os.environ.get(name)
            return int(value) if value and value.isdigit() else default
        return cls(n_ctx=_int("SYMBIOTE_N_CTX", 2048), n_threads=_int("SYMBIOTE_THREADS", 1),
                   n_threads_batch=_int("SYMBIOTE_THREADS_BATCH", 0))


class LanguageModel(Protocol):
    """A loaded model. `generate` takes the prompt's tokens, so a caller that already counted
    them (to fit the context) does not tokenize twice."""

    name: str
    prompt_style: str
    history_steps: int  # earlier steps the prompt shows (what the model was trained with)
    n_ctx: int

    def tokenize(self, text: str) -> list[int]: ...

    def check_grammar(self, gbnf: str) -> bool: ...

    def generate(self, tokens: list[int], *, gbnf: str | None = None, max_tokens: int = 96,
                 temperature: float = 0.0, seed: int | None = None,
                 stop_text: str | None = None, floor: Floor | None = None) -> Generation:
        """`floor` applies to greedy decoding under a grammar (temperature 0, `gbnf`)."""
        ...
