"""Train the book's encoder for longer than a notebook can, and save it for Part V (chapters 13-15).

    python tools/trained_encoder.py            # both encoders, about 7 min on 2 cores; rewrites tinylm/weights/
    python tools/trained_encoder.py --only encoder_shared

Part V compresses a pre-trained encoder; training one inside every notebook would spend most of the chapter's two
minutes before the chapter's subject starts. This trains the book's encoder (chapter 4's recipe, `pretrain_encoder`,
the "gpt" tokenizer of chapter 5's suite) for `--steps` steps, then writes

- `tinylm/weights/encoder.safetensors`: the weights (safetensors: loading them runs no code), and
  `encoder_shared.safetensors`, the same recipe with ALBERT's cross-layer sharing (`recipes.share_layers`);
- `tinylm/weights/<name>.json`: the receipt (steps, seconds, tokens, FLOPs, the held-out masked-LM loss against
  its frequency line, the machine, the versions) and the file's sha256;
- the sha256 into `tinylm/recipes.py` (`TRAINED_ENCODERS`), which `recipes.trained_encoder(name)` checks.

The run is deterministic on one machine; on another CPU it gives slightly different weights and a new sha256.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="+", help="which encoders (default: all of recipes.TRAINED_ENCODERS)")
    args = parser.parse_args()

    import safetensors.torch
    import torch
    import transformers
    from transformers import ModernBertForMaskedLM

    import tinylm
    from tinylm import recipes
    from tinylm.data import sha256_of

    runtime = tinylm.setup(seed=args.seed)
    tokenizer = tinylm.tokenize.book_tokenizer(recipes.TRAINED_ENCODER_TOKENIZER)
    splits = tinylm.data.shakespeare_splits()
    train_ids = torch.tensor(tokenizer(splits["train"])["input_ids"])
    valid_ids = torch.tensor(tokenizer(splits["valid"])["input_ids"])
    held_out = recipes.held_out_masked(valid_ids[: 400 * recipes.SHORT_BLOCK], tokenizer, recipes.SHORT_BLOCK)
    line = recipes.frequency_baseline(train_ids, held_out, len(tokenizer))["MLM loss"]
    source = ROOT / "tinylm" / "recipes.py"
    for name in args.only or list(recipes.TRAINED_ENCODERS):
        torch.manual_seed(args.seed)
        model = ModernBertForMaskedLM(recipes.encoder_config(tokenizer, recipes.SHORT_BLOCK))
        if name.endswith("shared"):
            recipes.share_layers(model)
        began = time.perf_counter()
        model, history = recipes.pretrain_encoder(
            tokenizer, train_ids, args.steps, args.seed, model=model,
            evaluate=lambda m: recipes.masked_lm_scores(m, held_out),
        )  # fmt: skip
        seconds = time.perf_counter() - began
        loss = history.last("MLM loss")
        print(f"{name}: {args.steps} steps in {seconds:.0f} s; held-out masked-LM loss {loss:.3f}, "
              f"{line - loss:.2f} nats below the frequency line ({line:.3f})")  # fmt: skip
        path = recipes.WEIGHTS / f"{name}.safetensors"
        path.parent.mkdir(exist_ok=True)
        safetensors.torch.save_file(recipes.unique_state(model), path, metadata={"format": "pt"})
        digest = sha256_of(path)
        receipt = {
            "what": f"{name}: the book's encoder (recipes.encoder_config"
            + (", recipes.share_layers" if name.endswith("shared") else "")
            + "), chapter 4's recipe (recipes.pretrain_encoder)",
            "tokenizer": recipes.TRAINED_ENCODER_TOKENIZER,
            "steps": args.steps,
            "seed": args.seed,
            "seconds": round(seconds, 1),
            "parameters": history.receipt.parameters,
            "tokens": history.receipt.tokens,
            "training_flops": history.receipt.flops,
            "held_out_mlm_loss": round(loss, 4),
            "frequency_line": round(line, 4),
            "machine": f"{platform.processor() or platform.machine()}, {runtime.threads} threads",
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "date": datetime.date.today().isoformat(),
            "sha256": digest,
            "bytes": path.stat().st_size,
            "command": "python tools/trained_encoder.py " + " ".join(sys.argv[1:]),
        }
        path.with_suffix(".json").write_text(json.dumps(receipt, indent=1) + "\n")
        pattern = rf'"{name}": "[0-9a-f]*"'
        source.write_text(re.sub(pattern, f'"{name}": "{digest}"', source.read_text()))
        print(f"wrote {path.relative_to(ROOT)} ({receipt['bytes']:,} bytes, sha256 {digest}) and its receipt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
