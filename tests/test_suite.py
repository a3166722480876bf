"""Tests of the downstream suite in tinylm.tasks: its items, tensors, heads, fine-tuning, probe and baselines."""

from collections import Counter

import pytest
import torch
from test_tokenize import MIRROR, needs_mirror
from test_tokenize import SMALL as TEXT
from transformers import ModernBertForMaskedLM, ModernBertForTokenClassification, ModernBertModel

from tinylm import recipes, tasks
from tinylm.tokenize import train_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer("bpe", 400, TEXT, cache=False)


@pytest.fixture(scope="module")
def fragments():
    return tasks.line_fragments(TEXT, words=6, seed=0)


@pytest.fixture(scope="module")
def lm(tokenizer):
    torch.manual_seed(0)
    return ModernBertForMaskedLM(recipes.encoder_config(tokenizer, 16))


def small_task(tokenizer, kind, fragments):
    """A task of each kind from the small play text (train and test items are the same: the tests check mechanics)."""
    make = {"sequence": tasks.word_order_items, "pair": tasks.minimal_pair_items}
    if kind == "token":
        lines = tasks.spoken_lines(TEXT)
        items = tasks.replaced_word_items(lines, seed=0)
        return tasks.make_task("t", kind, "?", tokenizer, items, items, len(items), len(items), 40)
    items = make[kind](fragments, seed=0)
    return tasks.make_task("t", kind, "?", tokenizer, items, items, len(items), len(items), 40)


# ---- items ------------------------------------------------------------------------------------------


def test_fragments_are_consecutive_words_of_spoken_lines_drawn_with_a_seed(fragments):
    lines = tasks.spoken_lines(TEXT, 6, 100)
    assert len(fragments) == len(lines) and all(len(f.split()) == 6 for f in fragments)
    assert all(f in line for f, line in zip(fragments, lines))
    assert not any(f.endswith(":") for f in fragments), "speaker names are not spoken lines"
    assert tasks.line_fragments(TEXT, seed=0) == fragments and tasks.line_fragments(TEXT, seed=1) != fragments


def test_word_order_swaps_two_lower_case_neighbours_in_every_other_item(fragments):
    items = tasks.word_order_items(fragments, seed=0)
    assert [label for _, label in items] == [i % 2 for i in range(len(items))]
    for text, label in items:
        words = text.split()
        if not label:
            assert text in fragments
            continue
        original = next(f.split() for f in fragments if Counter(f.split()) == Counter(words) and f != text)
        moved = [i for i, (a, b) in enumerate(zip(original, words)) if a != b]
        assert len(moved) == 2 and moved[1] == moved[0] + 1 and moved[0] >= 1
        assert all(w.isalpha() and w.islower() for w in (words[moved[0]], words[moved[1]]))


def test_minimal_pairs_hold_an_original_and_its_swapped_copy(fragments):
    items = tasks.minimal_pair_items(fragments, seed=0)
    assert items and [label for *_, label in items] == [i % 2 for i in range(len(items))]
    for a, b, label in items:
        original, changed = (b, a) if label else (a, b)
        assert original in fragments and changed not in fragments
        assert Counter(original.split()) == Counter(changed.split())


def test_replaced_words_are_marked_by_their_span():
    lines = tasks.spoken_lines(TEXT)
    items = tasks.replaced_word_items(lines, seed=0)
    assert len(items) == len(lines)
    for text, (start, end) in items:
        assert " " not in text[start:end] and (start == 0 or text[start - 1] == " ")
        words = text.split()
        assert any(
            len(line.split()) == len(words) and sum(a != b for a, b in zip(line.split(), words)) == 1 for line in lines
        ), f"{text!r} is not one word away from a line"


# ---- tasks as tensors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", tasks.KINDS)
def test_tasks_are_padded_tensors_with_labels_of_their_kind(tokenizer, fragments, kind):
    task = small_task(tokenizer, kind, fragments)
    batch = task.test
    n, length = batch["input_ids"].shape
    assert n == len(task.test_items) and all(v.size(0) == n for v in batch.values())
    assert (batch["input_ids"][batch["attention_mask"] == 0] == tokenizer.pad_token_id).all()
    if kind == "token":
        assert batch["labels"].shape == (n, length)
        assert ((batch["labels"] == -100) == (batch["attention_mask"] == 0)).all()
        for row, (text, (start, end)) in enumerate(task.test_items):
            marked = batch["input_ids"][row][batch["labels"][row] == 1].tolist()
            assert tokenizer.decode(marked).strip() == text[start:end]
    else:
        assert batch["labels"].shape == (n,) and set(batch["labels"].tolist()) == {0, 1}
    if kind == "pair":
        for row, (first, second_text, _) in enumerate(task.test_items):
            second = batch["input_ids"][row][(batch["segment"][row] == 1) & (batch["attention_mask"][row] == 1)]
            assert tokenizer.decode(second.tolist()) == second_text
            assert tokenizer.decode(batch["input_ids"][row][batch["segment"][row] == 0].tolist()).startswith(first)
    else:
        assert (batch["segment"] == 0).all()


