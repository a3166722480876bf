"""The book's one matplotlib style and palette, and the plots several chapters share.

The same colour means the same thing in every figure of the book (and in figures/draw.py):
BERT and the encoder are blue, GPT and the decoder vermillion; queries, keys and values keep
their colours; masked (hidden) positions are grey. Okabe-Ito colours, safe for colour-blind readers.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

PALETTE = {
    "encoder": "#0072B2",  # BERT
    "bert": "#0072B2",
    "decoder": "#D55E00",  # GPT
    "gpt": "#D55E00",
    "transformer": "#6A51A3",  # the full encoder-decoder
    "electra": "#882255",  # ELECTRA (chapter 8), beside BERT blue
    "query": "#CC79A7",
    "key": "#E69F00",
    "value": "#56B4E9",
    "seen": "#009E73",  # positions a token may attend to
    "masked": "#BBBBBB",  # positions hidden by a mask
    "train": "#999999",
    "valid": "#000000",
    "highlight": "#F0E442",
}
ATTENTION_CMAP = "viridis"


def use_book_style() -> None:
    """Apply the book's matplotlib style (sizes, fonts, grid, colour cycle)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
            "axes.prop_cycle": mpl.cycler(
                color=[PALETTE[k] for k in ("encoder", "decoder", "transformer", "seen", "key", "query")]
            ),
            "svg.hashsalt": "tinylm",
        }
    )


def plot_history(history, metrics=None, ax=None, title=None):
    """Plot a `tinylm.train.History`: the training loss per step and each evaluated metric."""
    ax = ax or plt.subplots()[1]
    ax.plot(history.steps, history.train_loss, color=PALETTE["train"], lw=1, label="train loss")
    for i, name in enumerate(metrics or sorted(history.evals)):
        ax.plot(
            history.eval_steps,
            history.evals[name],
            marker="o",
            ms=3,
            label=name,
            color=PALETTE["valid"] if i == 0 else None,
        )
    ax.set_xlabel("training step")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_attention(weights, x_labels, y_labels, ax=None, title=None, colorbar=False):
    """Heat map of one attention matrix: rows are the queries (y_labels), columns the keys (x_labels)."""
    weights = np.asarray(weights, dtype=float)
    ax = ax or plt.subplots(figsize=(3.2, 3.2))[1]
    im = ax.imshow(weights, cmap=ATTENTION_CMAP, vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(x_labels)), x_labels, fontsize=8, rotation=90 if len(x_labels) > 8 else 0)
    ax.set_yticks(range(len(y_labels)), y_labels, fontsize=8)
    ax.tick_params(length=0)
    ax.grid(False)
    ax.set_xlabel("key (attended to)")
    ax.set_ylabel("query (attending)")
    if title:
        ax.set_title(title, fontsize=10)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax


def plot_attention_heads(weights, x_labels, y_labels, title=None, row_names=None):
    """A grid of attention heat maps: `weights` is (heads, queries, keys), one row, or (layers, heads, queries, keys)."""
    weights = np.asarray(weights, dtype=float)
    if weights.ndim == 3:
        weights = weights[None]
    rows, cols = weights.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=(2.25 * cols, 2.3 * rows + 0.4), squeeze=False)
    for r in range(rows):
        for h in range(cols):
            ax = axes[r, h]
            name = f"{row_names[r]}, head {h}" if row_names else f"head {h}"
            plot_attention(weights[r, h], x_labels, y_labels, ax=ax, title=name)
            if h:
                ax.set_ylabel("")
            if r < rows - 1:
                ax.set_xlabel("")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_candidates(steps, probs, true_id, label, color, ylabel, title, rivals=5):
    """How one prediction's probabilities changed during training: `probs` is (evaluations, vocabulary).

    Draws the true token (thick, in `color`) and the `rivals` other tokens that were ever in the top 3,
    strongest first; `label(token_id)` names a token.
    """
    probs = np.asarray(probs, dtype=float)
    top = set(np.argsort(-probs, axis=1)[:, :3].flatten().tolist()) - {true_id}
    shown = sorted(top, key=lambda t: -probs[:, t].max())[:rivals] + [true_id]
    others = iter(c for c in plt.rcParams["axes.prop_cycle"].by_key()["color"] * 2 if c != color)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for t in shown:
        is_true = t == true_id
        ax.plot(
            steps,
            probs[:, t],
            marker="o",
            ms=3,
            lw=2.4 if is_true else 1.2,
            color=color if is_true else next(others),
            label=label(t) + ("  (true)" if is_true else ""),
        )
    ax.set(xlabel="training step", ylabel=ylabel, title=title)
    ax.legend(title="candidate", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig
