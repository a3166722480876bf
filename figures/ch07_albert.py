"""The figure of chapter 7 (ALBERT): albert.svg, factorized embedding, cross-layer sharing and sentence order."""

from __future__ import annotations

from figures.style import INK, LINE, PALETTE, arrow, box, canvas, save, shade, tint


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
    ax.text(
        2.14,
        base + 0.75,
        "E ≪ H: a thin\ntable, then\none small\nprojection",
        ha="center",
        va="center",
        fontsize=7.5,
        color="#444444",
        style="italic",
    )
    # 2: four different layers versus one layer used four times
    colors = [tint(blue, a) for a in (0.15, 0.35, 0.55, 0.75)]
    for i in range(4):
        y = base + 0.25 + i * 0.42
        box(
            ax,
            3.15,
            y,
            0.78,
            0.32,
            f"layer {i + 1}",
            face=colors[i],
            edge=blue,
            fontsize=8,
            color=INK if i < 2 else "white",
            radius=0.04,
        )
        box(ax, 4.25, y, 0.78, 0.32, "layer", face=tint(blue, 0.35), edge=blue, fontsize=8, radius=0.04)
        if i:
            arrow(ax, (3.15, y - 0.26), (3.15, y - 0.16), lw=0.9)
            arrow(ax, (4.25, y - 0.26), (4.25, y - 0.16), lw=0.9)
    arrow(
        ax,
        (4.64, base + 0.25 + 3 * 0.42),
        (4.8, base + 0.25 + 3 * 0.42),
        (4.8, base + 0.25),
        (4.66, base + 0.25),
        lw=0.9,
        color=LINE,
    )
    ax.text(3.15, base - 0.25, "BERT: 4 sets\nof weights", ha="center", va="center", fontsize=8.5, color=INK)
    ax.text(4.25, base - 0.25, "ALBERT: 1 set,\nused 4 times", ha="center", va="center", fontsize=8.5, color=INK)
    # 3: next-sentence prediction versus sentence-order prediction
    seg = {
        "A": (tint(blue, 0.3), blue),
        "B": (tint(PALETTE["seen"], 0.35), shade(PALETTE["seen"], 0.2)),
        "R": (tint(orange, 0.3), orange),
    }
    rows = [
        (top - 0.45, "NSP", [("A", "B", "next"), ("A", "R", "not next")]),
        (top - 1.45, "SOP", [("A", "B", "in order"), ("B", "A", "swapped")]),
    ]
    for y0, name, examples in rows:
        ax.text(4.95, y0, name, ha="left", va="center", fontsize=9, weight="bold", color=INK)
        for j, (first, second, label) in enumerate(examples):
            y = y0 - 0.38 * (j + 1) + 0.08
            for k, letter in enumerate((first, second)):
                face, edge = seg[letter]
                box(ax, 5.15 + k * 0.42, y, 0.36, 0.26, letter, face=face, edge=edge, fontsize=8.5, radius=0.03)
            arrow(ax, (5.84, y), (6.06, y), lw=0.9)
            ax.text(6.12, y, label, ha="left", va="center", fontsize=8.5, color=INK)
    ax.text(
        4.95,
        0.3,
        "R comes from elsewhere in the play:\na change of topic gives NSP away.\nSOP keeps the topic.",
        ha="left",
        va="center",
        fontsize=7.5,
        color="#444444",
        style="italic",
    )
    save(fig, path)


FIGURES = {
    "albert.svg": draw_albert,
}
