"""Held-out tasks that chapters 5-8 share: a multiple-choice cloze and finding a replaced word (and fine-tuning on it)."""

from __future__ import annotations

import math
import random
import tempfile
from dataclasses import dataclass

import torch


def _glues_on(tokenizer) -> torch.Tensor:
    """For each token id: does it continue the previous word? (byte-level BPE writes a leading space as "Ġ")"""
    vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return torch.tensor([v[:1].isascii() and v[:1].isalpha() for v in vocab])  # "Ġ" is a letter, but not ASCII


def whole_word_tokens(tokenizer, train_ids: torch.Tensor, min_complete: float = 0.9) -> list[int]:
    """Token ids that are a space and a whole word of 3+ letters in `train_ids`, commonest first.

    A token counts as a whole word when the token after it does not continue it in at least
    `min_complete` of its occurrences (so " gl" of " glory" is not one).
    """
    vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    counts = torch.bincount(train_ids, minlength=len(vocab))
    ended = torch.bincount(train_ids[:-1][~_glues_on(tokenizer)[train_ids[1:]]], minlength=len(vocab))
    words = [
        i
        for i, v in enumerate(vocab)
        if v.startswith("Ġ")
        and v[1:].isascii()
        and v[1:].isalpha()
        and len(v) > 3
        and 0 < counts[i] * min_complete <= ended[i]
    ]
    return sorted(words, key=lambda i: (-int(counts[i]), i))


@dataclass
class ClozeItem:
    """A window of token ids whose middle token is the hidden word, and the choices for it (the true one first)."""

    window: torch.Tensor
    choices: list[int]


def cloze_items(
    ids: torch.Tensor,
    tokenizer,
    words: list[int],
    n: int,
    half: int = 12,
    choices: int = 5,
    skip_commonest: int = 20,
    seed: int = 0,
) -> list[ClozeItem]:
    """`n` windows of 2*half+1 tokens of `ids`, each centred on a whole word, with frequency-matched choices.

    `words` comes from `whole_word_tokens` (commonest first). Its first `skip_commonest` words are never
    the answer; the wrong choices are drawn from the 20 words nearest the answer in frequency rank.
    """
    rank = {w: r for r, w in enumerate(words)}
    glues_on = _glues_on(tokenizer)
    ids_list = ids.tolist()
    positions = [
        p
        for p in range(half, len(ids_list) - half)
        if rank.get(ids_list[p], -1) >= skip_commonest and not glues_on[ids_list[p + 1]]
    ]
    if len(positions) < n:
        raise ValueError(f"only {len(positions)} cloze positions in {len(ids_list)} tokens; ask for at most that")
    rng = random.Random(seed)
    items = []
    for p in sorted(rng.sample(positions, n)):
        r = rank[ids_list[p]]
        near = [w for w in words[max(0, r - 10) : r + 11] if w != ids_list[p]]
        items.append(ClozeItem(ids[p - half : p + half + 1].clone(), [ids_list[p]] + rng.sample(near, choices - 1)))
    return items


def replaced_word_lines(
    text: str, n: int, seed: int = 0, min_words: int = 5, max_words: int = 10
) -> list[tuple[str, tuple[int, int]]]:
    """`n` lines of `text` with one word replaced by a word drawn from the other lines: (line, (start, end)).

    (start, end) are the character offsets of the new word. Speaker lines ("ROMEO:") are left out.
    """
    lines = [
        line for line in text.split("\n") if min_words <= len(line.split()) <= max_words and not line.endswith(":")
    ]
    if len(lines) < n:
        raise ValueError(f"only {len(lines)} lines of {min_words}-{max_words} words; ask for at most that")
    rng = random.Random(seed)
    vocabulary = [w for line in lines for w in line.split()]  # drawn by frequency, as a typo or slip would be
    out = []
    for line in rng.sample(lines, n):
        words = line.split()
        i = rng.randrange(len(words))
        new = rng.choice(vocabulary)
        while new == words[i]:
            new = rng.choice(vocabulary)
        start = len(" ".join(words[:i])) + (1 if i else 0)
        words[i] = new
        out.append((" ".join(words), (start, start + len(new))))
    return out


def encode_replaced(tokenizer, items: list[tuple[str, tuple[int, int]]]):
    """Tokenize `replaced_word_lines` items, padded, with per-token labels: 1 inside the new word, 0 elsewhere.

    Padding positions get the label -100, which the loss ignores.
    """
    enc = tokenizer([line for line, _ in items], padding=True, return_tensors="pt", return_offsets_mapping=True)
    offsets = enc.pop("offset_mapping")
    spans = torch.tensor([span for _, span in items])
    labels = ((offsets[..., 0] < spans[:, 1:]) & (offsets[..., 1] > spans[:, :1])).long()
    labels[enc["attention_mask"] == 0] = -100
    enc["labels"] = labels
    return enc


def replaced_word_found(logits: torch.Tensor, batch) -> float:
    """Fraction of lines whose most "replaced"-looking token (logit 1 minus logit 0) lies inside the new word."""
    score = (logits[..., 1] - logits[..., 0]).masked_fill(batch["attention_mask"] == 0, float("-inf"))
    pick = score.argmax(1)
    return batch["labels"][torch.arange(len(pick)), pick].float().mean().item()


