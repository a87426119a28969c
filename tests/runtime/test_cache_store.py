"""The on-disk kernel cache store: round trips, corruption, LRU eviction, concurrent
writers, unwritable directories, and the `noodlec cache` commands. Every store here
lives in a test's tmp_path, never in the user's cache directory."""
import hashlib
import multiprocessing
import os
import shutil
import time
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from noodle.errors import NoodleCacheWarning, NoodleConfigWarning
from noodle.runtime.cache_store import (DEFAULT_MAX_BYTES, MAGIC, CacheStore, Entry,
                                        default_max_bytes, default_root)
from noodle.tools import noodlec

PAYLOAD = bytes(range(256)) * 4
META = {"function": "axpy", "signature": "(float64[:], float64[:])", "tier": "O2"}


def entry_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.nk"))


def all_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


# --------------------------------------------------------------------------- basics

def test_put_then_get_returns_payload_and_meta(tmp_path):
    store = CacheStore(tmp_path)
    store.put("k", PAYLOAD, META)
    entry = store.get("k")
    assert entry is not None
    assert entry.payload == PAYLOAD
    assert entry.meta == META


def test_unknown_key_is_a_miss(tmp_path):
    store = CacheStore(tmp_path)
    store.put("k", PAYLOAD, META)
    assert store.get("other") is None


def test_entry_file_is_sharded_by_the_sha256_of_the_key(tmp_path):
    key = "x" * 10_000  # keys may be far longer than a file name
    CacheStore(tmp_path).put(key, PAYLOAD, {})
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert entry_files(tmp_path) == [tmp_path / digest[:2] / f"{digest}.nk"]
    assert entry_files(tmp_path)[0].read_bytes().startswith(MAGIC)


def test_a_second_store_on_the_same_directory_sees_the_entries(tmp_path):
    CacheStore(tmp_path).put("k", PAYLOAD, META)
    other = CacheStore(tmp_path)
    assert other.get("k").payload == PAYLOAD
    assert [info.key for info in other.entries()] == ["k"]
    assert other.stats()["entries"] == 1


def test_put_replaces_an_existing_entry(tmp_path):
    store = CacheStore(tmp_path)
    store.put("k", b"old", {"v": 1})
    store.put("k", b"new", {"v": 2})
    assert store.get("k") == Entry(b"new", {"v": 2})
    assert len(entry_files(tmp_path)) == 1


def test_remove(tmp_path):
    store = CacheStore(tmp_path)
    store.put("k", PAYLOAD, META)
    assert store.remove("k") is True
    assert store.get("k") is None
    assert store.remove("k") is False


