// gpu-libdevice-calls: in a lowered gpu.module, the C library's math functions that
// libdevice has (reached through convert-gpu-to-nvvm's `_mlir_ciface_` wrappers) are
// declared and called as libdevice's `__nv_` functions; other functions, and calls
// outside gpu.modules, keep their names.
// RUN: noodle-opt %s --gpu-libdevice-calls | FileCheck %s

// CHECK-LABEL: func.func @host
// CHECK: call @_mlir_ciface_expm1
// CHECK-LABEL: gpu.module @kernels
// CHECK: llvm.func @__nv_expm1(f64) -> f64
// CHECK: llvm.func @__nv_log1pf(f32) -> f32
// CHECK: llvm.func @_mlir_ciface_cbrt(f64) -> f64
// CHECK: llvm.func @k(
// CHECK: llvm.call @__nv_expm1(%{{.*}}) : (f64) -> f64
// CHECK: llvm.call @__nv_log1pf(%{{.*}}) : (f32) -> f32
// CHECK: llvm.call @_mlir_ciface_cbrt(%{{.*}}) : (f64) -> f64
// CHECK-NOT: _mlir_ciface_{{(expm1|log1pf)}}

module attributes {gpu.container_module} {
  func.func private @_mlir_ciface_expm1(f64) -> f64
  func.func @host(%x: f64) -> f64 {
    %0 = call @_mlir_ciface_expm1(%x) : (f64) -> f64
    return %0 : f64
  }
  gpu.module @kernels {
    llvm.func @_mlir_ciface_expm1(f64) -> f64
    llvm.func @_mlir_ciface_log1pf(f32) -> f32
    llvm.func @_mlir_ciface_cbrt(f64) -> f64
    llvm.func @k(%x: f64, %y: f32) -> f64 {
      %0 = llvm.call @_mlir_ciface_expm1(%x) : (f64) -> f64
      %1 = llvm.call @_mlir_ciface_log1pf(%y) : (f32) -> f32
      %2 = llvm.call @_mlir_ciface_cbrt(%0) : (f64) -> f64
      llvm.return %2 : f64
    }
  }
}
