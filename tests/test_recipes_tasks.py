"""Tests of tinylm.recipes (the matched GPT and BERT, their batches) and tinylm.tasks' cloze (the downstream suite:
test_suite.py)."""

import math
import time

import pytest
import torch
from test_tokenize import SMALL as TEXT  # the same small play text
from transformers import (
    AlbertConfig,
    AlbertForMaskedLM,
    BertForMaskedLM,
    ElectraConfig,
    ElectraForMaskedLM,
    GPT2LMHeadModel,
    ModernBertForMaskedLM,
    RobertaForMaskedLM,
)

from tinylm import electra, recipes, tasks
from tinylm.tokenize import train_tokenizer
from tinylm.train import TrainConfig, count_parameters, flops_per_step, train


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer("bpe", 400, TEXT, cache=False)  # big enough for 16 whole words


@pytest.fixture(scope="module")
def ids(tokenizer):
    return torch.tensor(tokenizer(TEXT * 4)["input_ids"])


# ---- recipes -----------------------------------------------------------------------------------


def test_masked_windows_can_show_every_chosen_position_as_the_mask(ids, tokenizer):
    batch = recipes.masked_window_batches(
        ids, tokenizer, block=16, batch=8, seed=0, mlm_probability=0.3, mask_replace_prob=1.0, random_replace_prob=0.0
    )(1)
    graded = batch["labels"] != -100
    assert graded.any() and (batch["input_ids"][graded] == tokenizer.mask_token_id).all()
    windows = recipes.window_batches(ids, 16, 8, seed=0)(1)  # the same windows before masking
    assert torch.equal(batch["input_ids"][~graded], windows[~graded])


def test_windows_are_seeded_slices_of_the_stream(ids):
    batch = recipes.window_batches(ids, block=8, batch=5, seed=3)(1)
    assert batch.shape == (5, 8)
    stream = ids.tolist()
    for row in batch.tolist():
        assert any(stream[s : s + 8] == row for s in range(len(stream) - 7))
    again = recipes.window_batches(ids, block=8, batch=5, seed=3)(1)
    other = recipes.window_batches(ids, block=8, batch=5, seed=4)(1)
    assert torch.equal(batch, again) and not torch.equal(batch, other)


def test_windows_need_more_tokens_than_the_block(ids):
    with pytest.raises(ValueError, match="more than block=64"):
        recipes.window_batches(ids[:10], block=64, batch=2)


def test_masked_windows_are_the_same_windows(ids, tokenizer):
    plain = recipes.window_batches(ids, block=16, batch=8, seed=0)
    masked = recipes.masked_window_batches(ids, tokenizer, block=16, batch=8, seed=0, mlm_probability=0.3)
    for step in (1, 2):
        windows, batch = plain(step), masked(step)
        graded = batch["labels"] != -100
        assert graded.any() and torch.equal(batch["labels"][graded], windows[graded])
        assert torch.equal(batch["input_ids"][~graded], windows[~graded])  # ungraded tokens are left alone


def test_gpt_and_bert_have_the_same_shape_and_size(tokenizer):
    gpt = GPT2LMHeadModel(recipes.gpt_config(tokenizer, 32))
    bert = BertForMaskedLM(recipes.bert_config(tokenizer, 32))
    assert gpt.config.n_layer == bert.config.num_hidden_layers == recipes.LAYERS
    assert gpt.config.n_embd == bert.config.hidden_size == recipes.HIDDEN
    assert abs(count_parameters(bert) / count_parameters(gpt) - 1) < 0.05


def test_roberta_has_bert_shape_and_positions_past_the_padding_id(tokenizer):
    config = recipes.roberta_config(tokenizer, 16)
    assert config.hidden_size == recipes.HIDDEN and config.num_hidden_layers == recipes.LAYERS
    assert config.pad_token_id == tokenizer.pad_token_id
    model = RobertaForMaskedLM(config)
    model(input_ids=torch.full((1, 16), 5))  # all 16 positions exist after RoBERTa's offset
    with pytest.raises((IndexError, RuntimeError)):  # a 17th position does not exist
        model(input_ids=torch.full((1, 17), 5))


