"""The LLVM IR of a shared library's C functions (`c_abi.py` says what they take and
return): each checks its arrays' shapes and strides against the signature, builds the
memref arguments of the function it wraps, calls it, and writes the results through
the caller's pointers, freeing whatever it allocated when the call fails. Plus the
library's `<lib>_error_message` and its metadata global. No libpython: the library runs
in any C program."""
from __future__ import annotations

import numpy as np

from noodle.compiler.c_abi import (MAX_NDIM, METADATA_SYMBOL,
                                   STATUS_BAD_SHAPE, STATUS_BAD_STRIDES, CArray, CFunction,
                                   CScalar, CType)
from noodle.compiler.python_entry_writer import return_type_text


def llvm_type(dtype: np.dtype) -> str:
    if dtype.kind == "b":
        return "i1"
    if dtype.kind in "iu":
        return f"i{8 * dtype.itemsize}"
    return "float" if dtype.itemsize == 4 else "double"


def _memref_type(ndim: int) -> str:
    if ndim == 0:
        return "{ ptr, ptr, i64 }"
    return f"{{ ptr, ptr, i64, [{ndim} x i64], [{ndim} x i64] }}"


class _Body:
    """Lines of one LLVM function with fresh value names and labels."""

    def __init__(self) -> None:
        self.allocas: list[str] = []  # in the entry block, so that they are static
        self.lines: list[str] = []
        self._n = 0

    def alloca(self, type_text: str) -> str:
        self._n += 1
        value = f"%a{self._n}"
        self.allocas.append(f"  {value} = alloca {type_text}")
        return value

    def emit(self, text: str) -> str:
        self._n += 1
        value = f"%v{self._n}"
        self.lines.append(f"  {value} = {text}")
        return value

    def do(self, text: str) -> None:
        self.lines.append(f"  {text}")

    def label(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def place(self, label: str) -> None:
        self.lines.append(f"{label}:")

    def at(self, base: str, offset: int) -> str:
        return self.emit(f"getelementptr i8, ptr {base}, i64 {offset}") if offset else base

    def fail_unless(self, condition: str, status: int) -> None:
        ok, bad = self.label("ok"), self.label("bad")
        self.do(f"br i1 {condition}, label %{ok}, label %{bad}")
        self.place(bad)
        self.do(f"ret i32 {status}")
        self.place(ok)


class _Wrapper:
    def __init__(self, f: CFunction, ret_text: str):
        self.f = f
        self.ret_text = ret_text
        self.b = _Body()
        self.data_pointers: list[str] = []  # of the array arguments

    # -- parameters ---------------------------------------------------------------------
    def c_params(self) -> list[str]:
        out = []
        for i, p in enumerate(self.f.params):
            if isinstance(p.type, CScalar):
                ty = "i8 zeroext" if p.type.dtype.kind == "b" else llvm_type(p.type.dtype)
                out.append(f"{ty} %p{i}")
            else:
                out += [f"ptr %p{i}", f"ptr %p{i}.shape", f"ptr %p{i}.strides"]
        out += [f"ptr %out{i}" for i in range(len(self.f.results))]
        return out

    def callee_args(self) -> list[str]:
        args = []
        for i, p in enumerate(self.f.params):
            if isinstance(p.type, CScalar):
                if p.type.dtype.kind == "b":
                    args.append(f"i1 {self.b.emit(f'icmp ne i8 %p{i}, 0')}")
                else:
                    args.append(f"{llvm_type(p.type.dtype)} %p{i}")
            else:
                args += self.array_arg(p.type, f"%p{i}")
        return args

    def array_arg(self, t: CArray, name: str) -> list[str]:
        """Check an array's shape and strides; its memref as the callee's arguments."""
        b = self.b
        self.data_pointers.append(name)
        sizes = [b.emit(f"load i64, ptr {b.at(f'{name}.shape', 8 * k)}") for k in range(t.ndim)]
        for k, (size, static) in enumerate(zip(sizes, t.sizes)):
            if static is not None:
                b.fail_unless(b.emit(f"icmp eq i64 {size}, {static}"), STATUS_BAD_SHAPE)
        # C-contiguous strides, which NULL stands for and a contiguous parameter gets
        dense: list[str] = [""] * t.ndim
        step = "1"
        for k in reversed(range(t.ndim)):
            dense[k] = step
            step = b.emit(f"mul i64 {step}, {sizes[k]}")
        given = name + ".strides"
        strides = []
        if t.ndim:
            # NULL strides: read the dense ones from a buffer of our own instead
            own = b.alloca(f"[{t.ndim} x i64]")
            for k in range(t.ndim):
                b.do(f"store i64 {dense[k]}, ptr {b.at(own, 8 * k)}")
            has = b.emit(f"icmp ne ptr {given}, null")
            source = b.emit(f"select i1 {has}, ptr {given}, ptr {own}")
            ok = "true"
            empty = "false"  # an empty array fits any layout: nothing is read
            for k in range(t.ndim):
                stride = b.emit(f"load i64, ptr {b.at(source, 8 * k)}")
                wanted = dense[k] if t.contiguous else t.strides[k]
                if wanted is not None:
                    # a dimension of one element has any stride (NumPy's rule too)
                    same = b.emit(f"icmp eq i64 {stride}, {wanted}")
                    single = b.emit(f"icmp sle i64 {sizes[k]}, 1")
                    ok = b.emit(f"and i1 {ok}, {b.emit(f'or i1 {same}, {single}')}")
                    stride = str(wanted)
                empty = b.emit(f"or i1 {empty}, {b.emit(f'icmp eq i64 {sizes[k]}, 0')}")
                strides.append(stride)
            if ok != "true":
                b.fail_unless(b.emit(f"or i1 {ok}, {empty}"), STATUS_BAD_STRIDES)
        return [f"ptr {name}", f"ptr {name}", "i64 0", *(f"i64 {s}" for s in sizes),
                *(f"i64 {s}" for s in strides)]

    # -- results ------------------------------------------------------------------------
    def values(self, result: str | None) -> list[str]:
        """The callee's returned values: its results, then (kernels) the owned flags."""
        n = len(self.f.results)
        if self.f.noodle_kernel:
            n += sum(isinstance(t, CArray) for t in self.f.results)
        if result is None or n == 0:
            return []
        if n == 1:
            return [result]
        return [self.b.emit(f"extractvalue {self.ret_text} {result}, {i}") for i in range(n)]

    def owners(self, values: list[str]) -> list[str | None]:
        """For each result, the malloc'ed memory the caller gets to free (null for a view
        of an argument or of an earlier result); None for scalars."""
        b = self.b
        results = self.f.results
        flags = values[len(results):]
        owners: list[str | None] = []
        taken: list[str] = []
        for t, value in zip(results, values):
            if not isinstance(t, CArray):
                owners.append(None)
                continue
            allocated = b.emit(f"extractvalue {_memref_type(t.ndim)} {value}, 0")
            if self.f.noodle_kernel:
                owned = flags.pop(0)
            else:  # an MLIR function returns fresh buffers, or an argument itself
                owned = "true"
                for data in self.data_pointers:
                    other = b.emit(f"icmp ne ptr {allocated}, {data}")
                    owned = b.emit(f"and i1 {owned}, {other}")
            for earlier in taken:  # two results in one buffer: freed once
                owned = b.emit(f"and i1 {owned}, {b.emit(f'icmp ne ptr {allocated}, {earlier}')}")
            owner = b.emit(f"select i1 {owned}, ptr {allocated}, ptr null")
            owners.append(owner)
            taken.append(owner)
        return owners

    def store(self, t: CType, value: str, out: str, owner: str | None) -> None:
        b = self.b
        if isinstance(t, CScalar):
            if t.dtype.kind == "b":
                value = b.emit(f"zext i1 {value} to i8")
                b.do(f"store i8 {value}, ptr {out}")
            else:
                b.do(f"store {llvm_type(t.dtype)} {value}, ptr {out}")
            return
        field = f"extractvalue {_memref_type(t.ndim)} {value}"
        aligned, offset = b.emit(f"{field}, 1"), b.emit(f"{field}, 2")
        data = b.emit(f"getelementptr i8, ptr {aligned}, i64 "
                      f"{b.emit(f'mul i64 {offset}, {t.dtype.itemsize}')}")
        b.do(f"store ptr {data}, ptr {out}")
        b.do(f"store ptr {owner}, ptr {b.at(out, 8)}")
        b.do(f"store i64 {t.ndim}, ptr {b.at(out, 16)}")
        for k in range(MAX_NDIM):
            size = b.emit(f"{field}, 3, {k}") if k < t.ndim else "0"
            stride = b.emit(f"{field}, 4, {k}") if k < t.ndim else "0"
            b.do(f"store i64 {size}, ptr {b.at(out, 24 + 8 * k)}")
            b.do(f"store i64 {stride}, ptr {b.at(out, 24 + 8 * (MAX_NDIM + k))}")

    # -- the function -------------------------------------------------------------------
    def write(self) -> str:
        b, f = self.b, self.f
        args = self.callee_args()
        if f.noodle_kernel:
            status = b.alloca("i64")
            b.do(f"store i64 0, ptr {status}")
            args = [f"ptr {status}", f"ptr {status}", "i64 0", *args]
        call = f"call {self.ret_text} @{f.callee}({', '.join(args)})"
        result = None
        if self.ret_text == "void":
            b.do(call)
        else:
            result = b.emit(call)
        values = self.values(result)
        owners = self.owners(values)
        if f.noodle_kernel:
            code = b.emit(f"load i64, ptr {status}")
            failed, done = b.label("failed"), b.label("done")
            b.do(f"br i1 {b.emit(f'icmp ne i64 {code}, 0')}, label %{failed}, label %{done}")
            b.place(failed)
            for owner in owners:
                if owner is not None:
                    b.do(f"call void @free(ptr {owner})")
            code32 = b.emit(f"trunc i64 {code} to i32")
            b.do(f"ret i32 {b.emit(f'add i32 {code32}, {f.status_offset}')}")
            b.place(done)
        for i, (t, owner) in enumerate(zip(f.results, owners)):
            self.store(t, values[i], f"%out{i}", owner)
        b.do("ret i32 0")
        return "\n".join([f"define i32 @{f.name}({', '.join(self.c_params())}) {{",
                          "entry:", *b.allocas, *b.lines, "}"])


def wrapper_ir(f: CFunction, module_ir: str) -> str:
    """The C function `f`, to append to `module_ir` (which defines `f.callee`)."""
    return _Wrapper(f, return_type_text(module_ir, f.callee)).write()


def _c_string(text: str) -> tuple[str, int]:
    data = text.encode() + b"\0"
    escaped = "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else f"\\{c:02X}"
                      for c in data)
    return f'c"{escaped}"', len(data)


