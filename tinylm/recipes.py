"""The book's tiny models and how they are trained: the yardsticks later chapters measure against.

- `gpt_config`, `bert_config`, `roberta_config`: GPT-2, BERT and RoBERTa of one shape (4 layers of width 128),
  with their chapters' recipes `gpt_train_config` and `bert_train_config`.
- `decoder_config` and `decoder_train_config`: **the book's decoder** (chapter 3), Llama's block trained with Muon,
  the GPT that beats the trigram in a minute; `validation_logp` and `bits_per_char` score a decoder on a text.
- `encoder_config`, `encoder_batches` and `encoder_train_config`: **the book's encoder** (chapter 4), ModernBERT's
  block with local attention, 30 % of positions predicted, the recipe that leaves the masked-LM plateau;
  `causal_masks` turns it into a decoder (chapter 5), `share_layers` into an ALBERT (chapter 7); `pretrain_encoder`
  trains it as BERT or as chapter 5's GPT for the sections that fine-tune it (5.1 on); `trained_encoder` loads it
  trained for longer (`tools/trained_encoder.py`), the model Part V compresses.
- 16-token windows (`window_batches`, `masked_window_batches`), a masked-LM loss computed at the masked positions
  only, and a fixed held-out test with its scores and its frequency line (chapter 6 on); sentence pairs
  (`encode_pairs`, `masked_pair_batches`, chapter 7).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
from transformers import (
    BertConfig,
    DataCollatorForLanguageModeling,
    GPT2Config,
    LlamaConfig,
    ModernBertConfig,
    RobertaConfig,
)

from .train import TrainConfig

HIDDEN, LAYERS, HEADS = 128, 4, 4  # both models: 4 layers of width 128 with 4 heads, MLP 4x wider

# Part II's and III's inputs: 128 windows of 16 tokens per step (2,048 tokens). The book's encoder (below)
# leaves the masked-LM plateau on them within 200 steps; BERT's 2018 recipe does not (chapter 4).
SHORT_BLOCK, SHORT_BATCH = 16, 128


def gpt_config(tokenizer, block: int) -> GPT2Config:
    """A 4x128 GPT-2 over `tokenizer`'s vocabulary with `block` positions and no dropout."""
    return GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=block,
        n_embd=HIDDEN,
        n_layer=LAYERS,
        n_head=HEADS,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def bert_config(tokenizer, block: int) -> BertConfig:
    """The BERT of the same shape as `gpt_config`: one segment type (no NSP), no dropout."""
    return BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        intermediate_size=4 * HIDDEN,
        max_position_embeddings=block,
        type_vocab_size=1,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        pad_token_id=tokenizer.pad_token_id,
    )


def roberta_config(tokenizer, block: int) -> RobertaConfig:
    """`bert_config` as a RoBERTa: the same shape; position ids start after the padding id, as in RoBERTa."""
    bert = bert_config(tokenizer, block)
    return RobertaConfig(
        **{
            k: getattr(bert, k)
            for k in (
                "vocab_size",
                "hidden_size",
                "num_hidden_layers",
                "num_attention_heads",
                "intermediate_size",
                "hidden_dropout_prob",
                "attention_probs_dropout_prob",
                "type_vocab_size",
            )
        },
        max_position_embeddings=block + tokenizer.pad_token_id + 1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )


# The book's encoder (chapter 4). Measured on 16-token windows of byte-level BPE, 128 per step, with the
# held-out test of `held_out_masked`: 1.67 to 1.86 nats below the frequency line after 350 steps (three seeds,
# about 30 s on 2 cores), where BERT's 2018 recipe stays within 0.1 of it.
ENCODER_WINDOW = 8  # local attention: each token sees the 4 tokens on either side
ENCODER_MASKING = 0.30  # share of positions to predict (ModernBERT's; BERT's 15 % learns more slowly here)
ENCODER_LAYER_TYPES = ["sliding_attention"] * 3 + ["full_attention"]  # the last layer sees the whole window


