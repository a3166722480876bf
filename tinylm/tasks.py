"""Held-out tasks: a multiple-choice cloze (chapters 5 and 9), and the book's downstream suite (chapter 5.1 on).

The suite is three labelled tasks made from fragments of Tiny Shakespeare's lines, one of each shape that fine-tuning
meets: a label for a fragment (`word_order_items`), a label for a pair of fragments (`minimal_pair_items`) and a label
for each token (`replaced_word_items`). `downstream_suite` builds them with fixed train/test splits; `fine_tune` and
`frozen_probe` score a pre-trained encoder on a task; `majority_baseline` and `counts_baseline` are the floors beside
every result, and `paired_gap` compares two models on the same test items.
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F


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


def clustered_standard_error(values: torch.Tensor, clusters: torch.Tensor) -> float:
    """Standard error of `values.mean()` when values that share a cluster id (a window, a word) may be alike:
    residuals are summed within each cluster first. With every cluster of size one it is `std / sqrt(n)`."""
    residuals = (values - values.mean()).double()
    ids, index = torch.unique(clusters, return_inverse=True)
    sums = torch.zeros(len(ids), dtype=torch.double).index_add_(0, index, residuals)
    groups = len(ids)
    if groups < 2:
        raise ValueError("clustered_standard_error needs at least two clusters")
    return (sums.pow(2).sum() * groups / (groups - 1)).sqrt().item() / len(values)


# Student's t at 97.5 % for 1 to 10 degrees of freedom (a two-sided 95 % interval); beyond 10, 1.96 + 2.4 / df
_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)


def t_critical(df: int) -> float:
    """How many standard errors a mean of `df` + 1 paired differences must be from zero to count (95 %, two-sided)."""
    if df < 1:
        raise ValueError(f"t_critical needs at least 1 degree of freedom (2 pairs), got {df}")
    return _T_975[df - 1] if df <= len(_T_975) else 1.96 + 2.4 / df


def gap_standard_error(accuracy_a: float, accuracy_b: float, n: int) -> float:
    """Standard error of the difference of two accuracies on `n` items, each taken as binomial at their mean.

    It covers the sampling of the test items only, not the variation between training seeds.
    """
    p = (accuracy_a + accuracy_b) / 2
    return math.sqrt(2 * p * (1 - p) / n)


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


# ---- the downstream suite (chapter 5.1 on) -------------------------------------------------------

SUITE_TRAIN, SUITE_TEST = (
    2000,
    1200,
)  # labelled training items per task; held-out items (a standard error <= 1.5 points)
SUITE_WORDS = 6  # each item is six consecutive words of a spoken line
SUITE_TOKENS = 12  # ... of at most 12 tokens (a pair: two of them)
LINE_TOKENS = 16  # the replaced word is found in a whole line of 5 to 10 words, of at most 16 tokens
FINE_TUNE_STEPS, FINE_TUNE_BATCH, FINE_TUNE_LR = 80, 32, 2e-3  # the suite's recipe, measured by tools/suite.py
KINDS = ("sequence", "pair", "token")


def spoken_lines(text: str, min_words: int = 5, max_words: int = 10) -> list[str]:
    """The spoken lines of a play text (not the "NAME:" lines that say who speaks), of `min_words` to `max_words` words."""
    return [line for line in text.split("\n") if min_words <= len(line.split()) <= max_words and not line.endswith(":")]


def line_fragments(text: str, words: int = SUITE_WORDS, seed: int = 0) -> list[str]:
    """From every spoken line of at least `words` words, `words` consecutive words at a place drawn with `seed`."""
    rng = random.Random(seed)
    fragments = []
    for line in spoken_lines(text, words, 10**6):
        split = line.split()
        start = rng.randrange(len(split) - words + 1)
        fragments.append(" ".join(split[start : start + words]))
    return fragments


def _plain(word: str) -> bool:
    return word.isascii() and word.isalpha() and word.islower()


def _swapped(words: list[str], rng: random.Random) -> list[str] | None:
    """`words` with two neighbouring lower-case words swapped (never the first word), or None if none can be."""
    spots = [
        i for i in range(1, len(words) - 1) if _plain(words[i]) and _plain(words[i + 1]) and words[i] != words[i + 1]
    ]
    if not spots:
        return None
    i, words = rng.choice(spots), list(words)
    words[i], words[i + 1] = words[i + 1], words[i]
    return words


def word_order_items(fragments: list[str], seed: int = 0) -> list[tuple[str, int]]:
    """Every fragment with two lower-case words to swap, in a seeded order, every other one swapped: (text, swapped).

    Only two lower-case words after the first are swapped, so that no capital or punctuation mark moves: a swapped
    fragment has exactly the words of an unswapped one, and a bag of words cannot tell them apart.
    """
    rng = random.Random(seed)
    items = []
    for fragment in rng.sample(fragments, len(fragments)):
        swapped = _swapped(fragment.split(), rng)
        if swapped is not None:
            label = len(items) % 2
            items.append((" ".join(swapped) if label else fragment, label))
    return items


def minimal_pair_items(fragments: list[str], seed: int = 0) -> list[tuple[str, str, int]]:
    """Every fragment with two lower-case words to swap, as a pair (a, b, label): the fragment and its swapped copy in
    a seeded order, `label` 1 when the original is `b` (a "minimal pair", as in the BLiMP benchmark)."""
    rng = random.Random(seed)
    items = []
    for fragment in rng.sample(fragments, len(fragments)):
        swapped = _swapped(fragment.split(), rng)
        if swapped is not None:
            changed = " ".join(swapped)
            items.append((changed, fragment, 1) if len(items) % 2 else (fragment, changed, 0))
    return items


def replaced_word_items(lines: list[str], seed: int = 0) -> list[tuple[str, tuple[int, int]]]:
    """Every line, in a seeded order, with one word replaced by a word drawn from all the lines (so common words are
    drawn more often, as a slip would be): (text, (start, end)), the character span of the new word."""
    rng = random.Random(seed)
    vocabulary = [w for line in lines for w in line.split()]
    items = []
    for line in rng.sample(lines, len(lines)):
        words = line.split()
        i = rng.randrange(len(words))
        new = rng.choice(vocabulary)
        while new == words[i]:
            new = rng.choice(vocabulary)
        start = len(" ".join(words[:i])) + (1 if i else 0)
        words[i] = new
        items.append((" ".join(words), (start, start + len(new))))
    return items


@dataclass
class Task:
    """One task of the suite: its labelled training items and held-out test items, as text and as tensors.

    `kind` is "sequence" (a label per text), "pair" (a label per pair of texts) or "token" (a label per token); the
    tensors hold `input_ids`, `attention_mask`, `segment` (0 for the first text of a pair, 1 for the second) and
    `labels` (a class per item, or per token with -100 where there is none), padded to the same length.
    """

    name: str
    kind: str
    question: str
    train_items: list
    test_items: list
    train: dict[str, torch.Tensor]
    test: dict[str, torch.Tensor]
    n_labels: int = 2


def _pad(rows: list[list[int]], length: int, value: int) -> torch.Tensor:
    return torch.tensor([row + [value] * (length - len(row)) for row in rows])


def _encode(tokenizer, kind: str, items: list, max_tokens: int) -> tuple[list, dict[str, torch.Tensor]]:
    """The items that fit `max_tokens` per text, and their tensors (a pair: one text, a newline, the other)."""
    if kind == "token":
        enc = tokenizer([line for line, _ in items], return_offsets_mapping=True)
        keep = [i for i, ids in enumerate(enc["input_ids"]) if len(ids) <= max_tokens]
        ids, labels = [], []
        for i in keep:
            start, end = items[i][1]
            ids.append(enc["input_ids"][i])
            labels.append([int(a < end and b > start) for a, b in enc["offset_mapping"][i]])
        segments = [[0] * len(row) for row in ids]
    else:
        first = tokenizer([it[0] + ("\n" if kind == "pair" else "") for it in items])["input_ids"]
        second = tokenizer([it[1] for it in items])["input_ids"] if kind == "pair" else [[]] * len(items)
        keep = [i for i in range(len(items)) if max(len(first[i]), len(second[i])) <= max_tokens]
        ids = [first[i] + second[i] for i in keep]
        segments = [[0] * len(first[i]) + [1] * len(second[i]) for i in keep]
        labels = [items[i][-1] for i in keep]
    length = max((len(row) for row in ids), default=0)
    tensors = {
        "input_ids": _pad(ids, length, tokenizer.pad_token_id),
        "attention_mask": _pad([[1] * len(row) for row in ids], length, 0),
        "segment": _pad(segments, length, 0),
        "labels": _pad(labels, length, -100) if kind == "token" else torch.tensor(labels),
    }
    return [items[i] for i in keep], tensors


def make_task(name: str, kind: str, question: str, tokenizer, train_items: list, test_items: list, n_train: int,
              n_test: int, max_tokens: int = SUITE_TOKENS) -> Task:  # fmt: skip
    """A `Task` from candidate items: the first `n_train` and `n_test` that fit `max_tokens` tokens per text."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if min(n_train, n_test) < 1:
        raise ValueError(f"a task needs at least one training and one test item, got {n_train} and {n_test}")
    parts = {}
    for part, items, n in (("train", train_items, n_train), ("test", test_items, n_test)):
        kept, _ = _encode(tokenizer, kind, items[: 2 * n], max_tokens)  # most fit: twice as many is plenty
        if len(kept) < n:
            raise ValueError(f"{name}: only {len(kept)} {part} items fit in {max_tokens} tokens, {n} asked for")
        parts[part] = _encode(tokenizer, kind, kept[:n], max_tokens)
    return Task(name, kind, question, parts["train"][0], parts["test"][0], parts["train"][1], parts["test"][1])


