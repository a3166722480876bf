"""One call that makes a chapter reproducible: seeds, thread count, device, quiet libraries."""

from __future__ import annotations

import logging
import os
import random
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import torch

DEFAULT_THREADS = 2  # the committed outputs were written with 2 threads (tools/notebooks.py)
THREADS_VARIABLE = "TINYLM_THREADS"  # overrides `threads`; the tests check the outputs with another count


@dataclass
class Runtime:
    """What `setup` chose: the seed, the thread count, the device and whether a person is watching."""

    seed: int
    threads: int
    device: torch.device
    interactive: bool

    def __str__(self) -> str:
        return f"seed={self.seed} threads={self.threads} device={self.device.type}"


def is_interactive() -> bool:
    """True when a person is watching a live notebook (Jupyter, Colab); False in CI and in the book's tools."""
    if os.environ.get("TINYLM_QUIET") or os.environ.get("CI"):
        return False
    return "ipykernel" in sys.modules or "google.colab" in sys.modules


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and GPU)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def thread_count(threads: int | None = None) -> int:
    """`threads` if given, else `$TINYLM_THREADS`, else 2; a value that is not a positive integer is an error."""
    if threads is None:
        raw = os.environ.get(THREADS_VARIABLE, "").strip()
        if not raw:
            return DEFAULT_THREADS
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(
                f"{THREADS_VARIABLE}={raw!r} is not a positive whole number of threads; "
                f"set it to e.g. 1 or 2, or unset it for the default ({DEFAULT_THREADS})"
            )
        return int(raw)
    return threads


def setup(seed: int = 0, threads: int | None = None, device: str | None = None) -> Runtime:
    """Seed everything, fix the thread count, pick the device (a GPU when present) and quiet the libraries.

    `device` may be "cpu" or "cuda" to override the choice; `threads` caps torch's CPU threads
    (default: `$TINYLM_THREADS`, else 2, the count the committed outputs were written with).
    """
    threads = thread_count(threads)
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("setup(device='cuda') was asked for, but torch sees no GPU; use device=None or 'cpu'.")
    torch.set_num_threads(threads)
    seed_everything(seed)
    interactive = is_interactive()
    _quiet_libraries(progress_bars=interactive)
    return Runtime(seed=seed, threads=threads, device=torch.device(device), interactive=interactive)


def _quiet_libraries(progress_bars: bool) -> None:
    """Silence info logs and warnings that would land in the committed outputs as stderr."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="torch")
    try:
        import transformers
    except ImportError:  # chapter 1 needs only torch
        return
    transformers.logging.set_verbosity_error()
    if progress_bars:
        transformers.utils.logging.enable_progress_bar()
    else:
        transformers.utils.logging.disable_progress_bar()


def glue(name: str, value, display: bool = False) -> None:
    """Record `value` under `name` for the book's prose ({glue:text}`name`) via myst_nb.

    Outside the book's build environment (Colab has no myst_nb) it only shows the value if asked. A NumPy or
    PyTorch scalar is stored as a plain Python number, so that the prose's format specs apply to it.
    """
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        value = value.item()
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


def spread_text(values, fmt: str = ".2f") -> str:
    """The range of `values` for the prose: "0.03 to 0.10", or "0.03 in every run" when they print alike."""
    low, high = format(min(values), fmt), format(max(values), fmt)
    return f"{low} in every run" if low == high else f"{low} to {high}"