def encoder_config(
    tokenizer, block: int, window: int = ENCODER_WINDOW, layer_types=None, hidden: int = HIDDEN
) -> ModernBertConfig:
    """The book's tiny encoder (defined in chapter 4): `ModernBertConfig` of BERT's size here (4 layers, width
    128, 4 heads), with pre-LN, rotary positions, a gated MLP of width 256, no biases, and local attention
    (`window` tokens around each position) in all but the last layer. No dropout. Another `hidden` width keeps
    heads of 32 and the MLP twice as wide; `layer_types` sets the number of layers."""
    if hidden % 32:
        raise ValueError(f"hidden must be a multiple of 32 (the width of one attention head), got {hidden}")
    layer_types = list(layer_types or ENCODER_LAYER_TYPES)
    return ModernBertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=len(layer_types),
        num_attention_heads=hidden // 32,
        intermediate_size=2 * hidden,
        max_position_embeddings=block,
        local_attention=window,
        layer_types=layer_types,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.cls_token_id or tokenizer.bos_token_id,
        eos_token_id=tokenizer.sep_token_id or tokenizer.eos_token_id,
        cls_token_id=tokenizer.cls_token_id or tokenizer.bos_token_id,
        sep_token_id=tokenizer.sep_token_id or tokenizer.eos_token_id,
    )


def share_layers(model):
    """ALBERT's cross-layer sharing on the book's encoder (chapter 7): every layer uses the first layer's attention
    and MLP weights, and one set of norms; each keeps its own kind of attention (local or global). In place."""
    layers = model.model.layers
    for layer in layers[1:]:
        layer.attn.Wqkv, layer.attn.Wo = layers[0].attn.Wqkv, layers[0].attn.Wo
        layer.mlp_norm, layer.mlp = layers[0].mlp_norm, layers[0].mlp
        layer.attn_norm = layers[1].attn_norm  # the first layer has none: the embeddings end with a norm
    return model


def encoder_train_config(steps: int, eval_every: int = 100, eval_at=None) -> TrainConfig:
    """Chapter 4's recipe for the book's encoder: peak learning rate 3e-3 after 50 warm-up steps, then constant."""
    return TrainConfig(
        steps=steps, lr=3e-3, warmup_steps=50, schedule="constant", eval_every=eval_every, eval_at=eval_at
    )


def encoder_batches(ids: torch.Tensor, tokenizer, seed: int = 0) -> Callable[[int], dict]:
    """The book's encoder's training batches: `SHORT_BATCH` windows of `SHORT_BLOCK` tokens, 30 % of positions
    chosen for prediction (80 % shown as the mask token, 10 % random, 10 % unchanged), masked afresh each step."""
    return masked_window_batches(ids, tokenizer, SHORT_BLOCK, SHORT_BATCH, seed, mlm_probability=ENCODER_MASKING)


def causal_masks(config: ModernBertConfig, length: int, device=None) -> dict[str, torch.Tensor]:
    """Attention masks that make the book's encoder a decoder (chapter 5): each position sees itself and the
    positions before it, in local layers only the nearest `local_attention // 2`. Pass as `attention_mask=`."""
    i = torch.arange(length, device=device)
    causal = i[None, :] <= i[:, None]  # (queries, keys): True where attention is allowed
    local = causal & (i[:, None] - i[None, :] <= config.local_attention // 2)
    return {"full_attention": causal[None, None], "sliding_attention": local[None, None]}


def next_token_loss(model, ids: torch.Tensor) -> torch.Tensor:
    """The book's encoder as a GPT (chapter 5): next-token cross-entropy under `causal_masks`."""
    masks = causal_masks(model.config, ids.size(1), ids.device)
    logits = model(input_ids=ids, attention_mask=masks).logits[:, :-1]
    return torch.nn.functional.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten())


def pretrain_encoder(
    tokenizer,
    train_ids: torch.Tensor,
    steps: int,
    seed: int = 0,
    causal: bool = False,
    model=None,
    evaluate=None,
    device=None,
):
    """The book's encoder pre-trained by chapter 4's recipe for `steps` steps, as BERT (the masked LM on
    `encoder_batches`) or, with `causal=True`, as chapter 5's GPT (`next_token_loss` on the same windows).

    `model` (a `ModernBertForMaskedLM`) gives the initial weights, e.g. a copy shared by a BERT and a GPT; by default a
    new one is initialised from `seed` (on `device`). Returns (model, History); `evaluate(model)` runs after the last step.
    """
    from transformers import ModernBertForMaskedLM

    from .train import train

    if model is None:
        torch.manual_seed(seed)
        model = ModernBertForMaskedLM(encoder_config(tokenizer, SHORT_BLOCK)).to(device or "cpu")
    if causal:
        batches, loss = window_batches(train_ids, SHORT_BLOCK, SHORT_BATCH, seed), next_token_loss
    else:
        batches, loss = encoder_batches(train_ids, tokenizer, seed), masked_lm_loss
    return model, train(model, batches, loss, encoder_train_config(steps, eval_every=steps), evaluate)


