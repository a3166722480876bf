"""The figure of chapter 4 (BERT): bert_pretraining.svg, BERT's input embeddings and its two pre-training heads."""

from __future__ import annotations

from figures.style import INK, NEUTRAL, PALETTE, arrow, box, canvas, save, shade, tint


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
        (1.3, "token", tokens, [(tint(grey, 0.35), NEUTRAL) if t == "[MASK]" else ("white", NEUTRAL) for t in tokens]),
        (0.85, "+ segment", [f"E{s}" for s in segment], [a_colors if s == "A" else b_colors for s in segment]),
        (0.4, "+ position", [f"E{i}" for i in range(len(tokens))], [("#F2F2F2", NEUTRAL)] * len(tokens)),
    ]
    for y, name, labels, colors in rows:
        ax.text(0.2, y, name, ha="left", va="center", fontsize=9.5, color=INK)
        for x, label, (face, edge) in zip(xs, labels, colors):
            box(
                ax,
                x,
                y,
                w,
                0.3,
                label,
                face=face,
                edge=edge,
                lw=1.0,
                radius=0.04,
                fontsize=6.8 if label.startswith("[") else 8.5,
            )
    left, right = xs[0] - w / 2, xs[-1] + w / 2
    ax.text(0.2, 2.1, "encoder", ha="left", va="center", fontsize=9.5, color=INK)
    box(
        ax,
        (left + right) / 2,
        2.1,
        right - left,
        0.55,
        "Transformer encoder  ×L   (bidirectional: every token attends to every token)",
        face=tint(blue, 0.25),
        edge=blue,
        fontsize=9.5,
    )
    for x in xs:
        arrow(ax, (x, 1.47), (x, 1.82), lw=1.0)
    ax.text(0.2, 3.05, "heads", ha="left", va="center", fontsize=9.5, color=INK)
    arrow(ax, (xs[0], 2.38), (xs[0], 2.8), lw=1.0)
    box(ax, xs[0] + 0.15, 3.05, 0.95, 0.46, "NSP: does B\nfollow A?", face="white", edge=blue, fontsize=8)
    for i, word in answers.items():
        arrow(ax, (xs[i], 2.38), (xs[i], 2.8), lw=1.0)
        box(ax, xs[i], 3.05, 0.95, 0.46, f"MLM: «{word}»", face="white", edge=blue, fontsize=8.5)
    ax.text(
        right,
        3.55,
        "15 % of positions are chosen: 80 % become [MASK], 10 % a random token, 10 % stay",
        ha="right",
        va="center",
        fontsize=8.5,
        color="#444444",
        style="italic",
    )
    save(fig, path)


FIGURES = {
    "bert_pretraining.svg": draw_bert_pretraining,
}
