"""`LlamaModel`: the `LanguageModel` interface over llama-cpp-python's `Llama`.

The only module that imports llama_cpp. What it adds to `Llama`: per-token log-probabilities
without `logits_all` (read from the last position's logits while the generator is paused: the
private `_ctx`, `_model` and `_input_ids` are read here and nowhere else), counts of prompt
tokens reused from the KV cache vs evaluated anew, a grammar check before llama.cpp can abort
the process on a malformed one, clear errors for a missing or corrupt GGUF, and greedy decoding
that asks the grammar about one token instead of the whole vocabulary (`_greedy`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

import numpy as np

from core.errors import ModelError
from core.llm.base import Floor, Generation, LLMSettings, logprob_after
from core.models import ResolvedModel, check_gguf
from core.prompts import HISTORY_STEPS

log = logging.getLogger(__name__)


class LlamaModel:
    """One loaded GGUF (plus an optional LoRA adapter GGUF)."""

    def __init__(self, model_path: Path, lora_path: Path | None = None,
                 settings: LLMSettings | None = None, name: str | None = None,
                 prompt_style: str = "full", history_steps: int = HISTORY_STEPS):
        from llama_cpp import Llama, LlamaGrammar  # heavy import, only when a model is used

        self._grammar_cls = LlamaGrammar
        self.settings = settings or LLMSettings()
        self.name = name or model_path.stem
        self.prompt_style = prompt_style
        self.history_steps = history_steps
        check_gguf(model_path)
        if lora_path is not None:
            check_gguf(lora_path)
        batch_threads = self.settings.n_threads_batch or (os.cpu_count() or 1)
        try:
            with _quiet_stderr():
                self.llm = Llama(
                    model_path=str(model_path),
                    lora_path=str(lora_path) if lora_path else None,
                    n_ctx=self.settings.n_ctx,
                    n_batch=self.settings.n_batch,
                    n_threads=self.settings.n_threads,
                    n_threads_batch=batch_threads,
                    seed=self.settings.seed,
                    logits_all=False,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"llama.cpp could not load {model_path}"
                             + (f" with adapter {lora_path}" if lora_path else "")
                             + f": the file is corrupt or not a supported GGUF ({exc})") from exc
        self.n_vocab = self.llm.n_vocab()
        self.n_ctx = self.llm.n_ctx()
        self._checked_grammar = ""  # the policy checks a step's grammar, then generates with it

    @classmethod
    def from_resolved(cls, resolved: ResolvedModel,
                      settings: LLMSettings | None = None) -> LlamaModel:
        return cls(resolved.model_path, resolved.lora_path, settings, name=resolved.name,
                   prompt_style=resolved.prompt_style,
                   history_steps=resolved.entry.history_steps)

    def tokenize(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def check_grammar(self, gbnf: str) -> bool:
        """llama.cpp crashes the process on a malformed grammar at sampling time; its own
        parser returns NULL instead, so ask it first."""
        if gbnf == self._checked_grammar:
            return True
        import llama_cpp

        with _quiet_stderr():
            sampler = llama_cpp.llama_sampler_init_grammar(self.llm._model.vocab,
                                                           gbnf.encode("utf-8"), b"root")
        if not sampler:
            return False
        llama_cpp.llama_sampler_free(sampler)
        self._checked_grammar = gbnf
        return True

    def grammar(self, gbnf: str):  # type: ignore[no-untyped-def]
        if not self.check_grammar(gbnf):
            raise ModelError("the generated action grammar is malformed")
        with _quiet_stderr():
            return self._grammar_cls.from_string(gbnf, verbose=False)

    def _last_logprobs(self) -> np.ndarray:
        logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.n_vocab,))
        shifted = logits - logits.max()
        return shifted - np.log(np.exp(shifted).sum())

    def generate(self, tokens: list[int], *, gbnf: str | None = None, max_tokens: int = 96,
                 temperature: float = 0.0, seed: int | None = None,
                 stop_text: str | None = None, floor: Floor | None = None) -> Generation:
        if len(tokens) + max_tokens > self.n_ctx:
            raise ModelError(f"prompt of {len(tokens)} tokens does not fit the context of "
                             f"{self.n_ctx} with {max_tokens} tokens to generate")
        reused = 0
        for a, b in zip(self.llm._input_ids[: self.llm.n_tokens], tokens, strict=False):
            if a != b:
                break
            reused += 1
        if seed is not None:
            self.llm.set_seed(seed)
        if gbnf and temperature == 0.0:
            return self._greedy(tokens, gbnf, max_tokens, stop_text, reused, floor)
        grammar = self.grammar(gbnf) if gbnf else None
        from llama_cpp import llama_vocab_is_eog

        eos = self.llm.token_eos()
        out: list[int] = []
        logprobs: list[float] = []
        pieces: list[str] = []
        t0 = time.perf_counter()
        t_first = None
        text = ""
        generator = self.llm.generate(tokens, temp=temperature, top_k=40, top_p=0.95,
                                      min_p=0.05, repeat_penalty=1.0, grammar=grammar)
        for token in generator:
            if t_first is None:
                t_first = time.perf_counter()
            if token == eos or llama_vocab_is_eog(self.llm._model.vocab, token):
                break
            logprobs.append(float(self._last_logprobs()[token]))
            out.append(token)
            new_text = self.llm.detokenize(out).decode("utf-8", errors="ignore")
            pieces.append(new_text[len(text):])
            text = new_text
            if len(out) >= max_tokens or (stop_text and stop_text in text):
                break
        generator.close()
        t_end = time.perf_counter()
        prefill = (t_first or t_end) - t0
        return Generation(text=text, token_logprobs=tuple(logprobs),
                          pieces=tuple(pieces), n_prompt=len(tokens),
                          n_reused=min(reused, len(tokens)), n_generated=len(out),
                          prefill_s=prefill, decode_s=t_end - (t_first or t_end))


    def _greedy(self, tokens: list[int], gbnf: str, max_tokens: int, stop_text: str | None,
                reused: int, floor: Floor | None = None) -> Generation:
        """The grammar's greedy decoding, the same tokens as llama.cpp's sampler chain
        (grammar, then greedy), cheaper: the chain checks every one of the ~49k vocabulary
        entries against the grammar at every step; here the grammar is asked about the
        model's own best token first, and only when it refuses that one about the rest (as
        llama.cpp's common sampler does). The best allowed token is the best token whenever
        the best token is allowed, so nothing else changes (tests/core/test_llama.py)."""
        import ctypes

        import llama_cpp

        if not self.check_grammar(gbnf):
            raise ModelError("the generated action grammar is malformed")
        llm, vocab = self.llm, self.llm._model.vocab
        # The KV-cache prefix, as Llama.generate keeps it: at least one token is evaluated
        # so the logits are this prompt's.
        keep = min(reused, len(tokens) - 1)
        if keep > 0 and llm._ctx.kv_cache_seq_rm(-1, keep, -1):
            llm.n_tokens = keep
        else:
            llm.reset()
            keep = 0
        with _quiet_stderr():
            sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode("utf-8"),
                                                           b"root")
        one = llama_cpp.llama_token_data()
        single = llama_cpp.llama_token_data_array(
            data=ctypes.pointer(one), size=1, selected=-1, sorted=False)
        every = None
        abandoned = False
        out: list[int] = []
        logprobs: list[float] = []
        pieces: list[str] = []
        text = ""
        t0 = time.perf_counter()
        try:
            llm.eval(tokens[keep:])
            t_first = time.perf_counter()
            while True:
                logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(self.n_vocab,))
                token = int(logits.argmax())
                one.id, one.logit, one.p = token, float(logits[token]), 0.0
                single.size, single.selected = 1, -1
                llama_cpp.llama_sampler_apply(sampler, ctypes.byref(single))
                if one.logit == -np.inf:  # refused: the best token the grammar allows
                    if every is None:
                        from llama_cpp._internals import LlamaTokenDataArray

                        every = LlamaTokenDataArray(n_vocab=self.n_vocab)
                    every.copy_logits(logits)
                    llama_cpp.llama_sampler_apply(sampler, ctypes.byref(every.candidates))
                    allowed = every.candidates_data.logit
                    token = int(allowed.argmax())
                    if allowed[token] == -np.inf:
                        break  # the grammar allows nothing more
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    break
                llama_cpp.llama_sampler_accept(sampler, token)
                shifted = logits - logits.max()
                logprobs.append(float(shifted[token] - np.log(np.exp(shifted).sum())))
                out.append(token)
                new_text = llm.detokenize(out).decode("utf-8", errors="ignore")
                pieces.append(new_text[len(text):])
                text = new_text
                if len(out) >= max_tokens or (stop_text and stop_text in text):
                    break
                if floor is not None and floor.marker in text and logprob_after(
                        text, pieces, logprobs, floor.marker) <= floor.logprob:
                    abandoned = True
                    break
                llm.eval([token])
        finally:
            llama_cpp.llama_sampler_free(sampler)
        t_end = time.perf_counter()
        return Generation(text=text, token_logprobs=tuple(logprobs), pieces=tuple(pieces),
                          n_prompt=len(tokens), n_reused=min(reused, len(tokens)),
                          n_generated=len(out),
                          prefill_s=t_first - t0, decode_s=t_end - t_first,
                          abandoned=abandoned)


@contextlib.contextmanager
def _quiet_stderr():  # type: ignore[no-untyped-def]
    """llama.cpp prints model-loading chatter on fd 2; keep the CLI's output readable."""
    try:
        fd = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(fd, 2)
            os.close(fd)
