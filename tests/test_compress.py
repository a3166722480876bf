"""Tests of tinylm.compress (head importance and removal, sizes, timing) and of the trained encoder's loader."""

import pytest
import torch
from test_suite import fragments, small_task, tokenizer  # noqa: F401 (fixtures)
from test_tokenize import needs_mirror
from transformers import ModernBertForMaskedLM

from tinylm import compress, recipes, tasks
from tinylm.data import DataError


@pytest.fixture()
def net(tokenizer, fragments):  # noqa: F811
    torch.manual_seed(0)
    encoder = ModernBertForMaskedLM(recipes.encoder_config(tokenizer, 16)).model
    return tasks.TaskModel(encoder, "sequence").eval(), small_task(tokenizer, "sequence", fragments)


def batch_of(task, rows=8):
    return tasks.rows_of(task.test, slice(0, rows))


def gated_output(net, batch, layer, head):
    """The network's output with one head's output multiplied by zero (what removing it must reproduce)."""

    def hook(module, inputs):
        x = inputs[0].unflatten(-1, (4, -1)).clone()
        x[..., head, :] = 0
        return (x.flatten(-2),)

    handle = net.encoder.layers[layer].attn.Wo.register_forward_pre_hook(hook)
    try:
        with torch.no_grad():
            return net(batch)
    finally:
        handle.remove()


def test_removing_a_head_equals_zeroing_its_output(net):
    model, task = net
    batch = batch_of(task)
    expected = gated_output(model, batch, layer=2, head=1)
    compress.remove_heads(model.encoder, {2: [1]})
    attention = model.encoder.layers[2].attn
    assert compress.heads_of(attention) == 3 and attention.Wqkv.out_features == 3 * 3 * attention.head_dim
    with torch.no_grad():
        assert torch.allclose(model(batch), expected, atol=1e-5)


def test_removing_heads_shrinks_the_model_and_keeps_one_per_layer(net):
    model, _ = net
    before = sum(p.numel() for p in model.parameters())
    compress.remove_heads(model.encoder, {0: [0, 3], 3: [2]})
    size = model.encoder.layers[0].attn.head_dim * 128
    assert before - sum(p.numel() for p in model.parameters()) == 3 * 4 * size  # q, k, v rows and output columns
    with pytest.raises(ValueError, match="keep at least one"):
        compress.remove_heads(model.encoder, {1: [0, 1, 2, 3]})


def test_head_importance_is_unit_length_per_layer_and_zero_for_a_silent_head(net):
    model, task = net
    with torch.no_grad():
        model.encoder.layers[1].attn.Wo.weight[:, 32:64] = 0  # head 1 of layer 1 writes nothing
    loss = lambda m, b: tasks.task_loss(m(b), b["labels"])
    importance = compress.head_importance(model, [batch_of(task), batch_of(task, 4)], loss)
    assert importance.shape == (4, 4)
    assert torch.allclose(importance.norm(dim=1), torch.ones(4))
    assert importance[1, 1] == 0 and importance[1].min() == 0
    assert all(p.grad is None for p in model.parameters())


def test_head_importance_averages_each_items_own_gradient(net):
    model, task = net
    loss = lambda m, b: tasks.task_loss(m(b), b["labels"])
    together = compress.head_importance(model, [batch_of(task, 4)], loss)
    one_by_one = compress.head_importance(model, [tasks.rows_of(task.test, slice(i, i + 1)) for i in range(4)], loss)
    assert torch.allclose(together, one_by_one, atol=1e-4)


def test_saved_bytes_and_latency(net):
    model, task = net
    parameters = sum(p.numel() for p in model.state_dict().values())
    assert 4 * parameters < compress.saved_bytes(model) < 4 * parameters + 200_000
    calls = []
    assert compress.latency(lambda: calls.append(1), repeats=3, warmup=1) >= 0 and len(calls) == 4


