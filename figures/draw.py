"""Draw every diagram of the book as SVG, with matplotlib, deterministically.

    python figures/draw.py            # (re)draw all figures next to this script
    python figures/draw.py NAME.svg   # redraw only the named figures
    python figures/draw.py --check    # redraw into a temporary folder; exit 1 if a committed
                                      # SVG differs from the script's output or is missing,
                                      # or if figures/ holds an SVG this script does not draw

Each figure is one small function `draw_xxx(path)` in the module of the chapter that shows it
(figures/ch01_transformer.py, ..., figures/ch12_multimodal.py), listed in that module's `FIGURES`;
this script collects them. The shared primitives and colours are in figures/style.py, whose
docstring gives the conventions: inch units, 7.3 in wide figures, the palette of tinylm.plots.

Running the script twice gives byte-identical files: fixed sizes, no randomness, text drawn as
paths (no dependence on the reader's fonts), a fixed hash salt for the SVG ids, and no date.

To add the figures of a new chapter NN: write figures/chNN_name.py with one `draw_xxx(path)` per
figure (from `figures.style import ...`) and `FIGURES = {"xxx.svg": draw_xxx}`;
and add its name to `CHAPTER_MODULES`; run `python figures/draw.py xxx.svg` and commit the module and the SVG.
A helper that a second chapter needs moves from its chapter's module into figures/style.py.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script, `python figures/draw.py`: make `figures` importable
    sys.path.insert(0, str(ROOT))

import matplotlib as mpl

from tinylm.plots import use_book_style

# The chapters with figures, in the book's order (each a module figures.<name> with a dict FIGURES).
CHAPTER_MODULES = (
    "ch01_transformer ch02_tokenization ch04_bert ch05_gpt_vs_bert ch06_roberta ch07_albert ch08_electra ch09_xlnet ch10_transformer_xl ch11_xlm ch12_multimodal ch13_power_bert ch14_distillation ch15_quantization_pruning"
).split()
CHAPTERS = [importlib.import_module(f"figures.{name}") for name in CHAPTER_MODULES]


def collect(chapters):
    """One dict of all figures, in the chapters' order; a name claimed by two chapters is an error."""
    figures = {}
    for chapter in chapters:
        for name, draw in chapter.FIGURES.items():
            if name in figures:
                raise ValueError(f"{name} is drawn by {figures[name].__module__} and by {chapter.__name__}")
            figures[name] = draw
    return figures


FIGURES = collect(CHAPTERS)


def draw_all(folder, names=None):
    """Draw the named figures (all by default) into `folder` with the book's style."""
    folder = Path(folder)
    with mpl.rc_context():
        mpl.rcdefaults()  # ignore any matplotlibrc of the reader: same settings everywhere
        use_book_style()
        mpl.rcParams.update(
            {
                "svg.fonttype": "path",  # text as outlines: no fonts needed to view
                "svg.hashsalt": "tinylm-figures",  # fixed ids inside the SVG
                "savefig.bbox": "standard",  # keep the figure's size: no cropping
                "axes.grid": False,
            }
        )
        for name in names or FIGURES:
            FIGURES[name](folder / name)


def check():
    """Redraw into a temporary folder; return the problems (an empty list when all agree)."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        draw_all(tmp)
        for name in FIGURES:
            committed = HERE / name
            if not committed.exists():
                problems.append(f"{name}: missing (run `python figures/draw.py`)")
            elif committed.read_bytes() != (Path(tmp) / name).read_bytes():
                problems.append(
                    f"{name}: differs from the output of figures/draw.py "
                    "(run `python figures/draw.py` and commit the result)"
                )
    for svg in sorted(HERE.glob("*.svg")):
        if svg.name not in FIGURES:
            problems.append(
                f"{svg.name}: not drawn by figures/draw.py "
                "(add it to the FIGURES of its chapter's module, or delete it)"
            )
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="figures to draw (default: all)")
    parser.add_argument("--check", action="store_true", help="verify that the committed SVGs are this script's output")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if not problems:
            print(f"all {len(FIGURES)} figures are up to date")
        return 1 if problems else 0
    unknown = [n for n in args.names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {unknown}; known: {sorted(FIGURES)}")
    draw_all(HERE, args.names)
    for name in args.names or FIGURES:
        print(f"wrote figures/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
