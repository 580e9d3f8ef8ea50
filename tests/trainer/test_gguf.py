"""GGUF conversion and the llama.cpp behaviours the on-device policy relies on, on a tiny model.

The tiny model's weights are random, so its text is gibberish; the assertions are about exact,
reproducible mechanics: tokenization, determinism, grammar constraints, KV-cache reuse, numeric
agreement with transformers, and how broken files fail.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

import llama_cpp
import numpy as np
import pytest
from llama_cpp import Llama, LlamaGrammar
from llama_cpp import _internals as llama_internals

from tests.support.tinymodel import IM_END, IM_START
from trainer import gguf

CLICK_GRAMMAR = 'root ::= "click [" ("3" | "12") "]"'


def load(path: Path, **kwargs: object) -> Llama:
    return Llama(str(path), n_ctx=256, n_threads=1, seed=0, verbose=False, **kwargs)


def test_gguf_carries_a_gpt2_style_vocab_and_the_chatml_template(tiny_gguf: Path) -> None:
    meta = load(tiny_gguf).metadata
    assert meta["general.architecture"] == "llama"
    assert meta["tokenizer.ggml.model"] == "gpt2"
    assert meta["tokenizer.ggml.pre"] == "gpt-2"
    assert "<|im_start|>" in meta["tokenizer.chat_template"]


def test_tokenization_round_trips_and_matches_transformers(
    tiny_gguf: Path, tiny_hf_dir: Path
) -> None:
    from transformers import AutoTokenizer

    llm = load(tiny_gguf)
    hf_tokenizer = AutoTokenizer.from_pretrained(tiny_hf_dir)
    for text in ["click [12]", "type [7] [cheap flights] [1]", "REASON: x.\nACTION: stop [42]",
                 "Ünïcödé 🚀  two  spaces"]:
        tokens = llm.tokenize(text.encode(), add_bos=False)
        assert llm.detokenize(tokens).decode() == text
        assert tokens == hf_tokenizer.encode(text, add_special_tokens=False)
    chat = f"{IM_START}user\nhi{IM_END}"
    tokens = llm.tokenize(chat.encode(), add_bos=False, special=True)
    assert tokens[0] == llm.token_bos() and tokens[-1] == llm.token_eos()
    assert llm.detokenize(tokens, special=True).decode() == chat


def test_generation_is_deterministic(tiny_gguf: Path) -> None:
    prompt = "REASON: the submit button.\nACTION:"
    first, second = load(tiny_gguf), load(tiny_gguf)
    greedy = [llm.create_completion(prompt, max_tokens=12, temperature=0.0)["choices"][0]["text"]
              for llm in (first, first, second)]
    assert greedy[0] == greedy[1] == greedy[2]
    sampled = [llm.create_completion(prompt, max_tokens=12, temperature=1.0, seed=7)
               ["choices"][0]["text"] for llm in (first, second)]
    assert sampled[0] == sampled[1]


def test_grammar_constrains_every_output(tiny_gguf: Path) -> None:
    llm = load(tiny_gguf)
    grammar = LlamaGrammar.from_string(CLICK_GRAMMAR)
    outputs = set()
    for prompt in ["ACTION:", "REASON: the button\nACTION:", "hello", "[12] link 'Next'"]:
        for temperature, seed in [(0.0, 0), (1.0, 1), (1.5, 2), (1.5, 3)]:
            choice = llm.create_completion(prompt, max_tokens=16, temperature=temperature,
                                           seed=seed, grammar=grammar)["choices"][0]
            assert choice["text"] in ("click [3]", "click [12]")
            assert choice["finish_reason"] == "stop"
            outputs.add(choice["text"])
    assert outputs == {"click [3]", "click [12]"}


def test_grammar_sampler_chain_driven_by_hand(tiny_gguf: Path) -> None:
    """One chain for the whole answer: `Llama.sample(grammar=...)` would restart the grammar."""
    llm = load(tiny_gguf)
    chain = llama_internals.LlamaSampler()
    chain.add_grammar(llm._model, LlamaGrammar.from_string(CLICK_GRAMMAR))
    chain.add_greedy()
    llm.eval(llm.tokenize(b"ACTION:", add_bos=False))
    generated: list[int] = []
    while True:
        token = chain.sample(llm._ctx, -1)  # applies the grammar, then accepts the token
        if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
            break
        generated.append(token)
        llm.eval([token])
    assert llm.detokenize(generated).decode() in ("click [3]", "click [12]")


def test_grammar_masks_logits_of_the_last_position(tiny_gguf: Path) -> None:
    llm = load(tiny_gguf)
    grammar = llama_cpp.llama_sampler_init_grammar(
        llm._model.vocab, CLICK_GRAMMAR.encode(), b"root")
    try:
        for token in llm.tokenize(b"click [", add_bos=False):
            llama_cpp.llama_sampler_accept(grammar, token)
        llm.eval(llm.tokenize(b"ACTION: click [", add_bos=False))
        logits = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
        candidates = llama_internals.LlamaTokenDataArray(n_vocab=llm.n_vocab())
        candidates.copy_logits(logits.copy())
        llama_cpp.llama_sampler_apply(grammar, ctypes.byref(candidates.candidates))
        allowed = np.isfinite(candidates.candidates_data.logit).nonzero()[0]
        assert sorted(llm.detokenize([int(t)]).decode() for t in allowed) == ["1", "12", "3"]
    finally:
        llama_cpp.llama_sampler_free(grammar)


def test_invalid_grammar_is_detectable_before_it_crashes(tiny_gguf: Path) -> None:
    """`LlamaGrammar.from_string` does not parse; a bad grammar given to create_completion
    segfaults (0.3.36). Building the sampler directly returns NULL instead."""
    llm = load(tiny_gguf)
    LlamaGrammar.from_string('root ::= "click [" (')  # accepted without complaint
    bad = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, b'root ::= "click [" (', b"root")
    assert not bad
    good = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, CLICK_GRAMMAR.encode(), b"root")
    assert good
    llama_cpp.llama_sampler_free(good)


def test_shared_prompt_prefix_reuses_the_kv_cache(tiny_gguf: Path) -> None:
    llm = load(tiny_gguf)
    shared = (f"{IM_START}system\nYou are a web agent.{IM_END}\n"
              f"{IM_START}user\n[3] button 'Submit'\n")
    first = shared + f"Click submit{IM_END}\n{IM_START}assistant\n"
    second = shared + f"Open the next page{IM_END}\n{IM_START}assistant\n"

    def prompt_tokens_evaluated(prompt: str) -> tuple[int, int]:
        tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        reusable = Llama.longest_token_prefix(llm._input_ids.tolist(), tokens)
        llama_cpp.llama_perf_context_reset(llm.ctx)
        llm.create_completion(prompt, max_tokens=3, temperature=0.0)
        assert llm.n_tokens == len(tokens) + 3 - 1  # the last sampled token is not evaluated
        return reusable, llama_cpp.llama_perf_context(llm.ctx).n_p_eval

    n_first = len(llm.tokenize(first.encode(), add_bos=False, special=True))
    assert prompt_tokens_evaluated(first) == (0, n_first)
    reused, evaluated = prompt_tokens_evaluated(second)
    n_second = len(llm.tokenize(second.encode(), add_bos=False, special=True))
    assert reused > 20 and evaluated == n_second - reused
    # An identical prompt replays one token to refresh the logits.
    assert prompt_tokens_evaluated(second) == (n_second, 1)


def test_logprobs_need_logits_all(tiny_gguf: Path) -> None:
    with pytest.raises(ValueError, match="logits_all"):
        load(tiny_gguf).create_completion("ACTION:", max_tokens=2, logprobs=2)
    choice = load(tiny_gguf, logits_all=True).create_completion(
        "ACTION:", max_tokens=2, logprobs=2, temperature=0.0)["choices"][0]
    assert len(choice["logprobs"]["token_logprobs"]) == 2


def test_logits_match_transformers(tiny_gguf: Path, tiny_hf_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_hf_dir)
    llm = load(tiny_gguf, logits_all=True)
    tokens = llm.tokenize(b"REASON: submit the form.\nACTION: click [3]", add_bos=False)
    with torch.no_grad():
        expected = model(torch.tensor([tokens])).logits[0].numpy()
    llm.eval(tokens)
    np.testing.assert_allclose(llm.scores[: len(tokens)], expected, atol=1e-2)
    last = np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))
    np.testing.assert_allclose(last, expected[-1], atol=1e-2)


def random_adapter(tiny_hf_dir: Path, out: Path, **lora: object):  # type: ignore[no-untyped-def]
    """A PEFT LoRA on the tiny model with random B (not zeros, so it visibly changes the
    outputs), saved under `out` and converted to GGUF: (the PEFT model, the GGUF path)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    config = LoraConfig(r=4, lora_alpha=8, init_lora_weights=False, task_type="CAUSAL_LM",
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                                        "gate_proj", "up_proj", "down_proj"], **lora)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_hf_dir), config)
    model.save_pretrained(out / "adapter")
    return model, gguf.convert_lora_to_gguf(out / "adapter", tiny_hf_dir, out / "adapter.gguf")