def test_trained_encoder_refuses_a_missing_or_changed_file(tmp_path):
    with pytest.raises(DataError, match="missing"):
        recipes.trained_encoder(path=tmp_path / "none.safetensors")
    path = tmp_path / "encoder.safetensors"
    path.write_bytes(b"not weights")
    with pytest.raises(DataError, match="corrupt"):
        recipes.trained_encoder(path=path, sha256="0" * 64)
    with pytest.raises(ValueError, match="unknown trained encoder"):
        recipes.trained_encoder("encoder_large")


def test_unique_state_drops_tied_and_shared_entries(tokenizer):  # noqa: F811
    torch.manual_seed(0)
    model = ModernBertForMaskedLM(recipes.encoder_config(tokenizer, 16))
    assert set(model.state_dict()) - set(recipes.unique_state(model)) == {"decoder.weight"}
    recipes.share_layers(model)
    assert len(recipes.unique_state(model)) < len(model.state_dict()) - 12  # layers 1-3 repeat layer 0's weights


@needs_mirror
@pytest.mark.parametrize("name", ["encoder", "encoder_shared"])
def test_the_committed_trained_encoders_load_tied_and_shared(name):
    model = recipes.trained_encoder(name)
    assert model.decoder.weight is model.model.embeddings.tok_embeddings.weight
    layers = model.model.layers
    assert (layers[3].mlp.Wi is layers[0].mlp.Wi) == name.endswith("shared")
    assert not model.training


def test_to_int_rounds_each_row_within_half_a_step():
    torch.manual_seed(0)
    weight = torch.randn(5, 7) * torch.tensor([[0.1], [1], [3], [0.01], [10]])
    for bits in (8, 4, 2):
        q, scale = compress.to_int(weight, bits)
        top = 2 ** (bits - 1) - 1
        assert q.dtype == torch.int8 and q.abs().max() == top and scale.shape == (5, 1)
        assert ((q * scale - weight).abs() <= scale / 2 + 1e-7).all()


def test_rounded_and_stored_int(net):
    model, task = net
    copy8 = compress.rounded(model, 8)
    w, w8 = model.encoder.layers[1].mlp.Wi.weight, copy8.encoder.layers[1].mlp.Wi.weight
    assert not torch.equal(w, w8) and torch.allclose(w, w8, atol=w.abs().max().item() / 127)
    assert len(torch.unique(copy8.encoder.embeddings.tok_embeddings.weight[0])) <= 255
    assert compress.saved_bytes(compress.stored_int(model)) < 0.4 * compress.saved_bytes(model)
    quantized = compress.dynamic_int8(model)
    batch = batch_of(task)
    with torch.no_grad():
        assert torch.allclose(quantized(batch), model(batch), atol=0.2)
    assert compress.saved_bytes(quantized) < compress.saved_bytes(model)


@pytest.mark.parametrize("how", ["global", "per layer", "random"])
def test_magnitude_pruned_zeroes_the_share_asked_for(net, how):
    model, _ = net
    pruned = compress.magnitude_pruned(model, 0.3, how)
    linears = [m for m in pruned.encoder.layers.modules() if isinstance(m, torch.nn.Linear)]
    zeros = sum(int((m.weight == 0).sum()) for m in linears) / sum(m.weight.numel() for m in linears)
    assert abs(zeros - 0.3) < 0.01
    assert all((m.weight == 0).sum() == 0 for m in model.encoder.layers.modules() if isinstance(m, torch.nn.Linear))
    if how == "per layer":
        assert all(abs(float((m.weight == 0).float().mean()) - 0.3) < 0.01 for m in linears)
    with pytest.raises(ValueError, match="how must be"):
        compress.magnitude_pruned(model, 0.3, "largest")


def test_head_order_and_without_heads(net):
    model, task = net
    order, importance = compress.head_order(model, task, batches=2, size=8)
    assert sorted(order) == [(layer, head) for layer in range(4) for head in range(4)]
    assert importance[order[0]] == importance.min()
    smaller = compress.without_heads(model, order, 14)  # asks for 14: only 12 can go (one head stays per layer)
    assert [compress.heads_of(layer.attn) for layer in smaller.encoder.layers] == [1, 1, 1, 1]
    assert [compress.heads_of(layer.attn) for layer in model.encoder.layers] == [4, 4, 4, 4]
