"""Draw every diagram of the book as SVG, with matplotlib, deterministically.

    python figures/draw.py            # (re)draw all figures next to this script
    python figures/draw.py NAME.svg   # redraw only the named figures
    python figures/draw.py --check    # redraw into a temporary folder; exit 1 if a committed
                                      # SVG differs from the script's output or is missing,
                                      # or if figures/ holds an SVG this script does not draw

Each figure is one small function `draw_xxx(path)`, listed in `FIGURES` at the bottom.
The colours come from `tinylm.plots.PALETTE`, so that a figure and a plot in a chapter agree:
encoder/BERT blue, decoder/GPT vermillion, queries/keys/values in their own colours, green for
positions a token may attend to and grey for positions a mask hides.

Every diagram is drawn on an axes that fills the figure, with data units of one inch
(x from 0 to the figure's width, y from 0 at the bottom to its height), so that positions and
sizes in the code are the sizes on the page. Figures are 7.3 in wide: at their natural size
a browser shows them 700 px wide, where 9 pt text is 12 px tall.

Running the script twice gives byte-identical files: fixed sizes, no randomness, text drawn as
paths (no dependence on the reader's fonts), a fixed hash salt for the SVG ids, and no date.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap, to_hex, to_rgb  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from tinylm.plots import PALETTE, use_book_style  # noqa: E402

HERE = Path(__file__).resolve().parent
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


def box(ax, x, y, w, h, text="", face="white", edge=INK, fontsize=9.5, lw=1.2, ls="-",
        weight="normal", color=INK, radius=0.07, z=2):
    """A rounded box centred at (x, y), w wide and h tall, with centred text."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle=f"round,pad=0,rounding_size={radius}",
                                facecolor=face, edgecolor=edge, linewidth=lw, linestyle=ls, zorder=z))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=color,
                weight=weight, zorder=z + 1)


def stacked_box(ax, x, y, w, h, text, face, edge, copies=3, step=0.07, **kw):
    """A box with `copies - 1` copies peeking out behind it: 'the same thing, h times'."""
    for i in reversed(range(1, copies)):
        box(ax, x + i * step, y + i * step, w, h, face=tint(face, 0.6) if face != "white" else face,
            edge=tint(edge, 0.6), lw=1.0, z=1)
    box(ax, x, y, w, h, text, face=face, edge=edge, **kw)


def arrow(ax, *points, color=INK, lw=1.3, head=True, ls="-", z=1.5):
    """An arrow through the given points, with straight segments and the head at the last one."""
    path = MplPath(np.asarray(points, dtype=float))
    ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>" if head else "-", mutation_scale=11,
                                 color=color, linewidth=lw, linestyle=ls, shrinkA=0, shrinkB=0,
                                 joinstyle="miter", capstyle="butt", zorder=z))


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
    fig.savefig(path, format="svg", bbox_inches=None, pad_inches=0,
                metadata={"Date": None, "Creator": None})
    plt.close(fig)


# --------------------------------------------------------------------------- figure 1: the Transformer


