"""Chapter 8's recipe search: which knob lets ELECTRA's discriminator learn at the book's budget?

    python tools/electra_recipe.py                  # every variant, seed 0, at the compute of 200 BERT steps (~5 min)
    python tools/electra_recipe.py --bert-steps 350 --variants book "15 % masking"

Each variant trains chapter 8's ELECTRA (`tinylm.electra`: a 2-layer generator sharing the discriminator's token table,
lambda = 50, the book's encoder recipe without gradient clipping, 30 % of positions masked) with one change, for the
training FLOPs of `--bert-steps` steps of the book's BERT (counted with FlopCounterMode). It prints the generator's
held-out masked-LM loss below the frequency line, the discriminator's AUC on chapter 8's frequency-proof test, and how
far its training loss ends below its base rate (the entropy of the replaced share), also as a fraction of that rate.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS = {  # name: (masking, generator layers, lambda, peak learning rate, clipping, tied table)
    "book": (0.30, 2, 50.0, 3e-3, "none", True),
    "15 % masking": (0.15, 2, 50.0, 3e-3, "none", True),
    "1-layer generator": (0.30, 1, 50.0, 3e-3, "none", True),
    "lambda 20": (0.30, 2, 20.0, 3e-3, "none", True),
    "lambda 100": (0.30, 2, 100.0, 3e-3, "none", True),
    "learning rate 1e-3": (0.30, 2, 50.0, 1e-3, "none", True),
    "clipped at 1": (0.30, 2, 50.0, 3e-3, "all", True),
    "each half clipped at 1": (0.30, 2, 50.0, 3e-3, "halves", True),
    "own generator table": (0.30, 2, 50.0, 3e-3, "none", False),
}


@contextlib.contextmanager
def clip_halves(model):
    """Clip the generator's and the discriminator's gradients separately, at norm 1, before every optimizer step."""
    import torch

    generator = [p for n, p in model.named_parameters() if n.startswith("generator.")]
    discriminator = [p for n, p in model.named_parameters() if n.startswith("discriminator.")]
    step = torch.optim.AdamW.step

    def clipped_step(self, *args, **kwargs):
        torch.nn.utils.clip_grad_norm_(generator, 1.0)
        torch.nn.utils.clip_grad_norm_(discriminator, 1.0)
        return step(self, *args, **kwargs)

    torch.optim.AdamW.step = clipped_step
    try:
        yield
    finally:
        torch.optim.AdamW.step = step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bert-steps", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()

    import torch
    from transformers import ModernBertForMaskedLM

    import tinylm
    from tinylm import electra, recipes
    from tinylm.train import flops_per_step, train

    tinylm.setup(seed=0)
    tokenizer = tinylm.tokenize.book_tokenizer("roberta")
    splits = tinylm.data.shakespeare_splits()
    train_ids = torch.tensor(tokenizer(splits["train"])["input_ids"])
    valid_ids = torch.tensor(tokenizer(splits["valid"])["input_ids"])[: 800 * recipes.SHORT_BLOCK]
    block = recipes.SHORT_BLOCK
    held_out = recipes.held_out_masked(valid_ids, tokenizer, block)
    line = recipes.frequency_baseline(train_ids, held_out, len(tokenizer))["MLM loss"]
    _, corrupted, replaced = electra.replacement_test(valid_ids, train_ids, len(tokenizer), block)
    bert = ModernBertForMaskedLM(recipes.encoder_config(tokenizer, block))
    bert_flops = flops_per_step(bert, recipes.masked_lm_loss, recipes.encoder_batches(train_ids, tokenizer, 1)(0))
    print(f"compute of {args.bert_steps} BERT steps: {args.bert_steps * bert_flops / 1e12:.2f} TFLOPs")
    print("variant                  seed  steps  generator below line   AUC   below base rate (share of it)")
    for name in args.variants:
        masking, layers, weight, lr, clip, tied = VARIANTS[name]
        for seed in args.seeds:
            torch.manual_seed(seed)
            model = electra.Electra(tokenizer, block, generator_layers=layers)
            if not tied:  # the generator gets a table and an output layer of its own
                own = torch.nn.Embedding(len(tokenizer), model.generator.config.hidden_size)
                torch.nn.init.normal_(own.weight, std=0.02)
                model.generator.model.embeddings.tok_embeddings = own
                model.generator.decoder.weight = own.weight
            batches = electra.electra_batches(train_ids, tokenizer, block, recipes.SHORT_BATCH, seed, masking)
            steps = round(args.bert_steps * bert_flops / flops_per_step(model, electra.electra_loss(), batches(0)))
            recipe = replace(recipes.encoder_train_config(steps, eval_every=steps), lr=lr)
            recipe = replace(recipe, grad_clip=1.0 if clip == "all" else None)
            log = []
            began = time.perf_counter()
            with clip_halves(model) if clip == "halves" else contextlib.nullcontext():
                history = train(
                    model,
                    batches,
                    electra.electra_loss(log, weight=weight),
                    recipe,
                    lambda m: electra.detection_scores(m, held_out, corrupted, replaced),
                )
            _, loss, share = map(torch.tensor, zip(*log[-30:]))
            base = electra.binary_entropy(share).mean().item()
            gap = electra.base_rate_gap(log)
            print(
                f"{name:24s} {seed:4d} {steps:6d} {line - history.last('MLM loss'):15.2f} nats "
                f"{history.last('AUC'):8.3f} {gap:9.4f} nats ({100 * gap / base:4.1f} %)  "
                f"[{time.perf_counter() - began:.0f} s]",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
