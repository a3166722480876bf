"""The figure of chapter 8 (ELECTRA): electra.svg, replaced token detection by a generator and a discriminator."""

from __future__ import annotations

from figures.style import INK, LINE, NEUTRAL, PALETTE, arrow, box, canvas, save, tint


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
    heads = [
        ("input", "a line"),
        ("masked", "15 % masked"),
        ("sampled", "filled by\nthe generator"),
        ("label", "discriminator's\nanswers"),
    ]
    for key, text in heads:
        ax.text(cols[key], top + 0.42, text, ha="center", va="center", fontsize=8.5, color=INK)
    mid = (ys[0] + ys[-1]) / 2
    box(
        ax,
        cols["generator"],
        mid,
        0.95,
        1.2,
        "generator\n(small\nmasked LM)",
        face=tint(orange, 0.25),
        edge=orange,
        fontsize=8.5,
        radius=0.06,
    )
    box(
        ax,
        cols["discriminator"],
        mid,
        0.95,
        1.2,
        "discriminator\n(ELECTRA)",
        face=tint(blue, 0.3),
        edge=blue,
        fontsize=8.5,
        radius=0.06,
    )
    for i, (y, word) in enumerate(zip(ys, words)):
        plain = {"face": "white", "edge": NEUTRAL, "fontsize": 8.5, "radius": 0.04}
        box(ax, cols["input"], y, 0.62, 0.26, word, **plain)
        if i in masked:
            box(
                ax,
                cols["masked"],
                y,
                0.74,
                0.26,
                "[MASK]",
                face=tint(PALETTE["masked"], 0.35),
                edge=NEUTRAL,
                fontsize=8,
                radius=0.04,
            )
        else:
            box(ax, cols["masked"], y, 0.74, 0.26, word, **plain)
        new = sampled.get(i, word)
        wrong = new != word
        box(
            ax,
            cols["sampled"],
            y,
            0.62,
            0.26,
            new,
            face=tint(orange, 0.35) if wrong else (tint(PALETTE["seen"], 0.3) if i in masked else "white"),
            edge=orange if wrong else NEUTRAL,
            fontsize=8.5,
            radius=0.04,
            weight="bold" if i in masked else "normal",
        )
        label = "replaced" if wrong else "original"
        box(
            ax,
            cols["label"],
            y,
            0.95,
            0.26,
            label,
            face=tint(orange, 0.35) if wrong else tint(blue, 0.12),
            edge=orange if wrong else blue,
            fontsize=8,
            radius=0.04,
        )
        arrow(ax, (cols["input"] + 0.33, y), (cols["masked"] - 0.39, y), lw=0.8, color=LINE)
    half = {"masked": 0.37, "generator": 0.475, "sampled": 0.31, "discriminator": 0.475, "label": 0.475}
    for a, b in (
        ("masked", "generator"),
        ("generator", "sampled"),
        ("sampled", "discriminator"),
        ("discriminator", "label"),
    ):
        arrow(ax, (cols[a] + half[a] + 0.04, mid), (cols[b] - half[b] - 0.04, mid), lw=1.2)
    notes = [
        "BERT learns at the masked positions only (2 of 6 here, 15 % in training): which token was it?",
        "ELECTRA's discriminator learns at every position (6 of 6): was this token replaced?",
        'A right guess by the generator ("be") counts as original.',
    ]
    for k, note in enumerate(notes):
        ax.text(0.2, 0.5 - 0.22 * k, note, ha="left", va="center", fontsize=8.5, color=INK)
    save(fig, path)


FIGURES = {
    "electra.svg": draw_electra,
}