def draw_transformer(path):
    """The encoder-decoder Transformer of Vaswani et al. (2017), after the paper's Figure 1."""
    height = 7.9
    fig, ax = canvas(height)

    BW = 1.95  # width of a sublayer box
    H_SUB, H_NORM = 0.45, 0.29  # heights of a sublayer and of an Add & Norm box
    GAP = 0.23  # vertical gap between boxes (where the arrows are)
    FORK = 0.34  # the larger gap below an attention box, where its input forks into Q, K, V
    PAD = 0.36  # space between the boxes and the frame around one layer
    xe, xd = 1.80, 5.46  # centres of the encoder and decoder columns

    def stack(xc, hue, kinds, enter, y0, side):
        """Draw the boxes of one layer, the first with its bottom at y0, fed by an arrow from `enter`.

        Residual lines run on `side` (-1 left, +1 right). Returns the top of the last box and
        the centre of each box."""
        centres = []
        below_top = enter  # where the arrow into the next box starts
        branch = None  # where the residual around the current sublayer leaves the main line
        for kind, label in kinds:
            h = H_NORM if kind == "norm" else H_SUB
            bottom = y0 if not centres else below_top + (FORK if kind == "attention" else GAP)
            cy = bottom + h / 2
            centres.append(cy)
            face = {"attention": tint(hue, 0.30), "cross": tint(hue, 0.30), "ffn": tint(hue, 0.20),
                    "norm": tint(hue, 0.10)}[kind]
            box(ax, xc, cy, BW, h, label, face=face, edge=shade(hue, 0.1),
                fontsize=9 if kind == "norm" else 9.5)
            if kind == "attention":  # the input is used three times: as Q, K and V
                fork_y = bottom - 0.13
                arrow(ax, (xc, below_top), (xc, fork_y), head=False)
                ax.plot([xc - 0.55, xc + 0.55], [fork_y, fork_y], color=INK, lw=1.3, zorder=1.5,
                        solid_capstyle="butt")
                for dx in (-0.55, 0.0, 0.55):
                    arrow(ax, (xc + dx, fork_y), (xc + dx, bottom))
            elif kind == "ffn":
                arrow(ax, (xc, below_top), (xc, bottom))
            elif kind == "norm":
                arrow(ax, (xc, below_top), (xc, bottom))
                x_out = xc + side * (BW / 2 + 0.22)  # the residual connection around the sublayer
                arrow(ax, (xc, branch), (x_out, branch), (x_out, cy), (xc + side * BW / 2, cy),
                      color=LINE, lw=1.1)
            # ("cross": its inputs, Q from below and K, V from the encoder, are drawn by the caller)
            if kind != "norm":
                branch = max(below_top, bottom - (FORK if kind == "attention" else GAP)) + 0.08
            below_top = bottom + h
        return below_top, centres

    def embedding_and_position(xc, hue, label, words, side):
        """Embedding box, positional encoding added at the circled plus; returns the plus's top."""
        ax.text(xc, 0.28, words, ha="center", va="center", fontsize=9.5, color=INK)
        arrow(ax, (xc, 0.42), (xc, 0.62))
        box(ax, xc, 0.85, BW, H_SUB, label, face=tint(hue, 0.16), edge=shade(hue, 0.1))
        arrow(ax, (xc, 1.08), (xc, 1.36))
        plus_node(ax, xc, 1.47)
        xs = xc + side * 0.62
        sine_node(ax, xs, 1.47)
        arrow(ax, (xs - side * 0.15, 1.47), (xc + side * 0.11, 1.47))
        ax.text(xs + side * 0.22, 1.47, "Positional\nencoding", ha="left" if side > 0 else "right",
                va="center", fontsize=9, color=INK, linespacing=1.1)
        return 1.58

    def frame(xc, hue, y0, y1, side):
        """The light frame around one layer, with the 'N×' that says it is repeated."""
        w = BW + 2 * PAD
        box(ax, xc, (y0 + y1) / 2, w, y1 - y0, face=tint(hue, 0.05), edge=tint(hue, 0.55),
            lw=1.2, radius=0.14, z=0.5)
        ax.text(xc + side * (w / 2 + 0.12), (y0 + y1) / 2, "N×", ha="left" if side > 0 else "right",
                va="center", fontsize=12, weight="bold", color=shade(hue, 0.1))

    enc, dec = PALETTE["encoder"], PALETTE["decoder"]
    frame_bottom = 1.82

    # ---- encoder: one layer = self-attention, add & norm, feed-forward, add & norm
    top = embedding_and_position(xe, enc, "Input embedding", "Inputs", side=-1)
    first = frame_bottom + 0.12 + FORK  # bottom of the first box inside the frame
    enc_top, _ = stack(xe, enc, [("attention", "Multi-head\nself-attention"), ("norm", "Add & Norm"),
                                 ("ffn", "Feed-forward"), ("norm", "Add & Norm")],
                       top, first, side=-1)
    enc_frame_top = enc_top + 0.16
    frame(xe, enc, frame_bottom, enc_frame_top, side=-1)

    # ---- decoder: masked self-attention, add & norm, cross-attention, add & norm, FFN, add & norm
    top = embedding_and_position(xd, dec, "Output embedding", "Outputs (shifted right)", side=+1)
    dec_kinds = [("attention", "Masked multi-head\nself-attention"), ("norm", "Add & Norm"),
                 ("cross", "Multi-head\ncross-attention"), ("norm", "Add & Norm"),
                 ("ffn", "Feed-forward"), ("norm", "Add & Norm")]
    dec_top, c = stack(xd, dec, dec_kinds, top, first, side=+1)
    dec_frame_top = dec_top + 0.16
    frame(xd, dec, frame_bottom, dec_frame_top, side=+1)

    # ---- cross-attention: Q comes from the decoder below, K and V from the encoder's output
    cross_y = c[2]
    cross_bottom = cross_y - H_SUB / 2
    norm_top = c[1] + H_NORM / 2
    arrow(ax, (xd, norm_top), (xd, cross_bottom))
    ax.text(xd - 0.08, (norm_top + cross_bottom) / 2, "Q", ha="right", va="center", fontsize=9.5,
            weight="bold", color=shade(PALETTE["query"], 0.15))
    # the encoder's output leaves the top of the encoder, crosses over and enters from the left
    route_y = enc_frame_top + 0.34
    x_exit = xe + 0.55
    x_mid = (xe + xd) / 2
    arrow(ax, (x_exit, enc_top), (x_exit, route_y), (x_mid, route_y), (x_mid, cross_y),
          (xd - BW / 2, cross_y), lw=1.6)
    ax.text((x_exit + x_mid) / 2, route_y + 0.07, "encoder output", ha="center", va="bottom",
            fontsize=9, color=INK)
    kx = (x_mid + xd - BW / 2 - PAD) / 2  # the K, V label sits between the two frames
    ax.text(kx - 0.03, cross_y + 0.07, "K", ha="right", va="bottom", fontsize=9.5, weight="bold",
            color=shade(PALETTE["key"], 0.15))
    ax.text(kx, cross_y + 0.07, ",", ha="center", va="bottom", fontsize=9.5, weight="bold", color=INK)
    ax.text(kx + 0.06, cross_y + 0.07, "V", ha="left", va="bottom", fontsize=9.5, weight="bold",
            color=shade(PALETTE["value"], 0.25))

    # ---- a key for the grey lines
    lx, ly = 0.35, height - 0.45
    arrow(ax, (lx, ly), (lx + 0.45, ly), color=LINE, lw=1.1)
    ax.text(lx + 0.55, ly, "residual connection:  x + Sublayer(x)", ha="left", va="center",
            fontsize=9, color=INK)

    # ---- decoder head: linear, softmax, output probabilities
    y = dec_frame_top
    arrow(ax, (xd, dec_top), (xd, y + 0.22))
    box(ax, xd, y + 0.22 + H_NORM / 2 + 0.03, BW, H_NORM + 0.06, "Linear", face=tint(dec, 0.20),
        edge=shade(dec, 0.1))
    y = y + 0.22 + H_NORM + 0.06
    arrow(ax, (xd, y), (xd, y + GAP))
    box(ax, xd, y + GAP + H_NORM / 2 + 0.03, BW, H_NORM + 0.06, "Softmax", face=tint(dec, 0.10),
        edge=shade(dec, 0.1))
    y = y + GAP + H_NORM + 0.06
    arrow(ax, (xd, y), (xd, y + 0.22))
    ax.text(xd, y + 0.34, "Output probabilities", ha="center", va="center", fontsize=9.5, color=INK)

    # ---- titles above each stack
    ax.text(xe - BW / 2 - PAD, enc_frame_top + 0.1, "Encoder (→ BERT)", ha="left", va="bottom",
            fontsize=12, weight="bold", color=enc)
    ax.text(xd, height - 0.12, "Decoder (→ GPT)", ha="center", va="top", fontsize=12,
            weight="bold", color=dec)
    save(fig, path)


