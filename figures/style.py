"""The shared drawing primitives and colours of the book's diagrams.

Every diagram is drawn on an axes that fills the figure, with data units of one inch
(x from 0 to the figure's width, y from 0 at the bottom to its height), so that positions and
sizes in the code are the sizes on the page: `canvas(height)` makes such a figure. Figures are
`WIDTH` = 7.3 in wide: at their natural size a browser shows them 700 px wide, where 9 pt text is
12 px tall.

The colours come from `tinylm.plots.PALETTE` (re-exported here), so that a figure and a plot in a
chapter agree: encoder/BERT blue, decoder/GPT vermillion, queries/keys/values in their own colours,
green for positions a token may attend to and grey for positions a mask hides. `INK`, `LINE` and
`NEUTRAL` are the greys of text, secondary lines and boxes that belong to no model; `tint` and
`shade` lighten or darken a colour.

Drawing is deterministic: fixed sizes, no randomness, and `save` writes no date or creator.
figures/draw.py adds the rest (text as paths, a fixed hash salt for the SVG ids), so that running
it twice gives byte-identical files.

A helper used by the figures of one chapter only stays in that chapter's module; move it here
when a second chapter needs it.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_hex, to_rgb
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path as MplPath

from tinylm import plots

mpl.use("Agg")  # no window: the figures are only written to files

PALETTE = plots.PALETTE  # the book's colours, shared with the plots of the chapters
WIDTH = 7.3  # inches: 700 px at a browser's 96 px per inch
INK = "#222222"  # text and arrows
LINE = "#555555"  # residual connections and other secondary lines
NEUTRAL = "#6E6E6E"  # outline of boxes that belong to neither encoder nor decoder


# --------------------------------------------------------------------------- colours


def tint(color, amount):
    """`color` mixed with white: amount=1 is the colour itself, 0 is white."""
    r, g, b = to_rgb(color)
    return to_hex((1 - amount + amount * r, 1 - amount + amount * g, 1 - amount + amount * b))


def shade(color, amount):
    """`color` mixed with black: amount=0 is the colour itself, 1 is black."""
    return to_hex(tuple((1 - amount) * c for c in to_rgb(color)))


# --------------------------------------------------------------------------- drawing helpers


def canvas(height, width=WIDTH):
    """A figure whose single axes uses inches as data units, origin at the bottom left."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    return fig, ax


def box(
    ax,
    x,
    y,
    w,
    h,
    text="",
    face="white",
    edge=INK,
    fontsize=9.5,
    lw=1.2,
    ls="-",
    weight="normal",
    color=INK,
    radius=0.07,
    z=2,
):
    """A rounded box centred at (x, y), w wide and h tall, with centred text."""
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle=f"round,pad=0,rounding_size={radius}",
            facecolor=face,
            edgecolor=edge,
            linewidth=lw,
            linestyle=ls,
            zorder=z,
        )
    )
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=color, weight=weight, zorder=z + 1)


def stacked_box(ax, x, y, w, h, text, face, edge, copies=3, step=0.07, **kw):
    """A box with `copies - 1` copies peeking out behind it: 'the same thing, h times'."""
    for i in reversed(range(1, copies)):
        box(
            ax,
            x + i * step,
            y + i * step,
            w,
            h,
            face=tint(face, 0.6) if face != "white" else face,
            edge=tint(edge, 0.6),
            lw=1.0,
            z=1,
        )
    box(ax, x, y, w, h, text, face=face, edge=edge, **kw)


def arrow(ax, *points, color=INK, lw=1.3, head=True, ls="-", z=1.5):
    """An arrow through the given points, with straight segments and the head at the last one."""
    path = MplPath(np.asarray(points, dtype=float))
    ax.add_patch(
        FancyArrowPatch(
            path=path,
            arrowstyle="-|>" if head else "-",
            mutation_scale=11,
            color=color,
            linewidth=lw,
            linestyle=ls,
            shrinkA=0,
            shrinkB=0,
            joinstyle="miter",
            capstyle="butt",
            zorder=z,
        )
    )


def plus_node(ax, x, y, r=0.11, edge=INK):
    """The circled plus where the positional encoding is added to the embedding."""
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=edge, linewidth=1.2, zorder=3))
    ax.plot([x - 0.6 * r, x + 0.6 * r], [y, y], color=edge, lw=1.2, zorder=4, solid_capstyle="butt")
    ax.plot([x, x], [y - 0.6 * r, y + 0.6 * r], color=edge, lw=1.2, zorder=4, solid_capstyle="butt")


def sine_node(ax, x, y, r=0.15, edge=INK):
    """A circle holding a small sine wave: the positional encoding."""
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=edge, linewidth=1.2, zorder=3))
    t = np.linspace(-0.7 * r, 0.7 * r, 41)
    ax.plot(x + t, y + 0.45 * r * np.sin(t / r * 2.2 * np.pi / 1.4), color=edge, lw=1.1, zorder=4)


def save(fig, path):
    """Write `fig` as a reproducible SVG (no date, no creator, fixed size) and close it."""
    fig.savefig(path, format="svg", bbox_inches=None, pad_inches=0, metadata={"Date": None, "Creator": None})
    plt.close(fig)
