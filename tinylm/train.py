"""The book's one training loop: a step budget, periodic evaluation, a history and a compute receipt."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from .runtime import is_interactive

RECEIPTS_VARIABLE = "TINYLM_RECEIPTS"  # a file: every run appends its receipt (tools/notebooks.py reads it)


@dataclass
class TrainConfig:
    """Hyper-parameters of one run: AdamW (or Muon and AdamW) with warm-up, then a cosine, linear or constant rate."""

    steps: int
    lr: float = 1e-3
    warmup_steps: int = 100
    schedule: str = "cosine"  # after warm-up: "cosine" or "linear" decay to zero, or "constant"
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.98)
    grad_clip: float | None = 1.0
    eval_every: int = 100
    eval_at: tuple[int, ...] | None = None  # evaluate at exactly these steps (0: before training) instead
    fused: bool = False  # AdamW's fused kernel: the same update in fewer, larger operations (fine-tuning uses it)
    optimizer: str = "adamw"  # or "muon": Muon at `muon_lr` for the hidden weight matrices, AdamW for the rest
    muon_lr: float = 0.02

    def __post_init__(self):
        if self.steps < 1 or self.eval_every < 1:
            raise ValueError(f"steps and eval_every must be >= 1, got {self.steps} and {self.eval_every}")
        if self.optimizer not in ("adamw", "muon"):
            raise ValueError(f"optimizer must be 'adamw' or 'muon', got {self.optimizer!r}")
        if self.schedule not in ("cosine", "linear", "constant"):
            raise ValueError(f"schedule must be 'cosine', 'linear' or 'constant', got {self.schedule!r}")
        if self.eval_at is not None and not all(0 <= s <= self.steps for s in self.eval_at):
            raise ValueError(f"eval_at steps must lie in 0..steps={self.steps}, got {self.eval_at}")

    def evaluates_at(self, step: int) -> bool:
        """Whether `train` evaluates after `step` (step 0: before the first update); always after the last."""
        if self.eval_at is not None:
            return step in self.eval_at or step == self.steps
        return step > 0 and (step % self.eval_every == 0 or step == self.steps)


def log_spaced_steps(last: int, count: int = 12) -> tuple[int, ...]:
    """Step 0 and about `count` steps spaced evenly in log scale from 1 to `last` (for snapshots of learning)."""
    ratios = [last ** (i / (count - 1)) for i in range(count)]
    return tuple(sorted({0, *(round(r) for r in ratios)}))


@dataclass
class Receipt:
    """What a run cost: trainable parameters N, tokens seen D, estimated FLOPs (6·N·D unless `method` says) and
    wall seconds."""

    parameters: int
    tokens: int
    flops: float
    seconds: float
    method: str = "6·N·D"

    def __str__(self) -> str:
        return (
            f"{self.parameters / 1e6:.3f}M parameters, {self.tokens / 1e6:.2f}M tokens, "
            f"{self.flops:.2e} FLOPs ({self.method})"
        )


@dataclass
class History:
    """Training loss per step, evaluation metrics at `eval_steps` (reached `eval_seconds` into the run), and the receipt.

    `evaluation_seconds` is the part of the run's wall time spent inside `evaluate`.
    """

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_seconds: list[float] = field(default_factory=list)
    evals: dict[str, list[float]] = field(default_factory=dict)
    evaluation_seconds: float = 0.0
    receipt: Receipt | None = None

    def last(self, name: str) -> float:
        """The most recent value of an evaluation metric."""
        return self.evals[name][-1]

    def crossing(self, name: str, line: float) -> float:
        """The step at which metric `name` first falls below `line`, read linearly between the two evaluations
        around it (so that the evaluation grid does not decide a comparison); infinity if it never does."""
        points = list(zip(self.eval_steps, self.evals[name]))
        for (s0, v0), (s1, v1) in zip(points, points[1:]):
            if v1 < line <= v0:
                return s0 + (s1 - s0) * (v0 - line) / (v0 - v1)
        return math.inf


def count_parameters(model: torch.nn.Module) -> int:
    """Number of trainable parameters (shared weights counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def move_to(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) tuple, list or dict to `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, Mapping):  # a dict, or the BatchEncoding that tokenizers and collators return
        return {k: move_to(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(move_to(v, device) for v in batch)
    return batch


def _first_tensor_numel(batch: Any) -> int:
    if isinstance(batch, torch.Tensor):
        return batch.numel()
    values = batch.values() if isinstance(batch, Mapping) else batch
    return _first_tensor_numel(next(iter(values)))


def flops_per_step(model: torch.nn.Module, loss_fn: Callable, batch: Any) -> int:
    """The floating-point operations of one training step (forward and backward) on `batch`, counted by
    `torch.utils.flop_counter.FlopCounterMode` (matrix products; chapter 5 counts each model's bill with it)."""
    from torch.utils.flop_counter import FlopCounterMode

    batch = move_to(batch, next(model.parameters()).device)
    with FlopCounterMode(display=False) as counter:
        loss_fn(model, batch).backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def adamw(parameters: list, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW with the config's rate, betas and weight decay; its fused kernel if asked for and this torch has one for
    the parameters' device (CPU since torch 2.4), else the default kernel, which computes the same update."""
    kwargs = dict(lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)
    if config.fused:
        try:
            return torch.optim.AdamW(parameters, fused=True, **kwargs)
        except (RuntimeError, TypeError, ValueError):  # no fused kernel for this device in this torch
            pass
    return torch.optim.AdamW(parameters, **kwargs)


def muon_and_adamw(model: torch.nn.Module, config: TrainConfig) -> list[torch.optim.Optimizer]:
    """Muon (`torch.optim.Muon`, Nesterov momentum 0.95) for the 2-D weights inside the network, AdamW for every
    embedding (tokens, positions), the output layer, norms and biases (Muon orthogonalises a matrix's update; it is
    not meant for those)."""
    embeddings = [m for m in model.modules() if isinstance(m, torch.nn.Embedding)]  # tokens, and positions if any
    outside = {id(m.weight) for m in (*embeddings, model.get_output_embeddings()) if m is not None}
    params = list(model.parameters())
    hidden = [p for p in params if p.ndim == 2 and id(p) not in outside]
    rest = [p for p in params if not (p.ndim == 2 and id(p) not in outside)]
    muon = torch.optim.Muon(hidden, lr=config.muon_lr, weight_decay=config.weight_decay, momentum=0.95)
    return [muon, adamw(rest, config)]


def make_scheduler(optimizer: torch.optim.Optimizer, config: TrainConfig):
    """Linear warm-up, then cosine or linear decay to zero, or a constant rate (schedulers from `transformers`)."""
    from transformers import (
        get_constant_schedule_with_warmup,
        get_cosine_schedule_with_warmup,
        get_linear_schedule_with_warmup,
    )

    if config.schedule == "cosine":
        return get_cosine_schedule_with_warmup(optimizer, config.warmup_steps, config.steps)
    if config.schedule == "linear":  # BERT's schedule
        return get_linear_schedule_with_warmup(optimizer, config.warmup_steps, config.steps)
    return get_constant_schedule_with_warmup(optimizer, config.warmup_steps)


def train(
    model: torch.nn.Module,
    next_batch: Callable[[int], Any],
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    config: TrainConfig,
    evaluate: Callable[[torch.nn.Module], dict[str, float]] | None = None,
    count_tokens: Callable[[Any], int] = _first_tensor_numel,
    count_flops: Callable[[Any], float] | None = None,
    stop: Callable[[History], bool] | None = None,
) -> History:
    """Train `model` for `config.steps` steps and return its History.

    `next_batch(step)` gives a batch, `loss_fn(model, batch)` its loss, `evaluate(model)` a dict of
    metrics (run under no_grad in eval mode every `eval_every` steps, or at `eval_at`, and at the end), and
    `count_tokens(batch)` the tokens it holds (default: the size of its first tensor), and `count_flops(batch)`
    the training FLOPs of a step on it (default: 6·N·D over the run, N every trainable parameter). `stop(history)`,
    asked after each evaluation, ends the run early when it returns True (e.g. once a model has left a plateau).
    """
    device = next(model.parameters()).device
    if config.optimizer == "muon":
        optimizers = muon_and_adamw(model, config)
    else:
        optimizers = [adamw(list(model.parameters()), config)]
    schedulers = [make_scheduler(optimizer, config) for optimizer in optimizers]
    history = History()
    tokens, flops = 0, 0.0
    progress = None
    if is_interactive():
        from tqdm.auto import tqdm

        progress = tqdm(total=config.steps, desc="training", leave=False)
    start = time.perf_counter()

    def evaluate_now(step: int) -> None:
        began = time.perf_counter()
        _evaluate_into(history, model, evaluate, step)
        history.evaluation_seconds += time.perf_counter() - began
        history.eval_seconds.append(time.perf_counter() - start)

    if evaluate and config.evaluates_at(0):
        evaluate_now(0)
    model.train()
    for step in range(1, config.steps + 1):
        batch = move_to(next_batch(step), device)
        tokens += count_tokens(batch)
        flops += count_flops(batch) if count_flops else 0.0
        loss = loss_fn(model, batch)
        if not math.isfinite(loss.item()):
            raise FloatingPointError(f"the loss became {loss.item()} at step {step}; lower the learning rate")
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        for optimizer, scheduler in zip(optimizers, schedulers):
            optimizer.step()
            scheduler.step()
        history.steps.append(step)
        history.train_loss.append(loss.item())
        if evaluate and config.evaluates_at(step):
            evaluate_now(step)
            if stop is not None and stop(history):
                break
        if progress is not None:
            progress.update(1)
            progress.set_postfix(loss=f"{loss.item():.3f}")
    if progress is not None:
        progress.close()
    n = count_parameters(model)
    seconds = time.perf_counter() - start
    if count_flops:
        history.receipt = Receipt(n, tokens, flops, seconds, method="counted per batch")
    else:
        history.receipt = Receipt(n, tokens, 6.0 * n * tokens, seconds)
    log_receipt(history.receipt)
    return history


def log_receipt(receipt: Receipt) -> None:
    """Append `receipt` as one JSON line to the file named by `$TINYLM_RECEIPTS`, if it is set.

    The book's tools set it while executing a chapter, to list what the chapter's training cost.
    """
    path = os.environ.get(RECEIPTS_VARIABLE)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(receipt.__dict__) + "\n")


def _evaluate_into(history: History, model: torch.nn.Module, evaluate, step: int) -> None:
    model.eval()
    with torch.no_grad():
        metrics = evaluate(model)
    model.train()
    history.eval_steps.append(step)
    for name, value in metrics.items():
        history.evals.setdefault(name, []).append(float(value))