# --------------------------------------------------------------------------- figure 2: attention masks


def mask_panel(ax, mask, tokens, title, title_color, caption, ylabel=True):
    """One attention mask: row = query token, column = key token; green allowed, grey hidden.

    Keys are labelled along the top, so that a row reads like a query looking across the keys."""
    n = len(tokens)
    side = ax.get_position().height * ax.figure.get_figheight()  # the grid's side in inches
    cmap = ListedColormap([PALETTE["masked"], PALETTE["seen"]])
    ax.pcolormesh(np.asarray(mask, dtype=float), cmap=cmap, vmin=0, vmax=1, edgecolors="white",
                  linewidth=1.5)
    ax.set_xlim(0, n)
    ax.set_ylim(n, 0)  # the first query at the top
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(n) + 0.5, tokens, rotation=90, fontsize=9)
    ax.set_yticks(np.arange(n) + 0.5, tokens, fontsize=9)
    ax.xaxis.tick_top()
    ax.tick_params(length=0, pad=3)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if ylabel:
        ax.set_ylabel("query (attending)", fontsize=9, labelpad=5)

    def above(inches):  # axes y coordinate this many inches above the grid's top
        return 1 + inches / side

    ax.text(0.5, above(0.50), "key (attended to)", transform=ax.transAxes, ha="center",
            va="bottom", fontsize=9, color=INK)
    ax.text(0.5, above(0.74), title, transform=ax.transAxes, ha="center", va="bottom",
            fontsize=10.5, weight="bold", color=title_color, linespacing=1.15)
    ax.text(0.5, -0.09 / side, caption, transform=ax.transAxes, ha="center", va="top",
            fontsize=9, color=INK)


def draw_attention_masks(path):
    """Bidirectional (BERT), causal (GPT) and padding masks over one short sentence."""
    height = 3.6
    fig = plt.figure(figsize=(WIDTH, height))
    words = ["the", "cat", "sat", "on", "the", "mat"]
    n = len(words)
    padded = ["the", "cat", "sat", "down", "[PAD]", "[PAD]"]
    real = np.array([t != "[PAD]" for t in padded])

    side, bottom = 1.55, 0.78  # inches: each grid is a square, its bottom edge this high
    panels = [  # (left edge of the grid in inches, mask, tokens, title, colour, caption)
        (0.85, np.ones((n, n)), words, "Bidirectional\n(encoder, BERT)", PALETTE["encoder"],
         "every token sees every token"),
        (3.14, np.tril(np.ones((n, n))), words, "Causal\n(decoder, GPT)", PALETTE["decoder"],
         "a token sees only itself and the past"),
        (5.5, np.tile(real, (n, 1)), padded, "Padding\n(any model)", INK,
         "no token attends to [PAD]"),
    ]
    for i, (left, mask, tokens, title, color, caption) in enumerate(panels):
        ax = fig.add_axes((left / WIDTH, bottom / height, side / WIDTH, side / height))
        mask_panel(ax, mask, tokens, title, color, caption, ylabel=(i == 0))
    legend = [Patch(facecolor=PALETTE["seen"], label="may attend (score kept)"),
              Patch(facecolor=PALETTE["masked"], label="hidden (score set to −∞, weight 0)")]
    fig.legend(handles=legend,
               loc="lower center", bbox_to_anchor=(0.5, 0.02), ncol=2, fontsize=9, frameon=False,
               handlelength=1.2, handleheight=1.2, columnspacing=2.0)
    save(fig, path)


# --------------------------------------------------------------------------- figure 3: attention


