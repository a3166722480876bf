"""The figure of chapter 15 (quantization and pruning): compression.svg, three ways to make the same weights cheaper:
round them to 8-bit integers, zero the smallest of them, or cut out whole attention heads."""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from figures.style import INK, PALETTE, arrow, canvas, save, tint


def _grid(ax, x0, y0, values, cell, color, dead=None, dead_rows=(), dead_cols=()):
    """A matrix as a grid of cells shaded by |value|; dead cells (zeroed or removed) are white with a grey edge."""
    rows, cols = values.shape
    top = np.abs(values).max()
    for i in range(rows):
        for j in range(cols):
            gone = (dead is not None and dead[i, j]) or i in dead_rows or j in dead_cols
            face = "white" if gone else tint(color, 0.15 + 0.85 * abs(values[i, j]) / top)
            edge = "#BBBBBB" if gone else "white"
            ax.add_patch(Rectangle((x0 + j * cell, y0 - (i + 1) * cell), cell, cell, facecolor=face, edgecolor=edge))


def draw_compression(path):
    """Quantization (a float grid rounded to int8 steps), unstructured pruning and head pruning, side by side."""
    height = 2.6
    fig, ax = canvas(height)
    rng = np.random.default_rng(3)  # a fixed drawing, not data
    weights = rng.normal(size=(6, 6))
    cell, top = 0.19, height - 0.62
    encoder, decoder = PALETTE["encoder"], PALETTE["decoder"]
    panels = [
        (1.0, "int8 quantization", "each row: scale = max |w| / 127,\nw ≈ scale × round(w / scale)"),
        (3.55, "magnitude pruning", "the 40 % smallest |w| set to zero:\nthe matrix keeps its shape and size"),
        (6.05, "head pruning", "a head's rows of Q, K, V and its columns\nof the output projection are cut out"),
    ]
    for x, title, note in panels:
        ax.text(x, height - 0.2, title, ha="center", va="center", fontsize=10, weight="bold", color=INK)
        ax.text(x, 0.3, note, ha="center", va="center", fontsize=8, color="#444444")
    # quantization: the float grid, then the same grid on a few integer steps (8 bits have 255 of them)
    _grid(ax, 0.15, top, weights[:, :3], cell, encoder)
    levels = np.round(weights / np.abs(weights).max(1, keepdims=True) * 2)
    _grid(ax, 1.28, top, levels[:, :3], cell, encoder)
    arrow(ax, (0.15 + 3 * cell + 0.08, top - 3 * cell), (1.2, top - 3 * cell), lw=1.0)
    ax.text(0.15 + 1.5 * cell, top + 0.1, "fp32", ha="center", fontsize=8, color=INK)
    ax.text(1.28 + 1.5 * cell, top + 0.1, "int8 steps", ha="center", fontsize=8, color=INK)
    # unstructured pruning: the 40 % smallest weights zeroed
    dead = np.abs(weights) <= np.quantile(np.abs(weights), 0.4)
    _grid(ax, 3.55 - 3 * cell, top, weights, cell, encoder, dead=dead)
    # head pruning: one head's columns (2 of 6) emptied, then cut out: a narrower matrix
    _grid(ax, 4.95, top, weights, cell, decoder, dead_cols=(2, 3))
    arrow(ax, (4.95 + 6 * cell + 0.08, top - 3 * cell), (6.4, top - 3 * cell), lw=1.0)
    _grid(ax, 6.45, top, weights[:, [0, 1, 4, 5]], cell, decoder)
    ax.text(6.45 + 2 * cell, top + 0.1, "smaller", ha="center", fontsize=8, color=INK)
    save(fig, path)


FIGURES = {"compression.svg": draw_compression}
