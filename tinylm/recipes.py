"""The book's matched tiny GPT and BERT (chapter 5 on): one shape, one batching, one training recipe each.

Later chapters measure their refinements against these, so the yardstick lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import BertConfig, DataCollatorForLanguageModeling, GPT2Config

from .train import TrainConfig

HIDDEN, LAYERS, HEADS = 128, 4, 4  # both models: 4 layers of width 128 with 4 heads, MLP 4x wider


def gpt_config(tokenizer, block: int) -> GPT2Config:
    """A 4x128 GPT-2 over `tokenizer`'s vocabulary with `block` positions and no dropout."""
    return GPT2Config(
        vocab_size=len(tokenizer), n_positions=block, n_embd=HIDDEN, n_layer=LAYERS, n_head=HEADS,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )


def bert_config(tokenizer, block: int) -> BertConfig:
    """The BERT of the same shape as `gpt_config`: one segment type (no NSP), no dropout."""
    return BertConfig(
        vocab_size=len(tokenizer), hidden_size=HIDDEN, num_hidden_layers=LAYERS,
        num_attention_heads=HEADS, intermediate_size=4 * HIDDEN, max_position_embeddings=block,
        type_vocab_size=1, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        pad_token_id=tokenizer.pad_token_id,
    )


def gpt_train_config(steps: int, eval_every: int = 100) -> TrainConfig:
    """Chapter 3's recipe for the tiny GPT (peak learning rate 3e-3)."""
    return TrainConfig(steps=steps, lr=3e-3, warmup_steps=30, weight_decay=0.1, betas=(0.9, 0.95),
                       eval_every=eval_every)


def bert_train_config(steps: int, eval_every: int = 100) -> TrainConfig:
    """Chapter 4's recipe for the tiny BERT (peak learning rate 1.5e-3)."""
    return TrainConfig(steps=steps, lr=1.5e-3, warmup_steps=50, eval_every=eval_every)


def window_batches(ids: torch.Tensor, block: int, batch: int, seed: int = 0) -> Callable[[int], torch.Tensor]:
    """A `next_batch(step)` giving `batch` windows of `block` tokens at random starts in `ids` (own generator)."""
    if len(ids) <= block:
        raise ValueError(f"need more than block={block} tokens to cut windows, got {len(ids)}")
    generator = torch.Generator().manual_seed(seed)

    def next_batch(step: int) -> torch.Tensor:
        starts = torch.randint(0, len(ids) - block, (batch,), generator=generator)
        return torch.stack([ids[s : s + block] for s in starts.tolist()])

    return next_batch


def masked_window_batches(ids: torch.Tensor, tokenizer, block: int, batch: int, seed: int = 0,
                          mlm_probability: float = 0.15) -> Callable[[int], dict]:
    """The same windows as `window_batches`, masked BERT-style by `DataCollatorForLanguageModeling`."""
    windows = window_batches(ids, block, batch, seed)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability, seed=seed)
    return lambda step: collator([{"input_ids": w} for w in windows(step)])
