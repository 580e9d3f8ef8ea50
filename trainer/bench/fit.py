"""Has a student learned its data, and does it carry over? Teacher-forced, offline:

    python -m trainer.bench.fit --models smollm2-symbiote-v20a,smollm2-symbiote-v21f \
        --families settings,contact,signup,errand,profile --trained 0-3 \
        --unseen-db build/eval/fit/unseen.db

For each teacher step of the named synthetic families — at seeds the pool holds (`--trained`,
from `--db`) and at seeds no training uses (the teacher's episodes in `--unseen-db`, e.g.
`symbiote bench synthetic --tasks settings,… --episodes 4 --seed 1000 --mode cloud --large
teacher --db build/eval/fit/unseen.db`) — the student's own weights (PyTorch, as trained: the
LoRA on its base, or a full fine-tune) read the prompt and the teacher's action, and the step
counts when every token of the `ACTION:` line is the student's most likely next token. No
browser, grammar or quantization: it compares how training levers fit and transfer at equal
data: one forward pass of some 700 tokens a step, nothing decoded. Episodes say what users
get; this says why.

`--headroom` also decodes the student's own line at every step it gets wrong and says whether
the teacher's line is the more likely to it: only then could a search over the student's
likelihood (the kind and field searches, a beam) find it; otherwise only training can.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from core.models import Registry
from core.prompts import HISTORY_STEPS
from core.store.service import TrajectoryStore
from trainer.dataset import Example, build_student_examples
from trainer.suites.seeds import parse_seeds


def examples_of(db: Path, families: list[str], seeds: set[int] | None,
                style: str, history: int = HISTORY_STEPS) -> list[Example]:
    """The teacher's successful steps of these families (at these seeds) as the student's
    examples, one each: no renumbered copies, `history` earlier steps in each prompt (what the
    student was trained to read). Only those episodes are read from the store."""
    store = TrajectoryStore(db)
    ids = [i for family in families for i in store.episode_ids(
        outcome="success", source="teacher", task_prefix=f"synthetic/{family}/")]
    episodes = [e for e in store.iter_episodes(ids)
                if e.steps and (seeds is None or e.seed in seeds)]
    return [x for x in build_student_examples(episodes, style=style, history=history)
            if x.kind == "action"]


def load_student(name: str):  # type: ignore[no-untyped-def]
    """(model, tokenizer) of a trained student as PyTorch weights: a full fine-tune's own
    folder, or its base with the LoRA (rebuilt from the GGUF if its PEFT folder is gone)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trainer.pipeline import peft_weights
    from trainer.train import prepare_base

    registry = Registry()
    entry, root = registry.get(name)
    if entry.kind in ("adapter", "merged"):
        base_hf = prepare_base(registry.resolve(entry.base))
        peft = peft_weights(entry, root, base_hf)
        if peft is None:
            raise SystemExit(f"{name}: no LoRA weights to load")
        model = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(base_hf, dtype=torch.float32), peft)
    else:
        base_hf = prepare_base(registry.resolve(name))
        model = AutoModelForCausalLM.from_pretrained(base_hf, dtype=torch.float32)
    return model.eval(), AutoTokenizer.from_pretrained(base_hf)


def read_line(model, prompt: list[int], line: list[int]) -> tuple[bool, float]:  # type: ignore[no-untyped-def]
    """One teacher-forced pass over `line` after `prompt`: whether every token of it is the
    model's most likely next one, and the model's log-probability of it."""
    import torch

    with torch.no_grad():
        logits = model(input_ids=torch.tensor([prompt + line]),
                       logits_to_keep=len(line) + 1).logits[0, :-1].float()
    target = torch.tensor(line)
    logprob = torch.log_softmax(logits, -1).gather(1, target[:, None]).sum()
    return bool(torch.equal(logits.argmax(-1), target)), float(logprob)


def _ids(tokenizer, text: str) -> list[int]:  # type: ignore[no-untyped-def]
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def action_line(example: Example) -> str:
    """The teacher's ACTION line: the target's first line (a rationale may follow it)."""
    return example.target.split("\n", 1)[0]