def qkv_box(ax, x, y, letter, w=0.58, h=0.42):
    """An input box for the queries, keys or values, in their colours."""
    name = {"Q": "query", "K": "key", "V": "value"}[letter]
    box(ax, x, y, w, h, letter, face=tint(PALETTE[name], 0.35), edge=shade(PALETTE[name], 0.15),
        fontsize=11, weight="bold", lw=1.4)


def op_box(ax, x, y, w, text, h=0.40, **kw):
    """An operation: a neutral box (attention is the same in encoder and decoder)."""
    box(ax, x, y, w, h, text, face="#F2F2F2", edge=NEUTRAL, **kw)


def mask_icon(ax, x, y, cell=0.07, n=4):
    """A tiny causal mask (green allowed, grey hidden), drawn inside the Mask box."""
    for i in range(n):  # row i = query i
        for j in range(n):
            color = PALETTE["seen"] if j <= i else PALETTE["masked"]
            ax.add_patch(FancyBboxPatch((x + j * cell, y - (i + 1) * cell), cell * 0.86, cell * 0.86,
                                        boxstyle="square,pad=0", facecolor=color, edgecolor="none",
                                        zorder=4))


def draw_attention(path):
    """Scaled dot-product attention and multi-head attention, after the paper's Figure 2."""
    height = 5.2
    fig, ax = canvas(height)

    # ---- left: scaled dot-product attention, from the inputs at the bottom to the output on top
    xq, xk, xv = 0.72, 1.42, 3.12
    y_in = 0.45
    x_qk = (xq + xk) / 2
    W1 = 1.3
    ys = {"matmul": 1.30, "scale": 1.95, "mask": 2.60, "softmax": 3.25, "matmul2": 4.05}
    for letter, x in (("Q", xq), ("K", xk), ("V", xv)):
        qkv_box(ax, x, y_in, letter)
    for x in (xq, xk):
        arrow(ax, (x, y_in + 0.21), (x, ys["matmul"] - 0.20))
    op_box(ax, x_qk, ys["matmul"], W1, r"MatMul   $Q\,K^{\top}$")
    arrow(ax, (x_qk, ys["matmul"] + 0.20), (x_qk, ys["scale"] - 0.20))
    op_box(ax, x_qk, ys["scale"], W1, r"Scale   $\div\,\sqrt{d_k}$")
    arrow(ax, (x_qk, ys["scale"] + 0.20), (x_qk, ys["mask"] - 0.20))
    box(ax, x_qk, ys["mask"], W1, 0.40, "", face=tint(PALETTE["masked"], 0.25), edge=NEUTRAL, ls="--")
    ax.text(x_qk - 0.17, ys["mask"], "Mask (opt.)", ha="center", va="center", fontsize=9.5, color=INK)
    mask_icon(ax, x_qk + 0.33, ys["mask"] + 0.14)
    arrow(ax, (x_qk, ys["mask"] + 0.20), (x_qk, ys["softmax"] - 0.20))
    op_box(ax, x_qk, ys["softmax"], W1, "Softmax")
    x_m2 = (xq - 0.25 + xv + 0.29) / 2
    W2 = xv + 0.29 - (xq - 0.25)
    arrow(ax, (x_qk, ys["softmax"] + 0.20), (x_qk, ys["matmul2"] - 0.20))
    arrow(ax, (xv, y_in + 0.21), (xv, ys["matmul2"] - 0.20))
    op_box(ax, x_m2, ys["matmul2"], W2, "MatMul   weights × V")
    arrow(ax, (x_m2, ys["matmul2"] + 0.20), (x_m2, ys["matmul2"] + 0.50))
    ax.text(x_m2, ys["matmul2"] + 0.62, "output", ha="center", va="center", fontsize=9.5, color=INK)
    ax.text(x_m2, 4.98, "Scaled dot-product attention", ha="center", va="center", fontsize=11.5,
            weight="bold", color=INK)
    # where the scores and the weights live, in a few words beside the flow
    note = dict(ha="left", va="center", fontsize=9, color="#444444", style="italic")
    ax.text(x_qk + W1 / 2 + 0.1, ys["matmul"], "scores: one per\nquery–key pair", **note)
    ax.text(x_qk + W1 / 2 + 0.1, ys["mask"], "hidden scores\nset to −∞", **note)
    ax.text(x_qk + W1 / 2 + 0.1, ys["softmax"], "weights: each\nrow sums to 1", **note)

    # ---- right: multi-head attention
    xs = {"Q": 4.6, "K": 5.5, "V": 6.4}
    WL = 0.74
    y_lin, y_att, y_cat, y_out = 1.40, 2.55, 3.40, 4.05
    for letter, x in xs.items():
        qkv_box(ax, x, y_in, letter)
        arrow(ax, (x, y_in + 0.21), (x, y_lin - 0.22))
        name = {"Q": "query", "K": "key", "V": "value"}[letter]
        stacked_box(ax, x, y_lin, WL, 0.44, f"Linear\n$W_i^{letter}$", face="#F2F2F2",
                    edge=shade(PALETTE[name], 0.15), fontsize=9, lw=1.3)
        arrow(ax, (x, y_lin + 0.22), (x, y_att - 0.25))
    x_att = xs["K"]
    W_att = xs["V"] - xs["Q"] + WL
    stacked_box(ax, x_att, y_att, W_att, 0.50, "Scaled dot-product\nattention", face="#F2F2F2",
                edge=NEUTRAL, fontsize=9.5)
    # "h" bracket: the h copies are h heads working side by side
    bx = x_att + W_att / 2 + 0.26
    ax.plot([bx - 0.05, bx, bx, bx - 0.05], [y_lin - 0.22, y_lin - 0.22, y_att + 0.39, y_att + 0.39],
            color=INK, lw=1.1)
    ax.text(bx + 0.08, (y_lin + y_att) / 2 + 0.05, "h heads", ha="left", va="center", fontsize=9.5,
            color=INK, rotation=90)
    arrow(ax, (x_att, y_att + 0.25), (x_att, y_cat - 0.20))
    op_box(ax, x_att, y_cat, 1.6, "Concat heads")
    arrow(ax, (x_att, y_cat + 0.20), (x_att, y_out - 0.20))
    op_box(ax, x_att, y_out, 1.6, r"Linear   $W^O$")
    arrow(ax, (x_att, y_out + 0.20), (x_att, y_out + 0.50))
    ax.text(x_att, y_out + 0.62, "output", ha="center", va="center", fontsize=9.5, color=INK)
    ax.text(x_att, 4.98, "Multi-head attention", ha="center", va="center", fontsize=11.5,
            weight="bold", color=INK)

    # a thin rule between the two halves
    ax.plot([3.8, 3.8], [0.25, 4.75], color="#DDDDDD", lw=1.0)
    save(fig, path)


