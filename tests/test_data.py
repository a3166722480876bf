"""Tests of tinylm.data: the verified cache, its error messages, and deterministic splits.

No test touches the real network: `urllib.request.urlopen` is replaced wherever a download could happen.
"""

import hashlib
import io
import os
import random
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tinylm import data
from tinylm.data import DataError, DataFile

# CI clones the repository with shared/ beside it; the offline mirror lives in shared/data.
MIRROR = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_mirror = pytest.mark.skipif(
    not (MIRROR / "tinyshakespeare.txt").exists(), reason=f"offline data mirror not found at {MIRROR}"
)

FAKE_BYTES = b"first line\nsecond line\n"
FAKE_URL = "https://example.invalid/fake.txt"


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """A registry entry 'fake' whose checksum is that of FAKE_BYTES; TINYLM_DATA is an empty tmp folder."""
    entry = DataFile(
        name="fake",
        filename="fake.txt",
        url=FAKE_URL,
        sha256=hashlib.sha256(FAKE_BYTES).hexdigest(),
        size=len(FAKE_BYTES),
        licence="test data",
    )
    monkeypatch.setitem(data.REGISTRY, "fake", entry)
    monkeypatch.setenv("TINYLM_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("TINYLM_OFFLINE", raising=False)
    return entry


def no_network(*args, **kwargs):
    pytest.fail("the network was used")


def respond_with(payload: bytes):
    """A stand-in for urlopen that answers every request with `payload`."""
    return lambda url, timeout=None: io.BytesIO(payload)


# ---- the cache folder -------------------------------------------------------------------------


def test_data_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYLM_DATA", str(tmp_path / "mine"))
    assert data.data_dir() == tmp_path / "mine"
    monkeypatch.delenv("TINYLM_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_dir() == tmp_path / "xdg" / "tinylm"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.data_dir() == tmp_path / "home" / ".cache" / "tinylm"


def test_unknown_name_lists_known_datasets():
    with pytest.raises(ValueError) as error:
        data.fetch("no-such-dataset")
    assert "no-such-dataset" in str(error.value)
    for name in data.REGISTRY:
        assert name in str(error.value)


# ---- existing files: verify, never overwrite ---------------------------------------------------


def test_existing_good_file_is_used_without_network(fake, monkeypatch):
    folder = data.data_dir()
    folder.mkdir()
    (folder / "fake.txt").write_bytes(FAKE_BYTES)
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert data.fetch("fake") == folder / "fake.txt"
    assert data.load_text("fake") == FAKE_BYTES.decode()


def test_read_only_mirror_is_only_read(fake, monkeypatch):
    folder = data.data_dir()
    folder.mkdir()
    (folder / "fake.txt").write_bytes(FAKE_BYTES)
    folder.chmod(0o555)
    try:
        before = (sorted(os.listdir(folder)), folder.stat().st_mtime_ns)
        monkeypatch.setattr(urllib.request, "urlopen", no_network)
        assert data.load_text("fake") == FAKE_BYTES.decode()
        assert (sorted(os.listdir(folder)), folder.stat().st_mtime_ns) == before
    finally:
        folder.chmod(0o755)


def test_corrupt_file_raises_and_is_left_alone(fake, monkeypatch):
    folder = data.data_dir()
    folder.mkdir()
    path = folder / "fake.txt"
    path.write_bytes(b"first line\nsecond LINE\n")  # same size, different bytes
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(DataError) as error:
        data.fetch("fake")
    message = str(error.value)
    for needed in (str(path), FAKE_URL, "TINYLM_DATA", fake.sha256, hashlib.sha256(path.read_bytes()).hexdigest()):
        assert needed in message
    assert path.read_bytes() == b"first line\nsecond LINE\n"  # not re-downloaded, not overwritten


def test_check_is_cached_until_the_file_changes(fake, monkeypatch):
    folder = data.data_dir()
    folder.mkdir()
    path = folder / "fake.txt"
    path.write_bytes(FAKE_BYTES)
    calls = []
    real_sha256_of = data.sha256_of
    monkeypatch.setattr(data, "sha256_of", lambda p: calls.append(p) or real_sha256_of(p))
    data.fetch("fake")
    data.fetch("fake")
    assert len(calls) == 1
    path.write_bytes(FAKE_BYTES + b"tampered\n")
    with pytest.raises(DataError):
        data.fetch("fake")


# ---- missing files: offline, no network, downloads --------------------------------------------


def test_offline_missing_file_raises_without_network(fake, monkeypatch):
    monkeypatch.setenv("TINYLM_OFFLINE", "1")
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(DataError) as error:
        data.fetch("fake")
    message = str(error.value)
    for needed in ("fake.txt", FAKE_URL, "TINYLM_DATA", "TINYLM_OFFLINE"):
        assert needed in message


def test_network_failure_raises_and_leaves_nothing(fake, monkeypatch):
    def unreachable(url, timeout=None):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    with pytest.raises(DataError) as error:
        data.fetch("fake")
    message = str(error.value)
    for needed in ("fake.txt", FAKE_URL, "TINYLM_DATA"):
        assert needed in message
    assert os.listdir(data.data_dir()) == []


class BrokenResponse(io.BytesIO):
    """A response whose connection drops after the first few bytes."""

    def read(self, size=-1):
        if self.tell() > 0:
            raise ConnectionResetError("connection reset by peer")
        return super().read(5)


def test_dropped_connection_raises_and_leaves_no_partial_file(fake, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: BrokenResponse(FAKE_BYTES))
    with pytest.raises(DataError) as error:
        data.fetch("fake")
    assert FAKE_URL in str(error.value) and "TINYLM_DATA" in str(error.value)
    assert os.listdir(data.data_dir()) == []


def test_download_writes_verified_file(fake, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", respond_with(FAKE_BYTES))
    path = data.fetch("fake")
    assert path == data.data_dir() / "fake.txt"
    assert path.read_bytes() == FAKE_BYTES
    assert os.listdir(data.data_dir()) == ["fake.txt"]  # no temporary file left
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert data.fetch("fake") == path  # the second time it is read from the cache


def test_download_with_wrong_bytes_raises_and_leaves_nothing(fake, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", respond_with(b"an error page\n"))
    with pytest.raises(DataError) as error:
        data.fetch("fake")
    assert FAKE_URL in str(error.value) and "TINYLM_DATA" in str(error.value)
    assert os.listdir(data.data_dir()) == []


def test_missing_file_in_read_only_folder_raises(fake, monkeypatch):
    folder = data.data_dir()
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # root may write anywhere; pretend the permission bits hold
            real_access = os.access
            monkeypatch.setattr(os, "access", lambda p, mode: mode != os.W_OK and real_access(p, mode))
        monkeypatch.setattr(urllib.request, "urlopen", no_network)
        with pytest.raises(DataError) as error:
            data.fetch("fake")
        message = str(error.value)
        for needed in ("read-only", str(folder), FAKE_URL, "TINYLM_DATA"):
            assert needed in message
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_uncreatable_folder_raises(fake, monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("TINYLM_DATA", str(tmp_path / "a-file" / "data"))
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(DataError) as error:
        data.fetch("fake")
    assert "cannot be created" in str(error.value) and "TINYLM_DATA" in str(error.value)


# ---- sentence pairs -----------------------------------------------------------------------------


def test_malformed_pairs_line_names_its_number(monkeypatch, tmp_path):
    payload = "Go.\t가.\tattribution\nno tab on this line\nHi.\t안녕.\n".encode()
    entry = DataFile("pairs", "pairs.tsv", FAKE_URL, hashlib.sha256(payload).hexdigest(), len(payload), "test")
    monkeypatch.setitem(data.REGISTRY, "pairs", entry)
    monkeypatch.setenv("TINYLM_DATA", str(tmp_path))
    (tmp_path / "pairs.tsv").write_bytes(payload)
    with pytest.raises(DataError, match="line 2"):
        data.load_pairs("pairs")


# ---- splits --------------------------------------------------------------------------------------

TEXT = "".join(f"line number {i}\n" for i in range(200))


def test_split_text_is_contiguous_and_cut_at_newlines():
    parts = data.split_text(TEXT)
    assert list(parts) == ["train", "valid", "test"]
    assert parts["train"] + parts["valid"] + parts["test"] == TEXT
    assert all(part and part.endswith("\n") for part in parts.values())
    assert abs(len(parts["train"]) / len(TEXT) - 0.9) < 0.01
    assert data.split_text(TEXT) == parts


@pytest.mark.parametrize("fractions", [(0.5, 0.5, 0.5), (1.0, 0.0, 0.0), (0.9, 0.1), (0.9, -0.05, 0.15)])
def test_bad_fractions_are_refused(fractions):
    with pytest.raises(ValueError, match="sum to 1"):
        data.split_text(TEXT, fractions)
    with pytest.raises(ValueError, match="sum to 1"):
        data.split_items(range(10), fractions)


def test_split_items_is_seeded_and_covers_everything_once():
    items = list(range(100))
    random.seed(123)
    global_state = random.getstate()
    parts = data.split_items(items, seed=7)
    assert random.getstate() == global_state  # the global generator is not touched
    assert items == list(range(100))  # the input is not shuffled in place
    assert [len(parts[k]) for k in ("train", "valid", "test")] == [80, 10, 10]
    assert sorted(parts["train"] + parts["valid"] + parts["test"]) == items
    assert data.split_items(items, seed=7) == parts
    assert data.split_items(items, seed=8) != parts


# ---- the real files in the offline mirror --------------------------------------------------------


@pytest.fixture
def mirror(monkeypatch):
    monkeypatch.setenv("TINYLM_DATA", str(MIRROR))
    monkeypatch.setenv("TINYLM_OFFLINE", "1")
    monkeypatch.setattr(urllib.request, "urlopen", no_network)


@needs_mirror
def test_registry_matches_the_mirror_readme():
    readme = (MIRROR / "README.md").read_text()
    for entry in data.REGISTRY.values():
        assert f"| {entry.filename} | {entry.size} | {entry.sha256} |" in readme


@needs_mirror
def test_tinyshakespeare_from_mirror(mirror):
    path = data.fetch("tinyshakespeare")
    assert path == MIRROR / "tinyshakespeare.txt"
    assert path.stat().st_size == 1115394
    text = data.load_text("tinyshakespeare")
    assert len(text) == 1115394  # plain ASCII: as many characters as bytes
    assert text.startswith("First Citizen:\n")
    parts = data.shakespeare_splits()
    assert "".join(parts.values()) == text


@needs_mirror
def test_tatoeba_pairs_from_mirror(mirror):
    pairs = data.load_pairs()
    assert len(pairs) == 3798
    assert pairs[0] == ("Go.", "가.")
    assert all(english and korean for english, korean in pairs)


def test_segment_pairs_follow_or_come_from_far_away():
    lines = [f"line {i}" for i in range(1000)]
    text = "\n".join(lines) + "\n"
    pairs = data.segment_pairs(text, 400, seed=3, segment_chars=20)
    assert pairs == data.segment_pairs(text, 400, seed=3, segment_chars=20)  # seeded
    labels = [label for _, _, label in pairs]
    assert 0.4 < sum(labels) / len(labels) < 0.6  # about half NotNext
    for a, b, label in pairs:
        last_a = int(a.split("\n")[-1].split()[1])
        first_b = int(b.split("\n")[0].split()[1])
        assert len(a) >= 20 and len(b) >= 20  # a run is at least segment_chars long
        if label == 0:
            assert first_b == last_a + 1  # B is the run right after A
        else:
            assert abs(first_b - int(a.split()[1])) >= 100  # B starts far from A


def test_segment_pairs_for_sentence_order_swap_consecutive_runs():
    text = "\n".join(f"line {i}" for i in range(1000)) + "\n"
    pairs = data.segment_pairs(text, 400, seed=3, segment_chars=20, task="sop")
    labels = [label for _, _, label in pairs]
    assert 0.4 < sum(labels) / len(labels) < 0.6  # about half swapped
    for a, b, label in pairs:
        first, second = (b, a) if label == 1 else (a, b)  # undo the swap
        assert int(second.split("\n")[0].split()[1]) == int(first.split("\n")[-1].split()[1]) + 1


def test_segment_pairs_keep_their_draws_for_next_sentence():
    text = "\n".join(f"line {i}" for i in range(1000)) + "\n"
    assert data.segment_pairs(text, 50, seed=3) == data.segment_pairs(text, 50, seed=3, task="nsp")
    with pytest.raises(ValueError, match="'nsp'.*'sop'"):
        data.segment_pairs(text, 5, task="order")


def test_segment_pairs_refuse_a_short_text():
    with pytest.raises(ValueError, match="at least 300 non-empty lines"):
        data.segment_pairs("one\ntwo\n", 10)
