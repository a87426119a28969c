"""The on-disk kernel cache as a user meets it: programs run in fresh processes, edited
between runs, several at once, with damaged cache entries. Each test has its own cache
directory and its own source files."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from noodle.runtime.cache_store import CacheStore

REPO = Path(__file__).resolve().parents[2]

KERNEL = """
import numpy as np
import noodle
import helpers
from helpers import OFFSET
SCALE = 2.0

@noodle.jit
def f(a, x):
    return np.sum(a) * SCALE + helpers.g(x) + helpers.K + OFFSET
"""
HELPERS = """
import noodle
K = 1.0
OFFSET = 10.0

@noodle.jit
def g(x):
    return x + 1.0
"""
# prints the result, then whether the compiler was loaded (a cache hit must not load it)
MAIN = """
import ast
import sys
import numpy as np
import kernel
print(kernel.f(np.arange(4.0), ast.literal_eval(sys.argv[1])))
print("compiler loaded" if "mlir.ir" in sys.modules else "compiler not loaded")
"""


class Program:
    """A small program in its own directory, run with its own kernel cache."""

    def __init__(self, root: Path):
        self.root = root
        self.cache = root / "cache"
        self.write("kernel.py", KERNEL)
        self.write("helpers.py", HELPERS)
        self.write("main.py", MAIN)

    def write(self, name: str, text: str) -> None:
        (self.root / name).write_text(textwrap.dedent(text))

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    def run(self, x: float = 3.0, **env: str) -> subprocess.CompletedProcess:
        return self.start(x, **env).wait_done()

    def start(self, x: float = 3.0, **env: str) -> _Running:
        # no .pyc files: an edit within the same second that keeps the file size would
        # run the old bytecode (Python checks only mtime and size)
        environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{REPO}:{self.root}",
                       "PYTHONDONTWRITEBYTECODE": "1",
                       "NOODLE_CACHE_DIR": str(self.cache), "NOODLE_EXPLAIN": "1", **env}
        return _Running(subprocess.Popen([sys.executable, "main.py", repr(x)], cwd=self.root,
                                         env=environment, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True))

    def kernel_entries(self) -> list:
        return [e for e in CacheStore(self.cache).entries() if "kernel" in e.meta]


class _Running:
    def __init__(self, proc: subprocess.Popen):
        self.proc = proc

    def wait_done(self) -> subprocess.CompletedProcess:
        out, err = self.proc.communicate(timeout=300)
        done = subprocess.CompletedProcess(self.proc.args, self.proc.returncode, out, err)
        assert done.returncode == 0, err
        return done


def expected(x: float, scale=2.0, k=1.0, offset=10.0, g_adds=1.0) -> float:
    return 6.0 * scale + x + g_adds + k + offset


def result(done: subprocess.CompletedProcess) -> float:
    return float(done.stdout.split()[0])


def compiled(done: subprocess.CompletedProcess) -> list[str]:
    """NOODLE_EXPLAIN's lines: one per compilation, with its reason."""
    return [line for line in done.stderr.splitlines() if line.startswith("noodle: compiling")]


def test_fresh_process_loads_the_kernel_without_the_compiler(tmp_path):
    program = Program(tmp_path)
    first = program.run()
    assert result(first) == expected(3.0)
    assert len(compiled(first)) == 1 and "not in the cache" in compiled(first)[0]
    second = program.run()
    assert result(second) == expected(3.0)
    assert compiled(second) == []
    assert "compiler not loaded" in second.stdout
    assert len(program.kernel_entries()) == 1


@pytest.mark.parametrize("name, old, new, reason, changes", [
    ("kernel.py", "np.sum(a) * SCALE", "np.sum(a) * SCALE * 1.5", "its source changed",
     {"scale": 3.0}),
    ("kernel.py", "SCALE = 2.0", "SCALE = 4.0", "SCALE: its value changed", {"scale": 4.0}),
    # the two cases where Numba's cache serves stale code: a callee edited in another
    # module, and a global of another module changed (read as `helpers.K` and imported
    # by name)
    ("helpers.py", "x + 1.0", "x + 5.0", "helpers.g: its source changed", {"g_adds": 5.0}),
    ("helpers.py", "K = 1.0", "K = 7.0", "helpers.K: its value changed", {"k": 7.0}),
    ("helpers.py", "OFFSET = 10.0", "OFFSET = 20.0", "OFFSET: its value changed",
     {"offset": 20.0}),
])
def test_an_edit_between_runs_invalidates_the_kernel(tmp_path, name, old, new, reason, changes):
    program = Program(tmp_path)
    assert result(program.run()) == expected(3.0)
    program.edit(name, old, new)
    after = program.run()
    assert result(after) == expected(3.0, **changes)
    assert len(compiled(after)) == 1 and reason in compiled(after)[0], after.stderr
    again = program.run()  # and the new kernel is cached in turn
    assert result(again) == expected(3.0, **changes) and compiled(again) == []