@pytest.mark.parametrize("kind", ["roberta", "bert", "albert", "electra"])
def test_masked_lm_loss_equals_the_library_loss(ids, tokenizer, kind):
    torch.manual_seed(0)
    if kind == "roberta":
        model = RobertaForMaskedLM(recipes.roberta_config(tokenizer, 16))
    elif kind == "bert":
        model = BertForMaskedLM(recipes.bert_config(tokenizer, 16))
    elif kind == "albert":
        model = AlbertForMaskedLM(
            AlbertConfig(
                vocab_size=len(tokenizer),
                embedding_size=16,
                hidden_size=32,
                num_hidden_layers=2,
                num_attention_heads=2,
                intermediate_size=64,
                max_position_embeddings=16,
            )
        )
    else:  # ELECTRA's generator, narrower than its embedding
        model = ElectraForMaskedLM(
            ElectraConfig(
                vocab_size=len(tokenizer),
                embedding_size=32,
                hidden_size=16,
                num_hidden_layers=2,
                num_attention_heads=2,
                intermediate_size=32,
                max_position_embeddings=16,
            )
        )
    model.eval()  # ELECTRA's default dropout would make the two passes differ
    batch = recipes.masked_window_batches(ids, tokenizer, block=16, batch=4, seed=0, mlm_probability=0.3)(1)
    with torch.no_grad():
        assert recipes.masked_lm_loss(model, batch).item() == pytest.approx(model(**batch).loss.item(), abs=1e-5)


def test_masked_lm_loss_refuses_a_model_without_a_masked_lm_head(tokenizer):
    with pytest.raises(TypeError, match="not a BERT, RoBERTa, ALBERT, ELECTRA or ModernBERT"):
        recipes.masked_lm_loss(GPT2LMHeadModel(recipes.gpt_config(tokenizer, 16)), {"labels": torch.zeros(1)})


