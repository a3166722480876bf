"""The diagrams in figures/ are exactly what figures/draw.py draws.

The SVGs are committed so that the book builds without running the script; these tests make sure
that nobody edits an SVG by hand, forgets to redraw after changing the script, or leaves an SVG
behind that no code draws.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES_DIR = ROOT / "figures"
SCRIPT = FIGURES_DIR / "draw.py"


def load_draw():
    """Import figures/draw.py from its file, as `python figures/draw.py` runs it.

    It puts the repository root on sys.path and imports the chapters' modules of the `figures` package."""
    spec = importlib.util.spec_from_file_location("book_figures_draw", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pinned_matplotlib():
    """The matplotlib version pinned in requirements.txt (the one that drew the committed SVGs)."""
    match = re.search(r"^matplotlib==(\S+)", (ROOT / "requirements.txt").read_text(), re.M)
    return match.group(1) if match else None


def test_committed_figures_are_the_scripts_output():
    pinned = pinned_matplotlib()
    if pinned and matplotlib.__version__ != pinned:
        pytest.skip(
            f"figures are drawn with matplotlib=={pinned} (requirements.txt); "
            f"this environment has {matplotlib.__version__}, whose SVG output may differ"
        )
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (
        "figures/ is out of date with figures/draw.py:\n"
        f"{result.stderr}{result.stdout}\n"
        "Run `python figures/draw.py` and commit the SVGs it writes."
    )


def test_every_svg_is_drawn_by_the_script_and_parses():
    drawn = set(load_draw().FIGURES)
    present = {p.name for p in FIGURES_DIR.glob("*.svg")}
    assert not present - drawn, (
        f"SVGs in figures/ that figures/draw.py does not draw: {sorted(present - drawn)}; "
        "add a function for each to the FIGURES of its chapter's module (figures/chNN_name.py), or delete them"
    )
    assert not drawn - present, (
        f"figures listed in FIGURES but missing from figures/: {sorted(drawn - present)}; run `python figures/draw.py`"
    )
    for name in sorted(present):
        root = ET.parse(FIGURES_DIR / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", f"{name} is not an SVG document"
        assert root.get("viewBox"), f"{name} has no viewBox, so it cannot scale to the page"