def test_items_too_long_are_left_out_and_too_few_are_an_error(tokenizer, fragments):
    items = tasks.word_order_items(fragments, seed=0)
    longest = max(len(tokenizer(text)["input_ids"]) for text, _ in items)
    task = tasks.make_task("t", "sequence", "?", tokenizer, items, items, 1, 1, longest - 1)
    assert all(len(tokenizer(text)["input_ids"]) <= longest - 1 for text, _ in task.train_items)
    with pytest.raises(ValueError, match="only 0 train items fit in 2 tokens"):
        tasks.make_task("t", "sequence", "?", tokenizer, items, items, 1, 1, 2)
    with pytest.raises(ValueError, match="at least one training and one test item"):
        tasks.make_task("t", "sequence", "?", tokenizer, items, items, 0, 1)
    with pytest.raises(ValueError, match="kind must be one of"):
        tasks.make_task("t", "words", "?", tokenizer, items, items, 1, 1)


# ---- heads, fine-tuning and the probe ------------------------------------------------------------------


def test_pooling_reads_no_padding_and_a_pair_by_its_two_parts():
    states = torch.randn(2, 5, 4)
    batch = {"attention_mask": torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]), "segment": torch.zeros(2, 5).long()}
    pooled = tasks.pool(states, batch, "sequence")
    assert torch.allclose(pooled[0, :4], states[0, :3].mean(0)) and torch.allclose(pooled[0, 4:], states[0, :3].amax(0))
    batch["segment"] = torch.tensor([[0, 1, 1, 0, 0], [0, 0, 1, 1, 1]])
    pair = tasks.pool(states, batch, "pair")
    a, b = states[0, :1].mean(0), states[0, 1:3].mean(0)
    assert torch.allclose(pair[0], torch.cat([a, b, a * b, (a - b).abs()]))
    assert tasks.pool(states, batch, "token") is states


def test_a_task_model_ignores_padding(lm, tokenizer, fragments):
    task = small_task(tokenizer, "sequence", fragments)
    net = tasks.TaskModel(tasks.encoder_of(lm), "sequence").eval()
    short = tasks.rows_of(task.test, slice(0, 2))  # cut to the longer of two items
    width = short["input_ids"].size(1)
    padded = {k: torch.cat([v, torch.zeros_like(v)], 1) if v.dim() == 2 else v for k, v in short.items()}
    padded["input_ids"][:, width:] = tokenizer.pad_token_id
    with torch.no_grad():
        assert torch.allclose(net(short), net(padded), atol=1e-5)
    with pytest.raises(ValueError, match="kind must be one of"):
        tasks.TaskModel(tasks.encoder_of(lm), "document")


def test_only_modernbert_models_are_fine_tuned(tokenizer):
    torch.manual_seed(0)
    config = recipes.encoder_config(tokenizer, 16)
    encoder = ModernBertModel(config)
    assert tasks.encoder_of(encoder) is encoder
    assert tasks.encoder_of(ModernBertForTokenClassification(config)).__class__ is ModernBertModel
    with pytest.raises(TypeError, match="not a ModernBERT model"):
        tasks.encoder_of(torch.nn.Linear(2, 2))


@pytest.mark.parametrize("kind", tasks.KINDS)
def test_fine_tuning_is_repeatable_and_leaves_the_model_alone(lm, tokenizer, fragments, kind):
    task = small_task(tokenizer, kind, fragments)
    before = {k: v.clone() for k, v in lm.state_dict().items()}
    runs = [tasks.fine_tune(lm, task, seed, steps=3, batch=4) for seed in (0, 0)]
    assert torch.equal(runs[0].correct, runs[1].correct) and runs[0].correct.shape == (len(task.test_items),)
    assert 0.0 <= runs[0].accuracy <= 1.0 and runs[0].task == "t"
    assert all(torch.equal(before[k], v) for k, v in lm.state_dict().items()), "the pre-trained model must not change"
    causal = tasks.fine_tune(lm, task, 0, steps=2, batch=4, causal=True)
    assert causal.correct.shape == runs[0].correct.shape


def test_fine_tuning_can_learn_a_task(lm, tokenizer, fragments):
    # a task a network solves from the words alone: is the first word "The"? (fine-tuning must get it)
    items = [(f, int(f.split()[0] == "The")) for f in fragments] * 4
    task = tasks.make_task("the", "sequence", "?", tokenizer, items, items, len(items), len(items), 40)
    assert tasks.fine_tune(lm, task, 0, steps=40, batch=8, lr=3e-3).accuracy == 1.0


