"""The figure of chapter 12 (multimodal): multimodal.svg, how an image enters a Transformer in VisualBERT and in ViLT."""

from __future__ import annotations

from matplotlib.patches import Circle, Rectangle

from figures.style import INK, LINE, NEUTRAL, PALETTE, arrow, box, canvas, save, shade, tint

# The scene, in pixels of a 32 x 32 image (y up): a red circle top left, a blue square bottom right.
PIXELS = 32
RED, BLUE = "#D94A3D", "#3B6FC4"
CIRCLE = (10, 21, 6.5)  # centre x, centre y, radius
SQUARE = (18, 4, 10)  # left, bottom, side
WORDS = ["[CLS]", "a", "red", "circle", "[SEP]"]
DX, W, H = 0.4, 0.37, 0.28  # token step, width and height
TOKENS_Y, TRANSFORMER_Y = 1.85, 2.55


def _image(ax, left, bottom, side, regions=False, patches=0):
    """The scene drawn `side` inches wide; with the detector's dashed region boxes, or cut into patches x patches."""
    px = side / PIXELS
    ax.add_patch(Rectangle((left, bottom), side, side, facecolor="#F3F0E6", edgecolor=NEUTRAL, lw=1.0, zorder=2))
    cx, cy, r = CIRCLE
    ax.add_patch(Circle((left + cx * px, bottom + cy * px), r * px, facecolor=RED, edgecolor="none", zorder=3))
    sx, sy, s = SQUARE
    ax.add_patch(
        Rectangle((left + sx * px, bottom + sy * px), s * px, s * px, facecolor=BLUE, edgecolor="none", zorder=3)
    )
    if regions:  # one dashed box per detected object, a little larger than the object
        for x, y, size, colour in [(cx - r, cy - r, 2 * r, RED), (sx, sy, s, BLUE)]:
            ax.add_patch(
                Rectangle(
                    (left + (x - 1.5) * px, bottom + (y - 1.5) * px),
                    (size + 3) * px,
                    (size + 3) * px,
                    facecolor="none",
                    edgecolor=shade(colour, 0.3),
                    lw=1.1,
                    ls=(0, (3, 2)),
                    zorder=4,
                )
            )
    for i in range(1, patches):  # the cuts between patches
        ax.plot([left + i * side / patches] * 2, [bottom, bottom + side], color="white", lw=1.4, zorder=4)
        ax.plot([left, left + side], [bottom + i * side / patches] * 2, color="white", lw=1.4, zorder=4)


def _tokens(ax, x0, labels, faces):
    """The input row and the one Transformer above it; returns the tokens' x positions."""
    xs = [x0 + i * DX for i in range(len(labels))]
    for x, label, face in zip(xs, labels, faces):
        box(ax, x, TOKENS_Y, W, H, label, face=face, edge=NEUTRAL, lw=1.0, radius=0.04, fontsize=8)
        arrow(ax, (x, TOKENS_Y + H / 2), (x, TRANSFORMER_Y - 0.2), lw=0.9)
    blue = PALETTE["encoder"]
    left, right = xs[0] - W / 2, xs[-1] + W / 2
    box(
        ax,
        (left + right) / 2,
        TRANSFORMER_Y,
        right - left,
        0.4,
        "one Transformer encoder",
        face=tint(blue, 0.25),
        edge=blue,
        fontsize=9,
    )
    return xs


