"""The figures of chapter 1 (the Transformer): the architecture, attention, and attention masks.

- transformer.svg: the encoder-decoder Transformer, after Figure 1 of Vaswani et al. (2017);
- attention.svg: scaled dot-product and multi-head attention, after their Figure 2;
- attention_masks.svg: bidirectional, causal and padding masks (also shown again in chapter 3).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import FancyBboxPatch, Patch

from figures.style import (
    INK,
    LINE,
    NEUTRAL,
    PALETTE,
    WIDTH,
    arrow,
    box,
    canvas,
    plus_node,
    save,
    shade,
    sine_node,
    stacked_box,
    tint,
)

# --------------------------------------------------------------------------- transformer.svg


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
            face = {
                "attention": tint(hue, 0.30),
                "cross": tint(hue, 0.30),
                "ffn": tint(hue, 0.20),
                "norm": tint(hue, 0.10),
            }[kind]
            box(ax, xc, cy, BW, h, label, face=face, edge=shade(hue, 0.1), fontsize=9 if kind == "norm" else 9.5)
            if kind == "attention":  # the input is used three times: as Q, K and V
                fork_y = bottom - 0.13
                arrow(ax, (xc, below_top), (xc, fork_y), head=False)
                ax.plot([xc - 0.55, xc + 0.55], [fork_y, fork_y], color=INK, lw=1.3, zorder=1.5, solid_capstyle="butt")
                for dx in (-0.55, 0.0, 0.55):
                    arrow(ax, (xc + dx, fork_y), (xc + dx, bottom))
            elif kind == "ffn":
                arrow(ax, (xc, below_top), (xc, bottom))
            elif kind == "norm":
                arrow(ax, (xc, below_top), (xc, bottom))
                x_out = xc + side * (BW / 2 + 0.22)  # the residual connection around the sublayer
                arrow(ax, (xc, branch), (x_out, branch), (x_out, cy), (xc + side * BW / 2, cy), color=LINE, lw=1.1)
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
        ax.text(
            xs + side * 0.22,
            1.47,
            "Positional\nencoding",
            ha="left" if side > 0 else "right",
            va="center",
            fontsize=9,
            color=INK,
            linespacing=1.1,
        )
        return 1.58

    def frame(xc, hue, y0, y1, side):
        """The light frame around one layer, with the 'N×' that says it is repeated."""
        w = BW + 2 * PAD
        box(ax, xc, (y0 + y1) / 2, w, y1 - y0, face=tint(hue, 0.05), edge=tint(hue, 0.55), lw=1.2, radius=0.14, z=0.5)
        ax.text(
            xc + side * (w / 2 + 0.12),
            (y0 + y1) / 2,
            "N×",
            ha="left" if side > 0 else "right",
            va="center",
            fontsize=12,
            weight="bold",
            color=shade(hue, 0.1),
        )

    enc, dec = PALETTE["encoder"], PALETTE["decoder"]
    frame_bottom = 1.82

    # ---- encoder: one layer = self-attention, add & norm, feed-forward, add & norm
    top = embedding_and_position(xe, enc, "Input embedding", "Inputs", side=-1)
    first = frame_bottom + 0.12 + FORK  # bottom of the first box inside the frame
    enc_top, _ = stack(
        xe,
        enc,
        [
            ("attention", "Multi-head\nself-attention"),
            ("norm", "Add & Norm"),
            ("ffn", "Feed-forward"),
            ("norm", "Add & Norm"),
        ],
        top,
        first,
        side=-1,
    )
    enc_frame_top = enc_top + 0.16
    frame(xe, enc, frame_bottom, enc_frame_top, side=-1)

    # ---- decoder: masked self-attention, add & norm, cross-attention, add & norm, FFN, add & norm
    top = embedding_and_position(xd, dec, "Output embedding", "Outputs (shifted right)", side=+1)
    dec_kinds = [
        ("attention", "Masked multi-head\nself-attention"),
        ("norm", "Add & Norm"),
        ("cross", "Multi-head\ncross-attention"),
        ("norm", "Add & Norm"),
        ("ffn", "Feed-forward"),
        ("norm", "Add & Norm"),
    ]
    dec_top, c = stack(xd, dec, dec_kinds, top, first, side=+1)
    dec_frame_top = dec_top + 0.16
    frame(xd, dec, frame_bottom, dec_frame_top, side=+1)

    # ---- cross-attention: Q comes from the decoder below, K and V from the encoder's output
    cross_y = c[2]
    cross_bottom = cross_y - H_SUB / 2
    norm_top = c[1] + H_NORM / 2
    arrow(ax, (xd, norm_top), (xd, cross_bottom))
    ax.text(
        xd - 0.08,
        (norm_top + cross_bottom) / 2,
        "Q",
        ha="right",
        va="center",
        fontsize=9.5,
        weight="bold",
        color=shade(PALETTE["query"], 0.15),
    )
    # the encoder's output leaves the top of the encoder, crosses over and enters from the left
    route_y = enc_frame_top + 0.34
    x_exit = xe + 0.55
    x_mid = (xe + xd) / 2
    arrow(ax, (x_exit, enc_top), (x_exit, route_y), (x_mid, route_y), (x_mid, cross_y), (xd - BW / 2, cross_y), lw=1.6)
    ax.text((x_exit + x_mid) / 2, route_y + 0.07, "encoder output", ha="center", va="bottom", fontsize=9, color=INK)
    kx = (x_mid + xd - BW / 2 - PAD) / 2  # the K, V label sits between the two frames
    ax.text(
        kx - 0.03,
        cross_y + 0.07,
        "K",
        ha="right",
        va="bottom",
        fontsize=9.5,
        weight="bold",
        color=shade(PALETTE["key"], 0.15),
    )
    ax.text(kx, cross_y + 0.07, ",", ha="center", va="bottom", fontsize=9.5, weight="bold", color=INK)
    ax.text(
        kx + 0.06,
        cross_y + 0.07,
        "V",
        ha="left",
        va="bottom",
        fontsize=9.5,
        weight="bold",
        color=shade(PALETTE["value"], 0.25),
    )

    # ---- a key for the grey lines
    lx, ly = 0.35, height - 0.45
    arrow(ax, (lx, ly), (lx + 0.45, ly), color=LINE, lw=1.1)
    ax.text(lx + 0.55, ly, "residual connection:  x + Sublayer(x)", ha="left", va="center", fontsize=9, color=INK)

    # ---- decoder head: linear, softmax, output probabilities
    y = dec_frame_top
    arrow(ax, (xd, dec_top), (xd, y + 0.22))
    box(ax, xd, y + 0.22 + H_NORM / 2 + 0.03, BW, H_NORM + 0.06, "Linear", face=tint(dec, 0.20), edge=shade(dec, 0.1))
    y = y + 0.22 + H_NORM + 0.06
    arrow(ax, (xd, y), (xd, y + GAP))
    box(ax, xd, y + GAP + H_NORM / 2 + 0.03, BW, H_NORM + 0.06, "Softmax", face=tint(dec, 0.10), edge=shade(dec, 0.1))
    y = y + GAP + H_NORM + 0.06
    arrow(ax, (xd, y), (xd, y + 0.22))
    ax.text(xd, y + 0.34, "Output probabilities", ha="center", va="center", fontsize=9.5, color=INK)

    # ---- titles above each stack
    ax.text(
        xe - BW / 2 - PAD,
        enc_frame_top + 0.1,
        "Encoder (→ BERT)",
        ha="left",
        va="bottom",
        fontsize=12,
        weight="bold",
        color=enc,
    )
    ax.text(xd, height - 0.12, "Decoder (→ GPT)", ha="center", va="top", fontsize=12, weight="bold", color=dec)
    save(fig, path)


# --------------------------------------------------------------------------- attention_masks.svg


def mask_panel(ax, mask, tokens, title, title_color, caption, ylabel=True):
    """One attention mask: row = query token, column = key token; green allowed, grey hidden.

    Keys are labelled along the top, so that a row reads like a query looking across the keys."""
    n = len(tokens)
    side = ax.get_position().height * ax.figure.get_figheight()  # the grid's side in inches
    cmap = ListedColormap([PALETTE["masked"], PALETTE["seen"]])
    ax.pcolormesh(np.asarray(mask, dtype=float), cmap=cmap, vmin=0, vmax=1, edgecolors="white", linewidth=1.5)
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

    ax.text(
        0.5, above(0.50), "key (attended to)", transform=ax.transAxes, ha="center", va="bottom", fontsize=9, color=INK
    )
    ax.text(
        0.5,
        above(0.74),
        title,
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=10.5,
        weight="bold",
        color=title_color,
        linespacing=1.15,
    )
    ax.text(0.5, -0.09 / side, caption, transform=ax.transAxes, ha="center", va="top", fontsize=9, color=INK)


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
        (
            0.85,
            np.ones((n, n)),
            words,
            "Bidirectional\n(encoder, BERT)",
            PALETTE["encoder"],
            "every token sees every token",
        ),
        (
            3.14,
            np.tril(np.ones((n, n))),
            words,
            "Causal\n(decoder, GPT)",
            PALETTE["decoder"],
            "a token sees only itself and the past",
        ),
        (5.5, np.tile(real, (n, 1)), padded, "Padding\n(any model)", INK, "no token attends to [PAD]"),
    ]
    for i, (left, mask, tokens, title, color, caption) in enumerate(panels):
        ax = fig.add_axes((left / WIDTH, bottom / height, side / WIDTH, side / height))
        mask_panel(ax, mask, tokens, title, color, caption, ylabel=(i == 0))
    legend = [
        Patch(facecolor=PALETTE["seen"], label="may attend (score kept)"),
        Patch(facecolor=PALETTE["masked"], label="hidden (score set to −∞, weight 0)"),
    ]
    fig.legend(
        handles=legend,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.02),
        ncol=2,
        fontsize=9,
        frameon=False,
        handlelength=1.2,
        handleheight=1.2,
        columnspacing=2.0,
    )
    save(fig, path)


# --------------------------------------------------------------------------- attention.svg


def qkv_box(ax, x, y, letter, w=0.58, h=0.42):
    """An input box for the queries, keys or values, in their colours."""
    name = {"Q": "query", "K": "key", "V": "value"}[letter]
    box(
        ax,
        x,
        y,
        w,
        h,
        letter,
        face=tint(PALETTE[name], 0.35),
        edge=shade(PALETTE[name], 0.15),
        fontsize=11,
        weight="bold",
        lw=1.4,
    )


def op_box(ax, x, y, w, text, h=0.40, **kw):
    """An operation: a neutral box (attention is the same in encoder and decoder)."""
    box(ax, x, y, w, h, text, face="#F2F2F2", edge=NEUTRAL, **kw)


def mask_icon(ax, x, y, cell=0.07, n=4):
    """A tiny causal mask (green allowed, grey hidden), drawn inside the Mask box."""
    for i in range(n):  # row i = query i
        for j in range(n):
            color = PALETTE["seen"] if j <= i else PALETTE["masked"]
            ax.add_patch(
                FancyBboxPatch(
                    (x + j * cell, y - (i + 1) * cell),
                    cell * 0.86,
                    cell * 0.86,
                    boxstyle="square,pad=0",
                    facecolor=color,
                    edgecolor="none",
                    zorder=4,
                )
            )


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
    ax.text(
        x_m2, 4.98, "Scaled dot-product attention", ha="center", va="center", fontsize=11.5, weight="bold", color=INK
    )
    # where the scores and the weights live, in a few words beside the flow
    note = {"ha": "left", "va": "center", "fontsize": 9, "color": "#444444", "style": "italic"}
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
        stacked_box(
            ax,
            x,
            y_lin,
            WL,
            0.44,
            f"Linear\n$W_i^{letter}$",
            face="#F2F2F2",
            edge=shade(PALETTE[name], 0.15),
            fontsize=9,
            lw=1.3,
        )
        arrow(ax, (x, y_lin + 0.22), (x, y_att - 0.25))
    x_att = xs["K"]
    W_att = xs["V"] - xs["Q"] + WL
    stacked_box(
        ax, x_att, y_att, W_att, 0.50, "Scaled dot-product\nattention", face="#F2F2F2", edge=NEUTRAL, fontsize=9.5
    )
    # "h" bracket: the h copies are h heads working side by side
    bx = x_att + W_att / 2 + 0.26
    ax.plot([bx - 0.05, bx, bx, bx - 0.05], [y_lin - 0.22, y_lin - 0.22, y_att + 0.39, y_att + 0.39], color=INK, lw=1.1)
    ax.text(
        bx + 0.08, (y_lin + y_att) / 2 + 0.05, "h heads", ha="left", va="center", fontsize=9.5, color=INK, rotation=90
    )
    arrow(ax, (x_att, y_att + 0.25), (x_att, y_cat - 0.20))
    op_box(ax, x_att, y_cat, 1.6, "Concat heads")
    arrow(ax, (x_att, y_cat + 0.20), (x_att, y_out - 0.20))
    op_box(ax, x_att, y_out, 1.6, r"Linear   $W^O$")
    arrow(ax, (x_att, y_out + 0.20), (x_att, y_out + 0.50))
    ax.text(x_att, y_out + 0.62, "output", ha="center", va="center", fontsize=9.5, color=INK)
    ax.text(x_att, 4.98, "Multi-head attention", ha="center", va="center", fontsize=11.5, weight="bold", color=INK)

    # a thin rule between the two halves
    ax.plot([3.8, 3.8], [0.25, 4.75], color="#DDDDDD", lw=1.0)
    save(fig, path)


FIGURES = {
    "transformer.svg": draw_transformer,
    "attention_masks.svg": draw_attention_masks,
    "attention.svg": draw_attention,
}
