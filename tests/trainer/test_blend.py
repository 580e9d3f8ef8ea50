"""Blending adapters (trainer.blend): the blend's update is exactly the weighted sum of the
adapters' updates, llama.cpp reads the blended adapter with the right scale, and adapters of
different weights are one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import llama_cpp
import numpy as np
import pytest
from gguf import GGUFReader
from gguf.quants import dequantize

from core.errors import ModelError
from core.models import ModelEntry, Registry
from core.paths import RESOURCES
from trainer.blend import blend, blend_adapters

ADAPTERS = RESOURCES / "adapters"
V6, V7 = ADAPTERS / "smollm2-symbiote-v6.lora.gguf", ADAPTERS / "smollm2-symbiote-v7.lora.gguf"
PROMPT = ("<|im_start|>user\nOBJECTIVE: Sign in as bob with {{secret:pw}}\nOBSERVATION:\n"
          "[3] textbox 'Username'\n[4] textbox 'Password' type=password\n[6] button 'Sign in'"
          "<|im_end|>\n<|im_start|>assistant\nACTION: ")


def _updates(adapter: Path) -> dict[str, np.ndarray]:
    """Each adapted weight's update (alpha / r) * B @ A, by weight name."""
    reader = GGUFReader(adapter)
    alpha = float(reader.fields["adapter.lora.alpha"].contents())
    tensors = {t.name: dequantize(t.data, t.tensor_type).astype(np.float32)
               for t in reader.tensors}
    return {name[: -len(".lora_a")]: (alpha / a.shape[0]) * (tensors[name[:-1] + "b"] @ a)
            for name, a in tensors.items() if name.endswith(".lora_a")}


def test_the_blend_is_the_weighted_sum_of_the_updates(tmp_path: Path) -> None:
    out = blend_adapters([(V6, 0.3), (V7, 0.7)], tmp_path / "blend.lora.gguf")
    six, seven, blended = _updates(V6), _updates(V7), _updates(out)
    assert blended.keys() == six.keys() == seven.keys() and len(blended) > 50
    for name, update in blended.items():
        expected = 0.3 * six[name] + 0.7 * seven[name]
        scale = np.abs(expected).max()
        assert scale > 0 and np.abs(update - expected).max() <= 2e-3 * scale, name
    assert GGUFReader(out).tensors[0].shape[-1] == 2 * GGUFReader(V7).tensors[0].shape[-1]


def test_llama_cpp_reads_a_blend_of_an_adapter_with_itself_as_the_adapter(tmp_path: Path
                                                                          ) -> None:
    base = Registry().resolve("smollm2-135m-instruct").model_path
    same = blend_adapters([(V7, 0.5), (V7, 0.5)], tmp_path / "same.lora.gguf")

    def logits(lora: Path | None) -> np.ndarray:
        llm = llama_cpp.Llama(model_path=str(base), lora_path=str(lora) if lora else None,
                              n_ctx=256, logits_all=True, verbose=False)
        tokens = llm.tokenize(PROMPT.encode(), special=True)
        llm.eval(tokens)
        return np.array(llm.scores[: len(tokens)])

    with_v7, with_blend, plain = logits(V7), logits(same), logits(None)
    # rank 32 at alpha 32 is read as scale 1, the stacked halves as the one adapter
    assert np.abs(with_v7 - with_blend).max() < np.abs(with_v7 - plain).max() / 20
    assert (with_v7.argmax(1) == with_blend.argmax(1)).mean() >= 0.95


def test_adapters_of_different_weights_are_one_clear_error(tmp_path: Path) -> None:
    v17 = ADAPTERS / "smollm2-symbiote-v17.lora.gguf"  # every layer; v7 only the top ones
    with pytest.raises(ModelError, match="adapt different weights"):
        blend_adapters([(V7, 0.5), (v17, 0.5)], tmp_path / "x.lora.gguf")
    with pytest.raises(ModelError, match="not a LoRA adapter"):
        blend_adapters([(Registry().resolve("smollm2-135m-instruct").model_path, 1.0)],
                       tmp_path / "y.lora.gguf")
    assert not list(tmp_path.iterdir())


def test_blend_registers_an_adapter_of_the_same_base(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "models.json").write_text(json.dumps({"models": []}))
    registry = Registry(home)
    entry = blend(registry, "v6v7", {"smollm2-symbiote-v6": 0.5, "smollm2-symbiote-v7": 0.5})
    assert isinstance(entry, ModelEntry) and entry.base == "smollm2-135m-instruct"
    assert entry.provenance["blended_from"] == {"smollm2-symbiote-v6": 0.5,
                                                "smollm2-symbiote-v7": 0.5}
    resolved = Registry(home).resolve("v6v7")
    assert resolved.lora_path == Path(entry.adapter) and resolved.lora_path.is_file()
    with pytest.raises(ModelError, match="not a LoRA adapter"):
        blend(registry, "bad", {"smollm2-135m-instruct": 1.0})


def test_adapters_that_read_different_histories_do_not_blend(tmp_path: Path) -> None:
    """A blend has one prompt format: parts trained on different history lengths are one
    clear error, before any file is written."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "models.json").write_text(json.dumps({"models": []}))
    registry = Registry(home)
    v7 = registry.get("smollm2-symbiote-v7")[0]
    registry.add(v7.model_copy(update={"name": "v7-h8", "history_steps": 8,
                                       "adapter": str(V7)}))
    with pytest.raises(ModelError, match="reads 8 earlier steps, the others 4"):
        blend(registry, "mixed", {"smollm2-symbiote-v6": 0.5, "v7-h8": 0.5})
    assert not (home / "models" / "mixed.lora.gguf").exists()
    assert blend(registry, "same", {"v7-h8": 1.0}).history_steps == 8
