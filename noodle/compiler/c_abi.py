"""The C ABI of noodlec's shared libraries: what one exported C function takes and
returns, the header that declares them, and the metadata a library carries for
`noodle.load`. The LLVM IR of the functions is `c_abi_writer.py`'s.

One C function per compiled signature:

    int NAME(<params>, <results>);

- a scalar parameter is passed by value (`double`, `int64_t`, `bool`, ...);
- an array parameter is three: `T *x` (its element [0, 0, ...]; `const T *x` where the
  signature says `readonly`), `const int64_t *x_shape`
  (ndim sizes) and `const int64_t *x_strides` (ndim strides, counted in elements, not in
  bytes as NumPy counts them; NULL means C-contiguous); a tuple parameter is its items,
  `x_0`, `x_1`, ...;
- each result (the items of a returned tuple, in order) is written through a pointer the
  caller passes after the parameters: `T *out` for a scalar, `noodle_array *out` for an
  array. Results are not caller-provided buffers because their shapes are the kernel's
  to compute: an array result is allocated by the library with malloc (`base`), and the
  caller frees it with `noodle_array_free`; `base` is NULL for a result that views memory
  of an argument or of another result of the same call, which must then outlive it;
- the function returns 0, or a status: NOODLE_BAD_STRIDES / NOODLE_BAD_SHAPE when an
  argument's layout or shape does not fit the signature, or a positive code of an error
  the Python code raises (division by zero, a failed broadcast, `raise ...`), whose text
  `<lib>_error_message(status)` gives. On a status no result is written and nothing is
  left allocated.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from noodle.compiler.errors_table import ErrorSite
from noodle.compiler.kernel import encode_type, qualified_name
from noodle.compiler.types import Array, NoneType, NType, Scalar, TupleType
from noodle.errors import SourceLocation

#: The most dimensions an array result may have (`noodle_array` holds them inline, so
#: that a result is one struct the caller declares on its stack)
MAX_NDIM = 8
STATUS_BAD_STRIDES = -1
STATUS_BAD_SHAPE = -2
#: the symbol of the library's metadata (a NUL-terminated JSON text, `library_metadata`)
METADATA_SYMBOL = "noodle_library_metadata"
METADATA_VERSION = 1

_C_TYPES = {"bool": "bool", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t",
            "int64": "int64_t", "uint8": "uint8_t", "uint16": "uint16_t",
            "uint32": "uint32_t", "uint64": "uint64_t", "float32": "float",
            "float64": "double"}

_C_KEYWORDS = frozenset("""auto break case char const continue default do double else enum
extern float for goto if inline int long register restrict return short signed sizeof static
struct switch typedef union unsigned void volatile while bool true false""".split())


@dataclass(frozen=True)
class CScalar:
    dtype: np.dtype


@dataclass(frozen=True)
class CArray:
    dtype: np.dtype
    ndim: int
    #: sizes the caller must pass (None: any)
    sizes: tuple[int | None, ...]
    #: strides (in elements) the caller must pass where a dimension has more than one
    #: element (None: any); `contiguous`: C-contiguous, whatever the sizes
    strides: tuple[int | None, ...]
    contiguous: bool = False
    #: declared `readonly` (the kernel never stores into it): `const T *` in the header
    readonly: bool = False


CType = CScalar | CArray


@dataclass(frozen=True)
class CParam:
    name: str
    type: CType


@dataclass
class CFunction:
    """One exported C function and the LLVM function it calls."""
    name: str
    callee: str
    params: list[CParam]
    #: what the caller gets, in order: the callee's results
    results: list[CType]
    #: noodle kernels take a status cell first and return, after their results, whether
    #: the caller owns each array; MLIR functions from a `.mlir` file do neither
    noodle_kernel: bool
    #: added to a kernel's positive status, so that codes are unique in a library
    status_offset: int = 0
    #: what `noodle.load` needs: Python name, signature text, argument and result types
    python: dict | None = None
    #: where the function is defined (its `def` or `func.func`), for errors
    where: SourceLocation | None = None


def c_type(dtype: np.dtype) -> str:
    return _C_TYPES[dtype.name]


def c_type_of(t: NType) -> CType:
    if isinstance(t, Scalar):
        return CScalar(t.dtype)
    if isinstance(t, Array):
        return CArray(t.dtype, t.ndim, (None,) * t.ndim, (None,) * t.ndim, t.layout == "C",
                      t.readonly)
    raise TypeError(f"{t} is not a leaf type")


def leaf_params(name: str, t: NType) -> list[CParam]:
    """The C parameters of one Python parameter (a tuple: one per item)."""
    if isinstance(t, TupleType):
        return [p for i, item in enumerate(t.items) for p in leaf_params(f"{name}_{i}", item)]
    if isinstance(t, NoneType):
        return []
    # a Python parameter may have a C keyword's name (`float`, `char`)
    return [CParam(f"{name}_" if name in _C_KEYWORDS else name, c_type_of(t))]


def check_identifier(name: str) -> None:
    """A C function or parameter name must be a C identifier that is not a keyword."""
    if not re.fullmatch(r"[A-Za-z_]\w*", name) or name in _C_KEYWORDS:
        raise ValueError(f"{name!r} cannot be a C name: rename it")


def _with_float_variants(names: str) -> frozenset[str]:
    """<math.h>'s functions and their `f` (float) and `l` (long double) variants."""
    return frozenset(n + suffix for n in names.split() for suffix in ("", "f", "l"))