def downstream_suite(tokenizer, n_train: int = SUITE_TRAIN, n_test: int = SUITE_TEST, seed: int = 0) -> dict[str, Task]:
    """The book's three downstream tasks (chapter 5.1): word order and minimal pairs on six-word fragments of spoken
    lines, the replaced word on whole lines. Labelled items come from the training text, test items from the held-out
    text (the validation and test splits of Tiny Shakespeare, which no pre-training in the book reads); the first
    that fit in `SUITE_TOKENS` tokens per fragment (`LINE_TOKENS` per line) are kept."""
    from .data import shakespeare_splits

    splits = shakespeare_splits()
    train_text, test_text = splits["train"], splits["valid"] + splits["test"]
    units = {  # fragments for the word-order tasks, whole lines (more context) for the replaced word
        "fragments": (line_fragments(train_text, seed=seed), line_fragments(test_text, seed=seed + 1), SUITE_TOKENS),
        "lines": (spoken_lines(train_text), spoken_lines(test_text), LINE_TOKENS),
    }

    def made(k, name, kind, question, items, unit="fragments"):  # each task draws with seeds of its own
        train, test, tokens = units[unit]
        train_items, test_items = items(train, seed + 2 * k), items(test, seed + 2 * k + 1)
        return make_task(name, kind, question, tokenizer, train_items, test_items, n_train, n_test, tokens)

    return {
        "word order": made(0, "word order", "sequence", "Were two neighbouring words swapped?", word_order_items),
        "which is original": made(
            1, "which is original", "pair", "Which of the two has its words in Shakespeare's order?", minimal_pair_items
        ),
        "replaced word": made(
            2, "replaced word", "token", "Which word was put in from another line?", replaced_word_items, "lines"
        ),
    }


