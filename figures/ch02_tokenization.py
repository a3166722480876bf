"""The figure of chapter 2 (tokenization): tokenization.svg, one line as characters, words and sub-words."""

from __future__ import annotations

from figures.style import INK, NEUTRAL, PALETTE, box, canvas, save, shade, tint


def draw_tokenization(path):
    """One line of Tiny Shakespeare as characters, as words and as sub-words."""
    height = 3.1
    fig, ax = canvas(height)
    x0, h = 1.45, 0.32  # where the tokens start; the height of a token
    plain = {"face": "#F2F2F2", "edge": NEUTRAL}
    unseen = {"face": tint(PALETTE["highlight"], 0.45), "edge": shade(PALETTE["highlight"], 0.45)}

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
                    token(x, y, w, piece, {"face": "white", "edge": NEUTRAL}, ls="--")
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
    ax.text(
        centre, y + h / 2 + 0.05, "affability", ha="center", va="bottom", fontsize=8.5, color="#444444", style="italic"
    )

    y -= 1.0
    row(y, "Sub-words", "9 tokens  ·  a vocabulary of a chosen size  ·  rare words are spelled in pieces")
    words(y, [["Her"], ["aff", "ability"], ["and"], ["bash", "ful"], ["modest", "y"], [","]], new_word=1)
    save(fig, path)


FIGURES = {
    "tokenization.svg": draw_tokenization,
}
