"""Power-BERT's progressive word-vector elimination (Goyal et al., 2020) for the book's encoder (chapter 13; chapter
15 puts it on Part V's table). Written out: no library has it.

- `significance`: the attention a word vector receives, averaged over heads, its own attention left out.
- `extract`: keep the most significant vectors, in their original order, with their positions.
- `PowerBert`: a fine-tuned `tasks.TaskModel` that runs the encoder's layers itself and extracts after each
  layer's attention, keeping `keep[l]` vectors in layer `l` (or as many at random, the control).
"""

from __future__ import annotations

import torch

from .tasks import TaskModel, pool


def attention_masks(positions, real, config):
    """Additive masks (items, 1, queries, keys) for the vectors still in play, from their original positions: every
    real key, or in local layers the keys nearby."""
    allowed = real[:, None, :].expand(-1, positions.size(1), -1)
    near = (positions[:, :, None] - positions[:, None, :]).abs() <= config.local_attention // 2
    blocked = lambda m: torch.zeros(m.shape, device=m.device).masked_fill(~m, -1e9)[:, None]
    return {"full_attention": blocked(allowed), "sliding_attention": blocked(allowed & near)}


def significance(weights, real):
    """Attention received by each key: mean over heads, summed over the real queries but itself."""
    received = weights.mean(1) * real[:, :, None]  # (items, queries, keys)
    received = received - torch.diag_embed(received.diagonal(dim1=1, dim2=2))
    return received.sum(1).masked_fill(~real, -1.0)  # padding goes first


def extract(h, positions, real, score, keep):
    """The `keep` vectors with the highest score, in their original order (padding last)."""
    top = score.masked_fill(~real, -1.0).topk(keep, dim=1).indices.sort(1).values
    h = h.gather(1, top[..., None].expand(-1, -1, h.size(2)))
    return h, positions.gather(1, top), real.gather(1, top)


def ranking(weights, real, random):
    """The score that decides which vectors stay: significance, or noise for the control."""
    return torch.rand(real.shape, device=real.device) if random else significance(weights, real)


class PowerBert(TaskModel):
    """A copy of the fine-tuned `net` (`TaskModel` copies the encoder, config included) that keeps `keep[l]` word vectors after layer `l`'s attention (by significance,
    or at random with `random=True`)."""

    def __init__(self, net, keep, random=False):
        super().__init__(net.encoder, net.kind, net.head.out_features)
        self.head.load_state_dict(net.head.state_dict())
        self.encoder.config._attn_implementation = "eager"  # returns the weights
        self.keep, self.random = list(keep), random

    def features(self, batch):
        encoder, ids = self.encoder, batch["input_ids"]
        real = batch["attention_mask"].bool()
        positions = torch.arange(ids.size(1), device=ids.device).expand_as(ids)
        h = encoder.embeddings(input_ids=ids)
        for layer, keep in zip(encoder.layers, self.keep):
            kind = layer.attention_type
            mask = attention_masks(positions, real, encoder.config)[kind]
            rope = encoder.rotary_emb(h, positions, kind)
            out, weights = layer.attn(layer.attn_norm(h), rope, attention_mask=mask)
            h = h + out
            if keep < h.size(1):  # the extract layer, between the attention and the MLP
                score = ranking(weights, real, self.random)
                h, positions, real = extract(h, positions, real, score, keep)
            h = h + layer.mlp(layer.mlp_norm(h))
        h = encoder.final_norm(h)
        return pool(h, {"attention_mask": real.long()}, self.kind)
