// The GPU passes: gpu-reduce makes a full reduction two block tree reductions (partials,
// then one block combining them; no atomics); the whole pipeline of `compiler/gpu` up to
// NVVM fuses the elementwise chain into one kernel (one launch, exp from libdevice) and
// outlines every kernel into one gpu.module for sm_90. (PTX itself is checked by
// tests/gpu/test_ptx.py, which needs the CUDA toolkit's libdevice and ptxas.)
// RUN: noodle-opt %s --pass-pipeline='builtin.module(nir-fuse-elementwise,gpu-reduce)' \
// RUN:   | FileCheck %s --check-prefix=REDUCE
// RUN: noodle-opt %s --pass-pipeline='builtin.module(nir-fuse-elementwise,gpu-reduce,gpu-matmul,lower-nir,inline,canonicalize,cse,convert-linalg-to-parallel-loops,canonicalize,cse,gpu-map-loops,gpu-serial-loops,gpu-kernel-outlining,canonicalize,cse,gpu-merge-modules,nvvm-attach-target{chip=sm_90},gpu.module(expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-gpu-to-nvvm,canonicalize,cse,reconcile-unrealized-casts))' \
// RUN:   > %t
// RUN: FileCheck %s --check-prefix=NVVM < %t
// RUN: FileCheck %s --check-prefix=NOATOM < %t

// REDUCE-LABEL: func.func @fused
// REDUCE: "nir.binary"{{.*}}fused
// REDUCE: "nir.binary"{{.*}}fused
// REDUCE: "nir.unary"{{.*}}kind = "exp"
// REDUCE-NOT: gpu.launch
// REDUCE-LABEL: func.func @dot
// REDUCE: gpu.launch blocks
// REDUCE: gpu.all_reduce
// REDUCE: gpu.terminator
// REDUCE: gpu.launch blocks
// REDUCE: gpu.all_reduce
// REDUCE-NOT: atomic

// NVVM-LABEL: func.func @fused
// NVVM: gpu.launch_func @fused_kernel::@fused_kernel blocks in
// NVVM-NOT: gpu.launch_func
// NVVM: gpu.module @fused_kernel [#nvvm.target<chip = "sm_90">]
// NVVM: llvm.func @__nv_exp(f64) -> f64
// NVVM: llvm.func @fused_kernel(
// NVVM: llvm.call @__nv_exp
// NVVM: llvm.func @dot_kernel(
// NVVM: nvvm.shfl.sync bfly
// NVVM: nvvm.barrier0
// NVVM: llvm.func @dot_kernel_0(
// NVVM: nvvm.shfl.sync bfly
// NVVM-LABEL: func.func @dot
// NVVM: gpu.launch_func @fused_kernel::@dot_kernel blocks in
// NVVM: gpu.launch_func @fused_kernel::@dot_kernel_0 blocks in
// NOATOM-NOT: atomicrmw
func.func @fused(%status: memref<i64>, %a: memref<?xf64, strided<[?], offset: ?>>, %b: memref<?xf64, strided<[?], offset: ?>>) -> memref<?xf64, strided<[?], offset: ?>> {
  %0 = "nir.binary"(%a, %b) {dtype = "float64", kind = "mul"} : (memref<?xf64, strided<[?], offset: ?>>, memref<?xf64, strided<[?], offset: ?>>) -> memref<?xf64, strided<[?], offset: ?>>
  %1 = "nir.binary"(%0, %a) {dtype = "float64", kind = "add"} : (memref<?xf64, strided<[?], offset: ?>>, memref<?xf64, strided<[?], offset: ?>>) -> memref<?xf64, strided<[?], offset: ?>>
  %2 = "nir.unary"(%1) {dtype = "float64", kind = "exp"} : (memref<?xf64, strided<[?], offset: ?>>) -> memref<?xf64, strided<[?], offset: ?>>
  return %2 : memref<?xf64, strided<[?], offset: ?>>
}
func.func @dot(%status: memref<i64>, %a: memref<?xf64, strided<[?], offset: ?>>, %b: memref<?xf64, strided<[?], offset: ?>>) -> f64 {
  %0 = "nir.binary"(%a, %b) {dtype = "float64", kind = "mul"} : (memref<?xf64, strided<[?], offset: ?>>, memref<?xf64, strided<[?], offset: ?>>) -> memref<?xf64, strided<[?], offset: ?>>
  %1 = "nir.reduce"(%0) {axes = array<i64: 0>, dtype = "float64", keepdims = false, kind = "sum"} : (memref<?xf64, strided<[?], offset: ?>>) -> f64
  return %1 : f64
}
