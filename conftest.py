"""Loaded by every pytest run, also `pytest chapters/x.ipynb` alone: nbval's kernels inherit this environment."""

import os
from pathlib import Path

os.environ["TINYLM_QUIET"] = "1"  # no progress bars in the outputs nbval compares
# The portability check: the committed outputs were written with 2 threads (tools/notebooks.py), and
# nbval re-executes every notebook with 1, another numeric path, so any checked output that depends on
# a training trajectory fails here as it would on a reader's CPU. Two notebooks run at once (-n 2).
os.environ.setdefault("TINYLM_THREADS", "1")
# the kernels import this checkout's tinylm, whatever copy pip last installed
ROOT = str(Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
