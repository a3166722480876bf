"""The figure of chapter 9 (XLNet): xlnet.svg, one factorisation order and what each prediction may see."""

from __future__ import annotations

from figures.style import INK, NEUTRAL, PALETTE, box, canvas, save, tint

WORDS = ["New", "York", "is", "a", "city"]
TARGETS = [0, 1]  # "New" and "York" are predicted, the rest is context (the paper's example)


def _row(ax, y, x0, dx, seen, predicted, label, note, hidden=""):
    """One line of tokens: green if the prediction may see it, grey if hidden, outlined if predicted."""
    ax.text(x0 - 0.45, y, label, ha="right", va="center", fontsize=8.5, color=INK)
    for i, word in enumerate(WORDS):
        if i == predicted:
            face, text, edge = tint(PALETTE["query"], 0.45), f"{word}?", PALETTE["query"]
        elif i in seen:
            face, text, edge = tint(PALETTE["seen"], 0.35), word, NEUTRAL
        else:
            face, text, edge = tint(PALETTE["masked"], 0.6), hidden, NEUTRAL
        box(ax, x0 + i * dx, y, 0.72, 0.3, text, face=face, edge=edge, fontsize=8.5, radius=0.04)
    ax.text(x0 + len(WORDS) * dx - 0.2, y, note, ha="left", va="center", fontsize=8, color=INK)


def draw_xlnet(path):
    """The paper's example (Sec. 2.6): BERT predicts New and York independently; XLNet, in the order
    is, a, city, New, York, lets York see New."""
    fig, ax = canvas(3.0)
    x0, dx = 1.9, 0.82
    context = {2, 3, 4}
    ax.text(0.25, 2.72, "BERT: both masked, each predicted alone", fontsize=9, color=PALETTE["bert"], weight="bold")
    _row(ax, 2.35, x0, dx, context, 0, "predict New", "log p(New | is a city)", "[MASK]")
    _row(ax, 1.95, x0, dx, context, 1, "predict York", "log p(York | is a city)", "[MASK]")
    ax.text(0.25, 1.45, "XLNet, order  is, a, city, New, York", fontsize=9, color=PALETTE["transformer"], weight="bold")
    _row(ax, 1.08, x0, dx, context, 0, "predict New", "log p(New | is a city)")
    _row(ax, 0.68, x0, dx, context | {0}, 1, "predict York", "log p(York | New, is a city)")
    ax.text(
        0.25,
        0.12,
        "green: tokens the prediction may see (their content stream)\n"
        "pink: the position being predicted (its query stream knows the place, not the word)   grey: hidden",
        fontsize=7.5,
        color=INK,
    )
    save(fig, path)


FIGURES = {"xlnet.svg": draw_xlnet}