@pytest.mark.parametrize("name, old, new, reason, value", [
    # two closures of one code, the same object today: each name has its own reads
    ("helpers.py", "shift = scale = make(1.0)", "shift = make(1.0)\nscale = make(5.0)",
     "helpers.scale -> c", 31.0),
    # class attributes (of another module's class too) and enum values are constants
    ("helpers.py", "N = 3", "N = 4", "helpers.Limits: its value changed", 20.0),
    ("kernel.py", "RED = 10", "RED = 20", "Color: its value changed", 29.0),
])
def test_values_reached_through_an_alias_or_a_class_invalidate_the_kernel(
        tmp_path, name, old, new, reason, value):
    program = Program(tmp_path)
    program.write("kernel.py", """
        import enum
        import noodle
        import helpers

        class Color(enum.Enum):
            RED = 10

        @noodle.jit
        def f(a, x):
            return helpers.shift(x) + helpers.scale(x) + helpers.Limits.N + Color.RED.value
    """)
    program.write("helpers.py", """
        def make(c):
            def g(x):
                return x * c
            return g
        shift = scale = make(1.0)

        class Limits:
            N = 3
    """)
    assert result(program.run()) == 19.0
    program.edit(name, old, new)
    after = program.run()
    assert result(after) == value
    assert len(compiled(after)) == 1 and reason in compiled(after)[0], after.stderr


def test_a_source_file_edited_while_the_program_runs_is_not_cached(tmp_path):
    """The key comes from the code Python compiled at import, the kernel from the file's
    text when it compiles: saved, the new text's kernel would serve the old code once
    the edit is reverted."""
    program = Program(tmp_path)
    program.write("main.py", """
        import pathlib
        import sys
        import kernel
        path = pathlib.Path(kernel.__file__)
        text = path.read_text()
        if sys.argv[1] == "1":  # edited after the import, before the first call
            path.write_text(text.replace("helpers.K + OFFSET", "helpers.K + OFFSET + 100.0"))
        print(kernel.f(kernel.np.arange(4.0), 3.0))
        path.write_text(text)  # reverted (a branch checked out again)
    """)
    edited = program.run(x=1)
    assert "NoodleCacheWarning" in edited.stderr and "not cached" in edited.stderr
    assert program.kernel_entries() == []
    assert result(program.run(x=0)) == expected(3.0)


def test_new_argument_types_compile_a_new_kernel_and_say_which_argument(tmp_path):
    program = Program(tmp_path)
    program.run(x=3.0)
    done = program.run(x=3)  # an int where a float was
    assert result(done) == expected(3)
    assert len(compiled(done)) == 1
    assert "cache: not in the cache (new argument types: 'x' was float, now int)" \
        in compiled(done)[0]
    assert len(program.kernel_entries()) == 2


def test_a_version_change_invalidates_the_kernel(tmp_path, monkeypatch):
    from noodle.runtime import kernel_cache

    program = Program(tmp_path)
    program.run()
    sys.path.insert(0, str(tmp_path))
    monkeypatch.setenv("NOODLE_CACHE_DIR", str(program.cache))
    try:
        import kernel  # the program's own module, in this process
        from noodle.compiler.types import typeof

        cache = kernel_cache.KernelCache(CacheStore(program.cache))
        key = (typeof(kernel.np.arange(4.0)), typeof(3.0))
        options = kernel.f.options.at_tier("baseline")
        assert cache.load(kernel.f.py_func, key, options).kernel is not None
        real = kernel_cache.versions()
        assert {"noodle", "mlir", "llvmlite", "python", "numpy", "cpu"} <= real.keys()
        for component in real:
            monkeypatch.setattr(kernel_cache, "versions",
                                lambda: {**real, component: real[component] + ".next"})
            missed = cache.load(kernel.f.py_func, key, options)
            assert missed.kernel is None
            assert f"versions changed: {component} {real[component]} ->" in missed.reason
        monkeypatch.setattr(kernel_cache, "versions", lambda: real)
        assert cache.load(kernel.f.py_func, key, options).kernel is not None
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("kernel", "helpers"):
            sys.modules.pop(name, None)


