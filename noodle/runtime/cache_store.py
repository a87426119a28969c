"""The on-disk kernel cache store: string keys to payload bytes plus JSON metadata.

This module knows nothing of MLIR or of what a key means; the JIT computes keys and
serialises kernels, this stores them so that a fresh process can skip compiling. It
imports only the standard library (and noodle's modules that do the same) because it is
loaded on that fresh process's hot path.

Each entry is one file, `<root>/<h[:2]>/<h>.nk` where `h` is the SHA-256 hex digest of
the key. The file holds:

    magic b"NOODLEK\\x01"  (8 bytes; the last byte is the format version)
    json_len, payload_len  (two little-endian unsigned 64-bit integers)
    UTF-8 JSON of {"key": key, "meta": meta}
    payload bytes
    SHA-256 digest of everything above (32 bytes)

The cache is an optimisation, so nothing here is fatal: an entry that fails any check is
deleted with a `NoodleCacheWarning` and reads as a miss, and a failed write is a warning.
Writes go to a temporary file that is renamed into place, so readers in other processes
see either the old entry, the new one, or none. An entry's mtime is its last use; after
each write the least recently used entries go until the total fits in `max_bytes`.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from noodle.errors import NoodleCacheWarning
from noodle.runtime.config import environment_number
from noodle.runtime.user_warnings import warn_in_user_code

DEFAULT_MAX_BYTES = 512 * 2**20

MAGIC = b"NOODLEK\x01"
_HEADER = struct.Struct("<8sQQ")
_DIGEST_SIZE = hashlib.sha256().digest_size
_SUFFIX = ".nk"
_TEMP_SUFFIX = ".tmp"
# A temporary file younger than this may belong to a write in progress elsewhere.
_STALE_TEMP_SECONDS = 3600


def default_root() -> Path:
    """`$NOODLE_CACHE_DIR`, else `$XDG_CACHE_HOME/noodle`, else `~/.cache/noodle`."""
    if os.environ.get("NOODLE_CACHE_DIR"):
        return Path(os.environ["NOODLE_CACHE_DIR"])
    xdg = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(xdg).expanduser() / "noodle"


def default_max_bytes() -> int:
    """`$NOODLE_CACHE_MAX_BYTES` if set, else `DEFAULT_MAX_BYTES`."""
    return environment_number("NOODLE_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES, int)


@dataclass(frozen=True)
class Entry:
    """What `CacheStore.get` returns: the payload and metadata given to `put`."""
    payload: bytes
    meta: dict


@dataclass(frozen=True)
class EntryInfo:
    """One entry as `CacheStore.entries` lists it."""
    key: str
    path: Path
    size: int
    last_used: float
    meta: dict


class _Corrupt(Exception):
    """An entry file failed a check; the message says which."""


def _encode(key: str, payload: bytes, meta: dict) -> bytes:
    text = json.dumps({"key": key, "meta": meta}, sort_keys=True).encode()
    body = _HEADER.pack(MAGIC, len(text), len(payload)) + text + payload
    return body + hashlib.sha256(body).digest()


def _decode(data: bytes) -> tuple[str, dict, bytes]:
    """(key, meta, payload) of an entry file's bytes; raises `_Corrupt`."""
    if len(data) < _HEADER.size + _DIGEST_SIZE:
        raise _Corrupt(f"truncated ({len(data)} bytes)")
    magic, text_len, payload_len = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise _Corrupt(f"not a noodle cache entry of format {MAGIC!r} (starts {magic!r})")
    expected = _HEADER.size + text_len + payload_len + _DIGEST_SIZE
    if len(data) != expected:
        raise _Corrupt(f"{len(data)} bytes where its header says {expected}")
    body, digest = data[:-_DIGEST_SIZE], data[-_DIGEST_SIZE:]
    if hashlib.sha256(body).digest() != digest:
        raise _Corrupt("checksum mismatch")
    text_end = _HEADER.size + text_len
    try:
        record = json.loads(data[_HEADER.size:text_end])
        key, meta = record["key"], record["meta"]
    except (ValueError, TypeError, KeyError) as error:
        raise _Corrupt(f"bad metadata: {error}") from None
    if not isinstance(key, str) or not isinstance(meta, dict):
        raise _Corrupt("bad metadata: key or meta of the wrong type")
    return key, meta, data[text_end:-_DIGEST_SIZE]


def _warn(message: str) -> None:
    warn_in_user_code(NoodleCacheWarning(message))


