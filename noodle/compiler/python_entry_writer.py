"""The LLVM IR of a kernel's Python entry point (`python_entry.py` says what the entry
does, the layouts it reads and the names it defines): a small writer of LLVM IR text,
one method per kind of value to check, unbox or box, appended to the kernel's module."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from noodle.compiler.python_entry import (ADDRESSES, CTX_FALLBACK, CTX_ON_ERROR, CTX_ON_HOT,
                                          RT_ARRAY_SCALAR, RT_ARRAY_TYPE,
                                          RT_NEW_FROM_DESCR, RT_SET_BASE_OBJECT, RT_SIZE,
                                          STATUS_UNOWNED_RESULT, addresses_name,
                                          cycle_reader_name, hot_thresholds_name,
                                          profile_name, python_entry_name, rt_descr_slot,
                                          rt_scalar_type_slot, runtime_table_name)
from noodle.compiler.backend import declared_functions
from noodle.compiler.types import Array, NoneType, NType, Scalar, TupleType, leaf_types

_NPY_ARRAY_ALIGNED = 0x100
_NPY_ARRAY_C_CONTIGUOUS = 0x1
_NPY_ARRAY_WRITEABLE = 0x400

_DECLARATIONS = """
@PyFloat_Type = external global i8
@PyLong_Type = external global i8
@PyTuple_Type = external global i8
@_Py_NoneStruct = external global i8
@_Py_TrueStruct = external global i8
@_Py_FalseStruct = external global i8
declare ptr @PyFloat_FromDouble(double)
declare ptr @PyLong_FromLongLong(i64)
declare i64 @PyLong_AsLongLongAndOverflow(ptr, ptr)
declare ptr @PyBool_FromLong(i64)
declare void @Py_IncRef(ptr)
declare void @Py_DecRef(ptr)
declare ptr @PyObject_Vectorcall(ptr, ptr, i64, ptr)
declare ptr @PyObject_CallOneArg(ptr, ptr)
declare ptr @PyTuple_New(i64)
declare i32 @PyTuple_SetItem(ptr, i64, ptr)
declare ptr @PyCapsule_New(ptr, ptr, ptr)
declare ptr @PyCapsule_GetPointer(ptr, ptr)
declare void @PyErr_Clear()
declare void @free(ptr)
declare i64 @llvm.readcyclecounter()
"""


def _llvm_type(dtype: np.dtype) -> str:
    if dtype.kind == "b":
        return "i1"
    if dtype.kind in "iu":
        return f"i{8 * dtype.itemsize}"
    return "float" if dtype.itemsize == 4 else "double"


def _storage_type(dtype: np.dtype) -> str:
    """How a value of `dtype` lies in memory (bool: a byte)."""
    return "i8" if dtype.kind == "b" else _llvm_type(dtype)


def return_type_text(kernel_ir: str, entry: str) -> str:
    """The LLVM return type of the kernel's entry function, as its IR spells it."""
    found = re.search(rf"^define (.*?) @{re.escape(entry)}\(", kernel_ir, re.MULTILINE)
    if found is None:
        raise ValueError(f"no definition of @{entry} in the kernel's LLVM IR")
    return found.group(1)


