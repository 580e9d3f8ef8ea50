"""Training speed of one LoRA step, the loss computed two ways:
`python -m trainer.bench.train_speed [--model smollm2-135m-instruct] [--steps 10]`.

`full`: the model's own `labels=` loss, which projects every position onto the vocabulary;
`target`: trainer.train `target_loss`, which projects only the positions that predict a
target token (what `symbiote train` does). Both run the same batches (batch 4, prompts of
300-700 tokens and targets of 40, as a step of the student's data: its action and reason)
on the top-12-layer LoRA the students use, in the precision `symbiote train` would pick.
Prints s/step, tokens/s and the loss of each (which agree), and the peak RSS. Run it alone:
the second core is half of this machine. The peak RSS is the process's so far: run one loss
per process (`--losses target`) to compare memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from core.models import Registry
from trainer.train import _accelerator, _torch, prepare_base, target_loss


def batches(rng: random.Random, vocab: int, n: int, batch: int = 4,
            target: int = 40) -> list[list[tuple[list[int], int]]]:
    """n batches of (ids, prompt length); lengths sorted within a batch as the trainer's are."""
    out = []
    for _ in range(n):
        lengths = sorted(rng.randint(300, 700) for _ in range(batch))
        out.append([([rng.randrange(100, vocab) for _ in range(p + target)], p)
                    for p in lengths])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--lora-layers", type=int, default=12)
    parser.add_argument("--losses", default="full,target",
                        help="which, in order; one per process compares their peak RSS")
    args = parser.parse_args()

    torch = _torch()
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = prepare_base(Registry().resolve(args.model))
    accelerator, precision = _accelerator(torch, args.precision)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    n_layers = int(model.config.num_hidden_layers)
    model = get_peft_model(model, LoraConfig(
        r=16, lora_alpha=32, task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                        "down_proj"],
        layers_to_transform=list(range(max(0, n_layers - args.lora_layers), n_layers))
        if args.lora_layers else None))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-5)
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()
    data = batches(random.Random(0), int(model.config.vocab_size), args.steps + 1)
    print(f"{args.model}: LoRA top {args.lora_layers or n_layers} of {n_layers} layers, "
          f"{precision}, batch 4, {args.steps} steps (+1 warm-up) per loss")

    for name in args.losses.split(","):
        times, tokens, losses = [], 0, []
        for i, batch in enumerate(data):
            width = max(len(x) for x, _ in batch)
            ids = torch.tensor([x + [0] * (width - len(x)) for x, _ in batch])
            mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in batch])
            labels = torch.tensor([[-100] * p + x[p:] + [-100] * (width - len(x))
                                   for x, p in batch])
            t0 = time.perf_counter()
            if name == "full":
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            else:
                loss = target_loss(model, ids, mask, labels, torch)
            accelerator.backward(loss)
            optimizer.zero_grad(set_to_none=True)  # no step: both losses see the same weights
            if i:  # the first batch warms up oneDNN
                times.append(time.perf_counter() - t0)
                tokens += int(mask.sum())
                losses.append(float(loss.detach()))
        per_step = sum(times) / len(times)
        print(f"  {name:<6} {per_step:6.2f} s/step  {tokens / sum(times):6.0f} tokens/s  "
              f"mean loss {sum(losses) / len(losses):.4f}  "
              f"peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")


if __name__ == "__main__":
    main()