def gap_standard_error(accuracy_a: float, accuracy_b: float, n: int) -> float:
    """Standard error of the difference of two accuracies on `n` items, each taken as binomial at their mean.

    It covers the sampling of the test items only, not the variation between training seeds.
    """
    p = (accuracy_a + accuracy_b) / 2
    return math.sqrt(2 * p * (1 - p) / n)


def fine_tune_replaced(
    lm,
    head_class,
    train_items: list,
    valid_batch: dict,
    tokenizer,
    seed: int,
    pretrained: bool = True,
    steps: int = 100,
    batch: int = 32,
    lr: float = 1e-3,
    masks=None,
) -> float:
    """Fine-tune a copy of `lm` (or, if not `pretrained`, a fresh model of its shape) to find the replaced word.

    `head_class` (e.g. `BertForTokenClassification`) loads `lm`'s weights and adds a new 2-label head; it
    trains on random `train_items` (`replaced_word_lines`) and returns `replaced_word_found` on `valid_batch`.
    `masks(length)`, if given, is the attention mask to use instead of the padding mask (chapter 5's decoder
    made from the book's encoder, `recipes.causal_masks`; its padding comes last, so no token sees it).
    """
    from transformers.utils import logging as hf_logging

    from .train import TrainConfig, train

    torch.manual_seed(seed)
    if pretrained:
        with tempfile.TemporaryDirectory() as folder:
            lm.save_pretrained(folder)  # safetensors
            verbosity = hf_logging.get_verbosity()
            hf_logging.set_verbosity_error()  # "some weights were newly initialised" is expected
            config = lm.config.__class__.from_pretrained(folder, num_labels=2)
            config.classifier_dropout = 0.0  # GPT-2's head would otherwise use dropout 0.1
            model = head_class.from_pretrained(folder, config=config)
            hf_logging.set_verbosity(verbosity)
    else:
        config = lm.config.__class__(**{**lm.config.to_dict(), "num_labels": 2})
        config.classifier_dropout = 0.0
        model = head_class(config)
    device = next(lm.parameters()).device
    model = model.to(device)
    generator = torch.Generator().manual_seed(seed)

    def next_batch(step):
        rows = torch.randint(0, len(train_items), (batch,), generator=generator).tolist()
        return encode_replaced(tokenizer, [train_items[i] for i in rows])

    def attention(batch):
        return masks(batch["input_ids"].size(1)) if masks else batch["attention_mask"].to(device)

    def loss_fn(model, batch):
        return model(**{**batch, "attention_mask": attention(batch)}).loss

    train(model, next_batch, loss_fn, TrainConfig(steps=steps, lr=lr, warmup_steps=10, eval_every=steps))
    model.eval()
    with torch.no_grad():
        logits = model(input_ids=valid_batch["input_ids"].to(device), attention_mask=attention(valid_batch)).logits
    return replaced_word_found(logits.cpu(), valid_batch)


@torch.no_grad()
def cloze_masked(model, windows: torch.Tensor, choices: torch.Tensor, half: int, mask_id: int) -> torch.Tensor:
    """A masked LM's scores for each item's choices: the middle token of each window shown as `mask_id`."""
    masked = windows.clone()
    masked[:, half] = mask_id
    return model(input_ids=masked).logits[:, half].gather(1, choices)


@torch.no_grad()
def cloze_left(model, windows: torch.Tensor, choices: torch.Tensor, half: int, masks=None) -> torch.Tensor:
    """A left-to-right model's scores for the choices after the `half` tokens before the gap (`masks`: the
    attention masks that make the model causal, if it needs them)."""
    logits = model(input_ids=windows[:, :half], attention_mask=masks).logits[:, -1]
    return logits.gather(1, choices)


def cloze_accuracy(scores: torch.Tensor) -> float:
    """The share of items whose true word (choice 0) gets the highest score."""
    return (scores.argmax(1) == 0).float().mean().item()


def two_token_words(tokenizer, train_ids: torch.Tensor, ids: torch.Tensor, min_count: int = 10, half: int = 7):
    """Windows of `ids` (2*half+2 tokens) whose tokens half and half+1 are the two pieces of one word: a
    space-led first piece and a continuation, a word cut in exactly two that occurs `min_count`+ times in
    `train_ids`. Returns (windows, train_counts), the counts of each (first, second) piece pair in training."""
    glues_on = _glues_on(tokenizer).tolist()
    vocab = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))

    def pairs(stream: list[int], start: int = 0):
        for p in range(start, len(stream) - half - 2):
            a, b, after = stream[p], stream[p + 1], stream[p + 2]
            if vocab[a].startswith("Ġ") and glues_on[b] and not glues_on[after]:
                yield p, (a, b)

    counts: dict[tuple[int, int], int] = {}
    for _, pair in pairs(train_ids.tolist()):
        counts[pair] = counts.get(pair, 0) + 1
    stream = ids.tolist()
    chosen = [p for p, pair in pairs(stream, half) if counts.get(pair, 0) >= min_count]
    if not chosen:
        raise ValueError(f"no word of two pieces occurs {min_count}+ times in training; lower min_count")
    return torch.stack([ids[p - half : p + half + 2] for p in chosen]), counts