#: Names an exported C function may not take. A library's functions are global symbols:
#: one named as a C library function would be defined twice where the generated code
#: calls that function (`malloc`, `free`: LLVM's "invalid redefinition"), or, loaded
#: into a process, would take the place of libc's or libm's for every caller (the code
#: noodle generates calls libm's `exp`, `sqrt`, ... and libc's allocation functions).
#: So: the functions of C99/C11's <math.h>, <stdlib.h>, <string.h> and <stdio.h>, the
#: ones beyond those that the generated code calls (`madvise`, from the huge-page
#: allocations, and `posix_memalign`), and `main`. The library's own symbols are
#: `RESERVED_PREFIXES` and `<lib>_error_message` (`check_function_name`).
RESERVED_C_NAMES = _with_float_variants("""
    acos asin atan atan2 cos sin tan acosh asinh atanh cosh sinh tanh exp exp2 expm1 frexp
    ilogb ldexp log log10 log1p log2 logb modf scalbn scalbln cbrt fabs hypot pow sqrt erf
    erfc lgamma tgamma ceil floor nearbyint rint lrint llrint round lround llround trunc
    fmod remainder remquo copysign nan nextafter nexttoward fdim fmax fmin fma""") | frozenset("""
    atof atoi atol atoll strtod strtof strtold strtol strtoll strtoul strtoull rand srand
    aligned_alloc calloc free malloc realloc abort atexit at_quick_exit exit _Exit
    quick_exit getenv system bsearch qsort abs labs llabs div ldiv lldiv mblen mbtowc wctomb
    mbstowcs wcstombs
    memcpy memmove strcpy strncpy strcat strncat memcmp strcmp strcoll strncmp strxfrm memchr
    strchr strcspn strpbrk strrchr strspn strstr strtok memset strerror strlen
    remove rename tmpfile tmpnam fclose fflush fopen freopen setbuf setvbuf fprintf fscanf
    printf scanf snprintf sprintf sscanf vfprintf vfscanf vprintf vscanf vsnprintf vsprintf
    vsscanf fgetc fgets fputc fputs getc getchar gets putc putchar puts ungetc fread fwrite
    fgetpos fseek fsetpos ftell rewind clearerr feof ferror perror
    madvise posix_memalign main""".split())

#: Prefixes of the library's own symbols and the header's names: `noodle_` (the
#: metadata `noodle_library_metadata`, kernels `noodle_fn_*` and `noodle_mlir_*`,
#: `noodle_array_free`), and MLIR's runtime (`_mlir_memref_to_llvm_alloc`,
#: `_mlir_ciface_*`, `mlirAsyncRuntime*`)
RESERVED_PREFIXES = ("noodle_", "_mlir", "mlirAsync")


def check_function_name(name: str, lib: str | None = None) -> None:
    """An exported C function's name: a C identifier (`check_identifier`) that is none
    of `RESERVED_C_NAMES`, starts with none of `RESERVED_PREFIXES`, and is not the
    library `lib`'s own `<lib>_error_message` (checked where `lib` is given: the
    library's name is known when its functions are linked, after they compiled)."""
    check_identifier(name)
    if name == "main":
        raise ValueError("'main' cannot be a C name: it is a C program's entry point: "
                         "rename it")
    if name in RESERVED_C_NAMES:
        raise ValueError(f"{name!r} cannot be a C name: the C library has a function of "
                         "that name, which this library's would replace: rename it")
    if name.startswith(RESERVED_PREFIXES) or (lib is not None
                                               and name == f"{lib}_error_message"):
        raise ValueError(f"{name!r} cannot be a C name: the library defines a symbol of "
                         "that name itself: rename it")


def check_result(t: CType, function: str) -> None:
    if isinstance(t, CArray) and t.ndim > MAX_NDIM:
        raise ValueError(f"{function} returns a {t.ndim}-d array; the C ABI's noodle_array "
                         f"holds at most {MAX_NDIM} dimensions")


def mangle(arg_types: tuple[NType, ...]) -> str:
    """A C-name suffix for a signature's argument types, for a function compiled with
    several: (float64[:], int64) -> "f64a1_i64"; "c" for C-contiguous arrays, a final
    "r" for read-only ones (readonly float64[:] -> "f64a1r")."""
    def one(t: NType) -> str:
        if isinstance(t, Scalar):
            return _short(t.dtype)
        if isinstance(t, Array):
            readonly = "r" if t.readonly else ""
            return f"{_short(t.dtype)}{'c' if t.layout == 'C' else 'a'}{t.ndim}{readonly}"
        if isinstance(t, TupleType):
            return f"t{len(t.items)}" + "".join(one(item) for item in t.items)
        return "n"
    return "_".join(one(t) for t in arg_types) or "v"