# --------------------------------------------------------------------------- figure 4: tokenization


def draw_tokenization(path):
    """One line of Tiny Shakespeare as characters, as words and as sub-words."""
    height = 3.1
    fig, ax = canvas(height)
    x0, h = 1.45, 0.32  # where the tokens start; the height of a token
    plain = dict(face="#F2F2F2", edge=NEUTRAL)
    unseen = dict(face=tint(PALETTE["highlight"], 0.45), edge=shade(PALETTE["highlight"], 0.45))

    def token(x, y, w, text, colors, ls="-"):
        box(ax, x + w / 2, y, w, h, face=colors["face"], edge=colors["edge"], lw=1.0, ls=ls, radius=0.04)
        ax.text(x + w / 2, y, text, ha="center", va="center", family="DejaVu Sans Mono", fontsize=9, color=INK)

    def row(y, title, note):
        ax.text(0.15, y, title, ha="left", va="center", fontsize=10.5, weight="bold", color=INK)
        ax.text(x0, y - 0.38, note, ha="left", va="center", fontsize=9, color="#444444", style="italic")

    def words(y, pieces_of_words, new_word):
        """The pieces of one word touch; words stand apart. Returns the centre of the new word."""
        x, centre = x0, None
        for i, pieces in enumerate(pieces_of_words):
            start = x
            for piece in pieces:
                w = 0.075 * len(piece) + 0.16
                if piece == "[UNK]":
                    token(x, y, w, piece, dict(face="white", edge=NEUTRAL), ls="--")
                else:
                    token(x, y, w, piece, unseen if i == new_word else plain)
                x += w + 0.02
            if i == new_word:
                centre = (start + x - 0.02) / 2
            x += 0.1
        return centre

    line = "Her affability and bashful modesty,"  # "affability" never occurs in the training split
    y = height - 0.4
    row(y, "Characters", f"{len(line)} tokens  ·  a tiny vocabulary, nothing is unknown  ·  long sequences")
    for i, ch in enumerate(line):
        token(x0 + i * 0.163, y, 0.145, "␣" if ch == " " else ch, unseen if 4 <= i < 14 else plain)

    y -= 1.0
    row(y, "Words", "6 tokens  ·  the vocabulary grows with every text  ·  unseen words are lost")
    centre = words(y, [["Her"], ["[UNK]"], ["and"], ["bashful"], ["modesty"], [","]], new_word=1)
    ax.text(centre, y + h / 2 + 0.05, "affability", ha="center", va="bottom", fontsize=8.5,
            color="#444444", style="italic")

    y -= 1.0
    row(y, "Sub-words", "9 tokens  ·  a vocabulary of a chosen size  ·  rare words are spelled in pieces")
    words(y, [["Her"], ["aff", "ability"], ["and"], ["bash", "ful"], ["modest", "y"], [","]], new_word=1)
    save(fig, path)


# --------------------------------------------------------------------------- chapter 4: BERT


