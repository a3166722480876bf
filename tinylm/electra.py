"""ELECTRA on the book's encoder (chapter 8): a generator and a discriminator that share token embeddings, their
joint loss, and a held-out test of replaced-token detection that token frequencies alone cannot pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import torch
import torch.nn.functional as F
from transformers import ModernBertForMaskedLM, ModernBertForTokenClassification

from .recipes import SHORT_BATCH, SHORT_BLOCK, encoder_config, encoder_train_config, masked_window_batches

LAMBDA = 50  # the discriminator's weight in the joint loss, as in the paper


class Electra(torch.nn.Module):
    """The book's encoder as a discriminator (two labels per token: original, replaced) and a generator with
    `generator_layers` layers (the last one global); they share the token embeddings, tied to the generator's
    output layer as in the paper."""

    def __init__(self, tokenizer, block: int, generator_layers: int = 2):
        super().__init__()
        detector = encoder_config(tokenizer, block)
        detector.num_labels = 2
        self.discriminator = ModernBertForTokenClassification(detector)
        kinds = ["sliding_attention"] * (generator_layers - 1) + ["full_attention"]
        self.generator = ModernBertForMaskedLM(encoder_config(tokenizer, block, layer_types=kinds))
        shared = self.discriminator.model.embeddings.tok_embeddings
        self.generator.model.embeddings.tok_embeddings = shared
        self.generator.decoder.weight = shared.weight


def electra_batches(ids: torch.Tensor, tokenizer, block: int, batch: int, seed: int, masking: float):
    """The generator's batches: `masked_window_batches` with every chosen position shown as the mask token."""
    return masked_window_batches(
        ids, tokenizer, block, batch, seed, mlm_probability=masking, mask_replace_prob=1.0, random_replace_prob=0.0
    )


