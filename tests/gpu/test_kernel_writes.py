"""Which memref arguments a kernel may write (`compile.kernel_writes`): the launcher
copies back to a NumPy argument only those, so every writer must count, known or not."""
from __future__ import annotations

from mlir import ir

from noodle.compiler.gpu.compile import kernel_writes
from noodle.dialects.context import make_context

_MODULE = """
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%read: memref<4xf32>, %copied: memref<4xf32>, %vec: memref<8xf32>,
                %through_view: memref<8xf32>, %n: index, %stored: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %x = memref.load %read[%c0] : memref<4xf32>
      %d = memref.dim %read, %c0 : memref<4xf32>
      memref.copy %read, %copied : memref<4xf32> to memref<4xf32>
      %v = vector.load %read[%c0] : memref<4xf32>, vector<4xf32>
      vector.store %v, %vec[%c0] : memref<8xf32>, vector<4xf32>
      %t = memref.subview %through_view[2] [4] [1]
          : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
      %u = memref.cast %t
          : memref<4xf32, strided<[1], offset: 2>> to memref<?xf32, strided<[1], offset: ?>>
      vector.store %v, %u[%c0]
          : memref<?xf32, strided<[1], offset: ?>>, vector<4xf32>
      memref.store %x, %stored[%n] : memref<4xf32>
      gpu.return
    }
  }
}
"""


def test_every_memref_argument_not_only_read_counts_as_written():
    with make_context():
        module = ir.Module.parse(_MODULE)
        # a read-only argument (loads, dims, vector loads) is not copied back; a copy
        # target, a vector store, a store through views, a plain store are
        assert kernel_writes(module) == {"k": [1, 2, 3, 5]}
