"""XLNet's permutation language model at the book's scale (chapter 9): the library's `XLNetLMHeadModel` and
`DataCollatorForPermutationLanguageModeling`, with two changes of ours, each said in the chapter.

- `permutation_masks`: `perm_mask` and a compact `target_mapping` from a factorisation order (written here
  because the collator draws its own orders and cannot take one).
- `plm_batches`: the collator's spans and orders, with the targets' true tokens put back into the content
  stream (the collator shows them as the mask token; the paper does not) and the query stream run at the
  targets only (`compact_targets`), which is what makes partial prediction cheaper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import torch
import torch.nn.functional as F
from transformers import DataCollatorForPermutationLanguageModeling, XLNetConfig

from .recipes import HEADS, HIDDEN, LAYERS, SHORT_BATCH, SHORT_BLOCK, encoder_train_config, window_batches
from .train import TrainConfig

XLNET_LR = 1e-3  # at the encoder's 3e-3 XLNet's post-LN layers stay on the plateau (chapter 9)


def xlnet_config(tokenizer, layers: int = LAYERS) -> XLNetConfig:
    """An XLNet of the book's shape (4 layers of width 128, 4 heads, MLP 4x wider), no dropout."""
    return XLNetConfig(
        vocab_size=len(tokenizer),
        d_model=HIDDEN,
        n_layer=layers,
        n_head=HEADS,
        d_inner=4 * HIDDEN,
        dropout=0.0,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )


def xlnet_train_config(steps: int, eval_every: int = 100, eval_at=None) -> TrainConfig:
    """The encoder's recipe (50 warm-up steps, then constant) at XLNet's learning rate `XLNET_LR`."""
    return replace(encoder_train_config(steps, eval_every, eval_at), lr=XLNET_LR)


def objectives_train_config(steps: int, eval_every: int = 100, eval_at=None) -> TrainConfig:
    """Section 9.2's recipe: peak 2e-3 after 100 warm-up steps, then constant (a steeper descent off the plateau)."""
    return replace(xlnet_train_config(steps, eval_every, eval_at), lr=2e-3, warmup_steps=100)


def permutation_masks(rank: torch.Tensor) -> dict[str, torch.Tensor]:
    """XLNet's masks from a factorisation order. `rank` (batch, length): -1 for context, 0, 1, ... for the
    targets in the order they are predicted. Position i may not see target j unless j comes earlier."""
    is_target = rank >= 0
    perm_mask = (rank[:, :, None] <= rank[:, None, :]) & is_target[:, None, :]
    count = int(is_target.sum(1).max())
    slots = torch.argsort((~is_target).int(), dim=1, stable=True)[:, :count]  # target positions, in place order
    used = is_target.gather(1, slots)
    target_mapping = F.one_hot(slots, rank.size(1)).float() * used[..., None]
    return {"perm_mask": perm_mask.float(), "target_mapping": target_mapping, "slots": slots, "used": used}


def compact_targets(batch: dict, true_content: bool = True) -> dict[str, torch.Tensor]:
    """A collator batch with the query stream at the targets only (not at every position) and, if
    `true_content`, the targets' own tokens in the content stream instead of the mask token."""
    labels = batch["labels"]
    is_target = labels != -100
    ids = torch.where(is_target, labels, batch["input_ids"]) if true_content else batch["input_ids"]
    count = max(int(is_target.sum(1).max()), 1)
    slots = torch.argsort((~is_target).int(), dim=1, stable=True)[:, :count]
    used = is_target.gather(1, slots)
    return {
        "input_ids": ids,
        "perm_mask": batch["perm_mask"],
        "target_mapping": F.one_hot(slots, labels.size(1)).float() * used[..., None],
        "labels": torch.where(used, labels.gather(1, slots), -100),
    }


def plm_collator(tokenizer, k: float) -> DataCollatorForPermutationLanguageModeling:
    """The library's collator predicting about 1/`k` of the tokens, in spans of up to 5 (the paper's K and L)."""
    return DataCollatorForPermutationLanguageModeling(tokenizer, plm_probability=1 / k, max_span_length=5)


