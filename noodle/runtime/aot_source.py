"""`noodle.load("kernels.py")`: the shared library noodlec makes of a Python source, kept
in the on-disk kernel cache (`noodlec cache list` shows it), compiled on a miss.

The compile runs `noodlec` in a subprocess: the runtime does not import the command-line
layer, and a compiler that aborts (these LLVM/MLIR builds assert) takes only the
subprocess with it. The cached entry holds the library's bytes; loading writes them to a
private temporary file, which is removed once the dynamic loader has mapped it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import noodle
from noodle.compiler.dependencies import digest
from noodle.errors import NoodleError
from noodle.runtime.cache_store import CacheStore
from noodle.runtime.kernel_cache import versions


def source_library_key(source: Path, opt_level: int) -> str:
    """The cache key of `source`'s library. Its inputs: the text of the source file, the
    optimisation level, and `kernel_cache.versions()` (noodle, MLIR, llvmlite, Python,
    NumPy, the host CPU and its features). Not its imports: a library whose kernels call
    functions of another module is compiled again only when its own file changes."""
    return json.dumps({"kind": "noodlec-library", "source": digest(source.read_bytes()),
                       "opt_level": opt_level, "versions": versions()}, sort_keys=True)


def library_file(source: Path, opt_level: int = 3) -> Path:
    """A file holding `source`'s library (the caller removes it once loaded)."""
    store = CacheStore()
    key = source_library_key(source, opt_level)
    entry = store.get(key)
    if entry is None:
        payload = _compile(source, opt_level)
        store.put(key, payload, {"function": str(source), "signature": "shared library",
                                 "tier": "noodlec"})
    else:
        payload = entry.payload
    fd, name = tempfile.mkstemp(prefix=f"noodle-{source.stem}-", suffix=".so")
    with os.fdopen(fd, "wb") as file:
        file.write(payload)
    return Path(name)


def _compile(source: Path, opt_level: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="noodle-load-") as tmp:
        output = Path(tmp, f"{source.stem}.so")
        # this very noodle, whether installed or not
        root = str(Path(noodle.__file__).resolve().parent.parent)
        path = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=root if not path else f"{root}{os.pathsep}{path}")
        done = subprocess.run([sys.executable, "-m", "noodle.tools.noodlec", str(source),
                               f"-O{opt_level}", "-o", str(output)],
                              capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise NoodleError(f"noodlec could not compile {source}:\n"
                              f"{done.stderr.strip()}")
        return output.read_bytes()
