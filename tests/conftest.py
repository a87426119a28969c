"""Settings for the whole test session.

The on-disk kernel cache goes to a fresh temporary directory (so a stale kernel from an
earlier build can never make a test pass, and the user's own cache is never touched),
and ``NOODLE_DISABLE_JIT`` is removed (it would turn every test into Python vs Python).
Tests of the cache itself give each run its own directory.
"""
import atexit
import os
import shutil
import tempfile

_CACHE_DIR = tempfile.mkdtemp(prefix="noodle-test-cache-")
os.environ["NOODLE_CACHE_DIR"] = _CACHE_DIR
os.environ.pop("NOODLE_DISABLE_JIT", None)
os.environ.pop("NOODLE_EXPLAIN", None)
atexit.register(shutil.rmtree, _CACHE_DIR, ignore_errors=True)