def _short(dtype: np.dtype) -> str:
    return "b" if dtype.kind == "b" else f"{dtype.kind}{8 * dtype.itemsize}"


def library_name(stem: str) -> str:
    """The C prefix of a library's own symbols, from its file name ("libkernels" ->
    "kernels")."""
    name = re.sub(r"\W", "_", stem.removeprefix("lib")) or "noodle"
    return name if not name[0].isdigit() else f"_{name}"


def error_texts(sites: list[ErrorSite]) -> list[str]:
    """What `<lib>_error_message` says for each site, in order (status 1, 2, ...)."""
    return [f"{site.exc_type.__name__}: {site.exception()}" for site in sites]


def library_metadata(name: str, functions: list[CFunction], sites: list[ErrorSite]) -> str:
    """The JSON text a library carries (`METADATA_SYMBOL`): its functions as Python sees
    them, and the exceptions its status codes stand for."""
    return json.dumps({
        "version": METADATA_VERSION, "name": name,
        "functions": [dict(f.python, symbol=f.name) for f in functions if f.python],
        "errors": [{"exc_type": qualified_name(s.exc_type), "message": str(s.exception()),
                    "raised_by_user": s.raised_by_user} for s in sites]})


def python_metadata(name: str, signature: str, arg_types: tuple[NType, ...],
                    result_type: NType) -> dict:
    return {"name": name, "signature": signature,
            "arg_types": [encode_type(t) for t in arg_types],
            "result_type": encode_type(result_type)}


# -- the header ---------------------------------------------------------------------------
_PREAMBLE = """\
/* {guard_name}: generated by noodlec {version}; do not edit.
 *
 * Each function returns 0, or a status (NOODLE_BAD_STRIDES, NOODLE_BAD_SHAPE, or a
 * positive code that {lib}_error_message explains); on a status no result is written.
 * Arrays: a pointer to element [0,...], then shape and strides (in elements; NULL
 * strides: C-contiguous). Array results are noodle_array structs: free each with
 * noodle_array_free (base NULL: a view of an argument or of another result).
 */
#ifndef {guard}
#define {guard}

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {{
#endif

#ifndef NOODLE_ARRAY_DEFINED
#define NOODLE_ARRAY_DEFINED
#define NOODLE_MAX_NDIM {max_ndim}
#define NOODLE_BAD_STRIDES ({bad_strides})
#define NOODLE_BAD_SHAPE ({bad_shape})

typedef struct noodle_array {{
    void *data;                        /* element [0, 0, ...] */
    void *base;                        /* malloc'ed memory to free, or NULL (a view) */
    int64_t ndim;
    int64_t shape[NOODLE_MAX_NDIM];    /* entries past ndim are 0 */
    int64_t strides[NOODLE_MAX_NDIM];  /* in elements */
}} noodle_array;

static inline void noodle_array_free(noodle_array *a) {{
    free(a->base);
    a->base = NULL;
    a->data = NULL;
}}
#endif

/* The text of a status this library's functions returned ("ZeroDivisionError: ..."). */
const char *{lib}_error_message(int status);
"""


def header_text(lib: str, functions: list[CFunction], version: str) -> str:
    guard = f"NOODLE_{lib.upper()}_H"
    lines = [_PREAMBLE.format(guard=guard, guard_name=f"{lib}.h", version=version, lib=lib,
                              max_ndim=MAX_NDIM, bad_strides=STATUS_BAD_STRIDES,
                              bad_shape=STATUS_BAD_SHAPE)]
    for f in functions:
        if f.python is not None:
            lines.append(f"/* {f.python['name']}: {f.python['signature']} */")
        lines.append(f"int {f.name}({', '.join(_declarations(f)) or 'void'});\n")
    lines += ["#ifdef __cplusplus", "}", "#endif", f"#endif /* {guard} */", ""]
    return "\n".join(lines)


def _declarations(f: CFunction) -> list[str]:
    out, taken = [], set()
    for p in f.params:
        if isinstance(p.type, CScalar):
            out.append(f"{c_type(p.type.dtype)} {p.name}")
            taken.add(p.name)
        else:
            const = "const " if p.type.readonly else ""
            out += [f"{const}{c_type(p.type.dtype)} *{p.name}", f"const int64_t *{p.name}_shape",
                    f"const int64_t *{p.name}_strides"]
            taken |= {p.name, f"{p.name}_shape", f"{p.name}_strides"}
    stem = "out"
    while stem in taken or any(n.startswith(stem) and n[len(stem):].isdigit() for n in taken):
        stem += "_"  # a parameter is called `out` already
    for i, r in enumerate(f.results):
        name = stem if len(f.results) == 1 else f"{stem}{i}"
        what = "noodle_array" if isinstance(r, CArray) else c_type(r.dtype)
        out.append(f"{what} *{name}")
    return out
