"""tinylm.xlnet: the permutation masks, the collator's batches made compact with true content, and scoring."""

import pytest
import torch
from test_tokenize import SMALL as TEXT
from transformers import XLNetLMHeadModel

from tinylm import xlnet
from tinylm.tokenize import train_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer("bpe", 400, TEXT, cache=False)


@pytest.fixture(scope="module")
def ids(tokenizer):
    return torch.tensor(tokenizer(TEXT * 4)["input_ids"])


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    return XLNetLMHeadModel(xlnet.xlnet_config(tokenizer)).eval()


def test_a_position_sees_the_context_and_the_targets_before_it_in_the_order():
    rank = torch.tensor([[-1, 2, -1, 0, 1, -1]])
    masks = xlnet.permutation_masks(rank)
    hidden = masks["perm_mask"][0].bool()  # (position, may-not-see)
    assert not hidden[:, [0, 2, 5]].any(), "the context is seen by all"
    assert hidden[[0, 2, 5]][:, [1, 3, 4]].all(), "the context sees no target"
    assert hidden[[1, 3, 4], [1, 3, 4]].all(), "no target sees itself"
    assert not hidden[1, 3] and not hidden[1, 4] and hidden[3, 4] and hidden[4, 1]
    assert masks["target_mapping"][0].argmax(-1).tolist() == [1, 3, 4], "one row per target, in place order"


def test_rows_with_fewer_targets_get_empty_slots():
    rank = torch.tensor([[0, -1, 1, -1], [-1, -1, 0, -1]])
    masks = xlnet.permutation_masks(rank)
    assert masks["target_mapping"].shape == (2, 2, 4)
    assert masks["used"].tolist() == [[True, True], [True, False]]
    assert masks["target_mapping"][1, 1].sum() == 0


def test_compact_batches_give_the_library_loss_with_the_true_tokens(tokenizer, ids, model):
    windows = ids[: 4 * 16].view(4, 16)
    torch.manual_seed(0)
    full = xlnet.plm_collator(tokenizer, 6)([{"input_ids": w} for w in windows])
    compact = xlnet.compact_targets(full)
    assert torch.equal(compact["input_ids"], windows), "the targets' own tokens are back in the input"
    assert (compact["labels"] != -100).sum() == (full["labels"] != -100).sum() > 0
    assert compact["target_mapping"].shape[1] < 16
    with torch.no_grad():
        library = model(**{**full, "input_ids": windows}).loss
        ours = xlnet.plm_loss(model, compact)
    torch.testing.assert_close(ours, library, rtol=1e-5, atol=1e-5)
    assert torch.equal(xlnet.compact_targets(full, true_content=False)["input_ids"], full["input_ids"])


def test_batches_are_seeded_and_leave_the_global_generator_alone(tokenizer, ids):
    torch.manual_seed(7)
    expected = torch.rand(1)
    torch.manual_seed(7)
    first = xlnet.plm_batches(ids, tokenizer, 6, seed=0)(3)
    assert torch.equal(torch.rand(1), expected)
    again = xlnet.plm_batches(ids, tokenizer, 6, seed=0)(3)
    assert all(torch.equal(first[k], again[k]) for k in first)
    test = xlnet.held_out_plm(ids, tokenizer, 6)
    assert all(torch.equal(test[k], xlnet.held_out_plm(ids, tokenizer, 6)[k]) for k in test)


def test_a_prediction_never_sees_its_own_token_and_left_to_right_sees_the_left(ids, model):
    windows = ids[:32].view(2, 16)
    rank = torch.full((2, 16), -1)
    rank[:, 5] = 0
    changed = windows.clone()
    changed[:, 5] = (changed[:, 5] + 1) % 100
    torch.testing.assert_close(xlnet.predict_at(model, windows, rank), xlnet.predict_at(model, changed, rank))
    order = torch.arange(16).expand(2, 16).clone()
    order[:, 0] = -1  # the first token is context (a target with nothing to see would see everything)
    before, after = xlnet.predict_at(model, windows, order), xlnet.predict_at(model, changed, order)
    moved = (before - after).abs().amax(-1).amax(0) > 1e-5  # per target, positions 1..15
    assert not moved[:5].any() and moved[5:].all(), "in GPT's order a token informs the later ones only"
    assert xlnet.left_to_right_loss(model, windows) > 0


def test_cloze_scores_take_one_score_per_choice(ids, model):
    windows, choices = ids[:30].view(2, 15), torch.tensor([[5, 6, 7], [8, 9, 10]])
    both = xlnet.cloze_scores(model, windows, choices, 7)
    left = xlnet.cloze_scores(model, windows, choices, 7, left_only=True)
    assert both.shape == left.shape == (2, 3) and not torch.allclose(both, left)


def test_left_to_right_batches_are_gpts_objective(ids, model):
    windows = ids[:32].view(2, 16)
    batch = xlnet.left_to_right_batch(windows)
    assert torch.equal(batch["labels"], windows[:, 1:]), "every token but the first is a target"
    order = torch.arange(16).expand(2, 16).clone()
    order[:, 0] = -1
    with torch.no_grad():
        torch.testing.assert_close(model(**batch).logits.log_softmax(-1), xlnet.predict_at(model, windows, order))
    first, again = xlnet.left_to_right_batches(ids, seed=0)(2), xlnet.left_to_right_batches(ids, seed=0)(2)
    assert torch.equal(first["input_ids"], again["input_ids"])


def test_without_order_hides_every_target_from_every_position(tokenizer, ids):
    batch = xlnet.plm_batches(ids, tokenizer, 6, seed=0)(0)
    plain = xlnet.without_order(batch)
    is_target = batch["target_mapping"].sum(1) > 0
    assert torch.equal(plain["perm_mask"].bool(), is_target[:, None, :].expand(-1, 16, -1))
    assert torch.equal(plain["labels"], batch["labels"]), "the same targets"
    assert batch["perm_mask"].sum() < plain["perm_mask"].sum(), "the order let some targets see others"


def test_target_losses_average_to_the_library_loss(tokenizer, ids, model):
    batch = xlnet.plm_batches(ids, tokenizer, 6, seed=0)(0)
    losses = xlnet.target_losses(model, batch)
    assert len(losses) == (batch["labels"] != -100).sum()
    with torch.no_grad():
        torch.testing.assert_close(losses.mean(), xlnet.plm_loss(model, batch))


def test_a_smaller_xlnet_and_section_9_2s_recipe(tokenizer):
    assert xlnet.xlnet_config(tokenizer, layers=2).n_layer == 2
    recipe = xlnet.objectives_train_config(300, eval_every=50)
    assert (recipe.steps, recipe.lr, recipe.warmup_steps, recipe.schedule) == (300, 2e-3, 100, "constant")
