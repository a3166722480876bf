"""The figures of chapter 5 (GPT vs BERT): gpt_vs_bert.svg, the context each model sees when it fills a blank, and
downstream.svg, the three tasks of the downstream suite (section 5.1) and their heads."""

from __future__ import annotations

from figures.style import INK, NEUTRAL, PALETTE, arrow, box, canvas, save, shade, tint


def draw_gpt_vs_bert(path):
    """What each model sees when it fills one blank: GPT the left context, BERT both sides."""
    height = 2.75
    fig, ax = canvas(height)
    words = ["But", "soft", ",", "what", "light", "through", "yonder", "window", "breaks"]
    blank = 4
    x0, dx, w = 1.3, 0.64, 0.58
    xs = [x0 + i * dx for i in range(len(words))]
    panels = [
        (1.9, "GPT", PALETTE["decoder"], lambda i: i < blank, "sees only the words before the blank"),
        (0.6, "BERT", PALETTE["encoder"], lambda i: i != blank, "sees the words on both sides"),
    ]
    for y, name, color, sees, note in panels:
        ax.text(0.2, y, name, ha="left", va="center", fontsize=11, weight="bold", color=color)
        ax.text(0.2, y - 0.3, note, ha="left", va="center", fontsize=8.5, color="#444444", style="italic")
        for i, (x, word) in enumerate(zip(xs, words)):
            if i == blank:
                box(
                    ax,
                    x,
                    y,
                    w,
                    0.34,
                    "?",
                    face="white",
                    edge=color,
                    lw=1.6,
                    fontsize=10,
                    weight="bold",
                    color=color,
                    radius=0.04,
                )
                continue
            seen = sees(i)
            box(
                ax,
                x,
                y,
                w,
                0.34,
                word,
                face=tint(PALETTE["seen"], 0.25) if seen else tint(PALETTE["masked"], 0.3),
                edge=shade(PALETTE["seen"], 0.2) if seen else NEUTRAL,
                fontsize=8.5,
                color=INK if seen else "#777777",
                radius=0.04,
            )
            if seen:
                bend = 0.3 + 0.055 * abs(i - blank)
                end = xs[blank] + 0.055 * (i - blank)
                arrow(ax, (x, y + 0.17), (x, y + bend), (end, y + bend), (end, y + 0.19), color=color, lw=0.8)
    save(fig, path)


def draw_downstream(path):
    """The downstream suite of section 5.1: three tasks, one of each shape, and the head each one puts on the encoder."""
    height = 3.3
    fig, ax = canvas(height)
    encoder = PALETTE["encoder"]
    columns = [
        (
            "word order",
            "a label per fragment",
            ["sir, a friend weary who walked"],
            "mean and max\nover the tokens",
            "swapped?  yes",
        ),
        (
            "which is original",
            "a label per pair",
            ["a pound hundred or two, to", "a hundred pound or two, to"],
            "a, b: mean of each part\n[a, b, a·b, |a − b|]",
            "original:  the second",
        ),
        (
            "replaced word",
            "a label per token",
            ["she bids seek come to her."],
            "a score per token\n(no pooling)",
            "new word:  “seek”",
        ),
    ]
    for k, (name, shape, texts, head, answer) in enumerate(columns):
        x = 1.22 + k * 2.43
        ax.text(x, height - 0.22, name, ha="center", va="center", fontsize=10, weight="bold", color=INK)
        ax.text(x, height - 0.45, shape, ha="center", va="center", fontsize=8.5, style="italic", color="#444444")
        for j, text in enumerate(texts):
            y = height - 0.85 - 0.3 * j
            box(ax, x, y, 2.2, 0.26, text, face=tint(PALETTE["seen"], 0.2), edge=shade(PALETTE["seen"], 0.2),
                fontsize=8, radius=0.04)  # fmt: skip
        top = height - 0.85 - 0.3 * (len(texts) - 1) - 0.14
        arrow(ax, (x, top), (x, 1.93), lw=1.0)
        box(ax, x, 1.7, 2.0, 0.42, "the pre-trained encoder\n(every weight fine-tuned)", face=tint(encoder, 0.15),
            edge=encoder, fontsize=8, color=shade(encoder, 0.3))  # fmt: skip
        arrow(ax, (x, 1.49), (x, 1.2), lw=1.0)
        box(ax, x, 0.95, 2.0, 0.46, head, face="white", edge=NEUTRAL, fontsize=8)
        arrow(ax, (x, 0.72), (x, 0.47), lw=1.0)
        ax.text(x, 0.28, "new linear layer → " + answer, ha="center", va="center", fontsize=8, color=INK)
    save(fig, path)


FIGURES = {
    "gpt_vs_bert.svg": draw_gpt_vs_bert,
    "downstream.svg": draw_downstream,
}