def plm_batches(ids: torch.Tensor, tokenizer, k: float, seed: int = 0, true_content: bool = True) -> Callable:
    """Training batches for XLNet: the encoder's windows (`SHORT_BATCH` x `SHORT_BLOCK`), a fresh order each step."""
    windows, collator = window_batches(ids, SHORT_BLOCK, SHORT_BATCH, seed), plm_collator(tokenizer, k)

    def next_batch(step: int) -> dict:
        rows = [{"input_ids": w} for w in windows(step)]
        with torch.random.fork_rng(devices=[]):  # the collator draws from torch's global generator
            torch.manual_seed(seed * 1_000_003 + step)
            return compact_targets(collator(rows), true_content)

    return next_batch


def held_out_plm(ids: torch.Tensor, tokenizer, k: float, seed: int = 1) -> dict:
    """A fixed permutation-LM test on consecutive `SHORT_BLOCK`-token windows of `ids`."""
    windows = ids[: len(ids) // SHORT_BLOCK * SHORT_BLOCK].view(-1, SHORT_BLOCK)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return compact_targets(plm_collator(tokenizer, k)([{"input_ids": w} for w in windows]))


def plm_loss(model, batch: dict) -> torch.Tensor:
    """The permutation-LM loss: cross-entropy of the query stream's predictions at the targets."""
    return model(**batch).loss


def target_losses(model, batch: dict) -> torch.Tensor:
    """-log p of every target of a permutation-LM batch, in nats, flattened: `plm_loss` is their mean."""
    inputs = {key: value for key, value in batch.items() if key != "labels"}
    with torch.no_grad():
        logp = model(**inputs).logits.log_softmax(-1)
    used = batch["labels"] != -100
    return -logp[used].gather(1, batch["labels"][used][:, None])[:, 0]


def predict_at(model, input_ids: torch.Tensor, rank: torch.Tensor) -> torch.Tensor:
    """Log-probabilities at the targets of `rank` (see `permutation_masks`), in position order: (batch, targets, V)."""
    masks = permutation_masks(rank.to(input_ids.device))
    with torch.no_grad():
        logits = model(input_ids=input_ids, perm_mask=masks["perm_mask"], target_mapping=masks["target_mapping"])
    return logits.logits.log_softmax(-1)


def cloze_scores(model, windows: torch.Tensor, choices: torch.Tensor, half: int, left_only: bool = False):
    """XLNet's scores for the choices of a cloze (`tinylm.tasks.cloze_items`) at the middle position, seeing
    both sides or, with `left_only`, the `half` tokens before it."""
    if left_only:
        windows = windows[:, : half + 1]
    rank = torch.full(windows.shape, -1)
    rank[:, half] = 0
    return predict_at(model, windows, rank)[:, 0].gather(1, choices)


def left_to_right_loss(model, windows: torch.Tensor) -> float:
    """XLNet in the one order GPT uses: mean -log p(x_t | x_<t) over positions 1.. of each window."""
    rank = torch.arange(windows.size(1)).expand_as(windows).clone()
    rank[:, 0] = -1  # the first token is context, as it is for a GPT
    logp = predict_at(model, windows, rank)
    return -logp.gather(2, windows[:, 1:, None]).mean().item()


def without_order(batch: dict) -> dict[str, torch.Tensor]:
    """The same targets with no order among them (the masked-LM objective in XLNet's network, the paper's
    "DAE + Transformer-XL" ablation): every target hidden from every position, so each is predicted from the
    context alone. A target's own content stream still sees itself, which no other position reads."""
    is_target = batch["target_mapping"].sum(1) > 0  # (batch, positions)
    return {**batch, "perm_mask": is_target[:, None, :].expand_as(batch["perm_mask"]).float()}


def left_to_right_batch(windows: torch.Tensor) -> dict[str, torch.Tensor]:
    """The GPT objective in XLNet's network: the left-to-right order with every position but the first a target."""
    rank = torch.arange(windows.size(1)).expand_as(windows).clone()
    rank[:, 0] = -1  # the first token is context, as it is for a GPT
    masks = permutation_masks(rank)
    labels = torch.where(masks["used"], windows.gather(1, masks["slots"]), -100)
    return {
        "input_ids": windows,
        "perm_mask": masks["perm_mask"],
        "target_mapping": masks["target_mapping"],
        "labels": labels,
    }


def left_to_right_batches(ids: torch.Tensor, seed: int = 0) -> Callable:
    """Training batches for the GPT objective in XLNet: the encoder's windows, always in the left-to-right order."""
    windows = window_batches(ids, SHORT_BLOCK, SHORT_BATCH, seed)
    return lambda step: left_to_right_batch(windows(step))