@dataclass
class Result:
    """How one model did on one task: `correct` holds a score per test item (1 right, 0 wrong; a chance for baselines)."""

    task: str
    correct: torch.Tensor

    @property
    def accuracy(self) -> float:
        return self.correct.float().mean().item()


def encoder_of(model) -> torch.nn.Module:
    """The `ModernBertModel` inside a ModernBERT model with a head (`...ForMaskedLM`, `...ForTokenClassification`)."""
    from transformers import ModernBertModel

    if isinstance(model, ModernBertModel):
        return model
    if isinstance(getattr(model, "model", None), ModernBertModel):
        return model.model
    raise TypeError(f"{type(model).__name__} is not a ModernBERT model; the suite fine-tunes the book's encoder")


def pool(states: torch.Tensor, batch: dict, kind: str) -> torch.Tensor:
    """What a task's head reads: each token's vector ("token"); the mean and the maximum over a line's tokens
    ("sequence"); or the means a, b of the two lines with a*b and |a-b| ("pair", as in Sentence-BERT)."""
    if kind == "token":
        return states
    real = batch["attention_mask"].to(states.device)[..., None].bool()
    if kind == "sequence":
        mean = (states * real).sum(1) / real.sum(1)
        return torch.cat([mean, states.masked_fill(~real, -1e4).amax(1)], -1)
    second = batch["segment"].to(states.device)[..., None].bool()
    a, b = [(states * m).sum(1) / m.sum(1).clamp(min=1) for m in (real & ~second, real & second)]
    return torch.cat([a, b, a * b, (a - b).abs()], -1)


