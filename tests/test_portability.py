"""The book's portability check works: another thread count is another numeric path, and nbval catches
a checked output that depends on a training trajectory (CONTRIBUTING.md, "What nbval compares").

The committed outputs are written with 2 threads (tools/notebooks.py) and the test suite re-executes
every chapter with 1 (conftest.py), as another CPU would run it. These tests show that this perturbation
really changes a training run, so that a checked number from a trained model fails here as it would on a
reader's machine, while a number that is deterministic by construction does not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch
from nbclient import NotebookClient

import tinylm
from tinylm.runtime import thread_count

ROOT = Path(__file__).resolve().parent.parent
STEPS = 60

# A short training run, as chapter 3 writes it: its tiny GPT on windows of Tiny Shakespeare. 1 and 2 threads give
# bit-identical losses for its first ~30 steps; then the paths part (measured: 5e-3 nats apart by step 40, 1e-2 by
# step 60), and keep parting: a chapter's 400 steps end on visibly different numbers.
TRAINING = """
import torch, tinylm
from transformers import GPT2LMHeadModel
from tinylm import recipes
from tinylm.train import train
runtime = tinylm.setup(seed=0)
tokenizer = tinylm.tokenize.book_tokenizer("gpt")
ids = torch.tensor(tokenizer(tinylm.data.shakespeare_splits()["train"])["input_ids"])
model = GPT2LMHeadModel(recipes.gpt_config(tokenizer, 64))
history = train(model, recipes.window_batches(ids, 64, 32), lambda m, b: m(input_ids=b, labels=b).loss,
                recipes.gpt_train_config(STEPS))
"""


def short_training(threads: int, steps: int = STEPS) -> list[float]:
    """The training losses of TRAINING run in this process with `threads` threads."""
    scope = {"STEPS": steps}
    previous = torch.get_num_threads()
    try:
        exec(TRAINING.replace("seed=0)", f"seed=0, threads={threads})"), scope)  # our own code, as in the notebook
    finally:
        torch.set_num_threads(previous)
    return scope["history"].train_loss


def test_thread_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TINYLM_THREADS", "3")
    assert thread_count() == 3 and thread_count(1) == 1
    monkeypatch.delenv("TINYLM_THREADS")
    assert thread_count() == 2, "the outputs are written with 2 threads by default"
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv("TINYLM_THREADS", bad)
        with pytest.raises(ValueError, match="TINYLM_THREADS"):
            tinylm.setup()


def test_another_thread_count_changes_a_training_run():
    one, two = short_training(1), short_training(2)
    assert abs(one[0] - two[0]) < 1e-5, "the untrained model's loss agrees on either path (to rounding)"
    assert abs(one[-1] - two[-1]) > 1e-3, (
        f"after {STEPS} steps 1 and 2 threads must give clearly different losses ({one[-1]:.6f} vs {two[-1]:.6f}), "
        "or the portability check proves nothing"
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """A notebook (the training run, its final loss to 3 decimals, its parameter count) whose outputs were
    written with 2 threads, as tools/notebooks.py writes a chapter's."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(TRAINING.replace("STEPS", str(STEPS))),
        nbformat.v4.new_code_cell("print(f'final loss {history.train_loss[-1]:.3f}')"),
        nbformat.v4.new_code_cell("print('parameters:', sum(p.numel() for p in model.parameters()))"),
    ]
    NotebookClient(nb, kernel_name="python3", timeout=300).execute(
        env=dict(os.environ, TINYLM_THREADS="2", PYTHONPATH=str(ROOT))
    )
    path = tmp_path_factory.mktemp("portability") / "chapter.ipynb"
    nbformat.write(nb, path)
    return path


def nbval_with_one_thread(path: Path, marker: str) -> subprocess.CompletedProcess:
    """nbval over `path` with 1 thread, as the test suite checks a chapter, after putting `marker` atop cell 2."""
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = marker + nb.cells[1].source.split("\n")[-1]  # nbval reads markers from the source only
    nbformat.write(nb, path)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            path.name,
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-p",
            "no:benchmark",
            "-o",
            "addopts=",
            "-q",
            "--rootdir",
            str(path.parent),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=path.parent,
        env=dict(os.environ, TINYLM_THREADS="1", PYTHONPATH=str(ROOT)),
    )


def test_nbval_fails_a_checked_output_of_a_trained_model(written):
    result = nbval_with_one_thread(written, marker="")
    assert result.returncode == 1 and "1 failed, 2 passed" in result.stdout, result.stdout[-3000:]
    assert "final loss" in result.stdout, "the failure is the trained model's loss"


def test_nbval_passes_when_that_output_is_shown_but_not_compared(written):
    result = nbval_with_one_thread(written, marker="# NBVAL_IGNORE_OUTPUT\n")
    assert result.returncode == 0 and "3 passed" in result.stdout, result.stdout[-3000:]
