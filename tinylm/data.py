"""The book's datasets: where each file comes from, a verified local copy, and deterministic splits.

Every file is checked against its sha256 before use. A missing file is downloaded once into the
folder named by `TINYLM_DATA` (default: a cache folder); `TINYLM_OFFLINE=1` forbids the network.
A wrong or unreachable file is never papered over: the error says which file, where it comes
from, and what to do.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class DataFile:
    """One dataset file: its name in the registry, local file name, canonical URL, checksum, size, licence."""

    name: str
    filename: str
    url: str
    sha256: str
    size: int  # bytes
    licence: str


REGISTRY = {
    "tinyshakespeare": DataFile(
        name="tinyshakespeare",
        filename="tinyshakespeare.txt",
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        size=1115394,
        licence="Shakespeare's text is public domain; the file comes from karpathy/char-rnn (MIT)",
    ),
    "tatoeba-eng-kor": DataFile(
        name="tatoeba-eng-kor",
        filename="tatoeba-eng-kor.tsv",
        # kor.txt of the manythings.org Anki set "kor-eng", pinned to a commit so the bytes cannot drift
        url="https://raw.githubusercontent.com/nate-koser/kor-eng-translator/"
        "a073cb5f7b819c73cbd46d19ceb6a42463041152/kor.txt",
        sha256="3988edfd32c892ccf4450772bc3a5906ebfcf3c8648f56012df204ddf27b8280",
        size=558778,
        licence="CC-BY 2.0 (France); each line carries its own Tatoeba attribution in column 3",
    ),
}


class DataError(RuntimeError):
    """A dataset file could not be found, downloaded or verified; the message says what to do."""


_verified: set[tuple[str, int, int, str]] = set()  # (path, mtime_ns, size, sha256) already checked


def data_dir() -> Path:
    """The data folder: `$TINYLM_DATA` if set, else `$XDG_CACHE_HOME/tinylm` (or `~/.cache/tinylm`)."""
    if os.environ.get("TINYLM_DATA"):
        return Path(os.environ["TINYLM_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tinylm"


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(name: str) -> Path:
    """The local path of dataset `name`, verified; downloaded first if it is missing (and allowed)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(REGISTRY))}")
    entry = REGISTRY[name]
    path = data_dir() / entry.filename
    if not path.exists():
        if os.environ.get("TINYLM_OFFLINE", "") not in ("", "0"):
            raise DataError(
                f"{path} is missing and TINYLM_OFFLINE is set, so it will not be downloaded.\n"
                f"Download it yourself from {entry.url} into {path.parent}, set TINYLM_DATA to a "
                f"folder that holds {entry.filename}, or unset TINYLM_OFFLINE."
            )
        _download(entry, path)
    _verify(entry, path)
    return path


