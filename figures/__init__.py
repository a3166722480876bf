"""The book's diagrams, drawn as SVG with matplotlib: a small package local to this repository.

- `figures.style`: the shared primitives (canvas, box, arrow, ...) and colours, with the design
  notes (inch units, 7.3 in width, determinism, palette);
- `figures.chNN_name`: the figures of chapter NN, each module with a dict `FIGURES` mapping a
  file name in figures/ to the function that draws it;
- figures/draw.py: the entry point, `python figures/draw.py [--check] [NAME.svg ...]`.

It is not installed with tinylm: run it from the repository root, which draw.py puts on sys.path.
"""
