"""Chapter 12's pictures and captions: scenes of coloured shapes made in code, and a word-level tokenizer.

    data = scenes(1000, objects=2, seed=0)   # data.images (1000, 3, 32, 32), data.captions[0] ...
    tok = caption_tokenizer()                # "[CLS] a red circle at the top left [SEP]"

A scene is a white 32x32 picture with 1 or 2 filled shapes (7 px), each in its own quadrant. A quadrant is 2x2
cells of 8x8 pixels (ViLT's patches, at patch size 8) and a shape sits in the middle of one of them, chosen at
random, so that each shape lies whole inside one patch. The caption follows one grammar:
"a red circle at the top left" and, for two objects, "... and a blue square at the bottom right".
Everything is drawn from a `torch.Generator` seeded with `seed`, so a seed gives the same scenes everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

SIZE = 32  # pixels per side
COLOURS = {  # RGB in [0, 1]
    "red": (0.9, 0.1, 0.1),
    "green": (0.1, 0.65, 0.2),
    "blue": (0.15, 0.3, 0.95),
    "yellow": (0.95, 0.8, 0.1),
}
SHAPES = ("circle", "square", "triangle", "cross")
QUADRANTS = ("top left", "top right", "bottom left", "bottom right")  # quadrant q: row q // 2, column q % 2
CELL = 8  # a shape is drawn in the middle of one CELL x CELL cell of its quadrant
RADIUS = 3  # and spans its centre +- RADIUS pixels
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]  # ids 0-4
WORDS = ["a", "at", "the", "and", *COLOURS, *SHAPES, "top", "bottom", "left", "right"]


@dataclass
class Scenes:
    """`n` pictures, their captions, and each object's colour, shape and quadrant index (n, objects)
    with its centre pixel (n, objects, 2) as (row, column)."""

    images: torch.Tensor
    captions: list[str]
    colours: torch.Tensor
    shapes: torch.Tensor
    quadrants: torch.Tensor
    centres: torch.Tensor


def _shape_masks(dy: torch.Tensor, dx: torch.Tensor) -> torch.Tensor:
    """Which pixels each shape covers, (len(SHAPES), ...), from offsets to the shape's centre."""
    r = RADIUS
    circle = dy**2 + dx**2 <= (r + 0.5) ** 2
    square = (dy.abs() <= r - 1) & (dx.abs() <= r - 1)
    triangle = (dy.abs() <= r) & (2 * dx.abs() <= dy + r)  # apex up, base at the bottom
    cross = ((dy == 0) & (dx.abs() <= r)) | ((dx == 0) & (dy.abs() <= r))  # a thin plus sign
    return torch.stack([circle, square, triangle, cross])


def caption(colours: list[int], shapes: list[int], quadrants: list[int]) -> str:
    """The caption of one scene: "a <colour> <shape> at the <quadrant>", joined by "and"."""
    names = list(COLOURS)
    parts = [f"a {names[c]} {SHAPES[s]} at the {QUADRANTS[q]}" for c, s, q in zip(colours, shapes, quadrants)]
    return " and ".join(parts)


def scenes(n: int, objects: int = 1, seed: int = 0, jitter: int = 0) -> Scenes:
    """`n` scenes with `objects` (1 or 2) shapes each, in distinct quadrants, drawn from `seed`.

    `jitter` moves each centre by up to that many pixels along each axis (uniform, drawn after everything else,
    so `jitter=0` gives the same scenes as before); up to CELL // 2 - 1 the centre stays in its cell and quadrant,
    but the shape may cross into the next patch.
    """
    if objects not in (1, 2):
        raise ValueError(f"objects must be 1 or 2, not {objects}")
    g = torch.Generator().manual_seed(seed)
    colours = torch.randint(len(COLOURS), (n, objects), generator=g)
    shapes = torch.randint(len(SHAPES), (n, objects), generator=g)
    quadrants = torch.argsort(torch.rand(n, len(QUADRANTS), generator=g), dim=1)[:, :objects]
    cell = torch.randint(0, SIZE // 2 // CELL, (n, objects, 2), generator=g)
    corner = torch.stack([quadrants // 2, quadrants % 2], dim=-1) * (SIZE // 2)
    centres = corner + cell * CELL + CELL // 2
    if not 0 <= jitter < CELL // 2:
        raise ValueError(f"jitter must be in 0..{CELL // 2 - 1}, not {jitter}")
    if jitter:
        centres = centres + torch.randint(-jitter, jitter + 1, centres.shape, generator=g)
    rgb = torch.tensor(list(COLOURS.values()))  # (colours, 3)
    rows = torch.arange(SIZE)[None, :, None]
    cols = torch.arange(SIZE)[None, None, :]
    images = torch.ones(n, 3, SIZE, SIZE)
    for k in range(objects):
        dy = rows - centres[:, k, 0, None, None]
        dx = cols - centres[:, k, 1, None, None]
        covered = _shape_masks(dy, dx)[shapes[:, k], torch.arange(n)]  # (n, SIZE, SIZE)
        images = torch.where(covered[:, None], rgb[colours[:, k]][:, :, None, None], images)
    captions = [caption(c, s, q) for c, s, q in zip(colours.tolist(), shapes.tolist(), quadrants.tolist())]
    return Scenes(images, captions, colours, shapes, quadrants, centres)


def caption_tokenizer() -> PreTrainedTokenizerFast:
    """A word-level tokenizer over the captions' closed vocabulary: specials at ids 0-4, "[CLS] $A [SEP]"."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(SPECIALS + WORDS)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