def test_lora_adapter_converts_and_matches_peft(
    tiny_gguf: Path, tiny_hf_dir: Path, tmp_path: Path
) -> None:
    import torch

    peft_model, adapter = random_adapter(tiny_hf_dir, tmp_path)
    llm = load(tiny_gguf, logits_all=True, lora_path=str(adapter))
    tokens = llm.tokenize(b"ACTION: click [3]", add_bos=False)
    with torch.no_grad():
        expected = peft_model(torch.tensor([tokens])).logits[0].numpy()
        with peft_model.disable_adapter():
            base = peft_model(torch.tensor([tokens])).logits[0].numpy()
    llm.eval(tokens)
    assert np.abs(base - expected).max() > 0.1
    np.testing.assert_allclose(llm.scores[: len(tokens)], expected, atol=1e-2)


def test_lora_gguf_names_no_local_path(tiny_hf_dir: Path, tmp_path: Path) -> None:
    """PEFT writes the base's local path into the adapter's config and card; the GGUF users
    share must not carry it (nor any other path of this machine)."""
    from gguf import GGUFReader

    _, adapter = random_adapter(tiny_hf_dir, tmp_path)
    assert str(tiny_hf_dir) in (tmp_path / "adapter" / "adapter_config.json").read_text()
    strings = []
    for field in GGUFReader(adapter).fields.values():
        value = field.contents()
        strings += [v for v in (value if isinstance(value, list) else [value])
                    if isinstance(v, str)]
    assert any(tiny_hf_dir.name in s.lower() for s in strings)  # the base is still named
    leaked = [s for s in strings for part in (str(tmp_path), str(tiny_hf_dir.parent),
                                                str(Path.home())) if part.strip("/") in s]
    assert not leaked


