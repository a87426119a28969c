"""Build and compile costs of noodle.catseq against the targets of issue 3.

    python benchmarks/catseq_build.py [--quick]

Cases: 10,000 sequential steps on one channel; 10,000 and 20,000 channels composed in
parallel, as a flat fold and as a balanced tree; a mixed program of 1,000,000 primitive
nodes. For each: build time (median of a few runs where cheap), arena bytes per node
(growth of `ARENA.nbytes()`), Python heap per node (tracemalloc, in a separate run since
tracing slows Python down), and the time of the first compile to an event table.
"""
from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import noodle.catseq as cs
from noodle.catseq.arena import ARENA

D = cs.cycles(25)


@dataclass
class Result:
    name: str
    ops: int          # compositions (or nodes, for the mixed program) the build performs
    nodes: int        # arena rows the build adds
    build_ms: float
    arena_bytes: int
    heap_bytes: int   # tracemalloc: memory still held after the build
    compile_ms: float
    events: int

    @property
    def us_per_op(self) -> float:
        return self.build_ms * 1000 / self.ops


def measure(name: str, repeats: int) -> Result:
    """Time `name`'s build (median of `repeats`) and its compile, in this process; its
    heap in a fresh one (see `heap_bytes`)."""
    build, ops = CASES[name]()
    times = []
    for _ in range(repeats):  # the last build is compiled: one build, one compile
        nodes_before, bytes_before = len(ARENA), ARENA.nbytes()
        start = time.perf_counter()
        seq = build()
        times.append(time.perf_counter() - start)
    nodes, arena_bytes = len(ARENA) - nodes_before, ARENA.nbytes() - bytes_before
    # the first compile, as a user meets it (main() has JIT-compiled the compiler's
    # kernels): it also pays for the first touch of the table's fresh memory
    start = time.perf_counter()
    table = cs.compile(seq)
    compile_s = time.perf_counter() - start
    heap = subprocess.run([sys.executable, __file__, "--heap", name], check=True,
                          capture_output=True, text=True).stdout
    return Result(name, ops, nodes, statistics.median(times) * 1000, arena_bytes,
                  int(heap), compile_s * 1000, len(table))


def heap_bytes(name: str) -> int:
    """Python heap held after building case `name` (the result kept alive), traced from
    before the arena's first allocation: tracing only around the build would count the
    whole arena buffer each time it is reallocated."""
    tracemalloc.start()
    build, _ = CASES[name]()
    before = tracemalloc.get_traced_memory()[0]
    seq = build()
    held = tracemalloc.get_traced_memory()[0] - before
    del seq
    return held


# -- the programs ---------------------------------------------------------------------------
def channels(n: int) -> list[cs.Channel]:
    """n TTL channels, 32 to a board (created once: channels are interned)."""
    return [cs.ttl(cs.Board(f"bench{i // 32}"), i % 32) for i in range(n)]


def sequential(n: int, ch: cs.Channel) -> Callable[[], cs.Morphism]:
    def build() -> cs.Morphism:
        seq = cs.initialize(ch)
        for _ in range(n):
            seq = seq >> cs.pulse(ch, D)
        return seq
    return build


def sequential_composition_only(n: int, ch: cs.Channel) -> Callable[[], cs.Morphism]:
    steps = [cs.pulse(ch, D) for _ in range(n)]  # built once, outside the timing

    def build() -> cs.Morphism:
        seq = cs.initialize(ch)
        for step in steps:
            seq = seq >> step
        return seq
    return build


def flat_parallel(chans: list[cs.Channel]) -> Callable[[], cs.Morphism]:
    """One primitive per channel, folded left: ((c0 | c1) | c2) | ..."""
    def build() -> cs.Morphism:
        seq = cs.initialize(chans[0])
        for ch in chans[1:]:
            seq = seq | cs.initialize(ch)
        return seq
    return build


def tree_parallel(chans: list[cs.Channel]) -> Callable[[], cs.Morphism]:
    """One primitive per channel, combined pairwise level by level (a balanced tree)."""
    def build() -> cs.Morphism:
        level = [cs.initialize(ch) for ch in chans]
        while len(level) > 1:
            paired = [level[i] | level[i + 1] for i in range(0, len(level) - 1, 2)]
            level = paired + level[len(level) - len(level) % 2:]
        return level[0]
    return build


