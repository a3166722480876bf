"""The figure of chapter 10 (Transformer-XL): transformer_xl.svg, a segment attending to the cached previous one."""

from __future__ import annotations

from matplotlib.patches import Circle, Rectangle

from figures.style import INK, NEUTRAL, PALETTE, arrow, canvas, save, tint

TOKENS, LAYERS = 4, 3  # tokens per segment, rows of states (the input and two layers)


def _panel(ax, x0, y0, title, cached):
    """Two segments of states; the last token of the second segment attends (arrows) to what it may see."""
    dx, dy, r = 0.3, 0.45, 0.085
    ax.text(x0, y0 + LAYERS * dy + 0.15, title, fontsize=9.5, weight="bold", color=INK)
    for segment in range(2):
        left = x0 + segment * (TOKENS * dx + 0.3)
        old = segment == 0
        if old and cached:
            ax.add_patch(
                Rectangle(
                    (left - 0.22, y0 - 0.22),
                    TOKENS * dx,
                    (LAYERS - 1) * dy + 0.1,
                    facecolor=tint(PALETTE["seen"], 0.18),
                    edgecolor="none",
                    zorder=0,
                )
            )
        ax.text(
            left + (TOKENS - 1) * dx / 2,
            y0 - 0.42,
            "previous segment" if old else "current segment",
            ha="center",
            fontsize=8,
            color=INK,
        )
        for t in range(TOKENS):
            for layer in range(LAYERS):
                face = tint(PALETTE["masked"], 0.5) if old and not cached else tint(PALETTE["decoder"], 0.35)
                ax.add_patch(Circle((left + t * dx, y0 + layer * dy), r, facecolor=face, edgecolor=NEUTRAL, zorder=2))
    target = (x0 + (TOKENS * dx + 0.3) + (TOKENS - 1) * dx, y0 + 2 * dy)
    sources = [(1, t) for t in range(TOKENS)] + ([(0, t) for t in range(TOKENS)] if cached else [])
    for segment, t in sources:
        x = x0 + segment * (TOKENS * dx + 0.3) + t * dx
        colour = PALETTE["seen"] if segment == 0 else INK
        arrow(
            ax,
            (x, y0 + dy + r),
            (target[0] - 0.02, target[1] - r),
            color=colour,
            lw=0.8,
            ls="--" if segment == 0 else "-",
        )


def draw_transformer_xl(path):
    """A vanilla decoder sees its own segment only; Transformer-XL also reads the previous segment's
    cached states (dashed: no gradient flows back through them)."""
    fig, ax = canvas(2.5)
    _panel(ax, 0.4, 0.85, "Vanilla: each segment alone", cached=False)
    _panel(ax, 3.9, 0.85, "Transformer-XL: the last segment cached", cached=True)
    ax.text(3.9, 0.1, "dashed, green: cached states, read but not trained through", fontsize=8, color=INK)
    save(fig, path)


FIGURES = {"transformer_xl.svg": draw_transformer_xl}
