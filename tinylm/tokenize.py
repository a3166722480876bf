"""The book's three tokenizers, trained with Hugging Face `tokenizers` and cached.

    tok = book_tokenizer("gpt")              # byte-level BPE, trained on Tiny Shakespeare's train split
    tok = train_tokenizer("wordpiece", 500)  # any kind, any vocabulary size, any text

- "wordpiece" (BERT): cased; `[CLS] A [SEP] B [SEP]` with token_type_ids; `##` marks a continuation.
- "bpe" (GPT-2, RoBERTa): byte-level, so every string is encodable and there is no unknown token.
- "unigram" (ALBERT, XLNet): SentencePiece-style, `▁` marks a space; `[CLS] A [SEP]` as in ALBERT.

Training is deterministic: the same text gives the same vocabulary and ids in every process (see
`_train_wordpiece` and `_canonical_unigram` for the two places where the library needs help).
A trained tokenizer is kept in memory and as its JSON file in `cache_dir()`, keyed by the text's
sha256, the kind, the vocabulary size, this recipe and the `tokenizers` version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import tokenizers
from tokenizers import (
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)

if TYPE_CHECKING:  # transformers is imported when a tokenizer is made, so `import tinylm` stays quick
    from transformers import PreTrainedTokenizerFast

# The book's setting: later chapters read their vocabulary size from here, never type it.
VOCAB_SIZE = {"wordpiece": 2000, "bpe": 2000, "unigram": 2000}

# Which tokenizer each of the book's models uses.
MODEL_KIND = {"bert": "wordpiece", "gpt": "bpe", "roberta": "bpe", "albert": "unigram", "xlnet": "unigram"}

# The special tokens of each kind, in id order (ids 0, 1, ...), and their roles for transformers.
SPECIALS = {
    "wordpiece": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    "bpe": ["<|endoftext|>", "<pad>", "<mask>"],
    "unigram": ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"],
}
WITH_SEGMENTS = ["input_ids", "token_type_ids", "attention_mask"]  # BERT and ALBERT number the segments
ROLES = {
    "wordpiece": dict(
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_input_names=WITH_SEGMENTS,
    ),
    "bpe": dict(bos_token="<|endoftext|>", eos_token="<|endoftext|>", pad_token="<pad>", mask_token="<mask>"),
    "unigram": dict(
        pad_token="<pad>",
        unk_token="<unk>",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_input_names=WITH_SEGMENTS,
    ),
}
RECIPE = 1  # bump when the recipe below changes, so that files cached by an older recipe are not used

_memory: dict[tuple[str, str, int], str] = {}  # (text sha256, kind, vocab size) -> tokenizer JSON


def cache_dir() -> Path:
    """Where trained tokenizers are kept: `$TINYLM_CACHE`, else `~/.cache/tinylm/tokenizers`."""
    if os.environ.get("TINYLM_CACHE"):
        return Path(os.environ["TINYLM_CACHE"]).expanduser()
    return Path.home() / ".cache" / "tinylm" / "tokenizers"


def _new_tokenizer(kind: str) -> Tokenizer:
    """An untrained tokenizer of this kind: normalizer, pre-tokenizer, model and decoder."""
    if kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)  # cased
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()  # split at spaces and punctuation
        tok.decoder = decoders.WordPiece(prefix="##")
    elif kind == "bpe":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)  # GPT-2's splitting regex
        tok.decoder = decoders.ByteLevel()
    else:
        tok = Tokenizer(models.Unigram())
        # as SentencePiece: NFKC, every run of whitespace becomes one space, then "▁" marks the spaces
        tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(r"\s+"), " ")])
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
    return tok


def _train_wordpiece(tok: Tokenizer, vocab_size: int, chunks: list[str]) -> None:
    """Learn WordPiece's vocabulary as WordPieceTrainer does (BPE merges; `##` marks a continuation).

    WordPieceTrainer numbers the `##` pieces in hash-map order, so equal counts are broken differently
    in each process (huggingface/tokenizers#1794). Here each continuation character is written as a
    private-use "twin" instead, so a plain BpeTrainer, which numbers characters in sorted order, learns
    the same kind of vocabulary deterministically; the twins are then turned back into `##` pieces.
    """
    if re.search("[\U000f0000-\U0010ffff]", "".join(chunks)):
        raise ValueError("the text holds private-use characters (U+F0000 and above), which WordPiece training uses")
    words = [w for c in chunks for w, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(c))]
    alphabet = sorted({ch for w in words for ch in w[1:]})
    twin = {ord(ch): 0xF0000 + i for i, ch in enumerate(alphabet)}  # Unicode's private-use plane 15
    untwin = {v: k for k, v in twin.items()}
    marked = " ".join(w[0] + w[1:].translate(twin) for w in words)
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS["wordpiece"], show_progress=False)
    bpe.train_from_iterator([marked], trainer)
    vocab = {}
    for piece, i in bpe.get_vocab().items():
        continuation = piece not in SPECIALS["wordpiece"] and ord(piece[0]) in untwin
        vocab[("##" if continuation else "") + piece.translate(untwin)] = i
    tok.model = models.WordPiece(vocab, unk_token="[UNK]")


def _canonical_unigram(tok: Tokenizer) -> None:
    """Make the Unigram vocabulary identical in every process: re-deal the appended scores, round, sort.

    The trainer appends the characters it must keep but had pruned at the bottom of the list, 0.0001
    apart, in hash-map order; and its sums run in hash-map order, so scores differ in the 15th digit.
    """
    vocab = [(piece, score) for piece, score in json.loads(tok.to_str())["model"]["vocab"]]
    specials, pieces = vocab[: len(SPECIALS["unigram"])], vocab[len(SPECIALS["unigram"]) :]
    lowest = min(s for _, s in pieces)
    appended, k = [], 0  # the single characters scored lowest, lowest + 0.0001, lowest + 0.0002, ...
    while True:
        step = [(p, s) for p, s in pieces if len(p) == 1 and abs(s - lowest - k * 1e-4) < 1e-7]
        if not step:
            break
        appended += step
        k += 1
    rest = [ps for ps in pieces if ps not in appended]
    redealt = zip(sorted(p for p, _ in appended), sorted((s for _, s in appended), reverse=True))
    scored = sorted(((p, round(s, 6)) for p, s in rest + list(redealt)), key=lambda ps: (-ps[1], ps[0]))
    tok.model = models.Unigram(specials + scored, unk_id=SPECIALS["unigram"].index("<unk>"), byte_fallback=False)


def _trainer(kind: str, vocab_size: int):
    """The library's trainer for byte-level BPE (all 256 bytes in the alphabet) or for Unigram."""
    specials = SPECIALS[kind]
    if kind == "bpe":
        return trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=specials,
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
    return trainers.UnigramTrainer(
        vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>", show_progress=False
    )


def _add_post_processor(tok: Tokenizer, kind: str) -> None:
    """BERT and ALBERT wrap inputs as `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`; GPT adds nothing."""
    if kind == "bpe":
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        return
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[(t, tok.token_to_id(t)) for t in ("[CLS]", "[SEP]")],
    )


