"""The `huge-page-allocations` pass: defines the allocation functions that
`finalize-memref-to-llvm{use-generic-functions=true}` calls, as the C library's `malloc`
and `free`, with huge pages advised for blocks of 4 MiB or more.

A kernel's temporaries and results are fresh memory on every call once the C library
has given large freed blocks back to the system (glibc trims the top of its heap when
more than twice its mmap threshold is free: two freed 8 MB arrays are enough). Every 4
KiB page of such a block then faults on first touch: softmax over 1000x1000 float64 took
8.5 ms in a fresh process, 3,874 page faults per call, where the arithmetic takes 1.5.
`madvise(MADV_HUGEPAGE)` on the block's whole 2 MiB pages lets Linux map them as huge
pages, 512 times fewer faults (writing two fresh 8 MB blocks: 7.9 -> 2.1 ms). NumPy does
the same for its arrays of 4 MiB or more. Elsewhere than Linux the advice (14) is not
given. The memory is still malloc's, so a result handed to NumPy is freed with `free`.
A request for zero bytes gets one: C may answer it with null, which `check-allocations`
takes for a failed allocation.
Functions the module does not declare are not defined; `malloc`, `free` and `madvise`
are declared where the module does not declare them already.
"""
from __future__ import annotations

import sys

from mlir import ir

from noodle.passes.ir_walk import top_level_ops

PASS_NAME = "huge-page-allocations"
#: the op this pass runs on (registry.PASS_ANCHORS): it replaces declarations in the
#: module's body
PASS_ANCHOR = "builtin.module"

#: NumPy's threshold for advising huge pages (numpy/_core/src/multiarray/alloc.c)
HUGE_PAGE_THRESHOLD = 1 << 22
_HUGE_PAGE = 1 << 21
_MADV_HUGEPAGE = 14  # Linux's

_ADVISE = f"""
llvm.func internal @noodle_advise_huge_pages(%memory: !llvm.ptr, %size: i64) {{
  %threshold = llvm.mlir.constant({HUGE_PAGE_THRESHOLD} : i64) : i64
  %big = llvm.icmp "uge" %size, %threshold : i64
  llvm.cond_br %big, ^whole_pages, ^done
^whole_pages:
  %address = llvm.ptrtoint %memory : !llvm.ptr to i64
  %page_less_one = llvm.mlir.constant({_HUGE_PAGE - 1} : i64) : i64
  %page_mask = llvm.mlir.constant({-_HUGE_PAGE} : i64) : i64
  %up = llvm.add %address, %page_less_one : i64
  %start = llvm.and %up, %page_mask : i64
  %last = llvm.add %address, %size : i64
  %end = llvm.and %last, %page_mask : i64
  %any = llvm.icmp "ugt" %end, %start : i64
  llvm.cond_br %any, ^advise, ^done
^advise:
  %first_page = llvm.inttoptr %start : i64 to !llvm.ptr
  %length = llvm.sub %end, %start : i64
  %advice = llvm.mlir.constant({_MADV_HUGEPAGE} : i32) : i32
  %ignored = llvm.call @madvise(%first_page, %length, %advice) : (!llvm.ptr, i64, i32) -> i32
  llvm.br ^done
^done:
  llvm.return
}}
"""

_AT_LEAST_ONE_BYTE = """\
  %one = llvm.mlir.constant(1 : i64) : i64
  %size = llvm.intr.umax(%requested, %one) : (i64, i64) -> i64"""

#: The definitions of the functions finalize-memref-to-llvm may call, by name
_DEFINITIONS = {
    "_mlir_memref_to_llvm_alloc": """
llvm.func internal @_mlir_memref_to_llvm_alloc(%requested: i64) -> !llvm.ptr {
  AT_LEAST_ONE_BYTE
  %memory = llvm.call @malloc(%size) : (i64) -> !llvm.ptr
  ADVISE(%memory, %size)
  llvm.return %memory : !llvm.ptr
}""",
    "_mlir_memref_to_llvm_aligned_alloc": """
llvm.func internal @_mlir_memref_to_llvm_aligned_alloc(%alignment: i64, %requested: i64)
    -> !llvm.ptr {
  AT_LEAST_ONE_BYTE
  %memory = llvm.call @aligned_alloc(%alignment, %size) : (i64, i64) -> !llvm.ptr
  ADVISE(%memory, %size)
  llvm.return %memory : !llvm.ptr
}""",
    "_mlir_memref_to_llvm_free": """
llvm.func internal @_mlir_memref_to_llvm_free(%memory: !llvm.ptr) {
  llvm.call @free(%memory) : (!llvm.ptr) -> ()
  llvm.return
}""",
}

_LIBC = {"malloc": "llvm.func @malloc(i64) -> !llvm.ptr",
         "aligned_alloc": "llvm.func @aligned_alloc(i64, i64) -> !llvm.ptr",
         "free": "llvm.func @free(!llvm.ptr)",
         "madvise": "llvm.func @madvise(!llvm.ptr, i64, i32) -> i32"}


def huge_page_allocations(module: ir.Module) -> None:
    huge_page_allocations_in(module.operation)


def huge_page_allocations_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(huge_page_allocations_pass, name=PASS_NAME)`."""
    huge_page_allocations_in(op)


def huge_page_allocations_in(module: ir.Operation) -> None:
    """Replaces the declarations of the generic allocation functions in `module` (a
    module operation in the LLVM dialect) by their definitions."""
    body = top_level_ops(module)
    functions = {ir.StringAttr(op.attributes["sym_name"]).value: op
                 for op in body if op.name == "llvm.func"}
    declared = [name for name in _DEFINITIONS
                if name in functions and len(functions[name].regions[0].blocks) == 0]
    if not declared:
        return
    advise = sys.platform == "linux"
    texts = [_DEFINITIONS[name].replace("  AT_LEAST_ONE_BYTE", _AT_LEAST_ONE_BYTE).replace(
        "  ADVISE(%memory, %size)\n",
        "  llvm.call @noodle_advise_huge_pages(%memory, %size) : (!llvm.ptr, i64) -> ()\n"
        if advise else "") for name in declared]
    if advise:
        texts.append(_ADVISE)
    # the C functions they call are declared for the parse, and moved over where the
    # module does not declare them already
    texts += [declaration for callee, declaration in _LIBC.items()
              if any(f"@{callee}(" in text for text in texts)]
    definitions = ir.Module.parse("\n".join(texts), module.context)
    kept = set(functions) - set(declared)
    erased = [functions[name] for name in declared]
    first = next((op for op in body if op not in erased), None)
    for op in erased:
        op.erase()
    for op in top_level_ops(definitions.operation):
        if ir.StringAttr(op.attributes["sym_name"]).value in kept:
            continue
        if first is not None:
            op.move_before(first)
        else:  # the module held nothing but these declarations
            op.detach_from_parent()
            ir.InsertionPoint(module.regions[0].blocks[0]).insert(op)
