"""The figure of chapter 6 (RoBERTa): static_vs_dynamic.svg, static against dynamic masking over four epochs."""

from __future__ import annotations

from figures.style import INK, PALETTE, box, canvas, save, shade, tint


def draw_static_vs_dynamic(path):
    """The same training line in four epochs: masked at the same places (static) or afresh (dynamic)."""
    height = 2.95
    fig, ax = canvas(height)
    words = ["Now", "is", "the", "winter", "of", "our", "discontent"]
    static = {1, 5}
    dynamic = [{1, 5}, {3, 6}, {0, 4}, {2, 5}]
    dx, w, h, dy = 0.37, 0.33, 0.24, 0.31
    panels = [
        (0.45, "static masking", "masked once, before training:\nthe same blanks every epoch", [static] * 4),
        (3.85, "dynamic masking", "masked afresh for every batch:\nnew blanks every epoch", dynamic),
    ]
    for x0, title, note, masks in panels:
        ax.text(
            x0, height - 0.25, title, ha="left", va="center", fontsize=10.5, weight="bold", color=PALETTE["encoder"]
        )
        ax.text(x0, height - 0.62, note, ha="left", va="center", fontsize=8, color="#444444", style="italic")
        for row, masked in enumerate(masks):
            y = height - 1.15 - row * dy
            ax.text(x0 + 0.02, y, f"epoch {row + 1}", ha="left", va="center", fontsize=7.5, color="#555555")
            for i in range(len(words)):
                x = x0 + 0.8 + i * dx
                hidden = i in masked
                box(
                    ax,
                    x,
                    y,
                    w,
                    h,
                    "?" if hidden else "",
                    fontsize=8,
                    weight="bold",
                    radius=0.03,
                    lw=0.9,
                    face=tint(PALETTE["encoder"], 0.85) if hidden else tint(PALETTE["seen"], 0.25),
                    edge=shade(PALETTE["encoder"], 0.2) if hidden else shade(PALETTE["seen"], 0.2),
                    color="white" if hidden else INK,
                )
        for i, word in enumerate(words):
            ax.text(
                x0 + 0.8 + i * dx + 0.08,
                height - 1.15 - 3 * dy - 0.2,
                word,
                ha="right",
                va="top",
                fontsize=7,
                color="#444444",
                rotation=40,
                rotation_mode="anchor",
            )
    save(fig, path)


FIGURES = {
    "static_vs_dynamic.svg": draw_static_vs_dynamic,
}
