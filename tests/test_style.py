"""One code style for the whole book: `ruff format` and `ruff check`, configured in pyproject.toml, over the
helper package, the tests, the tools, the figures and the notebooks' code cells (chapters/ruff.toml)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["tinylm", "tests", "tools", "figures", "chapters", "conftest.py"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    """Run the ruff next to this Python (pinned in requirements.txt), else the one on PATH."""
    here = Path(sys.executable).with_name("ruff")
    command = str(here) if here.exists() else shutil.which("ruff")
    if command is None:
        if os.environ.get("CI"):
            pytest.fail("ruff must run in CI: `pip install -r requirements.txt` installs it")
        pytest.skip("ruff is not installed (pip install -r requirements.txt)")
    return subprocess.run([command, *args, *CHECKED], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_code_is_formatted():
    result = ruff("format", "--check")
    assert result.returncode == 0, f"run `ruff format` (it rewrites these files):\n{result.stdout}{result.stderr}"


def test_code_passes_the_linter():
    result = ruff("check", "--output-format", "concise")
    assert result.returncode == 0, f"`ruff check` found problems:\n{result.stdout}{result.stderr}"