def draw_bert_pretraining(path):
    """BERT's input (token + segment + position embeddings) and its two pre-training heads."""
    height = 3.75
    fig, ax = canvas(height)
    blue, grey = PALETTE["encoder"], PALETTE["masked"]
    tokens = ["[CLS]", "But", "soft", ",", "[MASK]", "[SEP]", "It", "is", "the", "[MASK]", "[SEP]"]
    segment = ["A"] * 6 + ["B"] * 5
    answers = {4: "what", 9: "east"}
    x0, dx, w = 1.75, 0.5, 0.47
    xs = [x0 + i * dx for i in range(len(tokens))]
    a_colors = (tint(blue, 0.18), shade(blue, 0.2))
    b_colors = (tint(PALETTE["highlight"], 0.3), shade(PALETTE["highlight"], 0.4))
    rows = [  # (y, row name, labels, colours of each box)
        (1.3, "token", tokens, [(tint(grey, 0.35), NEUTRAL) if t == "[MASK]" else ("white", NEUTRAL)
                                for t in tokens]),
        (0.85, "+ segment", [f"E{s}" for s in segment], [a_colors if s == "A" else b_colors for s in segment]),
        (0.4, "+ position", [f"E{i}" for i in range(len(tokens))], [("#F2F2F2", NEUTRAL)] * len(tokens)),
    ]
    for y, name, labels, colors in rows:
        ax.text(0.2, y, name, ha="left", va="center", fontsize=9.5, color=INK)
        for x, label, (face, edge) in zip(xs, labels, colors):
            box(ax, x, y, w, 0.3, label, face=face, edge=edge, lw=1.0, radius=0.04,
                fontsize=6.8 if label.startswith("[") else 8.5)
    left, right = xs[0] - w / 2, xs[-1] + w / 2
    ax.text(0.2, 2.1, "encoder", ha="left", va="center", fontsize=9.5, color=INK)
    box(ax, (left + right) / 2, 2.1, right - left, 0.55,
        "Transformer encoder  ×L   (bidirectional: every token attends to every token)",
        face=tint(blue, 0.25), edge=blue, fontsize=9.5)
    for x in xs:
        arrow(ax, (x, 1.47), (x, 1.82), lw=1.0)
    ax.text(0.2, 3.05, "heads", ha="left", va="center", fontsize=9.5, color=INK)
    arrow(ax, (xs[0], 2.38), (xs[0], 2.8), lw=1.0)
    box(ax, xs[0] + 0.15, 3.05, 0.95, 0.46, "NSP: does B\nfollow A?", face="white", edge=blue, fontsize=8)
    for i, word in answers.items():
        arrow(ax, (xs[i], 2.38), (xs[i], 2.8), lw=1.0)
        box(ax, xs[i], 3.05, 0.95, 0.46, f"MLM: «{word}»", face="white", edge=blue, fontsize=8.5)
    ax.text(right, 3.55, "15 % of positions are chosen: 80 % become [MASK], 10 % a random token, 10 % stay",
            ha="right", va="center", fontsize=8.5, color="#444444", style="italic")
    save(fig, path)


# --------------------------------------------------------------------------- chapter 5: GPT vs BERT


def draw_gpt_vs_bert(path):
    """What each model sees when it fills one blank: GPT the left context, BERT both sides."""
    height = 2.75
    fig, ax = canvas(height)
    words = ["But", "soft", ",", "what", "light", "through", "yonder", "window", "breaks"]
    blank = 4
    x0, dx, w = 1.3, 0.64, 0.58
    xs = [x0 + i * dx for i in range(len(words))]
    panels = [(1.9, "GPT", PALETTE["decoder"], lambda i: i < blank, "sees only the words before the blank"),
              (0.6, "BERT", PALETTE["encoder"], lambda i: i != blank, "sees the words on both sides")]
    for y, name, color, sees, note in panels:
        ax.text(0.2, y, name, ha="left", va="center", fontsize=11, weight="bold", color=color)
        ax.text(0.2, y - 0.3, note, ha="left", va="center", fontsize=8.5, color="#444444", style="italic")
        for i, (x, word) in enumerate(zip(xs, words)):
            if i == blank:
                box(ax, x, y, w, 0.34, "?", face="white", edge=color, lw=1.6, fontsize=10, weight="bold",
                    color=color, radius=0.04)
                continue
            seen = sees(i)
            box(ax, x, y, w, 0.34, word, face=tint(PALETTE["seen"], 0.25) if seen else tint(PALETTE["masked"], 0.3),
                edge=shade(PALETTE["seen"], 0.2) if seen else NEUTRAL, fontsize=8.5,
                color=INK if seen else "#777777", radius=0.04)
            if seen:
                bend = 0.3 + 0.055 * abs(i - blank)
                end = xs[blank] + 0.055 * (i - blank)
                arrow(ax, (x, y + 0.17), (x, y + bend), (end, y + bend), (end, y + 0.19), color=color, lw=0.8)
    save(fig, path)


def draw_static_vs_dynamic(path):
    """The same training line in four epochs: masked at the same places (static) or afresh (dynamic)."""
    height = 2.95
    fig, ax = canvas(height)
    words = ["Now", "is", "the", "winter", "of", "our", "discontent"]
    static = {1, 5}
    dynamic = [{1, 5}, {3, 6}, {0, 4}, {2, 5}]
    dx, w, h, dy = 0.37, 0.33, 0.24, 0.31
    panels = [(0.45, "static masking", "masked once, before training:\nthe same blanks every epoch",
               [static] * 4),
              (3.85, "dynamic masking", "masked afresh for every batch:\nnew blanks every epoch", dynamic)]
    for x0, title, note, masks in panels:
        ax.text(x0, height - 0.25, title, ha="left", va="center", fontsize=10.5, weight="bold",
                color=PALETTE["encoder"])
        ax.text(x0, height - 0.62, note, ha="left", va="center", fontsize=8, color="#444444", style="italic")
        for row, masked in enumerate(masks):
            y = height - 1.15 - row * dy
            ax.text(x0 + 0.02, y, f"epoch {row + 1}", ha="left", va="center", fontsize=7.5, color="#555555")
            for i in range(len(words)):
                x = x0 + 0.8 + i * dx
                hidden = i in masked
                box(ax, x, y, w, h, "?" if hidden else "", fontsize=8, weight="bold", radius=0.03, lw=0.9,
                    face=tint(PALETTE["encoder"], 0.85) if hidden else tint(PALETTE["seen"], 0.25),
                    edge=shade(PALETTE["encoder"], 0.2) if hidden else shade(PALETTE["seen"], 0.2),
                    color="white" if hidden else INK)
        for i, word in enumerate(words):
            ax.text(x0 + 0.8 + i * dx + 0.08, height - 1.15 - 3 * dy - 0.2, word, ha="right", va="top",
                    fontsize=7, color="#444444", rotation=40, rotation_mode="anchor")
    save(fig, path)


