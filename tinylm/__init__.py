"""tinylm: the helper package of the book "From the Transformer to GPT and BERT".

Only code that two or more chapters use lives here; each chapter first writes a mechanism inline.
Modules: `data` (corpora, checksums, splits), `tokenize` (the book's three tokenizers), `runtime`
(setup, glue), `ngrams` (chapter 3's counting baselines), `train` (the training loop), `plots` (the book's style
and shared plots), `recipes` (the matched tiny GPT and BERT, the book's decoder and encoder and the encoder's
pre-training), `tasks` (the held-out cloze, and the downstream suite
that fine-tuning claims are measured on), `electra` (chapter 8's generator and discriminator), `xlnet` (chapter 9's
permutation language model), `compress` (Part V's costs, quantization, pruning and head removal), `distill` (chapter
14's student and losses), `power_bert` (chapter 13's word-vector elimination), `shapes`
(chapter 12's pictures); `weights/` holds Part V's trained encoders (`recipes.trained_encoder`).
"""

import warnings

# tqdm.auto (imported with transformers) warns on stderr when ipywidgets is missing; the book's
# committed outputs must have no stderr, and its progress bars are off unless a person watches.
warnings.filterwarnings("ignore", message="IProgress not found")

from . import (  # noqa: E402
    compress,
    data,
    distill,
    electra,
    ngrams,
    plots,
    power_bert,
    recipes,
    shapes,
    tasks,
    tokenize,
    train,
    xlnet,
)
from .runtime import Runtime, glue, setup, spread_text  # noqa: E402

__all__ = [
    "Runtime",
    "compress",
    "data",
    "distill",
    "electra",
    "glue",
    "ngrams",
    "plots",
    "power_bert",
    "recipes",
    "shapes",
    "setup",
    "spread_text",
    "tasks",
    "tokenize",
    "train",
    "xlnet",
]
__version__ = "0.1.0"