class _Function:
    """Lines of one LLVM function, with fresh value names and blocks."""

    def __init__(self) -> None:
        self.allocas: list[str] = []
        self.body: list[str] = []
        self._n = 0

    def fresh(self, prefix: str = "v") -> str:
        self._n += 1
        return f"%{prefix}{self._n}"

    def emit(self, text: str) -> str:
        """Emit `<value> = text` and return the value."""
        value = self.fresh()
        self.body.append(f"  {value} = {text}")
        return value

    def do(self, text: str) -> None:
        self.body.append(f"  {text}")

    def alloca(self, type_text: str) -> str:
        value = self.fresh("slot")
        self.allocas.append(f"  {value} = alloca {type_text}")
        return value

    def label(self, name: str) -> None:
        self.body.append(f"{name}:")

    def new_label(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def load(self, type_text: str, base: str, offset: int) -> str:
        address = self.emit(f"getelementptr i8, ptr {base}, i64 {offset}") if offset else base
        return self.emit(f"load {type_text}, ptr {address}")

    def require(self, condition: str) -> None:
        """Go on only if `condition` holds; else the call goes to the fallback."""
        ok = self.new_label("ok")
        self.do(f"br i1 {condition}, label %{ok}, label %fallback")
        self.label(ok)


@dataclass
class _ArrayResult:
    """An array the kernel returned, and who keeps its memory alive (i1 and ptr values
    of the entry's IR)."""
    memory: str  # the descriptor's allocated pointer
    owned: str  # the caller must free it (and it is no argument's memory)
    first: str  # no earlier array result has that memory
    viewed: str  # the array argument whose memory it is, or null
    base: str = ""  # once boxed: the object that keeps it alive (a capsule, an argument)
    array: str = ""  # once boxed: the NumPy array


class _EntryWriter:
    def __init__(self, symbol: str, entry: str, arg_types: tuple[NType, ...],
                 result_type: NType, ret_text: str):
        self.symbol = symbol
        self.entry = entry
        self.arg_types = arg_types
        self.result_type = result_type
        self.ret_text = ret_text
        self.f = _Function()
        self.rt = f"@{runtime_table_name(symbol)}"
        self.arrays: list[tuple[str, str]] = []  # (object, data pointer) of array args
        self.results: list[_ArrayResult] = []  # the array results, in order
        self.boxed: list[_ArrayResult] = []  # those boxed so far
        self.placed = 0  # the boxed arrays placed in the result so far

    # -- helpers ------------------------------------------------------------------------
    def rt_slot(self, slot: int) -> str:
        return self.f.load("ptr", self.rt, 8 * slot)

    def ctx_item(self, index: int) -> str:
        return self.f.load("ptr", "%ctx", 24 + 8 * index)  # a tuple's items

    def is_type(self, obj: str, type_value: str) -> str:
        return self.f.emit(f"icmp eq ptr {self.f.load('ptr', obj, 8)}, {type_value}")

    # -- arguments ----------------------------------------------------------------------
    def unbox(self, t: NType, obj: str) -> list[str]:
        """Check that `obj` is exactly a value of type `t`; the kernel's (typed)
        arguments for it."""
        f = self.f
        if isinstance(t, NoneType):
            f.require(f.emit(f"icmp eq ptr {obj}, @_Py_NoneStruct"))
            return []
        if isinstance(t, TupleType):
            f.require(self.is_type(obj, "@PyTuple_Type"))
            f.require(f.emit(f"icmp eq i64 {f.load('i64', obj, 16)}, {len(t.items)}"))
            args = []
            for i, item in enumerate(t.items):
                args += self.unbox(item, f.load("ptr", obj, 24 + 8 * i))
            return args
        if isinstance(t, Array):
            return self.unbox_array(t, obj)
        return [f"{_llvm_type(t.dtype)} {self.unbox_scalar(t, obj)}"]

    def unbox_scalar(self, t: Scalar, obj: str) -> str:
        f = self.f
        if not t.weak:  # a NumPy scalar: its value lies after the object header
            f.require(self.is_type(obj, self.rt_slot(rt_scalar_type_slot(t.dtype))))
            value = f.load(_storage_type(t.dtype), obj, 16)
            return f.emit(f"icmp ne i8 {value}, 0") if t.dtype.kind == "b" else value
        if t.dtype.kind == "f":
            f.require(self.is_type(obj, "@PyFloat_Type"))
            return f.load("double", obj, 16)
        if t.dtype.kind == "b":
            true = f.emit(f"icmp eq ptr {obj}, @_Py_TrueStruct")
            false = f.emit(f"icmp eq ptr {obj}, @_Py_FalseStruct")
            f.require(f.emit(f"or i1 {true}, {false}"))
            return true
        f.require(self.is_type(obj, "@PyLong_Type"))
        overflow = f.alloca("i32")
        value = f.emit(f"call i64 @PyLong_AsLongLongAndOverflow(ptr {obj}, ptr {overflow})")
        f.require(f.emit(f"icmp eq i32 {f.load('i32', overflow, 0)}, 0"))
        return value

    def unbox_array(self, t: Array, obj: str) -> list[str]:
        f = self.f
        f.require(self.is_type(obj, self.rt_slot(RT_ARRAY_TYPE)))
        f.require(f.emit(f"icmp eq i32 {f.load('i32', obj, 24)}, {t.ndim}"))
        f.require(f.emit(f"icmp eq ptr {f.load('ptr', obj, 56)}, "
                         f"{self.rt_slot(rt_descr_slot(t.dtype))}"))
        # aligned, C-contiguous where the kernel needs it, and writeable exactly when
        # the kernel's type is: a read-only array must not reach code that stores, nor
        # a writable one code that raises on a store (one mask, one compare)
        contiguous = _NPY_ARRAY_C_CONTIGUOUS if t.layout == "C" else 0
        mask = _NPY_ARRAY_ALIGNED | contiguous | _NPY_ARRAY_WRITEABLE
        required = _NPY_ARRAY_ALIGNED | contiguous | (0 if t.readonly else _NPY_ARRAY_WRITEABLE)
        flags = f.emit(f"and i32 {f.load('i32', obj, 64)}, {mask}")
        f.require(f.emit(f"icmp eq i32 {flags}, {required}"))
        data = f.load("ptr", obj, 16)
        self.arrays.append((obj, data))
        dims, strides = f.load("ptr", obj, 32), f.load("ptr", obj, 40)
        sizes, steps = [], []
        itemsize = t.dtype.itemsize
        for k in range(t.ndim):
            sizes.append(f"i64 {f.load('i64', dims, 8 * k)}")
            stride = f.load("i64", strides, 8 * k)
            if itemsize > 1:  # memref strides count elements
                rest = f.emit(f"and i64 {stride}, {itemsize - 1}")
                f.require(f.emit(f"icmp eq i64 {rest}, 0"))
                stride = f.emit(f"sdiv exact i64 {stride}, {itemsize}")
            steps.append(f"i64 {stride}")
        return [f"ptr {data}", f"ptr {data}", "i64 0", *sizes, *steps]

    # -- profile ------------------------------------------------------------------------
    def count(self, start: str) -> None:
        """Add the call and its cycles to the profile; the first time either crosses its
        hot threshold, tell ctx[CTX_ON_HOT] (once: the thresholds are then cleared)."""
        f = self.f
        profile, hot = f"@{profile_name(self.symbol)}", f"@{hot_thresholds_name(self.symbol)}"
        cycles = f.emit(f"sub i64 {f.emit('call i64 @llvm.readcyclecounter()')}, {start}")
        calls = f.emit(f"add i64 {f.load('i64', profile, 0)}, 1")
        f.do(f"store i64 {calls}, ptr {profile}")
        spent_at = f.emit(f"getelementptr i8, ptr {profile}, i64 8")
        spent = f.emit(f"add i64 {f.load('i64', spent_at, 0)}, {cycles}")
        f.do(f"store i64 {spent}, ptr {spent_at}")
        hot_cycles_at = f.emit(f"getelementptr i8, ptr {hot}, i64 8")
        by_calls = f.emit(f"icmp uge i64 {calls}, {f.load('i64', hot, 0)}")
        by_cycles = f.emit(f"icmp uge i64 {spent}, {f.load('i64', hot_cycles_at, 0)}")
        fire, cleared, returned, done = (f.new_label(x) for x in ("hot", "cleared", "told",
                                                                  "counted"))
        f.do(f"br i1 {f.emit(f'or i1 {by_calls}, {by_cycles}')}, label %{fire}, "
             f"label %{done}")
        f.label(fire)
        f.do(f"store i64 -1, ptr {hot}")
        f.do(f"store i64 -1, ptr {hot_cycles_at}")
        told = f.emit(f"call ptr @PyObject_Vectorcall(ptr {self.ctx_item(CTX_ON_HOT)}, "
                      "ptr null, i64 0, ptr null)")
        f.do(f"br i1 {f.emit(f'icmp eq ptr {told}, null')}, label %{cleared}, "
             f"label %{returned}")
        f.label(cleared)
        f.do("call void @PyErr_Clear()")  # the hook reports its own failures
        f.do(f"br label %{done}")
        f.label(returned)
        f.do(f"call void @Py_DecRef(ptr {told})")
        f.do(f"br label %{done}")
        f.label(done)

    # -- results ------------------------------------------------------------------------
    def result_values(self, result: str | None, result_leaves: list) -> list[str]:
        if result is None:
            return []
        if not self.ret_text.startswith("{"):
            return [result]
        return [self.f.emit(f"extractvalue {self.ret_text} {result}, {i}")
                for i in range(len(result_leaves))]

    def box(self, t: NType, values: list[tuple[NType, str]]) -> str:
        """The Python object of a result of type `t` (its leaves taken from `values`)."""
        f = self.f
        if isinstance(t, NoneType):
            f.do("call void @Py_IncRef(ptr @_Py_NoneStruct)")
            return "@_Py_NoneStruct"
        if isinstance(t, TupleType):
            items = [self.box(item, values) for item in t.items]
            result = f.emit(f"call ptr @PyTuple_New(i64 {len(items)})")
            for i, item in enumerate(items):
                f.emit(f"call i32 @PyTuple_SetItem(ptr {result}, i64 {i}, ptr {item})")
            return result
        _, value = values.pop(0)
        if isinstance(t, Array):  # made already (`write`), in this order
            self.placed += 1
            return self.boxed[self.placed - 1].array
        return self.box_scalar(t, value)

    def box_scalar(self, t: Scalar, value: str) -> str:
        f = self.f
        if t.weak:
            if t.dtype.kind == "f":
                return f.emit(f"call ptr @PyFloat_FromDouble(double {value})")
            if t.dtype.kind == "b":
                wide = f.emit(f"zext i1 {value} to i64")
                return f.emit(f"call ptr @PyBool_FromLong(i64 {wide})")
            return f.emit(f"call ptr @PyLong_FromLongLong(i64 {value})")
        storage = _storage_type(t.dtype)
        slot = f.alloca(storage)
        stored = f.emit(f"zext i1 {value} to i8") if t.dtype.kind == "b" else value
        f.do(f"store {storage} {stored}, ptr {slot}")
        descr = self.rt_slot(rt_descr_slot(t.dtype))
        return f.emit(f"call ptr {self.rt_slot(RT_ARRAY_SCALAR)}(ptr {slot}, ptr {descr}, "
                      "ptr null)")

    def box_array(self, t: Array, memref: str, r: _ArrayResult) -> str:
        """A NumPy array over the kernel's result `r`: owning its memory through a
        capsule that frees it (one capsule for the arrays that share it), or viewing the
        argument whose memory it is."""
        f = self.f
        itemsize = t.dtype.itemsize
        field = f"extractvalue {_memref_type(t.ndim)} {memref}"
        aligned, offset = f.emit(f"{field}, 1"), f.emit(f"{field}, 2")
        data = f.emit(f"getelementptr i8, ptr {aligned}, i64 "
                      f"{f.emit(f'mul i64 {offset}, {itemsize}')}")
        dims = f.alloca(f"[{max(t.ndim, 1)} x i64]")
        strides = f.alloca(f"[{max(t.ndim, 1)} x i64]")
        for k in range(t.ndim):
            size, step = f.emit(f"{field}, 3, {k}"), f.emit(f"{field}, 4, {k}")
            f.do(f"store i64 {size}, ptr {f.emit(f'getelementptr i64, ptr {dims}, i64 {k}')}")
            f.do(f"store i64 {f.emit(f'mul i64 {step}, {itemsize}')}, "
                 f"ptr {f.emit(f'getelementptr i64, ptr {strides}, i64 {k}')}")
        writeable = str(_NPY_ARRAY_WRITEABLE)
        if self.arrays:  # a view of a read-only argument stays read-only
            flags_of = f.emit(f"select i1 {f.emit(f'icmp ne ptr {r.viewed}, null')}, "
                              f"ptr {r.viewed}, ptr {self.arrays[0][0]}")
            flags = f.emit(f"and i32 {f.load('i32', flags_of, 64)}, {_NPY_ARRAY_WRITEABLE}")
            writeable = f.emit(f"select i1 {r.owned}, i32 {_NPY_ARRAY_WRITEABLE}, i32 {flags}")
        orphan = f.emit(f"select i1 {r.owned}, i1 false, i1 "
                        f"{f.emit(f'icmp eq ptr {r.viewed}, null')}")
        has_owner = f.new_label("has_owner")
        f.do(f"br i1 {orphan}, label %orphan, label %{has_owner}")
        f.label(has_owner)
        descr = self.rt_slot(rt_descr_slot(t.dtype))
        f.do(f"call void @Py_IncRef(ptr {descr})")  # NewFromDescr steals a reference
        array = f.emit(f"call ptr {self.rt_slot(RT_NEW_FROM_DESCR)}(ptr "
                       f"{self.rt_slot(RT_ARRAY_TYPE)}, ptr {descr}, i32 {t.ndim}, "
                       f"ptr {dims}, ptr {strides}, ptr {data}, i32 {writeable}, ptr null)")
        made, failed = f.new_label("made"), f.new_label("failed")
        f.do(f"br i1 {f.emit(f'icmp eq ptr {array}, null')}, label %{failed}, label %{made}")
        f.label(failed)  # NumPy could not make the array (out of memory)
        for earlier in self.boxed:
            f.do(f"call void @Py_DecRef(ptr {earlier.array})")  # frees what they own
        self.free_owned(self.results[len(self.boxed):])
        f.do("ret ptr null")
        f.label(made)
        r.base = self.owner_of(r)
        f.emit(f"call i32 {self.rt_slot(RT_SET_BASE_OBJECT)}(ptr {array}, ptr {r.base})")
        r.array = array
        self.boxed.append(r)
        return array

    def owner_of(self, r: _ArrayResult) -> str:
        """The object to make `r`'s array's base (a reference to it, which the base
        takes): a new capsule for memory the caller owns, that of an earlier array
        result with the same memory, or the argument it views."""
        f = self.f
        owned, capsule, shared, view, based = (
            f.new_label(x) for x in ("owned", "capsule", "shared", "view", "based"))
        f.do(f"br i1 {r.owned}, label %{owned}, label %{view}")
        f.label(owned)
        f.do(f"br i1 {r.first}, label %{capsule}, label %{shared}")
        f.label(capsule)
        # (a capsule refuses NULL; the kernel's buffers come from malloc, which gives
        # a unique pointer (glibc's) even for 0 bytes)
        new = f.emit(f"call ptr @PyCapsule_New(ptr {r.memory}, ptr null, "
                     f"ptr @{self.symbol}__free)")
        f.do(f"br label %{based}")
        f.label(shared)
        earlier = "null"
        for e in self.boxed:
            same = f.emit(f"icmp eq ptr {e.memory}, {r.memory}")
            earlier = f.emit(f"select i1 {same}, ptr {e.base}, ptr {earlier}")
        f.do(f"call void @Py_IncRef(ptr {earlier})")
        f.do(f"br label %{based}")
        f.label(view)
        f.do(f"call void @Py_IncRef(ptr {r.viewed})")
        f.do(f"br label %{based}")
        f.label(based)
        return f.emit(f"phi ptr [ {new}, %{capsule} ], [ {earlier}, %{shared} ], "
                      f"[ {r.viewed}, %{view} ]")

    def array_results(self, arrays: list[tuple[Array, str]], result: str,
                      flags_from: int) -> list[_ArrayResult]:
        """Who owns each array result's memory. The kernel says, of each, whether the
        caller owns (must free) it; results may share memory, one of them owned."""
        f = self.f
        memories = [f.emit(f"extractvalue {_memref_type(t.ndim)} {memref}, 0")
                    for t, memref in arrays]
        said = [f.emit(f"extractvalue {self.ret_text} {result}, {flags_from + i}")
                for i in range(len(arrays))]
        results = []
        for i, memory in enumerate(memories):
            viewed = "null"
            for obj, arg_data in self.arrays:
                same = f.emit(f"icmp eq ptr {memory}, {arg_data}")
                viewed = f.emit(f"select i1 {same}, ptr {obj}, ptr {viewed}")
            owned = "false"
            for j, other in enumerate(memories):
                same = "true" if j == i else f.emit(f"icmp eq ptr {other}, {memory}")
                owned = f.emit(f"or i1 {owned}, {f.emit(f'and i1 {said[j]}, {same}')}")
            owned = f.emit(f"and i1 {owned}, {f.emit(f'icmp eq ptr {viewed}, null')}")
            first = "true"
            for other in memories[:i]:
                first = f.emit(f"and i1 {first}, {f.emit(f'icmp ne ptr {other}, {memory}')}")
            results.append(_ArrayResult(memory, owned, first, viewed))
        return results

    # -- the function -------------------------------------------------------------------
    def write(self) -> str:
        f = self.f
        f.require(f.emit(f"icmp eq i64 %nargs, {len(self.arg_types)}"))
        f.require(f.emit("icmp eq ptr %kwnames, null"))
        typed = []
        for i, t in enumerate(self.arg_types):
            typed += self.unbox(t, f.load("ptr", "%args", 8 * i))
        status = f.alloca("i64")
        f.do(f"store i64 0, ptr {status}")
        start = f.emit("call i64 @llvm.readcyclecounter()")
        call = (f"call {self.ret_text} @{self.entry}(ptr {status}, ptr {status}, i64 0"
                + "".join(f", {a}" for a in typed) + ")")
        result = None
        if self.ret_text == "void":
            f.do(call)
        else:
            result = f.emit(call)
        self.count(start)
        result_leaves = leaf_types(self.result_type)
        values = self.result_values(result, result_leaves)
        arrays = [(t, v) for t, v in zip(result_leaves, values) if isinstance(t, Array)]
        if arrays:  # the flags that say which the caller owns follow the results
            self.results = self.array_results(arrays, result, len(result_leaves))
        code = f.load("i64", status, 0)
        box_label = f.new_label("box")
        f.do(f"br i1 {f.emit(f'icmp ne i64 {code}, 0')}, label %error, label %{box_label}")
        f.label(box_label)
        # the arrays first, before any other object: where NumPy cannot make one, those
        # made already are the only objects to release
        for (array_type, memref), r in zip(arrays, self.results):
            self.box_array(array_type, memref, r)
        f.do(f"ret ptr {self.box(self.result_type, list(zip(result_leaves, values)))}")
        f.label("error")  # the kernel stopped with an error: raise it
        self.free_owned(self.results)
        self.raise_status(code)
        f.label("orphan")  # an array result nothing owns: a noodle bug, said as much
        self.raise_status(str(STATUS_UNOWNED_RESULT))
        f.label("fallback")
        fallback = self.ctx_item(CTX_FALLBACK)
        forwarded = f.emit(f"call ptr @PyObject_Vectorcall(ptr {fallback}, ptr %args, "
                           "i64 %nargs, ptr %kwnames)")
        f.do(f"ret ptr {forwarded}")
        return "\n".join([
            f"define ptr @{python_entry_name(self.symbol)}(ptr %ctx, ptr %args, i64 %nargs, "
            "ptr %kwnames) {", "entry:", *f.allocas, *f.body, "}"])

    def free_owned(self, results: list[_ArrayResult]) -> None:
        """Free the memory of `results` that the caller owns, each buffer once."""
        f = self.f
        for r in results:
            once = f.emit(f"and i1 {r.owned}, {r.first}")
            f.do(f"call void @free(ptr {f.emit(f'select i1 {once}, ptr {r.memory}, ptr null')})")

    def raise_status(self, code: str) -> None:
        f = self.f
        boxed = f.emit(f"call ptr @PyLong_FromLongLong(i64 {code})")
        raised = f.emit(f"call ptr @PyObject_CallOneArg(ptr {self.ctx_item(CTX_ON_ERROR)}, "
                        f"ptr {boxed})")
        f.do(f"call void @Py_DecRef(ptr {boxed})")
        f.do(f"ret ptr {raised}")


def _memref_type(ndim: int) -> str:
    if ndim == 0:
        return "{ ptr, ptr, i64 }"
    return f"{{ ptr, ptr, i64, [{ndim} x i64], [{ndim} x i64] }}"


def python_entry_ir(symbol: str, entry: str, arg_types: tuple[NType, ...],
                    result_type: NType, kernel_ir: str) -> str:
    """The entry point's LLVM IR, with the globals it uses, to append to `kernel_ir`."""
    writer = _EntryWriter(symbol, entry, arg_types, result_type,
                          return_type_text(kernel_ir, entry))
    cycles = (f"define i64 @{cycle_reader_name(symbol)}() {{\n"
              "  %now = call i64 @llvm.readcyclecounter()\n  ret i64 %now\n}")
    free = (f"define void @{symbol}__free(ptr %capsule) {{\n"
            "  %memory = call ptr @PyCapsule_GetPointer(ptr %capsule, ptr null)\n"
            "  call void @free(ptr %memory)\n  ret void\n}")
    addresses = {"runtime_table": runtime_table_name(symbol), "profile": profile_name(symbol),
                 "hot_thresholds": hot_thresholds_name(symbol),
                 "python_entry": python_entry_name(symbol),
                 "cycle_reader": cycle_reader_name(symbol),
                 "c_interface": f"_mlir_ciface_{entry}"}
    table = ", ".join(f"ptr @{addresses[what]}" for what in ADDRESSES)
    globals_ = "\n".join([
        f"@{runtime_table_name(symbol)} = global [{RT_SIZE} x ptr] zeroinitializer",
        f"@{profile_name(symbol)} = global [2 x i64] zeroinitializer",
        f"@{hot_thresholds_name(symbol)} = global [2 x i64] [i64 -1, i64 -1]",
        f"@{addresses_name(symbol)} = constant [{len(ADDRESSES)} x ptr] [{table}]"])
    declared = set(declared_functions(kernel_ir))  # declared twice is an error
    declarations = "\n".join(line for line in _DECLARATIONS.strip().splitlines()
                              if not (line.startswith("declare")
                                      and declared_functions(line)[0] in declared))
    return "\n".join(["", declarations, globals_, cycles, free, writer.write(), ""])