def _verify(entry: DataFile, path: Path) -> None:
    """Raise DataError unless the file has the registered size and sha256 (remembered per mtime and size)."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, entry.sha256)
    if key in _verified:
        return
    actual = sha256_of(path)
    if stat.st_size != entry.size or actual != entry.sha256:
        raise DataError(
            f"{path} is not the expected file for dataset {entry.name!r} (source: {entry.url}).\n"
            f"  expected sha256 {entry.sha256} ({entry.size} bytes)\n"
            f"  found    sha256 {actual} ({stat.st_size} bytes)\n"
            f"Delete the file so that it is downloaded again, or set TINYLM_DATA to a folder "
            f"that holds a good copy."
        )
    _verified.add(key)


def _download(entry: DataFile, path: Path) -> None:
    """Download to a temporary file beside `path`, check the sha256, then rename it into place."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(
            f"{path} is missing and the folder {folder} cannot be created ({error}).\n"
            f"Set TINYLM_DATA to a writable folder, or to a folder that holds {entry.filename} "
            f"(downloaded yourself from {entry.url})."
        ) from error
    if not os.access(folder, os.W_OK):
        raise DataError(
            f"{path} is missing and the folder {folder} is read-only, so it cannot be downloaded there.\n"
            f"Put a copy from {entry.url} into {folder}, or set TINYLM_DATA to a writable folder "
            f"or to a folder that holds {entry.filename}."
        )
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        try:
            with urllib.request.urlopen(entry.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                with open(partial, "wb") as out:
                    shutil.copyfileobj(response, out)
        except (OSError, HTTPException) as error:  # URLError and timeouts are OSErrors
            raise DataError(
                f"{path} is missing and downloading it from {entry.url} failed ({error}).\n"
                f"Download it yourself from {entry.url} into {folder}, or set TINYLM_DATA to a "
                f"folder that holds {entry.filename}."
            ) from error
        actual = sha256_of(partial)
        if actual != entry.sha256:
            raise DataError(
                f"the file downloaded from {entry.url} for {path} has the wrong checksum "
                f"(expected sha256 {entry.sha256}, got {actual}); nothing was saved.\n"
                f"Download it yourself into {folder} and check it, or set TINYLM_DATA to a folder "
                f"that holds a good copy of {entry.filename}."
            )
        os.replace(partial, path)  # atomic: other readers see no file or the whole file
    finally:
        partial.unlink(missing_ok=True)


def load_text(name: str) -> str:
    """The whole dataset file as a string (UTF-8, line endings kept exactly)."""
    return fetch(name).read_bytes().decode("utf-8")


def load_pairs(name: str = "tatoeba-eng-kor") -> list[tuple[str, str]]:
    """Sentence pairs (english, korean) from a tab-separated file; a malformed line is an error."""
    path = fetch(name)
    lines = path.read_bytes().decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the file ends with a newline
    pairs = []
    for number, line in enumerate(lines, start=1):
        fields = line.split("\t")
        if len(fields) < 2:
            raise DataError(f"{path}, line {number}: expected english<TAB>korean, got {line[:80]!r}")
        pairs.append((fields[0], fields[1]))
    return pairs


def _check_fractions(fractions) -> None:
    """Raise ValueError unless there are three positive fractions (train, valid, test) summing to 1."""
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(
            f"fractions must be three positive numbers (train, valid, test) that sum to 1, got {fractions}"
        )


def split_text(text: str, fractions=(0.9, 0.05, 0.05)) -> dict[str, str]:
    """Cut a text into contiguous train/valid/test parts, each cut just after a newline."""
    _check_fractions(fractions)

    def cut_at(fraction: float) -> int:  # the end of the line holding the character at `fraction`
        newline = text.find("\n", max(round(len(text) * fraction) - 1, 0))
        return len(text) if newline == -1 else newline + 1

    first, second = cut_at(fractions[0]), cut_at(fractions[0] + fractions[1])
    return {"train": text[:first], "valid": text[first:second], "test": text[second:]}


def split_items(items, fractions=(0.8, 0.1, 0.1), seed: int = 0) -> dict[str, list]:
    """Shuffle a copy of `items` with its own seeded generator, then cut it into train/valid/test."""
    _check_fractions(fractions)
    items = list(items)
    random.Random(seed).shuffle(items)
    first = round(len(items) * fractions[0])
    second = round(len(items) * (fractions[0] + fractions[1]))
    return {"train": items[:first], "valid": items[first:second], "test": items[second:]}


def shakespeare_splits() -> dict[str, str]:
    """Tiny Shakespeare cut 90/5/5 into contiguous train/valid/test texts."""
    return split_text(load_text("tinyshakespeare"))


def segment_pairs(
    text: str, n: int, seed: int = 0, segment_chars: int = 90, task: str = "nsp"
) -> list[tuple[str, str, int]]:
    """`n` examples (A, B, label) for next-sentence prediction (BERT) or sentence-order prediction (ALBERT).

    A is a run of lines of about `segment_chars` characters. For `task="nsp"`, half the time B is the run
    that follows it (label 0, "IsNext"), else a run that starts at least 100 lines away (label 1, "NotNext").
    For `task="sop"`, B always follows A, and half the time the two are swapped (label 1).
    """
    if task not in ("nsp", "sop"):
        raise ValueError(f"task must be 'nsp' (next sentence) or 'sop' (sentence order), got {task!r}")
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 300:
        raise ValueError(f"need at least 300 non-empty lines to draw segment pairs, got {len(lines)}")
    rng = random.Random(seed)

    def run_from(i: int) -> tuple[str, int]:  # a run of lines starting at line i, and the line after it
        run = [lines[i]]
        while i + len(run) < len(lines) and sum(len(line) + 1 for line in run) < segment_chars:
            run.append(lines[i + len(run)])
        return "\n".join(run), i + len(run)

    examples = []
    for _ in range(n):
        start = rng.randrange(len(lines) - 50)  # room for A and the B after it
        a, after = run_from(start)
        if task == "sop":
            b = run_from(after)[0]
            examples.append((b, a, 1) if rng.random() < 0.5 else (a, b, 0))
        elif rng.random() < 0.5:
            examples.append((a, run_from(after)[0], 0))
        else:
            other = rng.randrange(len(lines) - 50)
            while abs(other - start) < 100:
                other = rng.randrange(len(lines) - 50)
            examples.append((a, run_from(other)[0], 1))
    return examples
