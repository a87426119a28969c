"""The `gpu-matmul` pass: a matrix-matrix `nir.matmul` becomes a tiled kernel launch.

Each block of `TILE` x `TILE` threads computes a `TILE` x `TILE` tile of the product.
The k dim is walked a tile at a time: the block copies a tile of each operand into
shared memory (workgroup attributions of the launch), waits at a barrier, and each
thread accumulates its dot product from shared memory, so every element of global
memory is read `TILE` times fewer than by one thread per output element. Out-of-range
elements of the edge tiles are loaded as 0, so any shape works.

The combination is `nir_reduce`'s (sum of products in the result dtype, integers
wrapping). Products with a vector operand stay with `lower-nir` (one thread per output
element).
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, gpu, memref, scf

from noodle.passes.ir_walk import ops_where, rewriting
from noodle.passes.nir_binary import binary_builder
from noodle.passes.nir_buffers import alloc_buffer, as_canonical, rank_of, sizes_of
from noodle.passes.nir_dtypes import constant, dtype_attr

PASS_NAME = "gpu-matmul"

#: Tile edge: 16 x 16 = 256 threads a block, two 16 x 16 tiles of shared memory (4 KiB
#: in float64)
TILE = 16

#: CUDA's limit on gridDim.y
MAX_GRID_Y = 65535


def gpu_matmul(module: ir.Operation) -> None:
    """Rewrites each matrix-matrix `nir.matmul` in `module` (a module operation)."""
    for op in ops_where(module, lambda op: op.name == "nir.matmul"
                        and all(rank_of(v) == 2 for v in op.operands)):
        with rewriting(op), ir.InsertionPoint(op), op.location:
            op.result.replace_all_uses_with(_matmul(op))
        op.erase()


def gpu_matmul_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(gpu_matmul_pass, name=PASS_NAME)`."""
    gpu_matmul(op)


def _matmul(op: ir.Operation) -> ir.Value:
    a, b = op.operands
    dtype = dtype_attr(op)
    add, mul = binary_builder("add", dtype), binary_builder("mul", dtype)
    rows, inner = sizes_of(a)
    columns = sizes_of(b)[1]
    out = alloc_buffer(dtype.element_type, [rows, columns])
    index = ir.IndexType.get()
    one = arith.constant(index, 1)
    tile = arith.constant(index, TILE)
    row_tiles = arith.maxsi(arith.ceildivsi(rows, tile), one)
    # gridDim.y is at most 65535: beyond, each block takes every gridDim.y-th row of tiles
    grid = (arith.maxsi(arith.ceildivsi(columns, tile), one),
            arith.minsi(row_tiles, arith.constant(index, MAX_GRID_Y)), one)
    launch = gpu.LaunchOp(grid, (tile, tile, one))
    shared = ir.MemRefType.get([TILE, TILE], dtype.element_type,
                               memory_space=ir.Attribute.parse("#gpu.address_space<workgroup>"))
    body = launch.regions[0].blocks[0]
    a_tile = body.add_argument(shared, op.location)
    b_tile = body.add_argument(shared, op.location)
    launch.attributes["workgroup_attributions"] = ir.IntegerAttr.get(
        ir.IntegerType.get_signless(64), 2)
    block_x, block_y, tx, ty, grid_y = (body.arguments[k] for k in (0, 1, 3, 4, 7))
    with ir.InsertionPoint(body):
        row_tile_loop = scf.ForOp(block_y, row_tiles, grid_y)
        with ir.InsertionPoint(row_tile_loop.body):
            row = arith.addi(arith.muli(row_tile_loop.induction_variable, tile), ty)
            column = arith.addi(arith.muli(block_x, tile), tx)
            _tile_product(a, b, a_tile, b_tile, out, row, column, rows, inner, columns,
                          tx, ty, dtype, add, mul)
            scf.YieldOp([])
        gpu.TerminatorOp()
    return as_canonical(out)


def _tile_product(a, b, a_tile, b_tile, out, row, column, rows, inner, columns, tx, ty,
                  dtype, add, mul) -> None:
    """out[row, column] = the dot product of a's row and b's column, tile by tile."""
    index = ir.IndexType.get()
    zero_index, one = arith.constant(index, 0), arith.constant(index, 1)
    tile = arith.constant(index, TILE)
    steps = scf.ForOp(zero_index, inner, tile, [constant(dtype, 0)])
    with ir.InsertionPoint(steps.body):
        k0 = steps.induction_variable
        _load_tile(a, a_tile, row, arith.addi(k0, tx), rows, inner, ty, tx, dtype)
        _load_tile(b, b_tile, arith.addi(k0, ty), column, inner, columns, ty, tx, dtype)
        gpu.BarrierOp()
        products = scf.ForOp(zero_index, tile, one, [steps.inner_iter_args[0]])
        with ir.InsertionPoint(products.body):
            kk = products.induction_variable
            term = mul(dtype, memref.load(a_tile, [ty, kk]), memref.load(b_tile, [kk, tx]))
            scf.YieldOp([add(dtype, products.inner_iter_args[0], term)])
        gpu.BarrierOp()  # the tiles are overwritten next step
        scf.YieldOp([products.results[0]])
    inside = arith.andi(_below(row, rows), _below(column, columns))
    store = scf.IfOp(inside)
    with ir.InsertionPoint(store.then_block):
        memref.store(steps.results[0], out, [row, column])
        scf.YieldOp([])


def _below(i: ir.Value, n: ir.Value) -> ir.Value:
    return arith.cmpi(arith.CmpIPredicate.slt, i, n)


def _load_tile(source: ir.Value, tile: ir.Value, i: ir.Value, j: ir.Value, rows: ir.Value,
               columns: ir.Value, ty: ir.Value, tx: ir.Value, dtype) -> None:
    """tile[ty, tx] = source[i, j], or 0 outside the source."""
    inside = arith.andi(_below(i, rows), _below(j, columns))
    choice = scf.IfOp(inside, [dtype.element_type], has_else=True)
    with ir.InsertionPoint(choice.then_block):
        scf.YieldOp([memref.load(source, [i, j])])
    with ir.InsertionPoint(choice.else_block):
        scf.YieldOp([constant(dtype, 0)])
    memref.store(choice.results[0], tile, [ty, tx])