def test_a_stored_key_other_than_the_one_asked_is_a_silent_miss(tmp_path):
    # Simulate a SHA-256 collision: the file where "b" belongs holds the entry of "a".
    store = CacheStore(tmp_path)
    store.put("a", b"payload of a", {})
    store.put("b", b"payload of b", {})
    by_key = {info.key: info.path for info in store.entries()}
    shutil.copyfile(by_key["a"], by_key["b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.get("b") is None
    assert store.get("a").payload == b"payload of a"


def test_defaults_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NOODLE_CACHE_DIR", raising=False)
    monkeypatch.delenv("NOODLE_CACHE_MAX_BYTES", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_root() == tmp_path / "xdg" / "noodle"
    assert default_max_bytes() == DEFAULT_MAX_BYTES
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_root() == Path.home() / ".cache" / "noodle"
    monkeypatch.setenv("NOODLE_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("NOODLE_CACHE_MAX_BYTES", "4096")
    store = CacheStore()
    assert (store.root, store.max_bytes) == (tmp_path / "mine", 4096)


# --------------------------------------------------------------------------- corruption

def _truncate_at(offset_from_start=None, offset_from_end=None):
    def damage(data: bytes) -> bytes:
        return data[:offset_from_start] if offset_from_end is None else data[:-offset_from_end]
    return damage


def _flip_bit_at(find: bytes):
    def damage(data: bytes) -> bytes:
        at = data.index(find)
        return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
    return damage


DAMAGE = {
    "empty file": _truncate_at(0),
    "cut inside the magic": _truncate_at(5),
    "cut inside the lengths": _truncate_at(13),
    "cut inside the json": _truncate_at(40),
    "cut inside the payload": _truncate_at(offset_from_end=32 + len(PAYLOAD) // 2),
    "cut inside the digest": _truncate_at(offset_from_end=1),
    "bit flip in the payload": _flip_bit_at(PAYLOAD[100:120]),
    "bit flip in the json": _flip_bit_at(b"axpy"),
    "other format version": lambda data: MAGIC[:-1] + b"\x02" + data[len(MAGIC):],
    "garbage": lambda data: os.urandom(len(data)),
    "extra bytes at the end": lambda data: data + b"\0",
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_entry_is_reported_removed_and_missed(tmp_path, damage):
    store = CacheStore(tmp_path)
    store.put("k", PAYLOAD, META)
    [path] = entry_files(tmp_path)
    path.write_bytes(damage(path.read_bytes()))

    with pytest.warns(NoodleCacheWarning, match="recompiled") as caught:
        assert store.get("k") is None
    assert str(path) in str(caught[0].message)
    assert not path.exists()

    store.put("k", PAYLOAD, META)
    assert store.get("k") == Entry(PAYLOAD, META)


def test_listing_leaves_damaged_entries_out(tmp_path):
    store = CacheStore(tmp_path)
    store.put("good", PAYLOAD, META)
    store.put("bad", PAYLOAD, META)
    bad = next(info.path for info in store.entries() if info.key == "bad")
    bad.write_bytes(bad.read_bytes()[:50])
    assert [info.key for info in store.entries()] == ["good"]


# --------------------------------------------------------------------------- LRU

def test_eviction_keeps_the_most_recently_used_entries(tmp_path):
    store = CacheStore(tmp_path, max_bytes=DEFAULT_MAX_BYTES)
    for key in "abc":
        store.put(key, PAYLOAD, {})
    size = store.entries()[0].size
    # Age the entries, a oldest, without sleeping.
    for age, info in zip((300, 200, 100), sorted(store.entries(), key=lambda i: i.key)):
        os.utime(info.path, (time.time() - age,) * 2)
    assert [info.key for info in store.entries()] == ["c", "b", "a"]

    store.get("a")  # a use: a is now the most recently used
    store.max_bytes = 3 * size + size // 2
    store.put("d", PAYLOAD, {})

    assert sorted(info.key for info in store.entries()) == ["a", "c", "d"]
    assert store.get("b") is None
    assert store.stats()["bytes"] <= store.max_bytes


def test_an_entry_larger_than_the_limit_evicts_the_rest_but_stays(tmp_path):
    store = CacheStore(tmp_path, max_bytes=3 * len(PAYLOAD))
    store.put("small", PAYLOAD, {})
    with pytest.warns(NoodleCacheWarning, match="less than its newest entry") as told:
        store.put("huge", PAYLOAD * 10, {})
        store.put("huger", PAYLOAD * 11, {})
    assert len(told) == 1  # said once, not at every write
    assert [info.key for info in store.entries()] == ["huger"]
    assert store.get("huger").payload == PAYLOAD * 11


def test_a_limit_that_is_not_a_number_warns_and_keeps_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv("NOODLE_CACHE_MAX_BYTES", "10MB")
    with pytest.warns(NoodleConfigWarning, match="NOODLE_CACHE_MAX_BYTES='10MB'"):
        store = CacheStore(tmp_path)
    assert store.max_bytes == DEFAULT_MAX_BYTES


def test_temporary_files_are_ignored_and_stale_ones_cleared(tmp_path):
    store = CacheStore(tmp_path)
    store.put("k", PAYLOAD, {})
    [path] = entry_files(tmp_path)
    stale = path.with_name(path.name + ".1.dead.tmp")
    fresh = path.with_name(path.name + ".2.live.tmp")
    for temp in (stale, fresh):
        temp.write_bytes(b"half a kernel")
    os.utime(stale, (time.time() - 7200,) * 2)
    assert [info.key for info in store.entries()] == ["k"]
    assert store.stats()["entries"] == 1

    assert store.clear() == 1
    assert not stale.exists()
    assert fresh.exists()  # it may be another process's write in progress


# --------------------------------------------------------------------------- concurrency

def _put_then_get(root: str, barrier, key: str, payload: bytes) -> None:
    warnings.simplefilter("error")  # a cache warning fails this process
    store = CacheStore(Path(root))
    barrier.wait(timeout=60)
    store.put(key, payload, META)
    entry = store.get(key)
    assert entry is not None and entry.payload == payload and entry.meta == META


def test_concurrent_writers_of_one_key_leave_one_valid_entry(tmp_path):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(8)
    payload = os.urandom(1 << 20)  # big enough for the writes to overlap
    workers = [context.Process(target=_put_then_get,
                               args=(str(tmp_path), barrier, "shared key", payload))
               for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * 8

    assert all_files(tmp_path) == entry_files(tmp_path)  # no temporary files left
    assert len(entry_files(tmp_path)) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert CacheStore(tmp_path).get("shared key").payload == payload


# --------------------------------------------------------------------------- unwritable

def test_an_unwritable_directory_warns_and_does_not_raise(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: root can write to a read-only directory anyway")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        store = CacheStore(locked / "cache")
        with pytest.warns(NoodleCacheWarning, match="disabled for this write"):
            store.put("k", PAYLOAD, META)
        assert store.get("k") is None
    finally:
        locked.chmod(0o700)


def test_a_cache_directory_that_cannot_exist_warns_and_does_not_raise(tmp_path):
    # A regular file where the directory should be: fails even for root.
    blocker = tmp_path / "not a directory"
    blocker.write_bytes(b"")
    store = CacheStore(blocker / "cache")
    with pytest.warns(NoodleCacheWarning, match="disabled for this write"):
        store.put("k", PAYLOAD, META)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the write warned already; reads are just misses
        assert store.get("k") is None
    assert store.entries() == []
    assert store.stats()["entries"] == 0


def test_a_directory_that_fails_every_write_warns_once_at_the_users_line(tmp_path):
    """A compile writes two entries (the kernel and its index): one warning, not one per
    write, and it names the line of the caller's code, not noodle's."""
    blocker = tmp_path / "not a directory"
    blocker.write_bytes(b"")
    store = CacheStore(blocker / "cache")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store.put("kernel", PAYLOAD, META)
        store.put("index", b"", META)
    [warning] = caught
    assert warning.category is NoodleCacheWarning
    assert "NOODLE_CACHE_DIR" in str(warning.message)
    assert warning.filename == __file__


# --------------------------------------------------------------------------- CLI

def test_noodlec_cache_list_stats_and_clear(tmp_path, monkeypatch):
    monkeypatch.delenv("NOODLE_CACHE_MAX_BYTES", raising=False)
    store = CacheStore(tmp_path)
    store.put("kernel key", PAYLOAD, META)
    long_key = "no metadata: " + "k" * 100
    store.put(long_key, b"x", {})
    runner = CliRunner()

    def cache(*args):
        result = runner.invoke(noodlec.main, ["cache", *args, "--dir", str(tmp_path)])
        assert result.exit_code == 0, result.output
        return result.output

    lines = cache("list").splitlines()
    assert len(lines) == 2
    assert any("axpy (float64[:], float64[:]) O2" in line and "KiB" in line
               for line in lines)
    assert any(line.endswith(long_key[:60]) for line in lines)

    stats = cache("stats")
    assert f"directory: {tmp_path}" in stats
    assert "entries:   2" in stats
    assert "limit:     512.0 MiB" in stats

    assert "removed 2 entries" in cache("clear")
    assert entry_files(tmp_path) == []
    assert "entries:   0" in cache("stats")
    assert cache("list") == ""