def gguf_strings(path: Path) -> list[str]:
    from gguf import GGUFReader

    strings: list[str] = []
    for field in GGUFReader(path).fields.values():
        value = field.contents()
        strings += [v for v in (value if isinstance(value, list) else [value])
                    if isinstance(v, str)]
    return strings


def test_drop_local_dir_cuts_an_old_adapters_path_and_keeps_its_tensors(tmp_path: Path) -> None:
    """Adapters converted before the staging fix name the base by its local folder; the
    rewrite cuts that folder out of every string and copies the tensors byte for byte."""
    from gguf import GGUFReader, GGUFWriter

    old = tmp_path / "old.lora.gguf"
    writer = GGUFWriter(old, arch="llama")
    writer.add_string("general.base_model.0.name", "home/u/.cache/hf/Tiny Base")
    writer.add_string("general.base_model.0.repo_url",
                      "https://huggingface.co//home/u/.cache/hf/Tiny-Base")
    writer.add_array("general.tags", ["base_model:adapter:/home/u/.cache/hf/Tiny-Base", "lora"])
    writer.add_float32("adapter.lora.alpha", 32.0)
    weights = np.arange(64, dtype=np.float32).reshape(4, 16)
    writer.add_tensor("blk.0.attn_q.weight.lora_a", weights)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    assert gguf.drop_local_dir(old, "/home/u/.cache/hf/")
    strings = gguf_strings(old)
    assert not [s for s in strings if "home/u" in s]
    assert {"Tiny Base", "https://huggingface.co/Tiny-Base",
            "base_model:adapter:Tiny-Base", "lora"} <= set(strings)
    reader = GGUFReader(old)
    assert reader.get_field("adapter.lora.alpha").contents() == 32.0
    np.testing.assert_array_equal(reader.tensors[0].data, weights)
    assert not gguf.drop_local_dir(old, "/home/u/.cache/hf")  # nothing left to cut
    assert not list(tmp_path.glob("*.tmp"))


