"""The `nir-fold` pass: elementwise ops on uniform arrays become uniform arrays.

`np.zeros(n) + 1`, `np.full((n, m), x) * 2` or `np.ones(n) < y` compute one value for
every element: the op becomes a `nir.full` of that value, computed once as scalar
arithmetic (which upstream `canonicalize` then folds to a constant where its inputs are
constants). A `nir.full` counts as uniform only if nothing ever writes it or takes a
view of it, so its elements are the fill value wherever it is read; the op's own result
may be written later, since a `nir.full` is as fresh an array as the op's result.
Chains fold in one sweep, in program order. The size of a created array (`memref.dim` of
a `nir.full` or `nir.empty`, from the frontend's broadcast checks) becomes the size it
was created with, so `nir-cleanup` can then erase the arrays no longer used.
"""
from __future__ import annotations

from mlir import ir

from noodle.passes.ir_walk import ops_where, rewriting
from noodle.passes.lower_nir import fused_form
from noodle.passes.nir_buffers import element_type_of, is_array, queried_dim, rank_of
from noodle.passes.nir_cleanup import only_read
from noodle.passes.nir_dtypes import DType
from noodle.passes.nir_fusion import ELEMENTWISE

PASS_NAME = "nir-fold"


def nir_fold(module: ir.Module) -> None:
    nir_fold_in(module.operation)


def nir_fold_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(nir_fold_pass, name=PASS_NAME)`."""
    nir_fold_in(op)


def nir_fold_in(root: ir.Operation) -> None:
    """Replaces each elementwise nir op nested in `root` whose array operands are all
    uniform, of one shape, by a `nir.full`."""
    for op in ops_where(root, lambda op: op.name in ELEMENTWISE and is_array(op.result)):
        with rewriting(op):
            _fold(op)
    for op in ops_where(root, lambda op: op.name in ("nir.full", "nir.empty")):
        with rewriting(op):
            _answer_shape_queries(op)


def _answer_shape_queries(op: ir.Operation) -> None:
    """`memref.dim` of a created array -> the size it was created with, so that an array
    only measured (by the frontend's broadcast checks) is left unused and goes."""
    sizes = list(op.operands)[1:] if op.name == "nir.full" else list(op.operands)
    for use in list(op.result.uses):
        query = use.owner
        if query.name == "memref.dim" and queried_dim(query) is not None:
            query.result.replace_all_uses_with(sizes[queried_dim(query)])
            query.erase()


def _fold(op: ir.Operation) -> None:
    dims = _common_dims(op)
    dtype = _result_dtype(op) if dims is not None else None
    if dtype is None:
        return
    operands, body = fused_form(op)
    with ir.InsertionPoint(op), op.location:
        value = body(*(_fill_value(v) if is_array(v) else v for v in operands))
        full = ir.Operation.create("nir.full", results=[op.result.type],
                                   operands=[value, *dims],
                                   attributes={"dtype": ir.StringAttr.get(dtype)})
    op.result.replace_all_uses_with(full.result)
    op.erase()


def _uniform_producer(value: ir.Value) -> ir.Operation | None:
    """The `nir.full` that made `value`, if its elements are its fill value wherever
    they are read."""
    owner = value.owner
    if isinstance(owner, ir.Block) or owner.name != "nir.full" or not only_read(value):
        return None
    return owner


def _common_dims(op: ir.Operation) -> list[ir.Value] | None:
    """The dims of the uniform arrays that are op's array operands, if there is at least
    one and all have the result's shape (no broadcasting between them)."""
    dims: list[ir.Value] | None = None
    for operand in filter(is_array, op.operands):
        producer = _uniform_producer(operand)
        if producer is None or rank_of(operand) != rank_of(op.result):
            return None
        operand_dims = list(producer.operands)[1:]
        if dims is not None and operand_dims != dims:
            return None
        dims = operand_dims
    return dims


def _fill_value(array: ir.Value) -> ir.Value:
    return array.owner.operands[0]


def _result_dtype(op: ir.Operation) -> str | None:
    """The NumPy dtype name of op's result elements, where the op tells it."""
    if op.name == "nir.compare":
        return "bool"
    if op.name == "nir.cast":
        return ir.StringAttr(op.attributes["to"]).value
    if op.name == "nir.select":
        names = [ir.StringAttr(v.owner.attributes["dtype"]).value
                 for v in op.operands[1:] if is_array(v)]
        return names[0] if names else None
    name = ir.StringAttr(op.attributes["dtype"]).value
    result = element_type_of(op.result.type)
    if DType(name).element_type == result:
        return name
    # truediv of integers gives float64; isnan and friends give bools
    for candidate in ("float64", "float32", "bool"):
        if DType(candidate).element_type == result:
            return candidate
    return None
