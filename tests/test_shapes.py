"""tinylm.shapes: scenes are deterministic, their captions say what is drawn, and the tokenizer round-trips."""

import pytest
import torch

from tinylm import shapes


@pytest.fixture(scope="module", params=[1, 2])
def data(request):
    return shapes.scenes(200, objects=request.param, seed=3)


def test_a_seed_gives_the_same_scenes_and_another_seed_others(data):
    again = shapes.scenes(200, objects=data.colours.size(1), seed=3)
    other = shapes.scenes(200, objects=data.colours.size(1), seed=4)
    assert torch.equal(again.images, data.images) and again.captions == data.captions
    assert not torch.equal(other.images, data.images) and other.captions != data.captions


def test_pictures_are_rgb_32x32_in_unit_range_on_white(data):
    assert data.images.shape == (200, 3, 32, 32)
    assert data.images.min() >= 0 and data.images.max() <= 1
    assert (data.images[:, :, 0, 0] == 1).all(), "the corner pixel is background"


def test_the_caption_names_each_object_colour_shape_and_quadrant(data):
    names = list(shapes.COLOURS)
    for i, text in enumerate(data.captions):
        parts = text.split(" and ")
        assert len(parts) == data.colours.size(1)
        for k, part in enumerate(parts):
            c, s, q = data.colours[i, k], data.shapes[i, k], data.quadrants[i, k]
            assert part == f"a {names[c]} {shapes.SHAPES[s]} at the {shapes.QUADRANTS[q]}"


def test_the_pixel_at_an_object_centre_has_its_colour_and_lies_in_its_quadrant(data):
    rgb = torch.tensor(list(shapes.COLOURS.values()))
    for k in range(data.colours.size(1)):
        row, col = data.centres[:, k, 0], data.centres[:, k, 1]
        pixel = data.images[torch.arange(200), :, row, col]
        assert torch.equal(pixel, rgb[data.colours[:, k]])
        assert torch.equal((row // 16) * 2 + col // 16, data.quadrants[:, k])


def test_each_object_lies_whole_inside_one_8x8_patch(data):
    drawn = (data.images < 1).any(1).float()  # (n, 32, 32)
    for i in range(20):
        for k in range(data.colours.size(1)):
            r, c = (data.centres[i, k] // 8 * 8).tolist()
            patch = drawn[i, r : r + 8, c : c + 8]
            assert patch.sum() >= 12 and patch[0].sum() == 0 and patch[:, 0].sum() == 0


def test_two_objects_never_share_a_quadrant_and_all_values_occur():
    two = shapes.scenes(400, objects=2, seed=0)
    assert (two.quadrants[:, 0] != two.quadrants[:, 1]).all()
    assert set(two.colours.flatten().tolist()) == set(range(len(shapes.COLOURS)))
    assert set(two.shapes.flatten().tolist()) == set(range(len(shapes.SHAPES)))
    assert set(two.quadrants.flatten().tolist()) == set(range(4))


def test_the_shapes_differ_and_are_about_the_same_size():
    one = shapes.scenes(400, objects=1, seed=1)
    drawn = (one.images < 1).any(1)
    cells = {}
    for i in range(400):
        r, c = (one.centres[i, 0] - shapes.CELL // 2).tolist()
        cells.setdefault(int(one.shapes[i, 0]), drawn[i, r : r + shapes.CELL, c : c + shapes.CELL])
    assert len(cells) == len(shapes.SHAPES)
    for a in range(len(shapes.SHAPES)):
        assert 12 <= cells[a].sum() <= 40
        for b in range(a):
            assert (cells[a] != cells[b]).sum() >= 8, f"{shapes.SHAPES[a]} looks like {shapes.SHAPES[b]}"


def test_the_tokenizer_round_trips_a_caption_and_has_the_special_ids():
    tok = shapes.caption_tokenizer()
    specials = [tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id, tok.mask_token_id]
    assert specials == [0, 1, 2, 3, 4]
    assert len(tok) == len(shapes.SPECIALS) + len(shapes.WORDS)
    text = "a red circle at the top left and a blue square at the bottom right"
    ids = tok(text)["input_ids"]
    assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id and len(ids) == 17
    assert tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert tok.convert_ids_to_tokens(ids[2:4]) == ["red", "circle"]


def test_jitter_moves_centres_within_their_cell_and_zero_keeps_the_old_scenes():
    plain = shapes.scenes(300, seed=5)
    assert torch.equal(shapes.scenes(300, seed=5, jitter=0).images, plain.images)
    moved = shapes.scenes(300, seed=5, jitter=2)
    assert moved.captions == plain.captions
    offset = moved.centres - plain.centres
    assert offset.abs().max() == 2 and (offset != 0).float().mean() > 0.5
    assert torch.equal(moved.centres // shapes.CELL, plain.centres // shapes.CELL)
    rgb = torch.tensor(list(shapes.COLOURS.values()))
    pixel = moved.images[torch.arange(300), :, moved.centres[:, 0, 0], moved.centres[:, 0, 1]]
    assert torch.equal(pixel, rgb[moved.colours[:, 0]])
    with pytest.raises(ValueError):
        shapes.scenes(2, jitter=4)
