// huge-page-allocations: the generic allocation functions finalize-memref-to-llvm
// declares become definitions: malloc, then huge pages advised for blocks of 4 MiB or
// more (madvise 14, on Linux), and free. `malloc` declared already is not declared twice;
// a function the module does not declare (aligned_alloc) is not defined.
// RUN: noodle-opt %s --huge-page-allocations | FileCheck %s

// CHECK-DAG: llvm.func internal @_mlir_memref_to_llvm_alloc(%{{.*}}: i64) -> !llvm.ptr {
// CHECK-DAG: llvm.func internal @_mlir_memref_to_llvm_free(%{{.*}}: !llvm.ptr) {
// CHECK-DAG: llvm.func internal @noodle_advise_huge_pages(
// CHECK-DAG: llvm.mlir.constant(4194304 : i64)
// CHECK-DAG: llvm.call @madvise({{.*}}) : (!llvm.ptr, i64, i32) -> i32
// CHECK-DAG: llvm.func @free(!llvm.ptr)
// CHECK-DAG: llvm.func @madvise(!llvm.ptr, i64, i32) -> i32
// CHECK-NOT: aligned_alloc
// CHECK-LABEL: llvm.func @kernel

module {
  llvm.func @malloc(i64) -> !llvm.ptr
  llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
  llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
  llvm.func @kernel(%n: i64) {
    %p = llvm.call @_mlir_memref_to_llvm_alloc(%n) : (i64) -> !llvm.ptr
    %q = llvm.call @malloc(%n) : (i64) -> !llvm.ptr
    llvm.call @_mlir_memref_to_llvm_free(%p) : (!llvm.ptr) -> ()
    llvm.call @_mlir_memref_to_llvm_free(%q) : (!llvm.ptr) -> ()
    llvm.return
  }
}