def test_eight_processes_compiling_at_once_leave_one_entry(tmp_path):
    program = Program(tmp_path)
    running = [program.start(x=float(i)) for i in range(8)]
    for i, proc in enumerate(running):
        done = proc.wait_done()
        assert result(done) == expected(float(i))
        assert "Warning" not in done.stderr  # no write or read of another was in the way
    assert len(program.kernel_entries()) == 1
    assert not list(program.cache.rglob("*.tmp"))


@pytest.mark.parametrize("damage", ["truncate", "flip a bit"])
def test_a_damaged_entry_is_recompiled_with_a_warning(tmp_path, damage):
    program = Program(tmp_path)
    program.run()
    [entry] = program.kernel_entries()
    data = bytearray(entry.path.read_bytes())
    if damage == "truncate":
        data = data[:len(data) // 2]
    else:
        data[len(data) // 2] ^= 0x10
    entry.path.write_bytes(bytes(data))
    done = program.run()
    assert result(done) == expected(3.0)
    assert "NoodleCacheWarning" in done.stderr and "corrupt" in done.stderr
    assert len(compiled(done)) == 1
    healed = program.run()
    assert compiled(healed) == [] and result(healed) == expected(3.0)


def test_a_limit_below_one_kernel_keeps_the_newest_kernel_and_says_so(tmp_path):
    program = Program(tmp_path)
    first = program.run(NOODLE_CACHE_MAX_BYTES="1000")
    assert "holds at most 1000 bytes, less than its newest entry" in first.stderr
    second = program.run(NOODLE_CACHE_MAX_BYTES="1000")
    assert compiled(second) == [] and result(second) == expected(3.0)


def test_cache_false_never_writes(tmp_path):
    program = Program(tmp_path)
    program.edit("kernel.py", "@noodle.jit\n", "@noodle.jit(cache=False)\n")
    program.edit("helpers.py", "@noodle.jit\n", "@noodle.jit(cache=False)\n")
    for _ in range(2):
        done = program.run()
        assert result(done) == expected(3.0) and len(compiled(done)) == 1
    assert program.kernel_entries() == []


def test_closures_over_different_values_never_share_a_kernel():
    import noodle

    def make(k):
        def times(x):
            return x * k
        return noodle.jit(times)  # cached: every closure has the same code and key

    for k in (2.0, 5.0, 2.0, 7.0):
        assert make(k)(3.0) == 3.0 * k


MATMUL = """
import sys
import numpy as np
import noodle

@noodle.jit
def product(a, b):
    return a @ b

rng = np.random.default_rng(1)
a, b = rng.random((30, 20)), rng.random((20, 10))
assert np.allclose(product(a, b), a @ b)
print("compiler loaded" if "mlir.ir" in sys.modules else "compiler not loaded")
"""


def test_a_cached_kernel_that_calls_blas_loads_in_a_fresh_process(tmp_path):
    (tmp_path / "main.py").write_text(MATMUL)
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                   "NOODLE_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "main.py"], cwd=tmp_path, env=environment,
                           capture_output=True, text=True, timeout=300) for _ in range(2)]
    for done in runs:
        assert done.returncode == 0, done.stderr
    assert "compiler loaded" in runs[0].stdout
    assert "compiler not loaded" in runs[1].stdout


def _identity(a):
    return a


def test_the_writeable_flag_is_in_the_key_and_older_entries_decode_as_writable():
    from dataclasses import replace

    import numpy as np

    from noodle.compiler.kernel import decode_type, encode_type
    from noodle.compiler.options import CompileOptions
    from noodle.compiler.types import Array
    from noodle.runtime.kernel_cache import kernel_key

    writable = Array(np.dtype(np.float64), 1, "C")
    read_only = replace(writable, readonly=True)
    for t in (writable, read_only):
        assert decode_type(encode_type(t)) == t
    # metadata written before the flag was kept (an AOT library's, say): writable
    assert decode_type(["array", "float64", 1, "C"]) == writable
    assert decode_type(["array", "float64", 1]) == replace(writable, layout="A")
    options = CompileOptions()
    assert kernel_key(_identity, (writable,), options) != kernel_key(_identity, (read_only,),
                                                                     options)
