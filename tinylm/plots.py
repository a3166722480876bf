"""The book's one matplotlib style and palette, and the plots several chapters share.

The same colour means the same thing in every figure of the book (and in figures/draw.py):
BERT and the encoder are blue, GPT and the decoder vermillion; queries, keys and values keep
their colours; masked (hidden) positions are grey. Okabe-Ito colours, safe for colour-blind readers.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import torch

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


RIVAL_STYLES = [
    ("#333333", "--"),
    ("#666666", ":"),
    ("#888888", "-."),
    ("#444444", (0, (5, 1, 1, 1))),
    ("#999999", "--"),
]
"""How the rival candidates of a prediction are drawn: greys and dashes, never a model's colour."""


def step_axis(ax) -> None:
    """Training steps on a log scale that still shows step 0 (linear between 0 and 1)."""
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlim(left=0)
    ax.set_xlabel("training step (log scale; 0 = untrained)")


def plot_candidates(steps, probs, true_id, label, color, ylabel, title, rivals=5, ax=None):
    """How one prediction's probabilities changed during training: `probs` is (evaluations, vocabulary).

    Draws the `rivals` strongest other tokens that were ever in the top 3 (greys, dashed) and the true token
    (thick, in the model's `color`); `label(token_id)` names a token. Steps may start at 0 (the untrained model).
    """
    probs = np.asarray(probs, dtype=float)
    top = set(np.argsort(-probs, axis=1)[:, :3].flatten().tolist()) - {true_id}
    shown = sorted(top, key=lambda t: -probs[:, t].max())[:rivals]
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 3.6))
    for t, (grey, dash) in zip(shown, RIVAL_STYLES):
        ax.plot(steps, probs[:, t], marker="o", ms=2.5, lw=1.2, color=grey, ls=dash, label=label(t))
    ax.plot(steps, probs[:, true_id], marker="o", ms=3, lw=2.4, color=color, label=label(true_id) + "  (true)")
    ax.set(ylabel=ylabel, title=title)
    if steps[0] == 0:
        step_axis(ax)
    else:
        ax.set_xlabel("training step")
    ax.legend(title="candidate", loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def plot_learning_phases(steps, logp_true, logp_frequency, vocab_size, color, label, ax=None):
    """The mean log-probability a model gives the true tokens during training, against two lines.

    The dotted line is a uniform guess (log 1/V); the dashed one knows only how often each word occurs
    (`logp_frequency`, the mean log-frequency of the same true tokens). Above it, the model uses the context.
    """
    ax = ax or plt.subplots(figsize=(6.4, 3.4))[1]
    ax.plot(steps, logp_true, marker="o", ms=3, lw=2, color=color, label=label)
    ax.axhline(logp_frequency, ls="--", lw=1, color=PALETTE["valid"], label="word frequencies alone")
    ax.axhline(-np.log(vocab_size), ls=":", lw=1.2, color=PALETTE["valid"], label=f"uniform over {vocab_size:,} tokens")
    step_axis(ax)
    ax.set_ylabel("mean log-probability of the true token")
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_one_prediction(steps, probs, true_id, frequency, label, color, title, rivals=4):
    """One prediction during training, in three panels: the candidates' probabilities, the true token's
    log-probability against the uniform and frequency lines, and its rank among all tokens (1 = top).

    `probs` is (evaluations, vocabulary); `frequency` is the true token's share of the training text.
    """
    probs = np.asarray(probs, dtype=float)
    fig, (ax_c, ax_p, ax_r) = plt.subplots(1, 3, figsize=(11, 3.5), width_ratios=(1.5, 1, 1))
    plot_candidates(steps, probs, true_id, label, color, "probability", "The candidates", rivals, ax=ax_c)
    ax_c.legend(title="candidate", fontsize=7, loc="upper left")
    ax_p.plot(steps, np.log(probs[:, true_id]), marker="o", ms=3, lw=2, color=color, label=label(true_id))
    ax_p.axhline(np.log(frequency), ls="--", lw=1, color=PALETTE["valid"], label="its frequency")
    ax_p.axhline(-np.log(probs.shape[1]), ls=":", lw=1.2, color=PALETTE["valid"], label="uniform")
    ax_p.set(ylabel="log-probability", title="The true token")
    ax_p.legend(fontsize=7, loc="upper left")
    rank = (probs > probs[:, [true_id]]).sum(1) + 1
    ax_r.plot(steps, rank, marker="o", ms=3, lw=2, color=color)
    ax_r.set_yscale("log")
    ax_r.set_ylim(probs.shape[1], 0.8)
    ax_r.set(ylabel="rank among all tokens", title="Its rank (1 = top guess)")
    for ax in (ax_p, ax_r):
        step_axis(ax)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def moving_average(x, width: int = 15) -> torch.Tensor:
    """The `width`-step moving average of a 1-D series (len(x) - width + 1 values, each at its window's middle)."""
    return torch.nn.functional.avg_pool1d(torch.as_tensor(x, dtype=torch.float32)[None, None], width, 1)[0, 0]


BASELINES = {"majority": ":", "counts only": "--"}  # the suite's floors, drawn as lines (chapter 5.1 on)


def plot_suite(results: dict, colors: dict, title: str | None = None):
    """The downstream suite's results, one panel per task: a dot per fine-tuning seed and a bar at each model's mean,
    with the floors of `tasks.baseline_results` ("majority", "counts only") as vertical lines. `colors` maps every
    model that is not a floor to its colour."""
    models = [name for name in results if name not in BASELINES]
    task_names = list(next(iter(results.values())))
    fig, axes = plt.subplots(1, len(task_names), figsize=(3.4 * len(task_names), 0.5 * len(models) + 1.6), sharey=True)
    for ax, task in zip(np.atleast_1d(axes), task_names):
        for y, name in enumerate(models[::-1]):
            accuracies = [100 * r.accuracy for r in results[name][task]]
            ax.scatter(accuracies, [y] * len(accuracies), color=colors[name], s=28, alpha=0.8, zorder=3)
            ax.plot([np.mean(accuracies)] * 2, [y - 0.3, y + 0.3], color=colors[name], lw=2.5)
        for name, style in BASELINES.items():
            if name in results:
                ax.axvline(100 * results[name][task][0].accuracy, ls=style, lw=1, color=PALETTE["valid"], label=name)
        ax.set_yticks(range(len(models)), models[::-1])
        ax.set(title=task, xlabel="test accuracy (%)")
        ax.margins(x=0.15)
    np.atleast_1d(axes)[0].legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