class TaskModel(torch.nn.Module):
    """A copy of an encoder (`ModernBertModel`) with a fresh linear head for one kind of task.

    Written here, not taken from `ModernBertForSequenceClassification`: that class pools with the padding mask, so it
    cannot read with a decoder's causal masks (chapter 5's GPT), and it has no head for a pair of lines.
    """

    def __init__(self, encoder: torch.nn.Module, kind: str, n_labels: int = 2, causal: bool = False):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.encoder, self.kind, self.causal = copy.deepcopy(encoder), kind, causal
        width = encoder.config.hidden_size * {"token": 1, "sequence": 2, "pair": 4}[kind]
        self.head = torch.nn.Linear(width, n_labels)

    def features(self, batch: dict) -> torch.Tensor:
        from .recipes import causal_masks

        ids = batch["input_ids"]
        mask = causal_masks(self.encoder.config, ids.size(1), ids.device) if self.causal else batch["attention_mask"]
        return pool(self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state, batch, self.kind)

    def forward(self, batch: dict) -> torch.Tensor:
        return self.head(self.features(batch))


def rows_of(tensors: dict[str, torch.Tensor], rows) -> dict[str, torch.Tensor]:
    """Some rows of a task's tensors, cut to the longest of them (the padding after it is never read)."""
    length = int(tensors["attention_mask"][rows].sum(1).max())
    return {k: v[rows] if v.dim() == 1 else v[rows, :length] for k, v in tensors.items()}


