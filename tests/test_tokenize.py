"""Tests of tinylm.tokenize: the three tokenizers, their special tokens, determinism, the cache and errors.

Most tests train on a small text in a fraction of a second; one uses the real corpus from the
offline mirror (skipped, with the reason, where the mirror is absent). Every test gets its own
empty cache folder and an empty in-memory cache.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tinylm import tokenize
from tinylm.tokenize import (
    MODEL_KIND,
    SPECIALS,
    VOCAB_SIZE,
    book_tokenizer,
    cache_dir,
    train_tokenizer,
)

KINDS = list(SPECIALS)
MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"  # as in tests/test_data.py
needs_mirror = pytest.mark.skipif(
    not (MIRROR / "tinyshakespeare.txt").exists(), reason=f"offline data mirror not found at {MIRROR}"
)

SMALL = """FIRST WATCHMAN:
Who goes there? Stand, and tell us your name.

TRAVELLER:
A friend, good sir, a weary friend who walked
From the river to the hill before the morning came.
I have no gold, no letters and no horse;
Only a song I learned in the northern towns.

FIRST WATCHMAN:
Then sing it, friend, and let the night be shorter.
We are tired of watching, tired of waiting,
And the fire is low, and the wine is gone.

TRAVELLER:
The singing of the river and the turning of the wheel,
The morning on the water and the evening on the hill:
These are the things I carry, and I carry them to you.
"""
SMALL_SIZE = 150  # above the smallest vocabulary of every kind for SMALL (BPE needs 256 bytes + 3)
SIZES = {"wordpiece": SMALL_SIZE, "bpe": 300, "unigram": SMALL_SIZE}


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch, tmp_path):
    """An empty cache folder and an empty in-memory cache for every test."""
    monkeypatch.setenv("TINYLM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(tokenize, "_memory", {})
    return tmp_path / "cache"


def small(kind, **kwargs):
    return train_tokenizer(kind, SIZES[kind], SMALL, **kwargs)


# ---- round trips -------------------------------------------------------------------------------

UNICODE = [
    "Hello, world!",
    "  two  spaces,\ttabs\tand\nnew\n\nlines  ",
    "토큰화는 재미있다",  # Korean, never seen in training
    "emoji 🎭🙂 and a family 👨‍👩‍👧 joined by zero-width joiners",
    "accents: café, naïve, Ångström; maths: ∀x ∈ ℝ",
    "\x00 control \x7f characters",
]


@pytest.mark.parametrize("text", UNICODE)
def test_byte_level_bpe_round_trips_any_unicode_without_unknowns(text):
    tok = small("bpe")
    ids = tok(text)["input_ids"]
    assert tok.decode(ids) == text
    assert tok.unk_token is None and all(0 <= i < len(tok) for i in ids)


ENGLISH = ["Then sing it, friend, and let the night be shorter.", "Who goes there? A weary traveller."]


@pytest.mark.parametrize("text", ENGLISH)
def test_wordpiece_round_trips_english_up_to_spacing(text):
    """WordPiece keeps the words and the punctuation; where the spaces were is lost (documented)."""
    tok = small("wordpiece")
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids).split() != [] and "".join(tok.decode(ids).split()) == "".join(text.split())


@pytest.mark.parametrize("text", ENGLISH + ["Stand,\n\nand   tell"])
def test_unigram_round_trips_english_up_to_whitespace_runs(text):
    """Unigram keeps the spaces; a run of whitespace (newlines too) becomes one space (documented)."""
    tok = small("unigram")
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.unk_token_id not in ids
    assert tok.decode(ids) == " ".join(text.split())


def test_unseen_characters_are_unknown_for_wordpiece_and_unigram_only():
    korean = "토큰화"
    for kind in ["wordpiece", "unigram"]:
        tok = small(kind)
        assert tok.unk_token_id in tok(korean)["input_ids"], kind
    assert small("bpe").tokenize(korean) == ["í", "Ĩ", "ł", "í", "ģ", "°", "í", "Ļ", "Ķ"]  # 9 bytes


def test_wordpiece_marks_continuations_and_keeps_case():
    tok = small("wordpiece")
    pieces = tok.tokenize("Wanderers")  # not in SMALL: spelled from pieces
    assert len(pieces) > 1 and pieces[0][0] == "W" and all(p.startswith("##") for p in pieces[1:])
    assert tok.tokenize("the") != tok.tokenize("THE")  # cased: capitals are kept


# ---- special tokens ----------------------------------------------------------------------------

ROLE_IDS = {
    "wordpiece": dict(pad_token_id=0, unk_token_id=1, cls_token_id=2, sep_token_id=3, mask_token_id=4),
    "bpe": dict(bos_token_id=0, eos_token_id=0, pad_token_id=1, mask_token_id=2, unk_token_id=None),
    "unigram": dict(pad_token_id=0, unk_token_id=1, cls_token_id=2, sep_token_id=3, mask_token_id=4),
}


@pytest.mark.parametrize("kind", KINDS)
def test_special_tokens_have_their_ids_and_roles(kind):
    tok = small(kind)
    assert tok.convert_tokens_to_ids(SPECIALS[kind]) == list(range(len(SPECIALS[kind])))
    for role, expected in ROLE_IDS[kind].items():
        assert getattr(tok, role) == expected, role
    for special in SPECIALS[kind]:  # written in a text, a special token is one token
        assert (
            tok(f"the {special} hill", add_special_tokens=False)["input_ids"].count(tok.convert_tokens_to_ids(special))
            == 1
        )


@pytest.mark.parametrize("kind", ["wordpiece", "unigram"])
def test_pairs_get_cls_sep_and_token_type_ids(kind):
    """BERT (and ALBERT): [CLS] A [SEP] B [SEP]; segment 0 up to the first [SEP], segment 1 after it."""
    tok = small(kind)
    enc = tok("the hill", "the river")
    tokens = tok.convert_ids_to_tokens(enc["input_ids"])
    first_sep = tokens.index("[SEP]")
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]" and tokens.count("[SEP]") == 2
    assert enc["token_type_ids"] == [0] * (first_sep + 1) + [1] * (len(tokens) - first_sep - 1)
    single = tok.convert_ids_to_tokens(tok("the hill")["input_ids"])
    assert single[0] == "[CLS]" and single[-1] == "[SEP]"


def test_gpt_adds_no_special_tokens():
    tok = small("bpe")
    assert tok("the hill")["input_ids"] == tok("the hill", add_special_tokens=False)["input_ids"]
    assert 0 not in tok("the hill")["input_ids"]


@pytest.mark.parametrize("kind", KINDS)
def test_padding_uses_the_pad_token_and_masks_it(kind):
    tok = small(kind)
    batch = tok(["the hill", "the morning on the water"], padding=True)
    short, long = batch["input_ids"]
    assert len(short) == len(long) and short[-1] == tok.pad_token_id
    assert batch["attention_mask"][0][-1] == 0 and all(batch["attention_mask"][1])


# ---- determinism and the cache -----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_training_is_deterministic_within_a_process(kind):
    """The library's WordPieceTrainer differs from run to run even in one process; ours must not."""
    runs = {small(kind, cache=False).backend_tokenizer.to_str() for _ in range(4)}
    assert len(runs) == 1