def test_shipped_adapters_name_no_local_path() -> None:
    """What the repo ships is shared with every user: no folder of the machine that built it."""
    shipped = sorted((Path(__file__).parents[2] / "resources" / "adapters").glob("*.gguf"))
    assert shipped
    for adapter in shipped:
        leaked = [s for s in gguf_strings(adapter)
                  if "/" in s and any(part in s for part in ("root/", "home/", ".cache/"))]
        assert not leaked, (adapter.name, leaked)


def test_peft_weights_come_back_from_the_lora_gguf(tiny_gguf: Path, tiny_hf_dir: Path,
                                                   tmp_path: Path) -> None:
    """A machine with only the shipped adapter GGUF can continue training it: the PEFT folder
    rebuilt from the GGUF holds the very tensors (the q/k rows un-permuted) and config."""
    import torch
    from peft import PeftModel, get_peft_model_state_dict
    from transformers import AutoModelForCausalLM

    # the top layer only, as the students do
    original, adapter = random_adapter(tiny_hf_dir, tmp_path, layers_to_transform=[1])
    rebuilt = gguf.peft_from_gguf(adapter, tiny_hf_dir, tmp_path / "rebuilt")

    again = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_hf_dir),
                                      rebuilt, is_trainable=True)
    want, got = get_peft_model_state_dict(original), get_peft_model_state_dict(again)
    assert sorted(want) == sorted(got) and len(want) == 14  # 7 modules x (A, B), layer 1
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0)
    loaded = again.peft_config["default"]
    assert (loaded.r, loaded.lora_alpha, loaded.layers_to_transform) == (4, 8, [1])
    with pytest.raises(gguf.GGUFConversionError, match="not a LoRA adapter"):
        gguf.peft_from_gguf(tiny_gguf, tiny_hf_dir, tmp_path / "bad")  # a model, no adapter
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("damage", ["random", "truncated", "empty"])
def test_corrupt_gguf_raises_value_error(tiny_gguf: Path, tmp_path: Path, damage: str) -> None:
    data = tiny_gguf.read_bytes()
    broken = tmp_path / "broken.gguf"
    broken.write_bytes({"random": os.urandom(4096), "truncated": data[: len(data) // 2],
                        "empty": b""}[damage])
    with pytest.raises(ValueError, match="Failed to load model from file"):
        load(broken)
    with pytest.raises(ValueError, match="Model path does not exist"):
        load(tmp_path / "missing.gguf")


def test_unknown_tokenizer_hash_fails_with_the_converters_reason(
    tiny_hf_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(gguf.GGUFConversionError, match="pre-tokenizer was not recognized"):
        gguf.convert_hf_to_gguf(tiny_hf_dir, tmp_path / "x.gguf", "f32")


def test_pre_tokenizer_label_must_match_the_tokenizer(tiny_hf_dir: Path, tmp_path: Path) -> None:
    spec = (tiny_hf_dir / "tokenizer.json").read_text(encoding="utf-8")
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "tokenizer.json").write_text(
        spec.replace('"type": "ByteLevel"', '"type": "Metaspace"', 1), encoding="utf-8")
    with pytest.raises(gguf.GGUFConversionError, match="does not pre-tokenize like GPT-2"):
        gguf.convert_hf_to_gguf(tmp_path, tmp_path / "x.gguf", pre_tokenizer="gpt-2")


def test_missing_sdist_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(gguf.SDIST_ENV, raising=False)
    monkeypatch.setattr(gguf, "SDIST_DIR", tmp_path)
    with pytest.raises(gguf.LlamaSourceMissingError, match="make setup.*pip download"):
        gguf.llama_cpp_source_dir()
    monkeypatch.setenv(gguf.SDIST_ENV, str(tmp_path / "nope.tar.gz"))
    with pytest.raises(gguf.LlamaSourceMissingError, match=gguf.SDIST_ENV):
        gguf.llama_cpp_source_dir()