def task_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against the labels: one per item, or one per token with -100 where there is none."""
    return F.cross_entropy(logits.flatten(0, -2), labels.flatten(), ignore_index=-100)


def scores(logits: torch.Tensor, batch: dict, kind: str) -> torch.Tensor:
    """1 for each item answered right, else 0. A token task is answered by the token most likely to be the label-1
    token: the line is right when that token is one (chapter 5's "found the replaced word")."""
    labels = batch["labels"].to(logits.device)
    if kind != "token":
        return (logits.argmax(-1) == labels).float()
    score = (logits[..., 1] - logits[..., 0]).masked_fill(batch["attention_mask"].to(logits.device) == 0, -torch.inf)
    return (labels.gather(1, score.argmax(1, keepdim=True))[:, 0] == 1).float()


@torch.no_grad()
def evaluate(net: TaskModel, task: Task, chunk: int = 400) -> Result:
    """`net`'s scores on every test item of `task`."""
    net.eval()
    device = next(net.parameters(), torch.empty(0)).device  # a model with no parameters (ONNX Runtime's) on the CPU
    correct = []
    for start in range(0, len(task.test["labels"]), chunk):
        batch = {k: v.to(device) for k, v in rows_of(task.test, slice(start, start + chunk)).items()}
        correct.append(scores(net(batch), batch, task.kind).cpu())
    return Result(task.name, torch.cat(correct))


def fine_tuned(model, task: Task, seed: int, steps: int = FINE_TUNE_STEPS, batch: int = FINE_TUNE_BATCH,
               lr: float = FINE_TUNE_LR, causal: bool = False, net: TaskModel | None = None, items: int | None = None,
               loss_fn=None) -> TaskModel:  # fmt: skip
    """A copy of `model`'s encoder with a fresh head, fine-tuned on `task`'s labelled items (see `fine_tune`). Or
    `net`, a `TaskModel` built by the caller (a subclass that reads differently, chapter 13), trained in place.
    `items` keeps only the first that many labelled items; `loss_fn(net, batch)` replaces the labels' cross-entropy
    (chapter 14's soft targets)."""
    from .train import TrainConfig, train

    torch.manual_seed(seed)
    device = next(model.parameters()).device
    if net is None:
        net = TaskModel(encoder_of(model), task.kind, task.n_labels, causal)
    net = net.to(device)
    generator = torch.Generator().manual_seed(seed)
    count = len(task.train["labels"]) if items is None else items
    if not 0 < count <= len(task.train["labels"]):
        raise ValueError(
            f"items must be between 1 and {len(task.train['labels'])} (the task's labelled items), got {items}"
        )
    next_batch = lambda step: rows_of(task.train, torch.randint(0, count, (batch,), generator=generator))
    recipe = TrainConfig(
        steps=steps, lr=lr, warmup_steps=max(1, steps // 10), schedule="linear", eval_every=steps, fused=True
    )
    train(net, next_batch, loss_fn or (lambda net, b: task_loss(net(b), b["labels"])), recipe)
    return net.eval()


def fine_tune(model, task: Task, seed: int, steps: int = FINE_TUNE_STEPS, batch: int = FINE_TUNE_BATCH,
              lr: float = FINE_TUNE_LR, causal: bool = False) -> Result:  # fmt: skip
    """Fine-tune a copy of `model`'s encoder with a fresh head on `task`'s labelled items; score it on the test items.

    Every weight trains, with AdamW at `lr` (10 % warm-up, then linear decay to zero; no early stopping). `seed` fixes
    the head's first weights and the order of the items. `causal=True` reads with the decoder's masks (chapter 5's GPT).
    `model` itself is not changed.
    """
    return evaluate(fine_tuned(model, task, seed, steps, batch, lr, causal), task)


@torch.no_grad()
def _features(net: TaskModel, tensors: dict[str, torch.Tensor], chunk: int = 400) -> torch.Tensor:
    device = next(net.parameters()).device
    length = tensors["input_ids"].size(1)
    parts = []
    for start in range(0, len(tensors["labels"]), chunk):
        batch = {k: v[start : start + chunk].to(device) for k, v in tensors.items()}
        parts.append(net.features(batch))
    return torch.cat(parts) if net.kind != "token" else torch.cat([p[:, :length] for p in parts])


def frozen_probe(model, task: Task, seed: int = 0, steps: int = 300, lr: float = 1e-2, causal: bool = False) -> Result:
    """A linear head trained on the frozen encoder's vectors (logistic regression, full batch): what the pre-trained
    vectors hold in a form a linear layer can read, with nothing in the encoder allowed to change."""
    torch.manual_seed(seed)
    device = next(model.parameters()).device
    net = TaskModel(encoder_of(model), task.kind, task.n_labels, causal).to(device).eval()
    x_train, x_test = _features(net, task.train), _features(net, task.test)
    labels = task.train["labels"].to(device)
    optimizer = torch.optim.AdamW(net.head.parameters(), lr=lr)
    for _ in range(steps):
        loss = task_loss(net.head(x_train), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return Result(task.name, scores(net.head(x_test), task.test, task.kind).cpu())


def majority_baseline(task: Task) -> Result:
    """Always the commonest training label; for a token task, a token picked at random (its chance of being right)."""
    labels = task.test["labels"]
    if task.kind == "token":
        return Result(task.name, (labels == 1).sum(1) / (labels != -100).sum(1))
    commonest = torch.bincount(task.train["labels"]).argmax()
    return Result(task.name, (labels == commonest).float())


COUNT_BUCKETS = 1 << 16  # n-grams are hashed into this many counts (a few collide; it costs the baseline little)


def _ngrams(tensors: dict[str, torch.Tensor], kind: str) -> torch.Tensor:
    """Hashed token n-grams per item (sequence, pair: unigrams and bigrams, tagged with their line) or per token
    (token: the token, and the bigrams it begins and ends); padding is `COUNT_BUCKETS`."""
    ids, real, line = tensors["input_ids"].long(), tensors["attention_mask"].bool(), tensors["segment"].long()
    after = torch.cat([ids[:, 1:], torch.full_like(ids[:, :1], -1)], 1)
    before = torch.cat([torch.full_like(ids[:, :1], -1), ids[:, :-1]], 1)
    follows = torch.cat([real[:, 1:] & (line[:, 1:] == line[:, :-1]), torch.zeros_like(real[:, :1])], 1)
    unigram = (ids * 4 + line) * 1_000_003
    bigram = ((ids * 4096 + after + 1) * 4 + line) * 1_000_003 + 1
    pad = torch.full_like(ids, COUNT_BUCKETS)
    if kind == "token":
        ending = ((before + 1) * 4096 + ids) * 1_000_003 * 4 + 2
        grams = [unigram % COUNT_BUCKETS, bigram % COUNT_BUCKETS, ending % COUNT_BUCKETS]
        grams[1] = torch.where(follows, grams[1], pad)
        grams[2] = torch.where(torch.cat([torch.zeros_like(real[:, :1]), follows[:, :-1]], 1), grams[2], pad)
        return torch.stack([torch.where(real, g, pad) for g in grams], -1)
    return torch.cat(
        [torch.where(real, unigram % COUNT_BUCKETS, pad), torch.where(follows, bigram % COUNT_BUCKETS, pad)], 1
    )


def counts_baseline(task: Task, seed: int = 0, steps: int = 100, lr: float = 0.1) -> Result:
    """Logistic regression on counts of token n-grams, learned from the labelled items alone (no pre-training)."""
    torch.manual_seed(seed)
    weights = torch.nn.Embedding(COUNT_BUCKETS + 1, task.n_labels, padding_idx=COUNT_BUCKETS)
    torch.nn.init.zeros_(weights.weight)
    bias = torch.nn.Parameter(torch.zeros(task.n_labels))
    x_train, x_test = _ngrams(task.train, task.kind), _ngrams(task.test, task.kind)
    logits = lambda x: weights(x).sum(-2) + bias  # a sum over an item's n-grams, or over a token's three
    optimizer = torch.optim.AdamW([weights.weight, bias], lr=lr, weight_decay=0.0)
    for _ in range(steps):
        loss = task_loss(logits(x_train), task.train["labels"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return Result(task.name, scores(logits(x_test), task.test, task.kind))


def paired_gap(a, b) -> tuple[float, float]:
    """Mean score of `a` minus `b` on the same test items, and its standard error over the items (paired).

    `a` and `b` are `Result`s or lists of them (seeds), averaged per item first; the error covers which test items
    were drawn, not what a new pre-training run would do.
    """
    mean = lambda r: torch.stack([x.correct.float() for x in r]).mean(0) if isinstance(r, list) else r.correct.float()
    difference = mean(a) - mean(b)
    return difference.mean().item(), (difference.std() / math.sqrt(len(difference))).item()


@dataclass
class Comparison:
    """Model `a` against model `b` on one task: the mean difference in accuracy, its paired standard error, and a
    verdict, "<a> ahead" or "<b> ahead" beyond two standard errors, else "level"."""

    gap: float
    se: float
    verdict: str


def compare(a: list[Result], b: list[Result], names: tuple[str, str]) -> Comparison:
    """`paired_gap` of two models' results on one task, with a verdict at two standard errors."""
    gap, se = paired_gap(a, b)
    verdict = f"{names[0]} ahead" if gap > 2 * se else f"{names[1]} ahead" if gap < -2 * se else "level"
    return Comparison(gap, se, verdict)


def fine_tune_suite(model, suite: dict[str, Task], seeds, causal: bool = False, **recipe) -> dict[str, list[Result]]:
    """`fine_tune` on every task of `suite` with every seed: {task name: [Result per seed]}."""
    return {
        name: [fine_tune(model, task, seed, causal=causal, **recipe) for seed in seeds] for name, task in suite.items()
    }


def baseline_results(suite: dict[str, Task]) -> dict[str, dict[str, list[Result]]]:
    """The two floors printed beside every result: "majority" and "counts only", in `fine_tune_suite`'s form."""
    return {
        "majority": {name: [majority_baseline(task)] for name, task in suite.items()},
        "counts only": {name: [counts_baseline(task)] for name, task in suite.items()},
    }


def control_results(model, task: Task, seeds, **recipe) -> tuple[list[TaskModel], dict[str, dict[str, list[Result]]]]:
    """Part V's positive control on one task: `model` fine-tuned with each seed (the nets, moved to the CPU), beside
    random weights and the majority and counts-only baselines, as a dict for `results_table`."""
    nets = [fine_tuned(model, task, seed, **recipe).cpu() for seed in seeds]
    one = {task.name: task}
    results = {
        "fine-tuned": {task.name: [evaluate(net, task) for net in nets]},
        "random weights": random_weights_suite(model.config, one, seeds, **recipe),
        **baseline_results(one),
    }
    return nets, results


def results_table(results: dict[str, dict[str, list[Result]]]) -> str:
    """A text table: one row per model, per task its mean accuracy (%) and, over several seeds, their range."""
    tasks_ = list(next(iter(results.values())))
    width = max(len(name) for name in results) + 1
    columns = [max(len(t), 12) + 2 for t in tasks_]
    lines = [" " * width + "".join(t.rjust(c) for t, c in zip(tasks_, columns))]
    for name, by_task in results.items():
        cells = []
        for t, c in zip(tasks_, columns):
            accuracies = [100 * r.accuracy for r in by_task[t]]
            mean = sum(accuracies) / len(accuracies)
            spread = f" ({min(accuracies):.0f}-{max(accuracies):.0f})" if len(accuracies) > 1 else ""
            cells.append(f"{mean:.1f}{spread}".rjust(c))
        lines.append(name.ljust(width) + "".join(cells))
    return "\n".join(lines)


def random_weights_suite(config, suite: dict[str, Task], seeds, **recipe) -> dict[str, list[Result]]:
    """The floor every pre-trained model must clear: `fine_tune` from random weights, a fresh `ModernBertModel(config)`
    per seed (initialised from seed 100 + seed), with the same recipe."""
    from transformers import ModernBertModel

    def fresh(seed):
        torch.manual_seed(100 + seed)
        return ModernBertModel(config)

    models = {seed: fresh(seed) for seed in seeds}
    return {name: [fine_tune(models[seed], task, seed, **recipe) for seed in seeds] for name, task in suite.items()}
