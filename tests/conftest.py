"""Shared fixtures of the book's tests: the repository root and one strict build (the quiet kernel
environment is set in the repository's root conftest.py, so that `pytest chapters/x.ipynb` gets it too)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_TIMEOUT_S = 600


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """Build the book once, strictly, from clean: (returncode, output, html_dir)."""
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")  # the one next to this Python
    command = [
        str(jupyter_book if jupyter_book.exists() else "jupyter-book"),
        "build",
        "--all",
        "-W",
        "-n",
        "--keep-going",
        str(ROOT),
        "--path-output",
        str(out),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # drop terminal colours
    return result.returncode, output, out / "_build" / "html"
