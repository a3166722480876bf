"""Counting baselines for a next-token model (chapter 3): interpolated n-grams over the book's tokens.

`ngram_counts` counts, `order_probabilities` gives each token's probability under the uniform, unigram, bigram and
trigram estimates, `best_weights` picks their mix on held-out text, and `interpolated_baselines` does all three the
way chapter 3 does (weights chosen on the last 10 % of the training split, counts then taken on all of it).
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

ORDERS = {1: "unigram", 2: "bigram", 3: "trigram"}


def ngram_counts(ids: list[int], n: int) -> Counter:
    """How often each sequence of n tokens occurs in `ids`."""
    return Counter(zip(*(ids[i:] for i in range(n))))


def order_probabilities(counts: dict[int, Counter], ids: list[int], vocab_size: int) -> np.ndarray:
    """For every token of `ids` after the first: its probability under the uniform,
    unigram, bigram and trigram estimates (rows), 0 where a context was never seen."""
    total = sum(counts[1].values())
    p = np.zeros((4, len(ids) - 1))
    for t in range(1, len(ids)):
        u, v, w = ids[t - 2] if t > 1 else None, ids[t - 1], ids[t]
        seen_v, seen_uv = counts[1][(v,)], counts[2][(u, v)]
        p[:, t - 1] = (
            1 / vocab_size,
            counts[1][(w,)] / total,
            counts[2][(v, w)] / seen_v if seen_v else 0.0,
            counts[3][(u, v, w)] / seen_uv if seen_uv else 0.0,
        )
    return p


def best_weights(p: np.ndarray, step: float = 0.05) -> np.ndarray:
    """The mix of the estimates (rows of `p`) with the lowest mean -log p (grid of `step`, uniform >= 1 %)."""
    grid = itertools.product(np.arange(0, 1 + 1e-9, step), repeat=len(p) - 1)
    mixes = np.array([[1 - sum(w), *w] for w in grid if sum(w) <= 0.99 + 1e-9])
    return mixes[(-np.log(mixes @ p)).mean(1).argmin()]


def interpolated_baselines(train_ids: list[int], test_ids: list[int], vocab_size: int) -> dict:
    """Chapter 3's counting baselines: for n = 1, 2, 3 the interpolation weights (chosen on the last 10 % of
    `train_ids`, counted on the rest) and each test token's probability (counted on all of `train_ids`).
    Returns {"weights": {n: w}, "p": {n: probabilities of test_ids[1:]}, "counts": {n: Counter}}."""
    cut = int(0.9 * len(train_ids))
    held_counts = {n: ngram_counts(train_ids[:cut], n) for n in (1, 2, 3)}
    held_p = order_probabilities(held_counts, train_ids[cut:], vocab_size)
    weights = {n: best_weights(held_p[: n + 1]) for n in ORDERS}
    counts = {n: ngram_counts(train_ids, n) for n in (1, 2, 3)}
    test_p = order_probabilities(counts, test_ids, vocab_size)
    return {"weights": weights, "p": {n: weights[n] @ test_p[: n + 1] for n in ORDERS}, "counts": counts}
