"""The figure of chapter 14 (distillation): distillation.svg, DistilBERT's student made from every other layer of
its teacher, and the three losses that train it."""

from __future__ import annotations

from figures.style import INK, NEUTRAL, PALETTE, arrow, box, canvas, save, tint


def draw_distillation(path):
    """A four-layer teacher beside a two-layer student copied from its layers 2 and 4; soft targets, the masked LM
    and the cosine of the last vectors connect them."""
    fig, ax = canvas(3.5)
    teacher, student, soft = PALETTE["encoder"], PALETTE["key"], PALETTE["decoder"]
    tx, sx, w, h = 1.2, 3.9, 1.7, 0.3
    ax.text(tx, 3.3, "teacher (frozen)", ha="center", fontsize=9.5, weight="bold", color=INK)
    ax.text(sx, 3.3, "student (trained)", ha="center", fontsize=9.5, weight="bold", color=INK)
    box(ax, tx, 0.3, w, h, "embeddings", face=tint(teacher, 0.85), edge=teacher, fontsize=8.5)
    box(ax, sx, 0.3, w, h, "embeddings (copied)", face=tint(student, 0.85), edge=student, fontsize=8.5)
    layer_y = [0.75 + 0.42 * i for i in range(4)]
    for i, y in enumerate(layer_y):
        kind = "global" if i == 3 else "local"
        box(ax, tx, y, w, h, f"layer {i + 1} ({kind})", face=tint(teacher, 0.7), edge=teacher, fontsize=8.5)
    for j, i in enumerate((1, 3)):
        y = 0.96 + 0.84 * j
        kind = "global" if i == 3 else "local"
        box(ax, sx, y, w, h, f"layer {j + 1} = teacher's {i + 1}", face=tint(student, 0.6), edge=student, fontsize=8.5)
        arrow(ax, (tx + w / 2, layer_y[i]), (sx - w / 2, y), color=NEUTRAL, lw=0.9, ls="--")
    head_y = 2.6
    for x, colour in ((tx, teacher), (sx, student)):
        box(ax, x, head_y, w, h, "masked-LM head", face=tint(colour, 0.85), edge=colour, fontsize=8.5)
    ax.text((tx + sx) / 2, 1.42, "copied", ha="center", fontsize=7.5, color="#555555")
    arrow(ax, (tx + w / 2 + 0.05, head_y + 0.05), (sx - w / 2 - 0.05, head_y + 0.05), color=soft, lw=1.4)
    ax.text((tx + sx) / 2, head_y + 0.16, "soft targets, T = 2", ha="center", fontsize=8, color=soft)
    arrow(ax, (tx + w / 2 + 0.05, 2.23), (sx - w / 2 - 0.05, 2.23), color=PALETTE["value"], lw=1.2, ls=":")
    ax.text((tx + sx) / 2, 2.3, "cosine of last vectors", ha="center", fontsize=7.5, color=PALETTE["value"])
    note = ("loss = 5 × soft targets\n"
            "       + 2 × masked LM\n"
            "       + 1 × cosine\n\n"
            "half the layers, each\n"
            "copied from every other\n"
            "layer of the teacher;\n"
            "the last, global layer\n"
            "is kept")  # fmt: skip
    ax.text(5.4, 1.6, note, ha="left", va="center", fontsize=8.5, color="#444444")
    save(fig, path)


FIGURES = {"distillation.svg": draw_distillation}