WEIGHTS = Path(__file__).resolve().parent / "weights"
TRAINED_ENCODER_TOKENIZER = "gpt"  # chapter 5's suite reads with this tokenizer
TRAINED_ENCODERS = {  # name: the sha256 of WEIGHTS / f"{name}.safetensors", written by tools/trained_encoder.py
    "encoder": "95b31d92f8fe81b5b8a49a830b9e2268f7916b412532dbf74ebdf48a92aab7fc",
    "encoder_shared": "271cff1ad1e45596a4dd3995a60f37e9b59292321a80fe9e358fdab33987fd46",
}


def unique_state(model) -> dict[str, torch.Tensor]:
    """`model`'s state dict without the entries that repeat a tensor already in it (tied or shared weights)."""
    state, seen = {}, set()
    for key, value in model.state_dict().items():
        if value.data_ptr() not in seen:
            seen.add(value.data_ptr())
            state[key] = value.contiguous()
    return state


def trained_encoder(name: str = "encoder", path: Path | None = None, sha256: str | None = None):
    """The book's encoder pre-trained for longer than a notebook can (`tools/trained_encoder.py`, receipt beside the
    file): Part V's model to compress. "encoder_shared" is its ALBERT twin (`share_layers`). Checked by sha256 first."""
    import safetensors.torch
    from transformers import ModernBertForMaskedLM

    from .data import DataError, sha256_of
    from .tokenize import book_tokenizer

    if name not in TRAINED_ENCODERS:
        raise ValueError(f"unknown trained encoder {name!r}; there are {', '.join(TRAINED_ENCODERS)}")
    path, sha256 = path or WEIGHTS / f"{name}.safetensors", sha256 or TRAINED_ENCODERS[name]
    again = "Regenerate it with `python tools/trained_encoder.py`, or restore it with `git checkout -- tinylm/weights`."
    if not path.exists():
        raise DataError(f"{path} is missing. {again}")
    actual = sha256_of(path)
    if actual != sha256:
        raise DataError(f"{path} is corrupt or not the committed one (sha256 {actual}, expected {sha256}). {again}")
    model = ModernBertForMaskedLM(encoder_config(book_tokenizer(TRAINED_ENCODER_TOKENIZER), SHORT_BLOCK))
    if name.endswith("shared"):
        share_layers(model)
    state = safetensors.torch.load_file(path)
    if set(state) != set(unique_state(model)):
        raise DataError(f"{path} does not hold the weights of {name!r}. {again}")
    model.load_state_dict(state, strict=False)  # the tied and shared entries point at the loaded tensors
    return model.eval()


def gpt_train_config(steps: int, eval_every: int = 100) -> TrainConfig:
    """Chapter 3's recipe for the tiny GPT (peak learning rate 3e-3)."""
    return TrainConfig(
        steps=steps, lr=3e-3, warmup_steps=30, weight_decay=0.1, betas=(0.9, 0.95), eval_every=eval_every
    )


def decoder_config(tokenizer, block: int, layers: int = LAYERS, hidden: int = HIDDEN) -> LlamaConfig:
    """The book's decoder (chapter 3): `LlamaConfig` of GPT's shape here (4 layers, width 128, heads of 32), with
    pre-LN (RMSNorm), rotary positions, a SwiGLU MLP of 8/3 the width, no biases, and the output layer tied to the
    embedding. Another `hidden` or `layers` gives chapter 16's ladder."""
    if hidden % 32:
        raise ValueError(f"hidden must be a multiple of 32 (the width of one attention head), got {hidden}")
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=8 * hidden // 3 // 16 * 16,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 32,
        num_key_value_heads=hidden // 32,
        max_position_embeddings=block,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def decoder_train_config(steps: int, eval_every: int = 100, eval_at=None) -> TrainConfig:
    """Chapter 3's recipe for the book's decoder: Muon at 0.02 for the hidden matrices, AdamW at 6e-3 for the
    embedding and norms (betas 0.9, 0.95; weight decay 0.1), 30 warm-up steps, then linear decay to zero."""
    return TrainConfig(
        steps=steps,
        lr=6e-3,
        warmup_steps=30,
        schedule="linear",
        weight_decay=0.1,
        betas=(0.9, 0.95),
        optimizer="muon",
        muon_lr=0.02,
        eval_every=eval_every,
        eval_at=eval_at,
    )


