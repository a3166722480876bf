"""Tests of tinylm.power_bert (chapters 13 and 15): exact when it keeps everything, and the extract's bookkeeping."""

import torch
from test_suite import fragments, lm, small_task, tokenizer  # noqa: F401 (fixtures)

from tinylm import power_bert, tasks


def test_keeping_every_vector_is_the_library_forward(lm, tokenizer, fragments):  # noqa: F811
    task = small_task(tokenizer, "sequence", fragments)
    net = tasks.TaskModel(lm.model, "sequence").eval()
    batch = tasks.rows_of(task.test, slice(0, 8))
    before = net.encoder.config._attn_implementation
    power = power_bert.PowerBert(net, keep=[99] * 4).eval()
    assert net.encoder.config._attn_implementation == before, "the copy's eager attention stays in the copy"
    with torch.no_grad():
        assert torch.allclose(net(batch), power(batch), atol=1e-4)
    fewer = power_bert.PowerBert(net, keep=[6, 4, 3, 2]).eval()
    with torch.no_grad():
        assert fewer(batch).shape == net(batch).shape


def test_extract_keeps_the_top_vectors_in_order_and_padding_last():
    h = torch.arange(5.0)[None, :, None].expand(1, 5, 2)
    positions, real = torch.arange(5)[None], torch.tensor([[True, True, True, True, False]])
    score = torch.tensor([[0.9, 0.1, 0.5, 0.7, 5.0]])  # the padding's high score must not count
    kept, kept_positions, kept_real = power_bert.extract(h, positions, real, score, keep=3)
    assert kept_positions.tolist() == [[0, 2, 3]] and kept_real.all()
    assert kept[0, :, 0].tolist() == [0.0, 2.0, 3.0]


def test_significance_leaves_out_a_vectors_own_attention():
    weights = torch.eye(3)[None, None].expand(1, 2, 3, 3)  # every query attends only to itself
    real = torch.ones(1, 3, dtype=torch.bool)
    assert power_bert.significance(weights, real).abs().max() == 0