def test_fine_tuned_returns_the_net_and_trains_a_given_one_in_place(lm, tokenizer, fragments):
    task = small_task(tokenizer, "sequence", fragments)
    net = tasks.fine_tuned(lm, task, 0, steps=2, batch=4)
    assert isinstance(net, tasks.TaskModel) and not net.training
    assert torch.equal(tasks.evaluate(net, task).correct, tasks.fine_tune(lm, task, 0, steps=2, batch=4).correct)
    mine = tasks.TaskModel(tasks.encoder_of(lm), "sequence")
    head = mine.head.weight.clone()
    assert tasks.fine_tuned(lm, task, 0, steps=2, batch=4, net=mine) is mine
    assert not torch.equal(mine.head.weight, head)


def test_control_results_lists_the_model_and_its_floors(lm, tokenizer, fragments):
    task = small_task(tokenizer, "sequence", fragments)
    nets, results = tasks.control_results(lm, task, seeds=(0, 1), steps=2)
    assert len(nets) == 2 and all(next(n.parameters()).device.type == "cpu" for n in nets)
    assert list(results) == ["fine-tuned", "random weights", "majority", "counts only"]
    assert [len(results[k]["t"]) for k in ("fine-tuned", "random weights")] == [2, 2]


def test_the_frozen_probe_trains_the_head_only(lm, tokenizer, fragments):
    task = small_task(tokenizer, "token", fragments)
    before = {k: v.clone() for k, v in lm.state_dict().items()}
    result = tasks.frozen_probe(lm, task, steps=5)
    assert result.correct.shape == (len(task.test_items),) and 0.0 <= result.accuracy <= 1.0
    assert all(torch.equal(before[k], v) for k, v in lm.state_dict().items())


# ---- baselines and comparisons -------------------------------------------------------------------------


def test_the_majority_answers_the_commonest_label_and_a_token_guess_its_chance(tokenizer, fragments):
    task = small_task(tokenizer, "sequence", fragments)
    labels = task.test["labels"]
    commonest = torch.bincount(task.train["labels"]).argmax()
    assert tasks.majority_baseline(task).accuracy == pytest.approx((labels == commonest).float().mean().item())
    token = small_task(tokenizer, "token", fragments)
    chance = tasks.majority_baseline(token).correct
    words = (token.test["labels"] == 1).sum(1) / token.test["attention_mask"].sum(1)
    assert torch.allclose(chance, words)


def test_counts_learn_what_the_words_give_away_and_not_what_they_hide(tokenizer, fragments):
    by_word = [(f, int("the" in f.split())) for f in fragments] * 3
    task = tasks.make_task("w", "sequence", "?", tokenizer, by_word, by_word, len(by_word), len(by_word), 40)
    assert tasks.counts_baseline(task).accuracy == 1.0
    token = small_task(tokenizer, "token", fragments)
    assert 0.0 <= tasks.counts_baseline(token).accuracy <= 1.0


def test_paired_gap_is_the_mean_difference_and_its_standard_error():
    a = tasks.Result("t", torch.tensor([1.0, 1.0, 0.0, 1.0]))
    b = tasks.Result("t", torch.tensor([0.0, 1.0, 0.0, 0.0]))
    gap, se = tasks.paired_gap(a, b)
    d = torch.tensor([1.0, 0.0, 0.0, 1.0])
    assert gap == pytest.approx(0.5) and se == pytest.approx((d.std() / 2).item())
    assert tasks.paired_gap([a, a], [b, b]) == pytest.approx((gap, se))


# ---- the suite on the book's data -------------------------------------------------------------------------


@needs_mirror
def test_the_suite_has_three_tasks_of_three_kinds_from_held_out_text(monkeypatch):
    monkeypatch.setenv("TINYLM_DATA", str(MIRROR))
    from tinylm.data import shakespeare_splits
    from tinylm.tokenize import book_tokenizer

    suite = tasks.downstream_suite(book_tokenizer("gpt"), n_train=200, n_test=100)
    assert [t.kind for t in suite.values()] == ["sequence", "pair", "token"]
    splits = shakespeare_splits()
    held_out = splits["valid"] + splits["test"]
    originals = {
        "word order": lambda items: [text for text, label in items if label == 0],
        "which is original": lambda items: [b if label else a for a, b, label in items],
    }
    for name, task in suite.items():
        assert len(task.train_items) == 200 and len(task.test_items) == 100
        if name in originals:
            assert all(text in held_out for text in originals[name](task.test_items)), "test items are held out"
            assert all(text in splits["train"] for text in originals[name](task.train_items))
    again = tasks.downstream_suite(book_tokenizer("gpt"), n_train=200, n_test=100)
    assert all(torch.equal(again[k].test["input_ids"], suite[k].test["input_ids"]) for k in suite)


def test_a_comparison_calls_a_winner_only_beyond_two_standard_errors():
    right, wrong = tasks.Result("t", torch.ones(100)), tasks.Result("t", torch.zeros(100))
    mixed = tasks.Result("t", torch.tensor([1.0, 0.0] * 50))
    assert tasks.compare([right], [mixed], ("A", "B")).verdict == "A ahead"
    assert tasks.compare([wrong], [mixed], ("A", "B")).verdict == "B ahead"
    assert tasks.compare([mixed], [mixed], ("A", "B")) == tasks.Comparison(0.0, 0.0, "level")
