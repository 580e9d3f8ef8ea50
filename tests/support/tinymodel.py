"""A tiny but real llama-architecture model for tests, built locally in a few seconds.

Nothing comes from a model hub: a byte-level BPE tokenizer is trained here on a small corpus of
the action language, a 2-layer LlamaForCausalLM gets random weights from a fixed seed, and
llama.cpp's own converter turns the pair into a GGUF. The weights are untrained, so generations
are gibberish but deterministic; what the tests rely on is that the file is a genuine GGUF that
tokenizes, generates and obeys grammars exactly like SmolLM2 does in production.
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.actions import describe_actions
from core.prompts import system_prompt
from trainer.gguf import OutType, convert_hf_to_gguf

logger = logging.getLogger(__name__)

SEED = 1234
VOCAB_SIZE = 1024
HIDDEN_SIZE = 64
N_LAYERS = 2
N_HEADS = 4
MAX_POSITIONS = 2048

PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END)

# SmolLM2's ChatML template, minus its default system prompt.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_SAMPLE_TURNS = """\
OBJECTIVE: Submit the form with the name Alice.
PREVIOUS ACTIONS:
none
NOTES:
OBSERVATION:
[1] RootWebArea 'Practice site' focused
[3] button 'Submit'
[7] textbox 'Search' required
[12] link 'Next page'
[25] combobox 'Country' value='France'
REASON: The task asks to submit the form, and the submit button has id 3.
ACTION: click [3]
REASON: I must search for the flight first.
ACTION: type [7] [cheap flights to Paris] [1]
ACTION: select [25] [Germany]
ACTION: scroll [down]
ACTION: scroll [up]
ACTION: go_back
ACTION: goto [http://127.0.0.1:8000/miniwob/click-button.html]
ACTION: note [The price is 42 dollars]
ACTION: stop [42]
ACTION: click [12]
The quick brown fox jumps over the lazy dog, 0123456789 times.
"""


def training_corpus() -> list[str]:
    """The tokenizer's corpus: the real system prompt and action docs, example turns, small ids.

    Learning merges from the product's own prompt text keeps prompts short in tokens (close to
    SmolLM2's ~4 characters per token), so tests fit them into small contexts.
    """
    lines = system_prompt().splitlines() + describe_actions().splitlines()
    lines += _SAMPLE_TURNS.splitlines()
    lines += [f"click [{i}]" for i in range(100)]
    lines += [f"{IM_START}{role}\nWhat is {i} + {i}?{IM_END}"
              for role in ("system", "user", "assistant") for i in range(10)]
    return lines


def _train_tokenizer(out_dir: Path) -> int:
    """Train a GPT-2-style byte-level BPE and save it as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    # Exactly GPT-2's regex split over bytes: the split llama.cpp calls "gpt-2", so the
    # converter may label it so (trainer.gguf checks this before it does).
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(training_corpus(), trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=IM_START,
        eos_token=IM_END,
        pad_token=PAD_TOKEN,
        unk_token=PAD_TOKEN,
        chat_template=CHAT_TEMPLATE,
        model_max_length=MAX_POSITIONS,
        clean_up_tokenization_spaces=False,
    )
    wrapped.save_pretrained(out_dir)
    return len(wrapped)


def build_tiny_llama_hf(out_dir: Path) -> Path:
    """Save the tokenizer and a seeded, untrained 2-layer Llama in Hugging Face format."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    out_dir.mkdir(parents=True, exist_ok=True)
    vocab_size = _train_tokenizer(out_dir)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=HIDDEN_SIZE,
        intermediate_size=HIDDEN_SIZE * 2,
        num_hidden_layers=N_LAYERS,
        num_attention_heads=N_HEADS,
        num_key_value_heads=N_HEADS,
        max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=True,
        # With the default 0.02 the tied embeddings are so small that logits can barely move
        # away from uniform, and a LoRA cannot teach the model anything in a test's few steps.
        initializer_range=0.2,
        bos_token_id=SPECIAL_TOKENS.index(IM_START),
        eos_token_id=SPECIAL_TOKENS.index(IM_END),
        pad_token_id=SPECIAL_TOKENS.index(PAD_TOKEN),
    )
    torch.manual_seed(SEED)
    model = LlamaForCausalLM(config)
    model.generation_config.do_sample = False
    model.save_pretrained(out_dir)
    return out_dir


def build_tiny_llama(out_dir: Path, outtype: OutType = "f32") -> Path:
    """Build the tiny model under `out_dir` and return its GGUF (`out_dir/tiny-llama.gguf`).

    The Hugging Face copy stays in `out_dir/hf` for tests that fine-tune or convert adapters.
    """
    hf_dir = build_tiny_llama_hf(out_dir / "hf")
    gguf_path = convert_hf_to_gguf(hf_dir, out_dir / "tiny-llama.gguf", outtype,
                                   pre_tokenizer="gpt-2")
    logger.info("Tiny model written to %s", gguf_path)
    return gguf_path