def test_held_out_test_is_fixed_and_covers_every_whole_window(ids, tokenizer):
    first, again = (recipes.held_out_masked(ids, tokenizer, 16) for _ in range(2))
    assert torch.equal(first["input_ids"], again["input_ids"]) and torch.equal(first["labels"], again["labels"])
    assert first["input_ids"].shape == (len(ids) // 16, 16)
    graded = first["labels"] != -100
    assert torch.equal(first["labels"][graded], ids[: len(ids) // 16 * 16].view(-1, 16)[graded])
    assert (first["input_ids"][graded] == tokenizer.mask_token_id).all()  # the answer is never visible


def test_scores_agree_with_the_full_model_output(ids, tokenizer):
    torch.manual_seed(0)
    model = RobertaForMaskedLM(recipes.roberta_config(tokenizer, 16))
    batch = recipes.held_out_masked(ids, tokenizer, 16)
    with torch.no_grad():
        scores = recipes.masked_lm_scores(model, batch)
        out = model(**batch)
    graded = batch["labels"] != -100
    accuracy = (out.logits.argmax(-1)[graded] == batch["labels"][graded]).float().mean().item()
    assert scores == pytest.approx({"MLM loss": out.loss.item(), "MLM accuracy": accuracy}, abs=1e-5)


@pytest.fixture(scope="module")
def pair_tokenizer():
    return train_tokenizer("unigram", 400, TEXT, cache=False)  # ALBERT's kind: a [CLS] A [SEP] B [SEP] template


def test_pairs_are_encoded_as_two_segments_with_their_labels(pair_tokenizer):
    pairs = [("Good morrow, cousin.", "What, is the day so young?", 0), ("Ay me!", "Sad hours seem long.", 1)]
    encoded = recipes.encode_pairs(pair_tokenizer, pairs, 24)
    assert encoded["input_ids"].shape == encoded["token_type_ids"].shape == (2, 24)
    assert encoded["sentence_label"].tolist() == [0, 1]
    row = encoded["input_ids"][0][encoded["attention_mask"][0] == 1].tolist()
    assert row[0] == pair_tokenizer.cls_token_id and row.count(pair_tokenizer.sep_token_id) == 2
    second = encoded["token_type_ids"][0][encoded["attention_mask"][0] == 1]
    assert second[0] == 0 and second[-1] == 1  # segment A, then segment B


def test_pairs_need_a_tokenizer_with_a_pair_template(tokenizer):
    with pytest.raises(ValueError, match="template"):
        recipes.encode_pairs(tokenizer, [("a", "b", 0)], 8)  # byte-level BPE: no [CLS]/[SEP]


def test_masked_pair_batches_are_seeded_rows_with_their_labels(pair_tokenizer):
    lines = [("Good morrow, cousin.", 0), ("Sad hours seem long.", 1), ("What, is the day so young?", 1)]
    pairs = [(lines[i % 3][0], lines[(i + 1) % 3][0], lines[i % 3][1]) for i in range(40)]  # the label follows A
    encoded = recipes.encode_pairs(pair_tokenizer, pairs, 20)
    first, again = (recipes.masked_pair_batches(encoded, pair_tokenizer, 8, seed=2)(1) for _ in range(2))
    assert torch.equal(first["input_ids"], again["input_ids"])
    assert first["input_ids"].shape == first["token_type_ids"].shape == (8, 20)
    graded = first["labels"] != -100
    assert graded.any() and not (first["labels"][graded] == pair_tokenizer.pad_token_id).any()
    unmasked = torch.where(graded, first["labels"], first["input_ids"])  # the rows before masking
    rows = [next(i for i in range(40) if torch.equal(encoded["input_ids"][i], u)) for u in unmasked]
    assert first["sentence_label"].tolist() == [encoded["sentence_label"][i].item() for i in rows]


def test_frequency_baseline_is_the_loss_of_the_smoothed_counts(ids, tokenizer):
    batch = recipes.held_out_masked(ids, tokenizer, 16)
    graded = batch["labels"][batch["labels"] != -100]
    scores = recipes.frequency_baseline(ids, batch, len(tokenizer))
    counts = torch.bincount(ids, minlength=len(tokenizer)).float() + 1
    logits = (counts / counts.sum()).log().expand(len(graded), -1)  # the same guess at every blank
    assert scores["MLM loss"] == pytest.approx(torch.nn.functional.cross_entropy(logits, graded).item(), abs=1e-5)
    assert scores["MLM accuracy"] == pytest.approx((graded == counts.argmax()).float().mean().item())


def test_train_reports_the_time_spent_evaluating():
    model = torch.nn.Linear(2, 1)
    history = train(
        model,
        lambda step: torch.ones(4, 2),
        lambda m, b: m(b).pow(2).mean(),
        TrainConfig(steps=4, warmup_steps=1, eval_every=2),
        evaluate=lambda m: time.sleep(0.05) or {"x": 0.0},
    )
    assert len(history.eval_steps) == 2
    assert 0.1 <= history.evaluation_seconds < history.receipt.seconds


# ---- cloze -------------------------------------------------------------------------------------


def test_whole_words_start_with_a_space_and_are_sorted_by_frequency(tokenizer, ids):
    words = tasks.whole_word_tokens(tokenizer, ids)
    assert words
    counts = torch.bincount(ids, minlength=len(tokenizer))
    assert [int(counts[w]) for w in words] == sorted((int(counts[w]) for w in words), reverse=True)
    for w in words:
        token = tokenizer.convert_ids_to_tokens(w)
        assert token.startswith("Ġ") and token[1:].isalpha() and len(token[1:]) >= 3


def test_cloze_items_hide_a_whole_word_among_distinct_choices(tokenizer, ids):
    words = tasks.whole_word_tokens(tokenizer, ids)
    items = tasks.cloze_items(ids, tokenizer, words, n=6, half=3, choices=3, skip_commonest=2, seed=1)
    assert len(items) == 6
    for item in items:
        assert item.window.shape == (7,)
        assert int(item.window[3]) == item.choices[0]
        assert len(set(item.choices)) == 3 and set(item.choices) <= set(words)
        assert item.choices[0] not in words[:2]
    again = tasks.cloze_items(ids, tokenizer, words, n=6, half=3, choices=3, skip_commonest=2, seed=1)
    assert [i.choices for i in again] == [i.choices for i in items]


def test_cloze_items_refuse_more_items_than_positions(tokenizer, ids):
    words = tasks.whole_word_tokens(tokenizer, ids)
    with pytest.raises(ValueError, match="cloze positions"):
        tasks.cloze_items(ids, tokenizer, words, n=10_000, half=3)


# ---- standard errors and the book's encoder -------------------------------------------------------


def test_the_gap_standard_error_is_that_of_two_binomials():
    assert tasks.gap_standard_error(0.2, 0.3, 400) == pytest.approx((2 * 0.25 * 0.75 / 400) ** 0.5)
    assert tasks.gap_standard_error(0.0, 0.0, 10) == 0.0


def test_the_books_encoder_is_modernbert_with_local_layers_and_a_global_last(tokenizer):
    config = recipes.encoder_config(tokenizer, 16)
    assert config.layer_types == ["sliding_attention"] * 3 + ["full_attention"]
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (128, 4, 4)
    model = ModernBertForMaskedLM(config)
    x = torch.randint(3, len(tokenizer), (1, 16))
    torch.testing.assert_close(
        recipes.masked_lm_loss(model, {"input_ids": x, "labels": x}), model(input_ids=x, labels=x).loss
    )
    assert recipes.encoder_train_config(100).schedule == "constant"


def test_sharing_keeps_one_set_of_layer_weights_and_each_layers_attention_kind(tokenizer):
    config = recipes.encoder_config(tokenizer, 16)
    torch.manual_seed(0)
    unshared = ModernBertForMaskedLM(config)
    shared = recipes.share_layers(ModernBertForMaskedLM(config))
    first, layers = shared.model.layers[0], shared.model.layers
    assert all(layer.attn.Wqkv is first.attn.Wqkv and layer.mlp is first.mlp for layer in layers)
    per_layer = count_parameters(unshared.model.layers[1])  # attention, MLP and two norms
    norm = count_parameters(unshared.model.layers[1].attn_norm)
    assert count_parameters(shared) == count_parameters(unshared) - 3 * per_layer + norm
    assert [layer.attention_type for layer in layers] == config.layer_types
    x = torch.randint(3, len(tokenizer), (2, 16))
    recipes.masked_lm_loss(shared, {"input_ids": x, "labels": x}).backward()
    assert first.attn.Wqkv.weight.grad is not None  # one weight, gradients from all four uses


def test_a_wider_encoder_keeps_heads_of_32(tokenizer):
    config = recipes.encoder_config(tokenizer, 16, hidden=192)
    assert (config.hidden_size, config.num_attention_heads, config.intermediate_size) == (192, 6, 384)
    with pytest.raises(ValueError, match="multiple of 32"):
        recipes.encoder_config(tokenizer, 16, hidden=100)


def test_causal_masks_make_the_encoder_a_decoder(tokenizer):
    config = recipes.encoder_config(tokenizer, 16)
    torch.manual_seed(0)
    model = ModernBertForMaskedLM(config).eval()
    masks = recipes.causal_masks(config, 12)
    x = torch.randint(3, len(tokenizer), (2, 12))
    changed = x.clone()
    changed[:, 7] = 5
    with torch.no_grad():
        moved = model(input_ids=x, attention_mask=masks).logits - model(input_ids=changed, attention_mask=masks).logits
    moved = moved.abs().amax(-1) > 1e-5
    assert not moved[:, :7].any() and moved[:, 7].all(), "a token changes its own and later outputs only"
    local = masks["sliding_attention"][0, 0]
    assert local[9].nonzero().flatten().tolist() == [5, 6, 7, 8, 9], "local layers: the 4 before and itself"


def test_flops_are_counted_for_one_step_and_the_gradients_cleared(tokenizer):
    torch.manual_seed(0)
    model = BertForMaskedLM(recipes.bert_config(tokenizer, 16))
    x = torch.randint(3, len(tokenizer), (2, 16))
    one = flops_per_step(model, lambda m, b: m(input_ids=b, labels=b).loss, x)
    two = flops_per_step(model, lambda m, b: m(input_ids=b, labels=b).loss, torch.cat([x, x]))
    assert one > 6 * count_parameters(model.bert.encoder) * x.numel() * 0.9, "forward and backward of every layer"
    assert abs(two / one - 2) < 0.05 and all(p.grad is None for p in model.parameters())


def test_the_books_encoder_predicts_thirty_percent_of_positions(ids, tokenizer):
    batch = recipes.encoder_batches(ids, tokenizer, seed=0)(1)
    assert batch["input_ids"].shape == (recipes.SHORT_BATCH, recipes.SHORT_BLOCK)
    share = (batch["labels"] != -100).float().mean().item()
    assert abs(share - recipes.ENCODER_MASKING) < 0.03


# ---- electra ------------------------------------------------------------------------------------


def test_electra_shares_the_token_table_and_the_discriminator_does_not_train_the_generator(ids, tokenizer):
    torch.manual_seed(0)
    model = electra.Electra(tokenizer, 16)
    shared = model.discriminator.model.embeddings.tok_embeddings
    assert model.generator.model.embeddings.tok_embeddings is shared
    assert model.generator.decoder.weight is shared.weight
    batch = electra.electra_batches(ids, tokenizer, 16, 8, seed=0, masking=0.3)(0)
    assert (batch["input_ids"][batch["labels"] != -100] == tokenizer.mask_token_id).all()
    generator_loss, discriminator_loss, share = electra.electra_losses(model, batch)
    discriminator_loss.backward()
    assert model.generator.model.layers[0].attn.Wqkv.weight.grad is None, "sampling cuts the gradient"
    assert shared.weight.grad is not None and 0 < share <= 1


def test_electra_15_grades_the_masked_positions_only(ids, tokenizer):
    torch.manual_seed(0)
    model = electra.Electra(tokenizer, 16)
    batch = electra.electra_batches(ids, tokenizer, 16, 8, seed=0, masking=0.3)(0)
    torch.manual_seed(1)
    *_, share_all = electra.electra_losses(model, batch)
    torch.manual_seed(1)
    *_, share_masked = electra.electra_losses(model, batch, every_token=False)
    masked = (batch["labels"] != -100).float().mean().item()
    assert share_masked == pytest.approx(share_all / masked, rel=1e-5), "same samples, fewer graded positions"


def test_auc_is_half_for_chance_one_for_perfect_and_frequency_blind(ids, tokenizer):
    clean, corrupted, replaced = electra.replacement_test(ids, ids, len(tokenizer), 16)
    assert electra.auc(replaced.float(), replaced) == 1.0
    assert electra.auc(torch.zeros(replaced.shape), replaced) == 0.5
    assert 0 < replaced.float().mean() < 0.2 and (clean[~replaced] == corrupted[~replaced]).all()
    logits = torch.randn(2, 16, len(tokenizer))
    torch.testing.assert_close(
        electra.surprise(logits, clean[:2]),
        torch.nn.functional.cross_entropy(logits.transpose(1, 2), clean[:2], reduction="none"),
    )


def test_the_base_rate_is_the_entropy_of_the_share_and_zero_when_all_are_replaced():
    assert electra.binary_entropy(0.5).item() == pytest.approx(0.6931, abs=1e-4)
    assert electra.binary_entropy(1.0).item() == 0.0
    log = [(5.0, 0.5, 0.5)] * 40
    assert electra.base_rate_gap(log) == pytest.approx(0.6931 - 0.5, abs=1e-4)


def test_two_token_words_are_centred_pairs_of_a_word_start_and_its_continuation(tokenizer, ids):
    windows, counts = tasks.two_token_words(tokenizer, ids, ids, min_count=2, half=3)
    assert windows.shape[1] == 8 and len(windows) > 0
    pieces = [tokenizer.convert_ids_to_tokens(w.tolist()) for w in windows]
    assert all(p[3].startswith("Ġ") and p[4][0].isascii() and p[4][0].isalpha() for p in pieces)
    assert all(counts[(w[3].item(), w[4].item())] >= 2 for w in windows)
    with pytest.raises(ValueError, match="lower min_count"):
        tasks.two_token_words(tokenizer, ids, ids, min_count=10**6)


def test_next_token_loss_and_the_cloze_scores_read_the_right_positions(tokenizer, ids):
    torch.manual_seed(0)
    model = ModernBertForMaskedLM(recipes.encoder_config(tokenizer, 16)).eval()
    windows = ids[:32].view(2, 16)
    masks = recipes.causal_masks(model.config, 16)
    with torch.no_grad():
        logits = model(input_ids=windows, attention_mask=masks).logits[:, :-1]
        expected = torch.nn.functional.cross_entropy(logits.flatten(0, 1), windows[:, 1:].flatten())
        torch.testing.assert_close(recipes.next_token_loss(model, windows), expected)
        choices = torch.tensor([[5, 6], [7, 8]])
        left = tasks.cloze_left(model, windows[:, :15], choices, 7, recipes.causal_masks(model.config, 7))
        masked = tasks.cloze_masked(model, windows[:, :15], choices, 7, tokenizer.mask_token_id)
    assert left.shape == masked.shape == (2, 2)
    assert tasks.cloze_accuracy(torch.tensor([[2.0, 1.0], [0.0, 1.0]])) == 0.5


def test_pretraining_the_encoder_as_bert_or_gpt_trains_the_model_it_is_given(ids, tokenizer):
    torch.manual_seed(0)
    start = ModernBertForMaskedLM(recipes.encoder_config(tokenizer, recipes.SHORT_BLOCK))
    before = {k: v.clone() for k, v in start.state_dict().items()}
    seen = []
    model, history = recipes.pretrain_encoder(tokenizer, ids, 2, model=start, evaluate=lambda m: seen.append(1) or {})
    assert model is start and len(history.train_loss) == 2 and seen == [1]
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    gpt, gpt_history = recipes.pretrain_encoder(tokenizer, ids, 2, seed=3, causal=True)
    again, _ = recipes.pretrain_encoder(tokenizer, ids, 2, seed=3, causal=True)
    assert all(torch.equal(a, b) for a, b in zip(gpt.state_dict().values(), again.state_dict().values()))
    assert gpt_history.train_loss[0] == pytest.approx(math.log(len(tokenizer)), rel=0.2), "a next-token loss"


def test_electra_pretraining_logs_every_step_and_can_grade_the_masked_positions_only(ids, tokenizer):
    log = []
    model, history = electra.pretrain_electra(tokenizer, ids, 2, seed=0, log=log)
    assert isinstance(model, electra.Electra) and len(log) == 2 and len(history.train_loss) == 2
    log15 = []
    electra.pretrain_electra(tokenizer, ids, 1, seed=0, every_token=False, log=log15)
    assert log15[0][2] > log[0][2], "at the masked positions most tokens are replaced"


def test_the_generated_test_samples_at_the_masked_positions_only(ids, tokenizer):
    torch.manual_seed(0)
    model = electra.Electra(tokenizer, 16).eval()
    held_out = recipes.held_out_masked(ids[: 8 * 16], tokenizer, 16, mlm_probability=0.3)
    score, replaced, masked = electra.generated_test(model, held_out, seed=0)
    assert score.shape == replaced.shape == masked.shape == held_out["input_ids"].shape
    assert masked.any() and not replaced[~masked].any(), "only masked positions can be replaced"
    again = electra.generated_test(model, held_out, seed=0)
    assert torch.equal(again[1], replaced) and torch.allclose(again[0], score)


def test_t_critical_matches_students_t():
    assert tasks.t_critical(2) == pytest.approx(4.303, abs=1e-3)
    stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 5, 10, 20, 60):
        assert tasks.t_critical(df) == pytest.approx(stats.t.ppf(0.975, df), rel=0.01)
    with pytest.raises(ValueError, match="at least 1 degree"):
        tasks.t_critical(0)


def test_clustered_standard_error():
    g = torch.Generator().manual_seed(0)
    values = torch.randn(200, generator=g)
    plain = values.std().item() / 200**0.5
    assert tasks.clustered_standard_error(values, torch.arange(200)) == pytest.approx(plain, rel=1e-6)
    copies = values.repeat_interleave(4)  # each value four times in one cluster: no new information
    together = tasks.clustered_standard_error(copies, torch.arange(200).repeat_interleave(4))
    assert together == pytest.approx(plain, rel=1e-6)
    assert copies.std().item() / 800**0.5 < 0.6 * together, "treated as independent, copies look precise"


# ---- the book's decoder (chapter 3) and its counting baselines --------------------------------


def test_decoder_is_llama_with_a_tied_output_layer(tokenizer):
    from transformers import LlamaForCausalLM

    model = LlamaForCausalLM(recipes.decoder_config(tokenizer, 16))
    assert model.lm_head.weight is model.model.embed_tokens.weight
    assert model.config.intermediate_size == 336 and model.config.num_attention_heads == 4
    with pytest.raises(ValueError, match="multiple of 32"):
        recipes.decoder_config(tokenizer, 16, hidden=100)


def test_decoder_recipe_trains_with_muon_and_scores_every_token_once(ids, tokenizer):
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    model = LlamaForCausalLM(recipes.decoder_config(tokenizer, 16, layers=1, hidden=32))
    before = recipes.validation_logp(model.eval(), ids[:200], 16)
    assert before.shape == (199,) and (before < 0).all(), "one log-probability per token after the first"
    history = train(
        model,
        recipes.window_batches(ids, 16, 8),
        lambda m, b: m(input_ids=b, labels=b).loss,
        recipes.decoder_train_config(40, eval_every=40),
    )
    after = recipes.validation_logp(model.eval(), ids[:200], 16)
    assert after.mean() > before.mean() + 0.5, "the recipe learns the repeated text"
    assert history.receipt.method == "6·N·D"
    assert recipes.bits_per_char(torch.full((10,), -math.log(2)), 5) == pytest.approx(2.0)


def test_interpolated_baselines_order_and_weights():
    from tinylm import ngrams

    text = [1, 2, 3, 4] * 50 + [1, 2, 4, 3] * 10
    counted = ngrams.interpolated_baselines(text, [1, 2, 3, 4, 1, 2, 3, 4], vocab_size=6)
    for n, weights in counted["weights"].items():
        assert len(weights) == n + 1 and weights.sum() == pytest.approx(1) and weights[0] >= 0.01 - 1e-9
    bits = {n: -torch.tensor(p).log2().sum().item() for n, p in counted["p"].items()}
    assert bits[3] <= bits[2] < bits[1], "more context, fewer bits on a text the counts have seen"
    assert counted["counts"][3][(1, 2, 3)] == 50


def test_masked_lm_head_found_for_roformer_and_pre_ln_roberta(tokenizer):
    from transformers import (
        RobertaPreLayerNormConfig,
        RobertaPreLayerNormForMaskedLM,
        RoFormerConfig,
        RoFormerForMaskedLM,
    )

    small = dict(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2)
    models = [
        RoFormerForMaskedLM(RoFormerConfig(embedding_size=32, intermediate_size=64, **small)),
        RobertaPreLayerNormForMaskedLM(RobertaPreLayerNormConfig(intermediate_size=64, **small)),
    ]
    batch = recipes.masked_window_batches(torch.arange(5, 200), tokenizer, 16, 4)(1)
    for model in models:
        logits, labels = recipes.masked_lm_logits(model, batch)
        assert logits.shape == (len(labels), len(tokenizer))