def replaced_score(logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's "replaced" score per token: the difference of its two logits."""
    return logits[..., 1] - logits[..., 0]


def electra_losses(model: Electra, batch: dict, every_token: bool = True) -> tuple[torch.Tensor, torch.Tensor, float]:
    """The generator's masked-LM loss, the discriminator's loss (at every token, or at the masked positions only:
    the paper's ELECTRA-15 %), and the share of replaced tokens among those it is graded on."""
    from .recipes import masked_lm_logits

    logits, answers = masked_lm_logits(model.generator, batch)
    generator_loss = F.cross_entropy(logits, answers)
    masked = batch["labels"] != -100
    original = torch.where(masked, batch["labels"], batch["input_ids"])
    corrupted = original.clone()
    with torch.no_grad():  # a sample: no gradient flows from the discriminator back into the generator
        corrupted[masked] = torch.distributions.Categorical(logits=logits).sample()
    is_replaced = (corrupted != original).float()  # a right guess counts as original
    scores = replaced_score(model.discriminator(input_ids=corrupted).logits)
    graded = torch.ones_like(masked) if every_token else masked
    loss = F.binary_cross_entropy_with_logits(scores[graded], is_replaced[graded])
    return generator_loss, loss, is_replaced[graded].mean().item()


def electra_loss(log: list | None = None, every_token: bool = True, weight: float = LAMBDA) -> Callable:
    """A `loss_fn` for `train`: generator loss + `weight` x discriminator loss; appends the three terms to `log`."""

    def loss_fn(model, batch):
        generator_loss, discriminator_loss, share = electra_losses(model, batch, every_token)
        if log is not None:
            log.append((generator_loss.item(), discriminator_loss.item(), share))
        return generator_loss + weight * discriminator_loss

    return loss_fn


def replacement_test(valid_ids: torch.Tensor, train_ids: torch.Tensor, vocab_size: int, block: int, seed: int = 5):
    """Every whole `block`-token window of `valid_ids` with 15 % of its tokens replaced, once, by draws from the
    training frequencies. Returns (clean, corrupted, replaced): a draw that restores the original is not replaced."""
    unigram = torch.bincount(train_ids, minlength=vocab_size).float()
    generator = torch.Generator().manual_seed(seed)
    clean = valid_ids[: len(valid_ids) // block * block].view(-1, block)
    chosen = torch.rand(clean.shape, generator=generator) < 0.15
    corrupted = clean.clone()
    corrupted[chosen] = torch.multinomial(unigram / unigram.sum(), int(chosen.sum()), True, generator=generator)
    return clean, corrupted, corrupted != clean


def auc(score: torch.Tensor, replaced: torch.Tensor) -> float:
    """P(a replaced token scores higher than an original one), ties counted half: 0.5 is chance, 1.0 perfect."""
    score = score.detach().cpu().double()
    negatives = score[~replaced].sort().values
    below = torch.searchsorted(negatives, score[replaced], right=False)
    not_above = torch.searchsorted(negatives, score[replaced], right=True)
    wins = below.double() + 0.5 * (not_above - below).double()
    return (wins.sum() / (replaced.sum() * (~replaced).sum())).item()


def surprise(logits: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """-log p(observed token) under a masked LM that sees it: BERT's "replaced" score."""
    return -logits.log_softmax(-1).gather(-1, ids[..., None].to(logits.device))[..., 0]


def binary_entropy(share) -> torch.Tensor:
    """Entropy (nats) of a yes/no label that is "yes" a `share` of the time: a discriminator's base rate."""
    share = torch.as_tensor(share, dtype=torch.float32)
    return -(torch.xlogy(share, share) + torch.xlogy(1 - share, 1 - share))


def base_rate_gap(log: list, last: int = 30) -> float:
    """Mean over the `last` steps of an `electra_loss` log: the base rate minus the discriminator's loss."""
    _, loss, share = map(torch.tensor, zip(*log[-last:]))
    return (binary_entropy(share) - loss).mean().item()


@torch.no_grad()
def detection_scores(model: Electra, held_out: dict, corrupted: torch.Tensor, replaced: torch.Tensor) -> dict:
    """The generator's held-out masked-LM scores and the discriminator's AUC on a `replacement_test`."""
    from .recipes import masked_lm_scores

    device = next(model.parameters()).device
    logits = model.discriminator(input_ids=corrupted.to(device)).logits
    return {**masked_lm_scores(model.generator, held_out), "AUC": auc(replaced_score(logits), replaced)}


def pretrain_electra(
    tokenizer,
    train_ids: torch.Tensor,
    steps: int,
    seed: int = 0,
    masking: float = 0.30,
    every_token: bool = True,
    log: list | None = None,
    evaluate=None,
    eval_at=None,
    device=None,
):
    """Chapter 8's ELECTRA (a 2-layer generator, lambda = 50) pre-trained for `steps` steps on `SHORT_BATCH` windows
    of `SHORT_BLOCK` tokens, with the book's encoder recipe without gradient clipping (chapter 8 measures why).
    `every_token=False` grades the discriminator at the masked positions only (ELECTRA-15 %, section 8.2); `log`
    collects (generator loss, discriminator loss, replaced share) per step. Returns (model, History)."""
    from .train import train

    torch.manual_seed(seed)
    model = Electra(tokenizer, SHORT_BLOCK).to(device or "cpu")
    batches = electra_batches(train_ids, tokenizer, SHORT_BLOCK, SHORT_BATCH, seed, masking)
    recipe = replace(encoder_train_config(steps, eval_every=steps, eval_at=eval_at), grad_clip=None)
    return model, train(model, batches, electra_loss(log, every_token), recipe, evaluate)


@torch.no_grad()
def generated_test(model: Electra, held_out: dict, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The discriminator on held-out windows corrupted by its own generator, as in pre-training: every position of a
    `recipes.held_out_masked` batch that is masked gets a sample (drawn with `seed`). Returns (score, replaced, masked)
    per token, so that detection can be scored at the masked positions alone or at every position (section 8.2)."""
    from .recipes import masked_lm_logits

    device = next(model.parameters()).device
    logits, answers = masked_lm_logits(model.generator, held_out)
    masked = held_out["labels"] != -100
    original = torch.where(masked, held_out["labels"], held_out["input_ids"]).to(device)
    corrupted = original.clone()
    generator = torch.Generator(device=logits.device).manual_seed(seed)
    corrupted[masked.to(device)] = torch.multinomial(logits.softmax(-1), 1, generator=generator)[:, 0]
    scores = replaced_score(model.discriminator(input_ids=corrupted).logits)
    return scores.cpu(), (corrupted != original).cpu(), masked
