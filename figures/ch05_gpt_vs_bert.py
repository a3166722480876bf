"""The figure of chapter 5 (GPT vs BERT): gpt_vs_bert.svg, the context each model sees when it fills a blank."""

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


FIGURES = {
    "gpt_vs_bert.svg": draw_gpt_vs_bert,
}
