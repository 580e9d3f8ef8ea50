"""The on-device policy on real llama.cpp models: a tiny GGUF built at test time, and the real
SmolLM2 in a slow test. Outputs always parse and name real elements; K candidates are ranked."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from core.actions import Click, ElementAction, Select, parse_action
from core.browser.views import Element, Observation
from core.errors import ModelError
from core.llm.base import LLMSettings
from core.llm.llama import LlamaModel
from core.models import Registry
from core.policies.base import HistoryItem, StepContext
from core.policies.grounding import FieldSearch, KindSearch
from core.policies.local import LocalPolicy

ROLES = ["button", "link", "textbox", "checkbox", "StaticText", "heading"]


def random_observation(rng: random.Random, n: int) -> Observation:
    elements = []
    for i in range(n):
        role = rng.choice(ROLES)
        props = {"value": "x"} if role == "textbox" else {}
        elements.append(Element(id=str(rng.randint(1, 400) * 10 + i), role=role,
                                name=f"item {rng.randint(0, 99)}", depth=0, props=props))
    elements.append(Element(id="7", role="combobox", name="Color", depth=0,
                            options=("Red", "Blue")))
    return Observation(url="http://127.0.0.1/page", title="t", elements=tuple(elements))


@pytest.fixture(scope="module")
def tiny_policy(tiny_gguf: Path) -> LocalPolicy:
    return LocalPolicy(LlamaModel(tiny_gguf, settings=LLMSettings(n_ctx=1024)))


def test_outputs_always_parse_and_name_real_elements(tiny_policy: LocalPolicy) -> None:
    rng = random.Random(7)
    for trial in range(12):
        obs = random_observation(rng, rng.randint(1, 12))
        ctx = StepContext(intent=f"do thing {trial}", observation=obs, step=trial)
        (best,) = tiny_policy.propose(ctx, k=1)
        assert parse_action(best.action.to_text(), valid_ids=obs.ids) == best.action
        if isinstance(best.action, Select):
            assert best.action.option in ("Red", "Blue")
    assert tiny_policy.parse_failures == 0


def test_greedy_is_deterministic_and_reuses_the_kv_cache(tiny_policy: LocalPolicy) -> None:
    obs = random_observation(random.Random(1), 5)
    ctx = StepContext(intent="click the button", observation=obs)
    first = tiny_policy.propose(ctx)[0]
    second = tiny_policy.propose(ctx)[0]
    assert (first.action, first.rationale, first.score) == (second.action, second.rationale,
                                                           pytest.approx(second.score))
    assert second.meta["n_reused"] == second.meta["n_prompt"]  # all of it from the cache
    later = StepContext(intent="click the button", observation=obs,
                        history=(HistoryItem(Click("7")),), step=1)
    third = tiny_policy.propose(later)[0]
    assert 0 < third.meta["n_reused"] < third.meta["n_prompt"]  # the fixed prefix is reused


def test_top_k_candidates_are_distinct_and_ranked(tiny_policy: LocalPolicy) -> None:
    obs = random_observation(random.Random(3), 10)
    ctx = StepContext(intent="open the link", observation=obs)
    candidates = tiny_policy.propose(ctx, k=3)
    assert 1 <= len(candidates) <= 3
    keys = [c.action.normalized() for c in candidates]
    assert len(set(keys)) == len(keys)
    scores = [c.score for c in candidates]
    assert scores == sorted(scores, reverse=True)
    assert all(c.score <= 0 for c in candidates)


def test_observation_longer_than_the_context_is_trimmed(tiny_policy: LocalPolicy) -> None:
    obs = random_observation(random.Random(5), 400)
    ctx = StepContext(intent="find the item", observation=obs)
    assert "more elements trimmed" in tiny_policy.step_prompt(ctx).text
    (best,) = tiny_policy.propose(ctx)
    assert not isinstance(best.action, ElementAction) or best.action.id in obs.ids


def test_corrupt_and_missing_model_files_give_clear_errors(tmp_path: Path, tiny_gguf: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelError, match="model file not found: .*nope.gguf"):
        LlamaModel(missing)
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"not a model at all" * 100)
    with pytest.raises(ModelError, match="not a GGUF model file .*garbage.gguf"):
        LlamaModel(garbage)
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_gguf.read_bytes()[:5000])
    with pytest.raises(ModelError, match="llama.cpp could not load .*truncated.gguf"):
        LlamaModel(truncated)


def test_registry_resolves_the_shipped_base_model(tmp_path: Path) -> None:
    registry = Registry(user_dir=tmp_path)
    resolved = registry.resolve("smollm2-135m-instruct")
    assert resolved.model_path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    default = registry.resolve()  # the shipped default: the student merged into that base
    assert default.entry.kind == "merged" and default.entry.base == "smollm2-135m-instruct"
    assert default.model_path.name.endswith(".Q8_0.gguf") and default.lora_path is None
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        registry.resolve("nope")


def test_scores_are_recorded_for_user_models_only(tmp_path: Path) -> None:
    registry = Registry(user_dir=tmp_path)
    shipped = registry.active_name
    assert not registry.record_eval(shipped, "miniwob dev seeds 1000-1002", {"success_rate": 0.5})
    base = registry.get("smollm2-135m-instruct")[0]
    registry.add(base.model_copy(update={"name": "mine", "provenance": {"steps": 3}}))
    assert registry.record_eval("mine", "miniwob dev seeds 1000-1002", {"success_rate": 0.5})
    assert registry.record_eval("mine", "practice all seeds 1000-1000", {"success_rate": 0.0})
    entry = Registry(user_dir=tmp_path).get("mine")[0]  # persisted, earlier keys kept
    assert entry.provenance["steps"] == 3
    assert set(entry.provenance["eval"]) == {"miniwob dev seeds 1000-1002",  # type: ignore[arg-type]
                                             "practice all seeds 1000-1000"}
    assert shipped not in {e.name for e in Registry(user_dir=tmp_path).user.models}


@pytest.mark.slow
def test_real_smollm2_outputs_parse_and_rank(tmp_path: Path) -> None:
    policy = LocalPolicy(LlamaModel.from_resolved(Registry(user_dir=tmp_path).resolve()))
    rng = random.Random(11)
    for trial in range(5):
        obs = random_observation(rng, 8)
        candidates = policy.propose(StepContext(intent="click the button", observation=obs,
                                                step=trial), k=3)
        assert [c.score for c in candidates] == sorted((c.score for c in candidates),
                                                       reverse=True)
        for c in candidates:
            assert parse_action(c.action.to_text(), valid_ids=obs.ids) == c.action
    assert policy.parse_failures == 0


def test_kind_search_keeps_the_exhaustive_searchs_choice(tiny_gguf: Path) -> None:
    """The most likely whole action over the page's kinds, with each kind's decoding given up
    at the best score so far, is the one decoding every kind to its end would pick."""
    llm = LlamaModel(tiny_gguf, settings=LLMSettings(n_ctx=1024), prompt_style="student")
    policy = LocalPolicy(llm, grounding=KindSearch())
    assert policy.kind_search
    rng = random.Random(3)
    for trial in range(8):
        obs = random_observation(rng, rng.randint(2, 10))
        ctx = StepContext(intent=f"do thing {trial}", observation=obs, step=trial)
        (best,) = policy.propose(ctx)
        step = policy.step_prompt(ctx)
        whole = [llm.generate(step.tokens, gbnf=policy.format.grammar(ctx, kind),
                              max_tokens=step.max_tokens)
                 for kind in policy.format.kinds(ctx)]
        top = max(whole, key=lambda g: g.logprob_after(policy.format.score_marker))
        assert best.action == policy.format.parse(top.text, obs)[1]
        assert best.score == pytest.approx(top.logprob_after(policy.format.score_marker))


def test_field_search_keeps_the_exhaustive_searchs_choice(tiny_gguf: Path) -> None:
    """With `type` searched field by field, the choice is the one decoding every other kind,
    and `type` into every field with that field's own greedy text, to its end would pick."""
    llm = LlamaModel(tiny_gguf, settings=LLMSettings(n_ctx=1024), prompt_style="student")
    policy = LocalPolicy(llm, grounding=FieldSearch())
    assert policy.kind_search and policy.field_search and policy.id.endswith("+fields+copy")
    rng = random.Random(5)
    for trial in range(8):
        base = random_observation(rng, rng.randint(1, 6))
        fields = tuple(Element(id=str(900 + i), role="textbox", name=f"field {i}", depth=0)
                       for i in range(rng.randint(2, 4)))
        obs = Observation(url=base.url, title=base.title, elements=base.elements + fields)
        ctx = StepContext(intent=f"type {trial} into field {trial % 2}", observation=obs,
                          step=trial)
        (best,) = policy.propose(ctx)
        step = policy.step_prompt(ctx)
        grammars = [policy.format.grammar(ctx, kind, field)
                    for kind in policy.format.kinds(ctx)
                    for field in ([e.id for e in policy.format.fields(ctx)]
                                  if kind == "act-type" else [None])]
        whole = [llm.generate(step.tokens, gbnf=g, max_tokens=step.max_tokens) for g in grammars]
        top = max(whole, key=lambda g: g.logprob_after(policy.format.score_marker))
        assert best.action == policy.format.parse(top.text, obs)[1]
        assert best.score == pytest.approx(top.logprob_after(policy.format.score_marker))
    assert len(grammars) > len(policy.format.kinds(ctx))  # `type` was searched per field