def draw_multimodal(path):
    """VisualBERT feeds the Transformer the features of regions found by an object detector; ViLT cuts the
    image into patches and projects each one linearly, with no detector."""
    fig, ax = canvas(3.2)
    ax.plot([3.56, 3.56], [0.1, 3.1], color=tint(NEUTRAL, 0.4), lw=1.0)

    # VisualBERT: image -> detector -> regions -> region features beside the words
    ax.text(
        0.1, 3.02, "VisualBERT: regions from an object detector", fontsize=9.5, weight="bold", color=INK, va="center"
    )
    region_faces = [tint(RED, 0.35), tint(BLUE, 0.35)]
    xs = _tokens(ax, 0.55, WORDS + ["r1", "r2"], ["white"] * len(WORDS) + region_faces)
    side, bottom, middle = 0.8, 0.45, 0.85  # the images' size and lower edge, the height of the arrows between them
    _image(ax, 0.15, bottom, side)
    ax.text(0.15 + side / 2, bottom - 0.15, "image", ha="center", va="center", fontsize=8, color=INK)
    detector = 1.62  # its centre; it is 0.9 wide
    box(ax, detector, middle, 0.9, 0.5, "Faster R-CNN\n(detector)", face="#F2F2F2", edge=NEUTRAL, fontsize=8.5)
    arrow(ax, (0.15 + side + 0.05, middle), (detector - 0.45, middle), lw=1.0)
    left = xs[-1] - 0.55  # the detected image, below the region tokens
    arrow(ax, (detector + 0.45, middle), (left - 0.05, middle), lw=1.0)
    _image(ax, left, bottom, side, regions=True)
    ax.text(left + side / 2, bottom - 0.15, "2 regions", ha="center", va="center", fontsize=8, color=INK)
    px = side / PIXELS
    for x_token, x_region in [(xs[-2], left + CIRCLE[0] * px), (xs[-1], left + (SQUARE[0] + SQUARE[2] / 2) * px)]:
        arrow(ax, (x_region, bottom + side + 0.02), (x_token, TOKENS_Y - H / 2), lw=1.0, color=LINE)
    ax.text(left - 0.08, 1.42, "region\nfeatures", ha="right", va="center", fontsize=8, color=INK, linespacing=1.1)

    # ViLT: image -> 16 patches -> linear projection -> patch tokens beside the words
    ax.text(3.68, 3.02, "ViLT: patches, no detector", fontsize=9.5, weight="bold", color=INK, va="center")
    patch_face = tint(PALETTE["key"], 0.3)
    xs = _tokens(ax, 3.865, WORDS + ["p1", "p2", "…", "p16"], ["white"] * len(WORDS) + [patch_face] * 4)
    _image(ax, 3.75, bottom, side, patches=4)
    ax.text(3.75, bottom - 0.15, "32 × 32 image, 16 patches of 8 × 8", ha="left", va="center", fontsize=8, color=INK)
    left, right = xs[5] - W / 2, xs[-1] + W / 2  # the projection, below the patch tokens
    box(
        ax,
        (left + right) / 2,
        middle,
        right - left,
        0.36,
        "linear projection",
        face="#F2F2F2",
        edge=NEUTRAL,
        fontsize=8.5,
    )
    arrow(ax, (3.75 + side + 0.05, middle), (left, middle), lw=1.0)
    x = (3.75 + side + left) / 2
    ax.text(x, middle + 0.07, "flatten each\npatch", ha="center", va="bottom", fontsize=8, color=INK, linespacing=1.1)
    ax.text(x, middle - 0.07, "8·8·3 = 192\nvalues", ha="center", va="top", fontsize=8, color=INK, linespacing=1.1)
    for x in xs[5:]:
        arrow(ax, (x, middle + 0.18), (x, TOKENS_Y - H / 2 - 0.2), lw=0.9)
    # modality embeddings: one vector for all text tokens, another for all image tokens
    for first, last, label in [(0, 4, "+ text embedding"), (5, 8, "+ image embedding")]:
        box(
            ax,
            (xs[first] + xs[last]) / 2,
            TOKENS_Y - H / 2 - 0.11,
            xs[last] - xs[first] + W,
            0.2,
            label,
            face=tint(PALETTE["transformer"], 0.15),
            edge=tint(PALETTE["transformer"], 0.6),
            lw=0.9,
            radius=0.03,
            fontsize=8,
        )
    save(fig, path)


FIGURES = {"multimodal.svg": draw_multimodal}
