"""Loaded by every pytest run, also `pytest chapters/x.ipynb` alone: nbval's kernels inherit this environment."""

import os
from pathlib import Path

os.environ["TINYLM_QUIET"] = "1"  # no progress bars in the outputs nbval compares
# the kernels import this checkout's tinylm, whatever copy pip last installed
ROOT = str(Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