class CacheStore:
    """A directory of cache entries, shared safely by any number of processes."""

    def __init__(self, root: Path | None = None, max_bytes: int | None = None):
        self.root = Path(root) if root is not None else default_root()
        self.max_bytes = max_bytes if max_bytes is not None else default_max_bytes()
        #: the errnos of failed writes warned about already: a directory that cannot be
        #: written fails every write (a kernel and its index entry: two per compile)
        self._write_errors_told: set[int | None] = set()
        self._told_too_small = False

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / digest[:2] / (digest + _SUFFIX)

    def get(self, key: str) -> Entry | None:
        """The entry for `key`, or None on a miss; a hit counts as a use for the LRU."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            _warn(f"cannot read kernel cache entry {path} ({error}); "
                  "the kernel will be recompiled")
            return None
        try:
            stored_key, meta, payload = _decode(data)
        except _Corrupt as problem:
            try:
                path.unlink(missing_ok=True)
                done = "removed it"
            except OSError as error:
                done = f"could not remove it ({error})"
            _warn(f"corrupt kernel cache entry {path}: {problem}; "
                  f"{done}, the kernel will be recompiled")
            return None
        if stored_key != key:
            return None  # another key with the same SHA-256: put will overwrite it
        try:
            os.utime(path)
        except OSError:
            pass  # deleted meanwhile, or a read-only cache: the entry is still good
        return Entry(payload, meta)

    def put(self, key: str, payload: bytes, meta: dict) -> None:
        """Store `payload` and `meta` (JSON-serialisable) under `key`, then evict."""
        path = self._path(key)
        data = _encode(key, payload, meta)
        temp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(6)}{_TEMP_SUFFIX}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                with open(temp, "xb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temp, path)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
        except OSError as error:
            if error.errno not in self._write_errors_told:
                self._write_errors_told.add(error.errno)
                _warn(f"kernel cache disabled for this write: cannot write {path} ({error}); "
                      f"later writes that fail the same way are not reported (set "
                      f"NOODLE_CACHE_DIR to a writable directory, or use cache=False)")
            return
        try:
            self._evict(keep=path)
        except OSError as error:
            _warn(f"kernel cache in {self.root} may exceed its size limit: "
                  f"eviction failed ({error})")

    def entries(self) -> list[EntryInfo]:
        """The readable entries, most recently used first.

        Files that fail their checks are left out (`get` removes them).
        """
        infos = []
        for path, stat in self._files(_SUFFIX):
            try:
                key, meta, _ = _decode(path.read_bytes())
            except (OSError, _Corrupt):
                continue
            infos.append(EntryInfo(key, path, stat.st_size, stat.st_mtime, meta))
        infos.sort(key=lambda info: info.last_used, reverse=True)
        return infos

    def stats(self) -> dict:
        """The directory, the number of entry files, their total size, and the limit."""
        sizes = [stat.st_size for _, stat in self._files(_SUFFIX)]
        return {"directory": str(self.root), "entries": len(sizes), "bytes": sum(sizes),
                "max_bytes": self.max_bytes}

    def clear(self) -> int:
        """Remove every entry (and stale temporary files); returns how many entries went."""
        removed = sum(self._unlink(path) for path, _ in self._files(_SUFFIX))
        self._remove_stale_temps()
        return removed

    def remove(self, key: str) -> bool:
        """Remove the entry for `key`; returns whether there was one."""
        return self._unlink(self._path(key))

    def _evict(self, keep: Path) -> None:
        # One directory scan per write: writes follow a compilation, which costs far more.
        files = self._files(_SUFFIX)
        total = sum(stat.st_size for _, stat in files)
        if total > self.max_bytes:
            for path, stat in sorted(files, key=lambda file: file[1].st_mtime):
                if total <= self.max_bytes:
                    break
                if path != keep:
                    self._unlink(path)
                    total -= stat.st_size
            self._remove_stale_temps()
            if total > self.max_bytes and not self._told_too_small:
                self._told_too_small = True
                _warn(f"the kernel cache in {self.root} holds at most {self.max_bytes} "
                      f"bytes, less than its newest entry ({total} bytes): each write "
                      "evicts every other entry (raise NOODLE_CACHE_MAX_BYTES)")

    def _remove_stale_temps(self) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for path, stat in self._files(_TEMP_SUFFIX):
            if stat.st_mtime < cutoff:
                self._unlink(path)

    def _files(self, suffix: str) -> list[tuple[Path, os.stat_result]]:
        """The files ending in `suffix` in the shard directories, with their stat."""
        files = []
        for path in self.root.glob(f"??/*{suffix}"):
            try:
                files.append((path, path.stat()))
            except FileNotFoundError:
                continue  # removed by another process since the glob
        return files

    @staticmethod
    def _unlink(path: Path) -> bool:
        try:
            path.unlink()
        except FileNotFoundError:
            return False  # another process got there first
        return True