def draw_albert(path):
    """ALBERT's three changes: a factorized embedding, one layer shared by all, sentence order instead of NSP."""
    height = 3.1
    fig, ax = canvas(height)
    blue, orange = PALETTE["encoder"], PALETTE["decoder"]
    top = height - 0.25
    titles = [(0.2, "1  factorized embedding"), (2.65, "2  cross-layer sharing"), (4.95, "3  sentence order")]
    for x, title in titles:
        ax.text(x, top, title, ha="left", va="center", fontsize=10, weight="bold", color=blue)
    # 1: V x H versus V x E then E x H
    base, tall = 0.55, 1.75
    ax.text(0.75, base - 0.25, "BERT", ha="center", va="center", fontsize=9, color=INK)
    box(ax, 0.75, base + tall / 2, 0.62, tall, "V × H", face=tint(blue, 0.3), edge=blue, radius=0.03, fontsize=9)
    ax.text(1.8, base - 0.25, "ALBERT", ha="center", va="center", fontsize=9, color=INK)
    box(ax, 1.55, base + tall / 2, 0.14, tall, "", face=tint(blue, 0.3), edge=blue, radius=0.02)
    ax.text(1.55, base + tall + 0.12, "V × E", ha="center", va="center", fontsize=8.5, color=INK)
    ax.text(1.8, base + tall - 0.3, "×", ha="center", va="center", fontsize=10, color=INK)
    box(ax, 2.12, base + tall - 0.3, 0.5, 0.14, "", face=tint(blue, 0.3), edge=blue, radius=0.02)
    ax.text(2.12, base + tall - 0.08, "E × H", ha="center", va="center", fontsize=8.5, color=INK)
    ax.text(2.14, base + 0.75, "E ≪ H: a thin\ntable, then\none small\nprojection", ha="center", va="center",
            fontsize=7.5, color="#444444", style="italic")
    # 2: four different layers versus one layer used four times
    colors = [tint(blue, a) for a in (0.15, 0.35, 0.55, 0.75)]
    for i in range(4):
        y = base + 0.25 + i * 0.42
        box(ax, 3.15, y, 0.78, 0.32, f"layer {i + 1}", face=colors[i], edge=blue, fontsize=8,
            color=INK if i < 2 else "white", radius=0.04)
        box(ax, 4.25, y, 0.78, 0.32, "layer", face=tint(blue, 0.35), edge=blue, fontsize=8, radius=0.04)
        if i:
            arrow(ax, (3.15, y - 0.26), (3.15, y - 0.16), lw=0.9)
            arrow(ax, (4.25, y - 0.26), (4.25, y - 0.16), lw=0.9)
    arrow(ax, (4.64, base + 0.25 + 3 * 0.42), (4.8, base + 0.25 + 3 * 0.42), (4.8, base + 0.25),
          (4.66, base + 0.25), lw=0.9, color=LINE)
    ax.text(3.15, base - 0.25, "BERT: 4 sets\nof weights", ha="center", va="center", fontsize=8.5, color=INK)
    ax.text(4.25, base - 0.25, "ALBERT: 1 set,\nused 4 times", ha="center", va="center", fontsize=8.5, color=INK)
    # 3: next-sentence prediction versus sentence-order prediction
    seg = {"A": (tint(blue, 0.3), blue), "B": (tint(PALETTE["seen"], 0.35), shade(PALETTE["seen"], 0.2)),
           "R": (tint(orange, 0.3), orange)}
    rows = [(top - 0.45, "NSP", [("A", "B", "next"), ("A", "R", "not next")]),
            (top - 1.45, "SOP", [("A", "B", "in order"), ("B", "A", "swapped")])]
    for y0, name, examples in rows:
        ax.text(4.95, y0, name, ha="left", va="center", fontsize=9, weight="bold", color=INK)
        for j, (first, second, label) in enumerate(examples):
            y = y0 - 0.38 * (j + 1) + 0.08
            for k, letter in enumerate((first, second)):
                face, edge = seg[letter]
                box(ax, 5.15 + k * 0.42, y, 0.36, 0.26, letter, face=face, edge=edge, fontsize=8.5, radius=0.03)
            arrow(ax, (5.84, y), (6.06, y), lw=0.9)
            ax.text(6.12, y, label, ha="left", va="center", fontsize=8.5, color=INK)
    ax.text(4.95, 0.3, "R comes from elsewhere in the play:\na change of topic gives NSP away.\nSOP keeps the topic.",
            ha="left", va="center", fontsize=7.5, color="#444444", style="italic")
    save(fig, path)


