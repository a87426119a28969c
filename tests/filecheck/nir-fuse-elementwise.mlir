// nir-fuse-elementwise: producers computed inside their user's loop are marked `fused`;
// lower-nir then emits one linalg.generic for the whole expression, with no temporary.
// RUN: noodle-opt %s --nir-fuse-elementwise | FileCheck %s
// RUN: noodle-opt %s --pass-pipeline='builtin.module(nir-fuse-elementwise,lower-nir,canonicalize)' \
// RUN:   | FileCheck %s --check-prefix=LOWERED

!m = memref<?xf64, strided<[?], offset: ?>>

// CHECK-LABEL: func.func @fuse
// LOWERED-LABEL: func.func @fuse
func.func @fuse(%a: !m, %b: !m) -> !m {
  %one = arith.constant 1.0 : f64
  // CHECK: "nir.unary"(%arg0) {dtype = "float64", fused, kind = "exp"}
  // CHECK: "nir.binary"({{.*}}) {dtype = "float64", fused, kind = "mul"}
  // CHECK: "nir.binary"({{.*}}) {dtype = "float64", kind = "add"}
  // LOWERED-COUNT-1: memref.alloc
  // LOWERED-COUNT-1: linalg.generic
  // LOWERED: math.exp
  // LOWERED-NEXT: arith.mulf
  // LOWERED-NEXT: arith.addf
  // LOWERED-NOT: linalg.generic
  // LOWERED-NOT: "nir.
  %0 = "nir.unary"(%a) {dtype = "float64", kind = "exp"} : (!m) -> !m
  %1 = "nir.binary"(%0, %b) {dtype = "float64", kind = "mul"} : (!m, !m) -> !m
  %2 = "nir.binary"(%1, %one) {dtype = "float64", kind = "add"} : (!m, f64) -> !m
  return %2 : !m
}