@torch.no_grad()
def validation_logp(model, ids: torch.Tensor, block: int) -> torch.Tensor:
    """log p (nats) of every token of `ids` after the first under a causal LM, each with >= block/2 tokens of
    context: windows of `block` tokens overlapping by half, each token scored once (chapter 3)."""
    device = next(model.parameters()).device
    starts = list(range(0, len(ids) - block, block // 2)) + [len(ids) - 1 - block]
    logp, done = torch.zeros(len(ids) - 1), 0  # targets 1..done have been scored
    for i in range(0, len(starts), 64):
        chunk = starts[i : i + 64]
        x = torch.stack([ids[s : s + block] for s in chunk]).to(device)
        y = torch.stack([ids[s + 1 : s + block + 1] for s in chunk]).to(device)
        scores = model(input_ids=x).logits.transpose(1, 2)
        row_logp = -torch.nn.functional.cross_entropy(scores, y, reduction="none").cpu()
        for row, s in enumerate(chunk):
            skip = max(0, done - s)  # targets scored in an earlier window
            logp[s + skip : s + block] = row_logp[row, skip:]
            done = s + block
    assert done == len(ids) - 1, "every token after the first is scored once"
    return logp


def bits_per_char(logp: torch.Tensor, characters: int) -> float:
    """Bits per character of a text of `characters` characters whose tokens had log-probabilities `logp` (nats)."""
    return -logp.sum().item() / math.log(2) / characters


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


def masked_window_batches(
    ids: torch.Tensor,
    tokenizer,
    block: int,
    batch: int,
    seed: int = 0,
    mlm_probability: float = 0.15,
    mask_replace_prob: float = 0.8,
    random_replace_prob: float = 0.1,
) -> Callable[[int], dict]:
    """The same windows as `window_batches`, masked afresh by `DataCollatorForLanguageModeling`.

    By default BERT-style (80 % mask token, 10 % random, 10 % unchanged); ELECTRA's generator uses 1.0 and 0.0.
    """
    windows = window_batches(ids, block, batch, seed)
    collator = DataCollatorForLanguageModeling(
        tokenizer,
        mlm_probability=mlm_probability,
        seed=seed,
        mask_replace_prob=mask_replace_prob,
        random_replace_prob=random_replace_prob,
    )
    return lambda step: collator([{"input_ids": w} for w in windows(step)])


def _encoder_and_head(model):
    """The encoder and the masked-LM head of a Hugging Face `...ForMaskedLM` (BERT, RoBERTa and its pre-LN variant,
    RoFormer, ALBERT, ELECTRA or ModernBERT)."""
    pairs = (("roberta", "lm_head"), ("roberta_prelayernorm", "lm_head"), ("bert", "cls"), ("roformer", "cls"))
    for encoder, head in (*pairs, ("albert", "predictions")):
        if hasattr(model, encoder) and hasattr(model, head):
            return getattr(model, encoder), getattr(model, head)
    if hasattr(model, "electra") and hasattr(model, "generator_lm_head"):  # ELECTRA's generator: two modules
        return model.electra, torch.nn.Sequential(model.generator_predictions, model.generator_lm_head)
    if hasattr(model, "model") and hasattr(model, "head") and hasattr(model, "decoder"):  # ModernBERT
        return model.model, torch.nn.Sequential(model.head, model.decoder)
    raise TypeError(f"{type(model).__name__} is not a BERT, RoBERTa, ALBERT, ELECTRA or ModernBERT masked-LM model")


def masked_lm_logits(model, batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Scores over the vocabulary at the masked positions only, and their labels.

    BERT's own pre-training code gathers the masked positions before its output layer in the same way:
    the other 85 % of positions have no label, so scoring them would be wasted work.
    """
    encoder, head = _encoder_and_head(model)
    device = next(model.parameters()).device  # a held-out batch may still be on the CPU
    inputs = {k: v.to(device) for k, v in batch.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    labels = batch["labels"].to(device)
    graded = labels != -100
    return head(encoder(**inputs).last_hidden_state[graded]), labels[graded]


def masked_lm_loss(model, batch) -> torch.Tensor:
    """The masked-LM cross-entropy of `model` on a batch from `masked_window_batches` (a `loss_fn` for `train`)."""
    logits, labels = masked_lm_logits(model, batch)
    return torch.nn.functional.cross_entropy(logits, labels)


def mask_once(rows: list[dict], tokenizer, seed: int = 1, mlm_probability: float = 0.15) -> dict:
    """`rows` (dicts of tensors) masked once with a fixed seed, every graded position shown as the mask token.

    No 10 % left unchanged and no 10 % random, so the answer is never visible: a clean held-out test.
    """
    collator = DataCollatorForLanguageModeling(
        tokenizer, mlm_probability=mlm_probability, mask_replace_prob=1.0, random_replace_prob=0.0, seed=seed
    )
    return collator(rows)


def held_out_masked(ids: torch.Tensor, tokenizer, block: int, seed: int = 1, mlm_probability: float = 0.15) -> dict:
    """Every whole `block`-token window of `ids`, masked once by `mask_once`: the same test for every run."""
    windows = ids[: len(ids) // block * block].view(-1, block)
    return mask_once([{"input_ids": w} for w in windows], tokenizer, seed, mlm_probability)


PAIR_FIELDS = ("input_ids", "token_type_ids", "attention_mask")


def encode_pairs(tokenizer, pairs: list[tuple[str, str, int]], block: int) -> dict[str, torch.Tensor]:
    """(A, B, label) triples as `[CLS] A [SEP] B [SEP]` inputs of `block` tokens, with their `sentence_label`.

    The longer segment is cut first when a pair does not fit; shorter pairs are padded.
    """
    inputs = tokenizer(
        [a for a, _, _ in pairs],
        [b for _, b, _ in pairs],
        truncation="longest_first",
        max_length=block,
        padding="max_length",
        return_tensors="pt",
    )
    if "token_type_ids" not in inputs:
        raise ValueError(
            f"{type(tokenizer).__name__} gives no token_type_ids for a pair: use a tokenizer with a "
            "[CLS] A [SEP] B [SEP] template, such as book_tokenizer('bert') or ('albert')"
        )
    return {**{k: inputs[k] for k in PAIR_FIELDS}, "sentence_label": torch.tensor([label for *_, label in pairs])}


def pair_rows(encoded: dict[str, torch.Tensor], index) -> list[dict]:
    """The rows `index` of `encode_pairs`' output, as the list of dicts a collator takes (labels left out)."""
    return [{k: encoded[k][i] for k in PAIR_FIELDS} for i in index]


def masked_pair_batches(
    encoded: dict[str, torch.Tensor], tokenizer, batch: int, seed: int = 0, mlm_probability: float = 0.15
) -> Callable[[int], dict]:
    """A `next_batch(step)`: `batch` random rows of `encode_pairs`' output, masked afresh, with their sentence labels."""
    generator = torch.Generator().manual_seed(seed)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=mlm_probability, seed=seed)

    def next_batch(step: int) -> dict:
        index = torch.randint(0, len(encoded["input_ids"]), (batch,), generator=generator)
        out = collator(pair_rows(encoded, index.tolist()))
        out["sentence_label"] = encoded["sentence_label"][index]
        return out

    return next_batch


def masked_lm_scores(model, batch) -> dict[str, float]:
    """Held-out masked-LM loss (nats) and accuracy (top guess = the hidden token) on a `held_out_masked` batch."""
    logits, labels = masked_lm_logits(model, batch)
    return {
        "MLM loss": torch.nn.functional.cross_entropy(logits, labels).item(),
        "MLM accuracy": (logits.argmax(-1) == labels).float().mean().item(),
    }


def frequency_baseline(ids: torch.Tensor, held_out: dict, vocab_size: int) -> dict[str, float]:
    """What a model that ignores the context scores on a held-out masked batch, knowing the token counts of `ids`.

    "MLM loss" predicts every blank from add-one smoothed frequencies; "MLM accuracy" always answers the commonest token.
    """
    graded = held_out["labels"][held_out["labels"] != -100]
    counts = torch.bincount(ids, minlength=vocab_size).float() + 1
    return {
        "MLM loss": -(counts / counts.sum()).log()[graded].mean().item(),
        "MLM accuracy": (graded == counts.argmax()).float().mean().item(),
    }