def draw_electra(path):
    """ELECTRA's replaced token detection, after the paper's Figure 2: a generator fills the masks, a
    discriminator labels every token."""
    height = 3.4
    fig, ax = canvas(height)
    blue, orange = PALETTE["encoder"], PALETTE["decoder"]
    words = ["to", "be", "or", "not", "to", "be"]
    masked = {1, 4}
    sampled = {1: "be", 4: "the"}  # the generator guesses right at 1 and wrong at 4
    top, dy = 2.65, 0.33
    ys = [top - i * dy for i in range(len(words))]
    cols = {"input": 0.5, "masked": 1.45, "generator": 2.6, "sampled": 3.8, "discriminator": 5.0, "label": 6.45}
    heads = [("input", "a line"), ("masked", "15 % masked"), ("sampled", "filled by\nthe generator"),
             ("label", "discriminator's\nanswers")]
    for key, text in heads:
        ax.text(cols[key], top + 0.42, text, ha="center", va="center", fontsize=8.5, color=INK)
    mid = (ys[0] + ys[-1]) / 2
    box(ax, cols["generator"], mid, 0.95, 1.2, "generator\n(small\nmasked LM)", face=tint(orange, 0.25), edge=orange,
        fontsize=8.5, radius=0.06)
    box(ax, cols["discriminator"], mid, 0.95, 1.2, "discriminator\n(ELECTRA)", face=tint(blue, 0.3), edge=blue,
        fontsize=8.5, radius=0.06)
    for i, (y, word) in enumerate(zip(ys, words)):
        plain = dict(face="white", edge=NEUTRAL, fontsize=8.5, radius=0.04)
        box(ax, cols["input"], y, 0.62, 0.26, word, **plain)
        if i in masked:
            box(ax, cols["masked"], y, 0.74, 0.26, "[MASK]", face=tint(PALETTE["masked"], 0.35), edge=NEUTRAL,
                fontsize=8, radius=0.04)
        else:
            box(ax, cols["masked"], y, 0.74, 0.26, word, **plain)
        new = sampled.get(i, word)
        wrong = new != word
        box(ax, cols["sampled"], y, 0.62, 0.26, new, face=tint(orange, 0.35) if wrong else (
            tint(PALETTE["seen"], 0.3) if i in masked else "white"), edge=orange if wrong else NEUTRAL,
            fontsize=8.5, radius=0.04, weight="bold" if i in masked else "normal")
        label = "replaced" if wrong else "original"
        box(ax, cols["label"], y, 0.95, 0.26, label, face=tint(orange, 0.35) if wrong else tint(blue, 0.12),
            edge=orange if wrong else blue, fontsize=8, radius=0.04)
        arrow(ax, (cols["input"] + 0.33, y), (cols["masked"] - 0.39, y), lw=0.8, color=LINE)
    half = {"masked": 0.37, "generator": 0.475, "sampled": 0.31, "discriminator": 0.475, "label": 0.475}
    for a, b in (("masked", "generator"), ("generator", "sampled"), ("sampled", "discriminator"),
                 ("discriminator", "label")):
        arrow(ax, (cols[a] + half[a] + 0.04, mid), (cols[b] - half[b] - 0.04, mid), lw=1.2)
    notes = ["BERT learns at the masked positions only (2 of 6 here, 15 % in training): which token was it?",
             "ELECTRA's discriminator learns at every position (6 of 6): was this token replaced?",
             "A right guess by the generator (\"be\") counts as original."]
    for k, note in enumerate(notes):
        ax.text(0.2, 0.5 - 0.22 * k, note, ha="left", va="center", fontsize=8.5, color=INK)
    save(fig, path)


# --------------------------------------------------------------------------- all figures

FIGURES = {
    "transformer.svg": draw_transformer,
    "attention_masks.svg": draw_attention_masks,
    "attention.svg": draw_attention,
    "tokenization.svg": draw_tokenization,
    "bert_pretraining.svg": draw_bert_pretraining,
    "gpt_vs_bert.svg": draw_gpt_vs_bert,
    "static_vs_dynamic.svg": draw_static_vs_dynamic,
    "albert.svg": draw_albert,
    "electra.svg": draw_electra,
}


def draw_all(folder, names=None):
    """Draw the named figures (all by default) into `folder` with the book's style."""
    folder = Path(folder)
    with mpl.rc_context():
        mpl.rcdefaults()  # ignore any matplotlibrc of the reader: same settings everywhere
        use_book_style()
        mpl.rcParams.update({"svg.fonttype": "path",  # text as outlines: no fonts needed to view
                             "svg.hashsalt": "tinylm-figures",  # fixed ids inside the SVG
                             "savefig.bbox": "standard",  # keep the figure's size: no cropping
                             "axes.grid": False})
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
                problems.append(f"{name}: differs from the output of figures/draw.py "
                                "(run `python figures/draw.py` and commit the result)")
    for svg in sorted(HERE.glob("*.svg")):
        if svg.name not in FIGURES:
            problems.append(f"{svg.name}: not drawn by figures/draw.py (add it to FIGURES or delete it)")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="figures to draw (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="verify that the committed SVGs are this script's output")
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
