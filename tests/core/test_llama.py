"""LlamaModel's greedy decoding under a grammar asks the grammar about the model's best token
only, and still yields exactly the tokens of llama.cpp's own sampler chain (grammar over the
whole vocabulary, then greedy), with and without a KV-cache prefix."""

from __future__ import annotations

from pathlib import Path

from llama_cpp import Llama, LlamaGrammar

from core.llm.base import Floor, LLMSettings
from core.llm.llama import LlamaModel
from core.policies.base import StepContext
from core.policies.formats import ActionFirst
from core.prompts import chatml
from tests.core.test_formats import PAGE


def test_greedy_decoding_under_a_grammar_gives_the_sampler_chains_tokens(
        tiny_gguf: Path) -> None:
    model = LlamaModel(tiny_gguf, settings=LLMSettings(n_ctx=1024), prompt_style="student")
    chain = Llama(str(tiny_gguf), n_ctx=1024, n_threads=1, seed=0, verbose=False)
    fmt = ActionFirst()
    prompts = []
    for intent in ("Sign in as bob", "Pick Spain", "What is the greeting?", "Open help"):
        context = StepContext(intent=intent, observation=PAGE)
        prompts.append((chatml(fmt.system(), fmt.user(context)),
                        fmt.grammar(context)))
    for round_ in range(2):  # the second round reuses the system prompt from the KV cache
        for text, gbnf in prompts:
            tokens = model.tokenize(text)
            ours = model.generate(tokens, gbnf=gbnf, max_tokens=40)
            theirs = chain.create_completion(tokens, max_tokens=40, temperature=0.0,
                                             grammar=LlamaGrammar.from_string(gbnf, verbose=False))
            assert ours.text == theirs["choices"][0]["text"]
            assert ours.n_generated == len(ours.token_logprobs) > 0
            assert all(lp <= 0 for lp in ours.token_logprobs)
            if round_:
                assert ours.n_reused > 0
    # random weights: unconstrained, the model writes something else, so the grammar refused
    # its best token along the way and the fallback over the whole vocabulary was taken
    free = model.generate(model.tokenize(prompts[0][0]), max_tokens=40)
    assert free.text != model.generate(model.tokenize(prompts[0][0]), gbnf=prompts[0][1],
                                       max_tokens=40).text


def test_a_floor_gives_up_only_a_decoding_that_could_not_beat_it(tiny_gguf: Path) -> None:
    """`Floor`: a greedy decoding whose score after the marker falls to the floor stops there
    (every later token would only lower it); one that stays above it is left whole."""
    model = LlamaModel(tiny_gguf, settings=LLMSettings(n_ctx=1024), prompt_style="student")
    fmt = ActionFirst()
    stopped_early = 0
    for intent in ("Sign in as bob", "Pick Spain", "What is the greeting?"):
        context = StepContext(intent=intent, observation=PAGE)
        tokens = model.tokenize(chatml(fmt.system(), fmt.user(context)))
        for kind in fmt.kinds(context):
            gbnf = fmt.grammar(context, kind)
            whole = model.generate(tokens, gbnf=gbnf, max_tokens=40)
            score = whole.logprob_after(fmt.score_marker)
            assert not whole.abandoned and score < 0
            kept = model.generate(tokens, gbnf=gbnf, max_tokens=40,
                                  floor=Floor(fmt.score_marker, score - 1e-3))
            assert (kept.text, kept.abandoned) == (whole.text, False)
            cut = model.generate(tokens, gbnf=gbnf, max_tokens=40,
                                 floor=Floor(fmt.score_marker, score / 2))
            assert cut.abandoned and whole.text.startswith(cut.text)
            assert cut.logprob_after(fmt.score_marker) <= score / 2
            stopped_early += cut.n_generated < whole.n_generated
    assert stopped_early > 0