def mixed(primitives: int, inline: bool = True) -> Callable[[], cs.Morphism]:
    """An experiment's shape: initialise 4 TTL and 4 RF channels on 2 boards, then shots
    of parallel blocks (cooling beams with a ramp, a probe pulse, camera triggers),
    a repeated sideband-cooling block each shot, all in sequence. Every primitive is its
    own node; repeats add occurrences, not nodes. `inline`: durations written in place
    (`cs.us(4)` at each use), else made once and reused, as constants would be."""
    us = cs.us if inline else functools.lru_cache(None)(cs.us)
    ns = cs.ns if inline else functools.lru_cache(None)(cs.ns)
    a, b = cs.Board("lab0"), cs.Board("lab1")
    ttls = [cs.ttl(a, 0), cs.ttl(a, 1), cs.ttl(b, 0), cs.ttl(b, 1)]
    rfs = [cs.rf(a, 0), cs.rf(a, 1), cs.rf(b, 0), cs.rf(b, 1)]
    cool, probe, repump, camera = ttls
    mot, raman, imaging, spare = rfs

    def shot(k: int) -> cs.Morphism:
        # 19 primitive nodes, 79 occurrences (the sideband block runs 20 times)
        loading = ((cs.set_amp(mot, 0.8) >> cs.rf_pulse(mot, us(4))
                    >> cs.linear_ramp(mot, 0.1 + (k % 50) / 100, us(2)))
                   | (cs.pulse(cool, us(4)) >> cs.hold(cool, us(2)))
                   | (cs.pulse(repump, us(6))))
        sideband = ((cs.rf_pulse(raman, ns(400)) >> cs.hold(raman, ns(200)))
                    | cs.pulse(repump, ns(600))).repeat(20)
        imaging_block = ((cs.set_freq(imaging, 80e6 + (k % 7) * 1e5)
                          >> cs.rf_pulse(imaging, us(1)))
                         | (cs.hold(camera, ns(200)) >> cs.pulse(camera, ns(800)))
                         | (cs.set_phase(spare, 0.5) >> cs.set_amp(spare, 0.2)
                            >> cs.rf_pulse(spare, ns(400))))
        wait = cs.pulse(probe, us(1)) >> cs.hold(probe, us(1)) >> cs.wait(us(1))
        return loading >> sideband >> imaging_block >> wait

    per_shot = 19

    def build() -> cs.Morphism:
        seq = None
        for ch in ttls:
            seq = cs.initialize(ch) if seq is None else seq | cs.initialize(ch)
        for ch in rfs:
            seq = seq | cs.rf_initialize(ch, 80e6)
        for k in range((primitives - 8) // per_shot):
            seq = seq >> shot(k)
        return seq
    return build


CASES: dict[str, Callable[[], tuple[Callable[[], cs.Morphism], int]]] = {
    "sequential 10k, pulse built each step":
        lambda: (sequential(10_000, cs.ttl(cs.Board("seq"), 0)), 10_000),
    "sequential 10k, >> only":
        lambda: (sequential_composition_only(10_000, cs.ttl(cs.Board("seq"), 0)), 10_000),
    "parallel flat 10k": lambda: (flat_parallel(channels(10_000)), 10_000),
    "parallel flat 20k": lambda: (flat_parallel(channels(20_000)), 20_000),
    "parallel tree 10k": lambda: (tree_parallel(channels(10_000)), 10_000),
    "parallel tree 20k": lambda: (tree_parallel(channels(20_000)), 20_000),
    "mixed 1M, durations inline": lambda: (mixed(1_000_000), 1_000_000),
    "mixed 1M, durations reused": lambda: (mixed(1_000_000, inline=False), 1_000_000),
    "mixed 100k, durations inline": lambda: (mixed(100_000), 100_000),
}


# -- report ---------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 run per case, 100k mixed")
    parser.add_argument("--heap", metavar="CASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.heap:
        print(heap_bytes(args.heap))
        return
    repeats = 1 if args.quick else 5
    cs.compile(cs.initialize(cs.ttl(cs.Board("warm"), 0)))  # JIT the compiler kernels
    mixed_cases = (["mixed 100k, durations inline"] if args.quick else
                   ["mixed 1M, durations inline", "mixed 1M, durations reused"])
    results = {name: measure(name, repeats) for name in list(CASES)[:6]}
    for name in mixed_cases:
        results[name] = measure(name, 1)

    header = (f"{'case':<40}{'nodes':>10}{'build ms':>10}{'µs/op':>8}{'arena B/node':>14}"
              f"{'heap B/node':>13}{'compile ms':>12}{'events':>11}")
    print(header)
    print("-" * len(header))
    for r in results.values():
        print(f"{r.name:<40}{r.nodes:>10,}{r.build_ms:>10.1f}{r.us_per_op:>8.2f}"
              f"{r.arena_bytes / r.nodes:>14.1f}{r.heap_bytes / r.nodes:>13.1f}"
              f"{r.compile_ms:>12.1f}{r.events:>11,}")
    print("µs/op: build time per composition (per primitive for the mixed programs)")
    print()
    full, ops = (results["sequential 10k, pulse built each step"],
                 results["sequential 10k, >> only"])
    print("targets (issue 3)")
    print(f"  10k sequential compositions <= 20 ms, <= 2 µs/op: {ops.build_ms:.1f} ms, "
          f"{ops.us_per_op:.2f} µs/op {verdict(ops.build_ms <= 20)}   (pulse built each "
          f"step too: {full.build_ms:.1f} ms {verdict(full.build_ms <= 20)})")
    per_node = full.arena_bytes / full.nodes
    print(f"  10k sequential <= 40 B/node: arena {per_node:.1f} {verdict(per_node <= 40)}"
          f"   (Python heap {full.heap_bytes / full.nodes:.1f} B/node)")
    for shape in ("flat", "tree"):
        small, big = results[f"parallel {shape} 10k"], results[f"parallel {shape} 20k"]
        growth = round(big.arena_bytes / small.arena_bytes, 2)  # 2n-1 vs n-1 nodes
        print(f"  parallel {shape} 10k <= 1 MB: arena {small.arena_bytes / 1e6:.2f} MB "
              f"{verdict(small.arena_bytes <= 1_000_000)}; 20k/10k <= 2x: {growth:.2f}x "
              f"{verdict(growth <= 2.0)}   (heap {small.heap_bytes / 1e6:.2f} MB -> "
              f"{big.heap_bytes / 1e6:.2f} MB)")
    for name in mixed_cases:
        r = results[name]
        total = (r.build_ms + r.compile_ms) / 1000
        judged = verdict(total <= 3.0) if "1M" in name else "(quick run: not judged)"
        print(f"  {name}: built + compiled <= 3 s: {r.build_ms / 1000:.2f} s + "
              f"{r.compile_ms / 1000:.2f} s = {total:.2f} s {judged}")


if __name__ == "__main__":
    main()