def _min_vocab_size(kind: str, text: str) -> int:
    """A lower bound on the vocabulary: the special tokens and the alphabet (all 256 bytes for BPE)."""
    if kind == "bpe":
        return len(SPECIALS[kind]) + 256
    return len(SPECIALS[kind]) + len(set(text) - set(" \t\n\r"))


def _train_json(kind: str, vocab_size: int, text: str) -> str:
    """Train a tokenizer of `kind` on `text` and return it as JSON."""
    tok = _new_tokenizer(kind)
    chunks = re.split(r"(?<=\n\n)", text)  # paragraphs, blank lines kept (byte-level BPE learns them)
    if kind == "wordpiece":
        _train_wordpiece(tok, vocab_size, chunks)
    else:
        tok.train_from_iterator(chunks, trainer=_trainer(kind, vocab_size))
    if kind == "unigram":
        _canonical_unigram(tok)
    if tok.get_vocab_size() > vocab_size:  # WordPiece keeps every character and its "##" form
        raise ValueError(
            f"vocab_size={vocab_size} is too small for a {kind} tokenizer of this text: "
            f"its special tokens and alphabet alone take {tok.get_vocab_size()} entries"
        )
    _add_post_processor(tok, kind)
    return tok.to_str()


def _wrap(kind: str, tokenizer_json: str) -> PreTrainedTokenizerFast:
    """A transformers tokenizer around the `tokenizers` one, with the special tokens in their roles."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(tokenizer_json), **ROLES[kind])


def train_tokenizer(
    kind: str, vocab_size: int | None = None, text: str | None = None, cache: bool = True
) -> PreTrainedTokenizerFast:
    """Train (or load from the cache) a `kind` tokenizer on `text` (default: Tiny Shakespeare's train split).

    `vocab_size` defaults to the book's setting `VOCAB_SIZE[kind]`; `cache=False` trains afresh and stores nothing.
    """
    if kind not in SPECIALS:
        raise ValueError(f"unknown tokenizer kind {kind!r}; the kinds are {', '.join(SPECIALS)}")
    vocab_size = VOCAB_SIZE[kind] if vocab_size is None else vocab_size
    if text is None:
        from .data import shakespeare_splits

        text = shakespeare_splits()["train"]
    if not text.strip():
        raise ValueError("cannot train a tokenizer on an empty text")
    minimum = _min_vocab_size(kind, text)
    if vocab_size < minimum:
        raise ValueError(
            f"vocab_size={vocab_size} is too small for a {kind} tokenizer of this text: "
            f"its {len(SPECIALS[kind])} special tokens and its alphabet need at least {minimum}"
        )
    if not cache:
        return _wrap(kind, _train_json(kind, vocab_size, text))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    key = (digest, kind, vocab_size)
    if key not in _memory:
        _memory[key] = _load_or_train(kind, vocab_size, text, digest)
    return _wrap(kind, _memory[key])


def _load_or_train(kind: str, vocab_size: int, text: str, digest: str) -> str:
    """The tokenizer's JSON from the disk cache, or trained now and written there if the folder allows."""
    path = cache_dir() / f"{kind}-{vocab_size}-{digest[:16]}-r{RECIPE}-tokenizers{tokenizers.__version__}.json"
    try:
        cached = path.read_text(encoding="utf-8")
        Tokenizer.from_str(cached)  # a damaged file is trained again, never used
        return cached
    except Exception:  # missing, unreadable or damaged
        pass
    trained = _train_json(kind, vocab_size, text)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    with contextlib.suppress(OSError):  # a cache, not data: if it cannot be written, carry on without it
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(trained, encoding="utf-8")
        os.replace(partial, path)  # atomic: another process sees no file or the whole file
    with contextlib.suppress(OSError):
        partial.unlink(missing_ok=True)  # left behind only if writing failed half-way
    return trained


def book_tokenizer(model: str) -> PreTrainedTokenizerFast:
    """The tokenizer of the book's `model` ("bert", "gpt", "roberta", "albert" or "xlnet")."""
    if model not in MODEL_KIND:
        raise ValueError(f"unknown model {model!r}; the book's models are {', '.join(MODEL_KIND)}")
    return train_tokenizer(MODEL_KIND[model])
