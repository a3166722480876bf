"""The figure of chapter 13 (Power-BERT): power_bert.svg, word vectors dropped layer by layer, the ones that receive
the least attention first."""

from __future__ import annotations

from figures.style import INK, NEUTRAL, PALETTE, arrow, box, canvas, save, shade, tint


def draw_power_bert(path):
    """Four layers over a fragment: each keeps fewer word vectors, the most attended ones, in their original order."""
    words = ["a", "friend", "who", "walked", "weary", "sir"]
    kept = [
        [0, 1, 2, 3, 4, 5],
        [1, 2, 3, 4, 5],
        [1, 3, 4, 5],
        [1, 3, 4],
        [3, 4],
    ]
    height = 2.9
    fig, ax = canvas(height)
    encoder = PALETTE["encoder"]
    x0, dx, w, h = 1.45, 0.7, 0.6, 0.3
    for level, keep in enumerate(kept):
        y = 0.35 + level * 0.5
        name = "words" if level == 0 else f"after layer {level}"
        ax.text(0.2, y, name, ha="left", va="center", fontsize=8.5, color=INK)
        for i, word in enumerate(words):
            x = x0 + i * dx
            if i in keep:
                face = tint(PALETTE["seen"], 0.25) if level == 0 else tint(encoder, 0.2 + 0.12 * level)
                edge = shade(PALETTE["seen"], 0.2) if level == 0 else encoder
                box(ax, x, y, w, h, word if level == 0 else "", face=face, edge=edge, fontsize=8.5, radius=0.04)
                if level + 1 < len(kept) and i in kept[level + 1]:
                    arrow(ax, (x, y + h / 2), (x, y + 0.5 - h / 2), lw=0.8, color=NEUTRAL)
            elif i in kept[level - 1]:
                box(ax, x, y, w, h, "dropped", face="white", edge=NEUTRAL, fontsize=7, color="#888888",
                    radius=0.04, ls=":")  # fmt: skip
    note = "each layer keeps the\nword vectors that\nreceived the most\nattention (over the\nqueries, averaged\nover the heads);\nthe head pools\nwhat is left"
    ax.text(5.75, 1.35, note, ha="left", va="center", fontsize=8, color="#444444")
    save(fig, path)


FIGURES = {"power_bert.svg": draw_power_bert}
