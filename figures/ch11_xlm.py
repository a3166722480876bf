"""The figure of chapter 11 (XLM): xlm.svg, the paper's Figure 1 redrawn: masked and translation language modelling."""

from __future__ import annotations

from matplotlib.patches import FancyArrowPatch

from figures.style import INK, NEUTRAL, PALETTE, arrow, box, canvas, save, shade, tint

X0, DX, W, H = 1.1, 0.535, 0.5, 0.27  # centre of the first column, column step, box width and height
LANGUAGE_COLOURS = {"en": PALETTE["key"], "fr": PALETTE["query"]}


def _panel(ax, y0, title, note, tokens, positions, languages, predictions, arcs=()):
    """Token, position and language rows (the lowest at y0), the Transformer above, the predicted words on top.

    `predictions` maps a column to the word predicted there; `arcs` are (from, to, label): columns of attention
    drawn inside the Transformer box."""
    xs = [X0 + i * DX for i in range(len(tokens))]
    ax.text(0.1, y0 + 1.76, title, ha="left", va="center", fontsize=9.5, weight="bold", color=INK)
    ax.text(xs[-1] + W / 2, y0 + 1.76, note, ha="right", va="center", fontsize=8, style="italic", color="#444444")
    masked = tint(PALETTE["masked"], 0.35)
    rows = [  # (y, row name, labels, face and edge of each box)
        (y0 + 0.62, "token", tokens, [(masked if t == "[MASK]" else "white", NEUTRAL) for t in tokens]),
        (y0 + 0.31, "+ position", [str(p) for p in positions], [("#F2F2F2", NEUTRAL)] * len(tokens)),
        (
            y0,
            "+ language",
            languages,
            [(tint(LANGUAGE_COLOURS[lang], 0.3), shade(LANGUAGE_COLOURS[lang], 0.15)) for lang in languages],
        ),
    ]
    for y, name, labels, colours in rows:
        ax.text(0.1, y, name, ha="left", va="center", fontsize=8.5, color=INK)
        for x, label, (face, edge) in zip(xs, labels, colours):
            box(
                ax, x, y, W, H, label, face=face, edge=edge, lw=1.0, radius=0.04, fontsize=8 if name == "token" else 8.5
            )
    left, right = xs[0] - W / 2, xs[-1] + W / 2
    blue = PALETTE["encoder"]
    box(ax, (left + right) / 2, y0 + 1.1, right - left, 0.4, face=tint(blue, 0.25), edge=blue)
    ax.text(left + 0.1, y0 + 1.1, "Transformer", ha="left", va="center", fontsize=9.5, color=INK, zorder=3)
    for x in xs:
        arrow(ax, (x, y0 + 0.62 + H / 2), (x, y0 + 0.9), lw=0.9)
    for i, word in predictions.items():
        arrow(ax, (xs[i], y0 + 1.3), (xs[i], y0 + 1.44), lw=0.9)
        ax.text(xs[i], y0 + 1.53, word, ha="center", va="center", fontsize=8.5, color=shade(blue, 0.3), weight="bold")
    for start, end, label in arcs:  # attention from a visible word to a masked position, inside the Transformer
        green = shade(PALETTE["seen"], 0.1)
        ax.add_patch(
            FancyArrowPatch(
                (xs[start], y0 + 0.96),
                (xs[end], y0 + 0.96),
                connectionstyle="arc3,rad=0.14",
                arrowstyle="-|>",
                mutation_scale=10,
                color=green,
                linewidth=1.2,
                zorder=4,
            )
        )
        x = (xs[start] + xs[end]) / 2
        ax.text(x, y0 + 1.01, label, ha="center", va="center", fontsize=8, style="italic", color=green, zorder=4)


def draw_xlm(path):
    """MLM on a stream of English text, and TLM on an English sentence beside its French translation, where
    a masked English word may be read off the French (the paper's Figure 1, with its TLM example)."""
    fig, ax = canvas(4.2)
    _panel(
        ax,
        2.32,
        "Masked language modelling (MLM)",
        "one stream of monolingual text; positions count on across sentences",
        ["[/s]", "the", "[MASK]", "[MASK]", "blue", "[/s]", "and", "so", "was", "the", "[MASK]", "[/s]"],
        range(12),
        ["en"] * 12,
        {2: "curtains", 3: "were", 10: "sky"},
    )
    _panel(
        ax,
        0.18,
        "Translation language modelling (TLM)",
        "a sentence and its translation; positions restart at 0",
        ["[/s]", "the", "[MASK]", "[MASK]", "blue", "[/s]", "[/s]", "[MASK]", "rideaux", "étaient", "[MASK]", "[/s]"],
        [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5],
        ["en"] * 6 + ["fr"] * 6,
        {2: "curtains", 3: "were", 7: "les", 10: "bleus"},
        arcs=[(8, 2, "the translation is visible")],
    )
    save(fig, path)


FIGURES = {"xlm.svg": draw_xlm}
