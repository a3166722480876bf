"""tinylm: the helper package of the book "From the Transformer to GPT and BERT".

Only code that two or more chapters use lives here; each chapter first writes a mechanism inline.
Modules: `data` (corpora, checksums, splits), `runtime` (setup, glue), `train` (the training
loop), `plots` (the book's style and shared plots).
"""

from . import data, plots, train
from .runtime import Runtime, glue, setup

__all__ = ["Runtime", "data", "glue", "plots", "setup", "train"]
__version__ = "0.1.0"