def library_ir(lib: str, messages: list[str], metadata: str) -> str:
    """`<lib>_error_message` and the metadata global, as an LLVM IR module of their own.
    A status the library does not know gets a text that says so."""
    lines, cases = [], []
    texts = ["no error",
             "an argument's strides do not fit the signature (declared C-contiguous)",
             "an argument's shape does not fit the signature", "unknown status"]
    codes = [0, STATUS_BAD_STRIDES, STATUS_BAD_SHAPE, None]
    texts += messages
    codes += list(range(1, len(messages) + 1))
    for i, text in enumerate(texts):
        literal, size = _c_string(text)
        lines.append(f"@{lib}.msg{i} = private unnamed_addr constant [{size} x i8] {literal}")
        if codes[i] is not None:
            cases.append(f"    i32 {codes[i]}, label %m{i}")
    unknown = texts.index("unknown status")
    body = [f"define ptr @{lib}_error_message(i32 %status) {{", "entry:",
            f"  switch i32 %status, label %m{unknown} [", *cases, "  ]"]
    for i in range(len(texts)):
        body += [f"m{i}:", f"  ret ptr @{lib}.msg{i}"]
    body.append("}")
    literal, size = _c_string(metadata)
    lines.append(f"@{METADATA_SYMBOL} = constant [{size} x i8] {literal}")
    return "\n".join(lines + body) + "\n"

