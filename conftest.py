"""Loaded by every pytest run, also `pytest chapters/x.ipynb` alone: nbval's kernels inherit this environment."""

import os

os.environ["TINYLM_QUIET"] = "1"  # no progress bars in the outputs nbval compares
