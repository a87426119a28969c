"""IR printing around passes (`--mlir-print-ir-before=`, `-after=`, `-before-all`,
`-after-all`, `-after-change`, `-after-failure`, `-module-scope`) with mlir-opt's output.

MLIR's own IR printer does the printing, for noodle's Python passes too, so headers and
bodies are mlir-opt's byte for byte. The bindings offer only the `*-all` forms; printing
before or after chosen passes is printing all and keeping the chosen dumps: the printer
writes to file descriptor 2 (C++'s stderr, not `sys.stderr`), which is pointed at a
temporary file while the pipeline runs, then filtered onto the real stderr."""
from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from mlir import ir

from mlir.passmanager import PassManager

_HEADER = re.compile(r"^// -----// IR Dump (Before|After) (\S+)( Failed)? \(([^)]*)\)")
_DUMP_START = "// -----// IR Dump "
_FAILED = re.compile(r"^// -----// IR Dump After (\S+) Failed \([^)]*\)(?: \((.*)\))? //----- //$")


@dataclass(frozen=True)
class AsmOptions:
    """How IR is written (`--mlir-print-debuginfo`, `-op-generic`, `-local-scope`,
    `--mlir-elide-elementsattrs-if-larger`): held once, since mlir-opt writes the result and
    the dumps around passes alike."""
    debug_info: bool = False
    generic: bool = False
    local_scope: bool = False
    large_elements_limit: int | None = None

    def print(self, op: ir.Operation | ir.Module) -> str:
        """`op` as these options write it."""
        return op.operation.get_asm(enable_debug_info=self.debug_info,
                                    print_generic_op_form=self.generic,
                                    use_local_scope=self.local_scope,
                                    large_elements_limit=self.large_elements_limit)


@dataclass(frozen=True)
class PrintingOptions:
    """The printing flags; `before`/`after` name passes by argument (`canonicalize`) or
    by class name (`Canonicalizer`)."""
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    before_all: bool = False
    after_all: bool = False
    after_change: bool = False
    after_failure: bool = False
    module_scope: bool = False
    asm: AsmOptions = field(default_factory=AsmOptions)
    #: only find which pass failed (for the crash reproducer's note), print nothing
    probe_failure: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.before or self.after or self.before_all or self.after_all
                    or self.after_failure)

    @property
    def filtered(self) -> bool:
        """Whether MLIR prints more than asked, so its output must be filtered."""
        return bool((self.before and not self.before_all)
                    or (self.after and not self.after_all) or self.probe_failure)


def enable(pm: PassManager, options: PrintingOptions) -> None:
    """Turns MLIR's IR printer on for `pm` as `options` ask (module scope needs the
    context's multithreading off: the caller checks, as mlir-opt does)."""
    if not options.enabled:
        return
    pm.enable_ir_printing(
        print_before_all=options.before_all or bool(options.before),
        # after-failure alone prints nothing in the bindings unless after-all is on too;
        # with both, MLIR prints only the failures, which is mlir-opt's after-failure
        print_after_all=options.after_all or bool(options.after) or options.after_failure,
        print_module_scope=options.module_scope,
        print_after_change=options.after_change,
        print_after_failure=options.after_failure,
        # the bindings' IR printer has no local-scope setting: the dumps ignore it
        large_elements_limit=options.asm.large_elements_limit,
        enable_debug_info=options.asm.debug_info,
        print_generic_op_form=options.asm.generic)


def keep_dumps(text: str, options: PrintingOptions) -> str:
    """`text` (what MLIR wrote to stderr) without the dumps of passes not asked for."""
    kept: list[str] = []
    keeping = True
    for line in text.splitlines(keepends=True):
        if line.startswith(_DUMP_START):
            header = _HEADER.match(line)
            keeping = header is None or _wanted(header, options)
        elif line.startswith("===-"):
            keeping = True  # a statistics or timing report ends the last dump
        if keeping:
            kept.append(line)
    return "".join(kept)


def failed_passes(text: str) -> list[str]:
    """The passes that failed in `text` (MLIR's stderr with after-failure printing on), as
    mlir-opt's reproducer note names them: "`Canonicalizer` on 'func.func' operation: @f"."""
    found = []
    for line in text.splitlines():
        header = _FAILED.match(line)
        if header:
            on = header.group(2) or "'builtin.module' operation"
            found.append(f"`{header.group(1)}` on {on}")
    return found


def _wanted(header: re.Match, options: PrintingOptions) -> bool:
    if options.probe_failure:
        return False
    when, name, argument = header.group(1), header.group(2), header.group(4)
    if when == "Before":
        return options.before_all or name in options.before or argument in options.before
    return options.after_all or name in options.after or argument in options.after


@contextmanager
def filtered_stderr(options: PrintingOptions,
                    failed: list[str] | None = None) -> Iterator[int | None]:
    """While active, what C++ writes to fd 2 goes through `keep_dumps` (only when the
    options need filtering; otherwise fd 2 is left alone and this yields None). Yields a
    descriptor of the real stderr, for diagnostics that must not be filtered; the passes
    that failed are appended to `failed`."""
    if not options.filtered:
        yield None
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield saved
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode(errors="replace")
            if failed is not None:
                failed.extend(failed_passes(text))
            sys.stderr.write(keep_dumps(text, options))
            sys.stderr.flush()