def test_training_is_deterministic_across_processes(tmp_path):
    script = (
        "import sys, hashlib\n"
        "from tinylm.tokenize import train_tokenizer\n"
        "text = open(sys.argv[1], encoding='utf-8').read()\n"
        "for kind, size in [('wordpiece', 150), ('bpe', 300), ('unigram', 150)]:\n"
        "    tok = train_tokenizer(kind, size, text, cache=False)\n"
        "    print(kind, hashlib.sha256(tok.backend_tokenizer.to_str().encode()).hexdigest())\n"
    )
    corpus = tmp_path / "small.txt"
    corpus.write_text(SMALL, encoding="utf-8")
    root = Path(__file__).resolve().parents[1]
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, str(corpus)],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=120,
            check=True,
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and len(runs[0].splitlines()) == 3


def test_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYLM_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("TINYLM_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "tinylm" / "tokenizers"


def forbid_training(monkeypatch):
    def fail(*args, **kwargs):
        pytest.fail("trained again although the tokenizer was cached")

    monkeypatch.setattr(tokenize, "_train_json", fail)


@pytest.mark.parametrize("kind", KINDS)
def test_cache_hits_return_an_equal_tokenizer(kind, monkeypatch, fresh_cache):
    first = small(kind)
    files = list(fresh_cache.glob(f"{kind}-*.json"))
    assert len(files) == 1 and not list(fresh_cache.glob("*.part"))
    json.loads(files[0].read_text(encoding="utf-8"))  # the cache is the tokenizer's JSON, never a pickle
    forbid_training(monkeypatch)
    in_memory = small(kind)
    monkeypatch.setattr(tokenize, "_memory", {})
    from_disk = small(kind)
    for tok in (in_memory, from_disk):
        assert tok is not first  # a fresh object each time: changing one cannot change another
        assert tok.get_vocab() == first.get_vocab()
        assert tok.backend_tokenizer.to_str() == first.backend_tokenizer.to_str()
        assert tok.all_special_tokens == first.all_special_tokens


def test_cache_key_holds_text_kind_and_size(fresh_cache):
    small("bpe")
    train_tokenizer("bpe", 310, SMALL)
    train_tokenizer("bpe", 300, SMALL + "One more line.\n")
    small("unigram")
    assert len(list(fresh_cache.glob("*.json"))) == 4


def test_unwritable_cache_folder_is_skipped(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TINYLM_CACHE", str(blocker / "cache"))  # cannot be created, even by root
    tok = small("wordpiece")
    assert tok.tokenize("the hill") == ["the", "hill"]
    assert blocker.read_text() == "not a folder"


def test_damaged_cache_file_is_trained_again(fresh_cache):
    good = small("unigram").backend_tokenizer.to_str()
    (path,) = fresh_cache.glob("unigram-*.json")
    path.write_text("{ this is not a tokenizer")
    tokenize._memory.clear()
    assert small("unigram").backend_tokenizer.to_str() == good
    assert path.read_text(encoding="utf-8") == good


def test_default_vocab_size_comes_from_the_book_setting(monkeypatch, fresh_cache):
    monkeypatch.setitem(VOCAB_SIZE, "wordpiece", 120)
    assert len(train_tokenizer("wordpiece", text=SMALL)) == 120
    assert [p.name.split("-")[:2] for p in fresh_cache.glob("*.json")] == [["wordpiece", "120"]]


# ---- errors --------------------------------------------------------------------------------------


def test_unknown_kind_lists_the_kinds():
    with pytest.raises(ValueError) as error:
        train_tokenizer("sentencepiece", 100, SMALL)
    assert "sentencepiece" in str(error.value)
    for kind in KINDS:
        assert kind in str(error.value)


def test_unknown_model_lists_the_models():
    with pytest.raises(ValueError) as error:
        book_tokenizer("t5")
    for model in MODEL_KIND:
        assert model in str(error.value)


@pytest.mark.parametrize(
    "kind, size", [("bpe", 258), ("bpe", 10), ("wordpiece", 20), ("unigram", 20), ("wordpiece", 60), ("unigram", 0)]
)
def test_too_small_vocabulary_is_a_clear_error(kind, size):
    """Below the special tokens plus the alphabet (checked before training, or after it for the
    `##` forms WordPiece adds to its alphabet)."""
    with pytest.raises(ValueError, match=rf"vocab_size={size} is too small for a {kind} tokenizer"):
        train_tokenizer(kind, size, SMALL)


def test_empty_text_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        train_tokenizer("bpe", 300, " \n ")


def test_book_tokenizer_maps_each_model_to_its_kind(monkeypatch):
    asked = []
    monkeypatch.setattr(tokenize, "train_tokenizer", lambda kind: asked.append(kind))
    for model in ["bert", "gpt", "roberta", "albert", "xlnet"]:
        book_tokenizer(model)
    assert asked == ["wordpiece", "bpe", "bpe", "unigram", "unigram"]


# ---- the real corpus -----------------------------------------------------------------------------


@needs_mirror
def test_the_book_tokenizers_on_tiny_shakespeare(monkeypatch):
    monkeypatch.setenv("TINYLM_DATA", str(MIRROR))
    from tinylm.data import shakespeare_splits

    valid = shakespeare_splits()["valid"]
    for model, kind in [("bert", "wordpiece"), ("gpt", "bpe"), ("albert", "unigram")]:
        tok = book_tokenizer(model)
        assert len(tok) == VOCAB_SIZE[kind]
        ids = tok(valid, add_special_tokens=False)["input_ids"]
        assert len(valid) / len(ids) > 2.0, f"{kind}: fewer than 2 characters per token"
        assert tok.unk_token_id is None or tok.unk_token_id not in ids  # the valid split has no new characters
    gpt = book_tokenizer("gpt")
    assert gpt.decode(gpt(valid)["input_ids"]) == valid