def action_right(model, tokenizer, example: Example) -> bool:  # type: ignore[no-untyped-def]
    """Whether greedy reading, teacher-forced, gives every token of the ACTION line."""
    return read_line(model, _ids(tokenizer, example.prompt),
                     _ids(tokenizer, action_line(example)))[0]


def line_logprob(model, prompt: list[int], line: list[int]) -> float:  # type: ignore[no-untyped-def]
    """The model's log-probability of the tokens `line` after `prompt`."""
    return read_line(model, prompt, line)[1]


def search_headroom(model, tokenizer, example: Example) -> tuple[str, float] | None:  # type: ignore[no-untyped-def]
    """None when greedy reading gives the teacher's ACTION line; else the student's own greedy
    line and how much more likely the teacher's line is to it (log-probability, nats). Only a
    positive gap could be found by a search over the student's likelihood (the kind and field
    searches, a beam): at a negative one the student prefers its mistake, and only training
    changes that. The teacher's line is read once, for both."""
    import torch

    prompt = _ids(tokenizer, example.prompt)
    right, teacher = read_line(model, prompt, _ids(tokenizer, action_line(example)))
    if right:
        return None
    with torch.no_grad():
        out = model.generate(torch.tensor([prompt]), max_new_tokens=64, do_sample=False,
                             eos_token_id=[tokenizer.eos_token_id, *_ids(tokenizer, "\n")])
    greedy = tokenizer.decode(out[0, len(prompt):], skip_special_tokens=True).split("\n")[0]
    return greedy, teacher - line_logprob(model, prompt, _ids(tokenizer, greedy))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", required=True, help="registry names, comma-separated")
    ap.add_argument("--families", default="settings,contact,signup,errand,profile")
    ap.add_argument("--trained", type=parse_seeds, default="0-3",
                    help="seeds the pool holds, e.g. 0-3")
    ap.add_argument("--db", type=Path, default=Path("build/distill/distill.db"))
    ap.add_argument("--unseen-db", type=Path, required=True,
                    help="the teacher's episodes at seeds no training uses")
    ap.add_argument("--style", default="student-items")
    ap.add_argument("--headroom", action="store_true",
                    help="at each step a student gets wrong, print its greedy line and whether "
                         "a search by its own likelihood could find the teacher's instead")
    args = ap.parse_args()
    families = args.families.split(",")
    by_history: dict[int, dict[str, list[Example]]] = {}
    for name in args.models.split(","):
        # Each student reads the prompts it was trained on: its registry's history length.
        history = Registry().get(name)[0].history_steps
        if history not in by_history:
            by_history[history] = {
                "trained": examples_of(args.db, families, set(args.trained), args.style,
                                       history),
                "unseen": examples_of(args.unseen_db, families, None, args.style, history)}
            for split, examples in by_history[history].items():
                print(f"{split}, {history} earlier steps shown: {len(examples)} steps",
                      flush=True)
        model, tokenizer = load_student(name)
        for split, examples in by_history[history].items():
            right, asked, findable = Counter[str](), Counter[str](), 0
            for ex in examples:
                family = ex.task_id.split("/")[1]
                asked[family] += 1
                if not args.headroom:
                    right[family] += action_right(model, tokenizer, ex)
                    continue
                wrong = search_headroom(model, tokenizer, ex)
                right[family] += wrong is None
                if wrong is not None:
                    findable += wrong[1] > 0
                    print(f"  {ex.task_id}: gap {wrong[1]:+.2f} teacher {action_line(ex)!r} "
                          f"student {wrong[0]!r}", flush=True)
            cells = ", ".join(f"{f} {right[f]}/{asked[f]}" for f in families)
            total = sum(right.values()), sum(asked.values())
            print(f"{name} {split}: {total[0]}/{total[1]} "
                  f"({total[0] / max(total[1], 1):.1%}); {cells}", flush=True)
            if args.headroom:
                print(f"{name} {split}: a likelihood search could find {findable} of the "
                      f"{total[1] - total[0]} wrong steps", flush=True)


if __name__ == "__main__":
    main()
