"""Distillation end to end on a tiny real model: trajectories → multi-task examples → LoRA →
GGUF adapter (or full fine-tuning → a whole GGUF) → llama.cpp, whose greedy answer on a
training prompt becomes the target."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.actions import Click
from core.browser.views import parse_observation_text
from core.llm.base import LLMSettings
from core.llm.llama import LlamaModel
from core.policies.base import HistoryItem, StepContext
from core.policies.formats import ActionFirst
from core.store.views import EpisodeRecord, StepRecord
from trainer.dataset import (
    DatasetError,
    build_examples,
    build_student_examples,
    data_hash,
    deduplicate,
    split,
)
from trainer.train import (
    TrainConfig,
    TrainError,
    TrainResult,
    export_adapter,
    export_merged,
    fine_tune,
    pick_device,
    target_loss,
)

OBS = "URL: http://127.0.0.1/x\n[3] button 'Submit'\n[12] link 'Next page'"


def episode(eid: int, seed: int, action: str, task: str = "miniwob/click-button",
            outcome: str = "success", source: str = "teacher") -> EpisodeRecord:
    return EpisodeRecord(
        id=eid, task_id=task, intent="Click the Submit button.", start_url="http://x/",
        mode="cloud", policy="teacher", source=source, seed=seed, outcome=outcome,
        started_at="2026-01-01T00:00:00",
        steps=[StepRecord(idx=0, url="http://x/", observation=OBS, action=action,
                          rationale="The task names the Submit button.")])


def test_examples_are_multi_task_split_and_deduplicated() -> None:
    eps = [episode(1, 1, "click [3]"), episode(2, 1, "click [3]"), episode(3, 5, "click [3]"),
           episode(4, 9, "click [12]", task="miniwob/click-link")]
    eps = deduplicate(eps)
    assert [e.id for e in eps] == [1, 4]  # 2 and 3 repeat episode 1 exactly
    train = split(eps, eval_seeds={9})
    assert [e.id for e in train] == [1]
    examples = build_examples(train, rationale_share=1.0)
    kinds = sorted(e.kind for e in examples)
    assert kinds == ["action", "rationale"]
    action = next(e for e in examples if e.kind == "action")
    assert action.target == "REASON: The task names the Submit button.\nACTION: click [3]"
    assert action.prompt.endswith("<|im_start|>assistant\n") and OBS in action.prompt
    rationale = next(e for e in examples if e.kind == "rationale")
    assert "CHOSEN ACTION: click [3]" in rationale.prompt
    assert rationale.target == "REASON: The task names the Submit button."
    assert data_hash(examples) == data_hash(list(reversed(examples)))
    with pytest.raises(DatasetError, match="no training examples"):
        build_examples([])


def test_evaluation_seeds_hold_out_seeded_suites_only(caplog: pytest.LogCaptureFixture) -> None:
    """A practice task is one fixed page: the seed a bench recorded it under (1000) is not a
    variant. Before, `--eval-seeds 1000-1999` dropped every practice episode in silence."""
    eps = [episode(1, 1000, "click [3]", task="practice/webmail-login"),
           episode(2, 1000, "click [3]", task="miniwob/click-button"),
           episode(3, 4, "click [12]", task="miniwob/click-link"),
           episode(4, 1001, "click [12]", task="synthetic/signin/1001")]
    with caplog.at_level("WARNING", logger="trainer.dataset"):
        kept = split(eps, eval_seeds=range(1000, 2000))
    assert [e.id for e in kept] == [1, 3]
    assert "miniwob/click-button" in caplog.text and "synthetic/signin/1001" in caplog.text
    assert [e.id for e in split(eps, range(1000, 2000), {"practice/webmail-login"})] == [3]


def test_renumbered_copies_move_every_id_together_and_nothing_else() -> None:
    ep = episode(1, 1, "click [12]")
    two = EpisodeRecord(**{**ep.__dict__, "steps": ep.steps + [StepRecord(
        idx=1, url="http://x/", observation=OBS + "\n  [13] textbox 'Search [3]'",
        action="type [13] [12] [1]", rationale="Search for 12.",
        prompt_history=["click [12]", "stop [3]"])]})
    examples = build_examples([two], rationale_share=0.0, id_copies=2, seed=3)
    assert sum(e.kind == "action" for e in examples) == 6  # 2 steps x (original + 2 copies)
    for ex in examples:
        obs = ex.prompt.split("OBSERVATION:\n")[1]
        roles = {i: role for i, role in re.findall(r"^\s*\[(\d+)\] (\w+)", obs, re.M)}
        link = next(i for i, role in roles.items() if role == "link")
        target_id = re.search(r"ACTION: \w+ \[(\d+)\]", ex.target).group(1)
        if "click" in ex.target:  # step 0: still the element the teacher chose
            assert target_id == link
        else:  # step 1: the textbox; typed text, page text and the answer keep their digits
            assert roles[target_id] == "textbox" and ex.target.endswith("[12] [1]")
            assert "'Search [3]'" in obs
            assert f"PREVIOUS ACTIONS:\nclick [{link}]\nstop [3]" in ex.prompt
    renumbered = {re.search(r"\[(\d+)\] link", e.prompt).group(1) for e in examples}
    assert len(renumbered) > 1  # copies really moved the ids


def test_a_masked_task_code_is_taught_as_its_placeholder() -> None:
    """A teacher that typed a one-time code written in the task was stored with the value
    masked (`<secret>`): 27 synthetic sign-ins taught students to type that. The task's one
    placeholder not yet typed takes its place; with two left the episode is skipped."""
    code_page = "URL: http://x/verify\n[9] textbox 'Verification code'\n[10] button 'Confirm'"
    intent = ("Sign in as bob with the password {{secret:site_password}}. "
              "The one-time code is {{secret:task_code}}.")
    steps = [StepRecord(idx=0, url="http://x/", observation=OBS.replace("button 'Submit'",
                        "textbox 'Password' type=password"),
                        action="type [3] [{{secret:site_password}}] [0]"),
             StepRecord(idx=1, url="http://x/verify", observation=code_page,
                        action="type [9] [<secret>] [0]")]
    ep = EpisodeRecord(**{**episode(1, 1, "click [3]", task="synthetic/signin/1").__dict__,
                          "intent": intent, "steps": steps})
    targets = {e.target for e in build_student_examples([ep])}
    assert "ACTION: type 'Verification code' [9] [{{secret:task_code}}] [0]" in targets
    assert not any("<secret>" in t for t in targets)
    both_left = EpisodeRecord(**{**ep.__dict__, "steps": steps[1:]})
    with pytest.raises(DatasetError):  # the only episode is skipped: no example is left
        build_student_examples([both_left])


def test_a_slip_teaches_its_correction_and_stays_in_the_history() -> None:
    """A step the speculative router let the student get wrong (trainer.speculative, slips)
    is taught as the large model's label on that page, never as the slip; the next step's
    history shows what was really done, so the student learns to recover from it."""
    form = ("URL: http://x/pay\n[12] combobox 'Payee' value='-' options='-|Orchard Dental'\n"
            "[15] textbox 'Payment note'\n[16] button 'Continue'")
    label = {"action": "select [12] [Orchard Dental]", "rationale": "Pick the payee.",
             "score": 0.0, "source": "teacher", "label": True}
    slip = {"action": "type [15] [Orchard Dental] [0]", "rationale": "", "score": 0.0,
            "source": "small"}
    steps = [StepRecord(idx=0, url="http://x/pay", observation=form,
                        action="type [15] [Orchard Dental] [0]", candidates=[slip, label]),
             StepRecord(idx=1, url="http://x/pay", observation=form.replace(
                 "'Payment note'", "'Payment note' value='Orchard Dental'"),
                 action="select [12] [Orchard Dental]", rationale="Pick the payee.")]
    ep = EpisodeRecord(**{**episode(1, 1, "click [3]", task="synthetic/transfer/1").__dict__,
                          "intent": "Pay Orchard Dental.", "source": "speculative",
                          "steps": steps})
    first, second = sorted(build_student_examples([ep], style="student-items"),
                           key=lambda e: "PREVIOUS ACTIONS:\nnone" not in e.prompt)
    assert first.target.startswith("ACTION: select 'Payee' [12] [Orchard Dental]")
    assert "type 'Payment note' [15] [Orchard Dental]" in second.prompt
    assert not any(e.target.startswith("ACTION: type") for e in (first, second))
    compact = build_examples([ep], rationale_share=0.0)
    assert {e.target.splitlines()[-1] for e in compact} == {"ACTION: select [12] [Orchard Dental]"}
    errored = EpisodeRecord(**{**ep.__dict__, "steps": [
        steps[0].model_copy(update={"error": "Element is not an <input>"}), steps[1]]})
    assert len(build_student_examples([errored])) == 2  # a failed slip still has its label


def test_items_are_taught_as_the_run_time_format_shows_them() -> None:
    """"student-items" examples hold the observation and target the policy's format renders
    at run time; the history keeps the plain name, as the loop records it."""
    page = ("URL: http://x/list\n[1] heading 'Alpha'\n[2] button 'Open'\n"
            "[3] heading 'Beta'\n[4] button 'Open'")
    steps = [StepRecord(idx=0, url="http://x/", observation=page, action="click [4]"),
             StepRecord(idx=1, url="http://x/", observation=page, action="stop []")]
    ep = EpisodeRecord(**{**episode(1, 1, "click [4]", task="synthetic/lookup/1").__dict__,
                          "intent": "Open Beta.", "steps": steps})
    first, second = sorted(build_student_examples([ep], style="student-items"),
                           key=lambda e: "PREVIOUS ACTIONS:\nnone" not in e.prompt)
    assert first.target.startswith("ACTION: click 'Open of Beta' [4]")
    fmt = ActionFirst(style="student-items", items=True)
    shown = fmt.user(StepContext(intent="Open Beta.", observation=parse_observation_text(page)))
    assert shown in first.prompt and fmt.system() in first.prompt
    assert "click 'Open' [4]" in second.prompt  # history as core.loop describes the step
    plain = build_student_examples([ep])
    assert all("of" not in e.prompt + e.target for e in plain)


def test_a_longer_history_is_taught_as_the_run_time_format_shows_it() -> None:
    """`history` (the registry's `history_steps`) sets how many earlier steps a training
    prompt holds; the last step's prompt is the one ActionFirst(history=...) renders."""
    page = "URL: http://x/form\n" + "\n".join(f"[{i}] button 'B{i}'" for i in range(1, 8))
    steps = [StepRecord(idx=i, url="http://x/", observation=page, action=f"click [{i + 1}]")
             for i in range(6)]
    ep = EpisodeRecord(**{**episode(1, 1, "click [1]", task="synthetic/settings/1").__dict__,
                          "intent": "Press them all.", "steps": steps})

    def last_prompt(history: int) -> str:
        return max((e.prompt for e in build_student_examples([ep], history=history)),
                   key=lambda p: p.count("click 'B"))

    assert last_prompt(4).count("click 'B") == 4 and last_prompt(8).count("click 'B") == 5
    fmt = ActionFirst(history=8)
    done = tuple(HistoryItem(Click(str(i)), described=f"click 'B{i}' [{i}]", no_effect=True)
                 for i in range(1, 6))  # the page is the same at every step
    shown = fmt.user(StepContext(intent="Press them all.", history=done,
                                 observation=parse_observation_text(page)))
    assert shown in last_prompt(8)


def test_the_fit_bench_reads_a_store_with_the_history_the_student_was_taught(
        tmp_path: Path) -> None:
    """trainer.bench.fit scores a student on the prompts it reads at run time: a student
    taught 8 earlier steps is asked with 8 (the registry's history_steps), not the default 4."""
    from core.store.service import TrajectoryStore
    from trainer.bench.fit import examples_of

    page = "URL: http://x/form\n" + "\n".join(f"[{i}] button 'B{i}'" for i in range(1, 8))
    store = TrajectoryStore(tmp_path / "t.db")
    eid = store.start_episode(task_id="synthetic/settings/1", intent="Press them all.",
                              start_url="http://x/", mode="cloud", policy="teacher",
                              source="teacher", seed=1)
    for i in range(6):
        store.add_step(eid, StepRecord(idx=i, url="http://x/", observation=page,
                                       action=f"click [{i + 1}]"))
    store.finish_episode(eid, outcome="success", reward=1.0)
    for history, shown in ((4, 4), (8, 5)):
        examples = examples_of(tmp_path / "t.db", ["settings"], {1}, "student-items", history)
        assert len(examples) == 6
        assert max(x.prompt.count("click 'B") for x in examples) == shown
    with pytest.raises(DatasetError, match="no training examples"):  # no episode at seed 2
        examples_of(tmp_path / "t.db", ["settings"], {2}, "student-items")


def test_copies_move_the_loopback_port_through_the_episode_and_leave_the_original() -> None:
    """The suites are served on any free port and the URL heads every prompt (3 of 200 ports
    tipped v7's first action on the demo page): each copy shows another port, the same in
    every step and in a typed URL, while the first (unrenumbered) example keeps the real one."""
    page = "URL: http://127.0.0.1:41235/shop/cart\n[3] link 'Home http://localhost:41235/'"
    steps = [StepRecord(idx=0, url="http://x/", observation=page, action="click [3]"),
             StepRecord(idx=1, url="http://x/", observation=page.replace("cart", "home"),
                        action="goto [http://127.0.0.1:41235/shop/]")]
    ep = EpisodeRecord(**{**episode(1, 1, "click [3]", task="practice/shop").__dict__,
                          "steps": steps})
    examples = build_student_examples([ep], copies={"practice/": 4}, seed=7)
    assert len(examples) == 10
    by_port: dict[str, set[str]] = {}
    for ex in examples:
        found = re.findall(r"(?:127\.0\.0\.1|localhost):(\d+)", ex.prompt + ex.target)
        assert len(set(found)) == 1  # URL line, page text and a typed URL all moved together
        by_port.setdefault(found[0], set()).add(ex.target.split("\n")[0])
    assert len(by_port["41235"]) == 2  # the recorded episode, both steps, as recorded
    assert len(by_port) == 5  # four copies, four other ports
    assert all(len(targets) == 2 for targets in by_port.values())


@pytest.fixture(scope="module")
def trained(tiny_hf_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    examples = [e for e in build_examples([episode(1, 1, "click [12]")], rationale_share=0.0)]
    workdir = tmp_path_factory.mktemp("train")
    config = TrainConfig(max_steps=60, lr=1e-2, batch_size=1, lora_r=16, lora_alpha=32,
                         warmup_steps=2, checkpoint_every=20, threads=1)
    return fine_tune(tiny_hf_dir, examples, workdir, config, progress=False)


def test_lora_gguf_makes_llama_cpp_answer_the_target(trained: TrainResult, tiny_gguf: Path,
                                                    tiny_hf_dir: Path, tmp_path: Path) -> None:
    assert trained.losses[-1] < trained.losses[0] / 4
    adapter = export_adapter(trained, tiny_hf_dir, tmp_path / "student.lora.gguf")
    example = build_examples([episode(1, 1, "click [12]")], rationale_share=0.0)[0]
    settings = LLMSettings(n_ctx=1024)
    student = LlamaModel(tiny_gguf, lora_path=adapter, settings=settings)
    base = LlamaModel(tiny_gguf, settings=settings)
    want = example.target
    got = student.generate(student.tokenize(example.prompt), max_tokens=60).text
    assert got == want
    assert base.generate(base.tokenize(example.prompt), max_tokens=60).text != want


def test_target_loss_is_the_models_own_loss_over_the_target_tokens(tiny_hf_dir: Path) -> None:
    """The trainer projects only the positions that predict a target token onto the
    vocabulary; the loss and its gradient must be the full projection's, padding included."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_hf_dir),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                      init_lora_weights=False))
    model.eval()
    rows = [([5, 9, 11, 40, 41, 42], 3), ([7, 8, 20, 21, 22, 23, 24, 25, 26], 5)]  # (ids, prompt)
    width = max(len(x) for x, _ in rows)
    ids = torch.tensor([x + [0] * (width - len(x)) for x, _ in rows])
    mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in rows])
    labels = torch.tensor([[-100] * n + x[n:] + [-100] * (width - len(x)) for x, n in rows])
    lora = [p for p in model.parameters() if p.requires_grad]

    def loss_and_grads(loss):  # type: ignore[no-untyped-def]
        grads = torch.autograd.grad(loss, lora)
        return loss.detach(), grads

    want, want_grads = loss_and_grads(model(input_ids=ids, attention_mask=mask,
                                            labels=labels).loss)
    got, got_grads = loss_and_grads(target_loss(model, ids, mask, labels, torch))
    torch.testing.assert_close(got, want)
    for g, w in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(g, w)
    assert float(want) > 0


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_both_precisions_learn_the_target(precision: str, tiny_hf_dir: Path,
                                          tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    examples = build_examples([episode(1, 1, "click [12]")], rationale_share=0.0)
    config = TrainConfig(max_steps=30, lr=1e-2, batch_size=1, warmup_steps=2, threads=1,
                         precision=precision)
    result = fine_tune(tiny_hf_dir, examples, tmp_path, config, progress=False)
    assert result.precision == precision
    assert result.losses[-1] < result.losses[0] / 4
    # the adapter itself stays fp32 whatever the autocast computed in
    weights = load_file(result.weights_dir / "adapter_model.safetensors")
    assert weights and all(w.dtype == torch.float32 for w in weights.values())
    assert pick_device(torch, precision) == ("cpu", precision)
    with pytest.raises(TrainError, match="unknown precision 'fp16'"):
        pick_device(torch, "fp16")


def test_training_resumes_from_its_checkpoint(trained: TrainResult, tiny_hf_dir: Path) -> None:
    workdir = trained.weights_dir.parent
    examples = build_examples([episode(1, 1, "click [12]")], rationale_share=0.0)
    config = TrainConfig(max_steps=60, lr=1e-2, batch_size=1, lora_r=16, lora_alpha=32,
                         warmup_steps=2, checkpoint_every=20, threads=1)
    again = fine_tune(tiny_hf_dir, examples, workdir, config, progress=False)
    assert again.losses == trained.losses  # nothing left to do: all 60 steps were done


def test_training_continues_from_an_earlier_adapter(trained: TrainResult, tiny_hf_dir: Path,
                                                    tmp_path: Path) -> None:
    examples = build_examples([episode(1, 1, "click [12]")], rationale_share=0.0)
    config = TrainConfig(max_steps=2, lr=1e-4, batch_size=1, warmup_steps=1, threads=1,
                         init_adapter=str(trained.weights_dir))
    more = fine_tune(tiny_hf_dir, examples, tmp_path, config, progress=False)
    # it starts where the earlier run ended, far below a fresh adapter's first loss
    assert more.losses[0] < trained.losses[0] / 4
    with pytest.raises(TrainError, match="no PEFT adapter"):
        fine_tune(tiny_hf_dir, examples, tmp_path / "x",
                   TrainConfig(max_steps=1, init_adapter=str(tmp_path / "missing")),
                   progress=False)


def test_a_shipped_adapter_without_its_peft_weights_is_continued_from_its_gguf(
        trained: TrainResult, tiny_hf_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh machine has the adapter GGUF but not the PEFT folder it came from: training
    continues from weights rebuilt from the GGUF, not from a fresh LoRA."""
    from core.models import ModelEntry
    from trainer import pipeline

    monkeypatch.setattr(pipeline, "CACHE", tmp_path / "cache")
    lora = export_adapter(trained, tiny_hf_dir, tmp_path / "shipped.lora.gguf")
    entry = ModelEntry(name="shipped", kind="adapter", base="tiny", adapter=lora.name,
                       peft_dir="gone")
    rebuilt = pipeline.peft_weights(entry, tmp_path, tiny_hf_dir)
    assert rebuilt is not None and rebuilt.parent == tmp_path / "cache" / "peft"
    assert pipeline.peft_weights(entry, tmp_path, tiny_hf_dir) == rebuilt  # once, cached
    examples = build_examples([episode(1, 1, "click [12]")], rationale_share=0.0)
    config = TrainConfig(max_steps=2, lr=1e-4, batch_size=1, warmup_steps=1, threads=1,
                         init_adapter=str(rebuilt))
    more = fine_tune(tiny_hf_dir, examples, tmp_path / "more", config, progress=False)
    assert more.losses[0] < trained.losses[0] / 4  # where the shipped adapter left off
    no_file = entry.model_copy(update={"adapter": "missing.lora.gguf"})
    assert pipeline.peft_weights(no_file, tmp_path, tiny_hf_dir) is None


def test_examples_over_max_len_are_skipped_and_counted_per_task(
        tiny_hf_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    long_page = OBS + "".join(f"\n[{i}] StaticText 'post {i} by @someone'" for i in range(20, 80))
    short = episode(1, 1, "click [12]")
    feed = episode(2, 2, "click [3]", task="miniwob/social-media")
    feed.steps[0] = StepRecord(idx=0, url="http://x/", observation=long_page,
                               action="click [3]", rationale="The more icon of @someone's post.")
    examples = build_examples([short, feed], rationale_share=0.0)
    config = TrainConfig(max_steps=1, batch_size=1, threads=1, max_len=200)
    with caplog.at_level("WARNING", logger="trainer.train"):
        fine_tune(tiny_hf_dir, examples, tmp_path / "a", config, progress=False)
    assert "1 examples longer than --max-len 200 tokens skipped: miniwob/social-media 1" \
        in caplog.text
    with pytest.raises(TrainError, match="every example is longer than max_len=20"):
        fine_tune(tiny_hf_dir, examples, tmp_path / "b",
                  TrainConfig(max_steps=1, max_len=20), progress=False)


def test_full_fine_tuning_trains_the_body_resumes_and_answers_through_llama_cpp(
        tiny_hf_dir: Path, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file

    examples = build_examples([episode(1, 1, "click [12]")], rationale_share=0.0)
    config = TrainConfig(full=True, max_steps=40, lr=3e-3, batch_size=1, warmup_steps=2,
                         checkpoint_every=20, threads=1)
    result = fine_tune(tiny_hf_dir, examples, tmp_path / "run", config, progress=False)
    assert result.full and result.losses[-1] < result.losses[0] / 4
    before = load_file(tiny_hf_dir / "model.safetensors")
    after = load_file(result.weights_dir / "model.safetensors")
    body = [k for k in before if ".layers." in k]
    assert body and all(not torch.equal(before[k], after[k]) for k in body)  # every one moved
    assert torch.equal(before["model.embed_tokens.weight"], after["model.embed_tokens.weight"])
    # a rerun finds the last checkpoint, loads its weights and has nothing left to train
    again = fine_tune(tiny_hf_dir, examples, tmp_path / "run", config, progress=False)
    assert again.losses == result.losses
    reloaded = load_file(again.weights_dir / "model.safetensors")
    assert all(torch.equal(after[k], reloaded[k]) for k in body)

    # the fit bench reads the trained weights teacher-forced: this action is now the model's
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trainer.bench.fit import action_right, line_logprob, search_headroom
    tokenizer = AutoTokenizer.from_pretrained(tiny_hf_dir)
    for weights, learned in ((result.weights_dir, True), (tiny_hf_dir, False)):
        model = AutoModelForCausalLM.from_pretrained(weights).eval()
        assert action_right(model, tokenizer, examples[0]) is learned
        headroom = search_headroom(model, tokenizer, examples[0])
        assert (headroom is None) is learned
    # the untrained model's own greedy line, against the target it has not learned
    assert headroom is not None and headroom[0] != examples[0].target.split("\n")[0]
    prompt = tokenizer(examples[0].prompt, add_special_tokens=False)["input_ids"]
    line = tokenizer(examples[0].target.split("\n")[0], add_special_tokens=False)["input_ids"]
    assert line_logprob(model, prompt, line) < line_logprob(model, prompt, line[:1]) < 0

    gguf = export_merged(result, tiny_hf_dir, tmp_path / "full.Q8_0.gguf", pre_tokenizer="gpt-2")
    student = LlamaModel(gguf, settings=LLMSettings(n_ctx=1024))
    assert student.generate(student.tokenize(examples[0].prompt), max_tokens=60).text \
        == examples[0].target
    with pytest.raises(TrainError, match="no adapter to export"):
        export_adapter(result, tiny_hf_dir, tmp_path / "x.lora.gguf")
    with pytest.raises(TrainError, match="not an adapter"):
        fine_tune(tiny_hf_dir, examples, tmp_path / "y",
                  TrainConfig(full=True, max_steps=1, init_adapter=str(tmp_path)),
                  progress=False)
    # the key a LoRA checkpoint was saved under before `full` existed: it still resumes
    assert TrainConfig().key() == "a7d09bd31186"
    assert config.key() != TrainConfig(max_steps=40, lr=3e-3, batch_size=1, warmup_steps=2,
                                       checkpoint_every=20, threads=1).key()


def test_a_full_fine_tune_is_registered_as_a_model_a_later_run_starts_from(
        tiny_registry: Path, tmp_path: Path) -> None:
    from core.models import Registry
    from core.store.export import to_chat
    from trainer.pipeline import distill

    home = tiny_registry
    data = tmp_path / "episodes.jsonl"
    data.write_text(to_chat(episode(1, 1, "click [12]")).model_dump_json() + "\n")

    def run(out: str, base: str, full: bool):  # type: ignore[no-untyped-def]
        return distill(out_name=out, jsonl=data, base=base, sources=["teacher"],
                       eval_seeds=set(), holdout_tasks=set(), progress=False,
                       config=TrainConfig(full=full, max_steps=2, batch_size=1, threads=1))

    first = run("full-a", "tiny", full=True)
    assert first.entry.kind == "distilled" and first.gguf.name == "full-a.Q8_0.gguf"
    assert Path(first.entry.hf_dir) == home / "training" / "full-a" / "model"
    assert Registry().resolve("full-a").model_path == first.gguf
    second = run("full-b", "full-a", full=True)  # trains on from full-a's own weights
    assert second.provenance["base"] == "full-a"
    run("lora", "tiny", full=False)
    with pytest.raises(TrainError, match="lora is an adapter on tiny"):
        run("full-c", "lora", full=True)


def test_full_fine_tuning_refuses_a_lora_setting(capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.main import main

    assert main(["train", "--full", "--lora-layers", "12", "--out", "x"]) != 0
    assert "--full trains every layer" in capsys.readouterr().err


def test_a_checkpoint_interval_below_one_step_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.main import main

    assert main(["train", "--checkpoint-every", "0", "--out", "x"]) != 0
    assert "--checkpoint-every wants a number of steps >= 1, got 0" in capsys.readouterr().err


def test_a_history_length_the_format_cannot_show_is_refused(
        capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli.main import main

    assert main(["train", "--history", "0", "--out", "x"]) != 0
    assert "--history wants 1-32 earlier steps, got 0" in capsys.readouterr().err
    assert main(["train", "--style", "compact", "--history", "8", "--out", "x"]) != 0
    assert "--style compact always shows the last 4 steps" in capsys.readouterr().err
