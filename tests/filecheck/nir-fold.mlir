// nir-fold: elementwise ops on uniform arrays become one uniform array (nir.full of the
// scalar result); nir-cleanup then drops the fulls nobody uses.
// RUN: noodle-opt %s --nir-fold | FileCheck %s
// RUN: noodle-opt %s --nir-fold --nir-cleanup | FileCheck %s --check-prefix=CLEAN

!m = memref<?xf64, strided<[?], offset: ?>>

// CHECK-LABEL: func.func @uniform
// CLEAN-LABEL: func.func @uniform
func.func @uniform(%n: index) -> !m {
  %zero = arith.constant 0.0 : f64
  %one = arith.constant 1.0 : f64
  %z = "nir.full"(%zero, %n) {dtype = "float64"} : (f64, index) -> !m
  %o = "nir.full"(%one, %n) {dtype = "float64"} : (f64, index) -> !m
  // CHECK-NOT: "nir.binary"
  // CHECK: %[[SUM:.*]] = arith.addf %[[Z:.*]], %[[O:.*]] : f64
  // CHECK-NEXT: %[[FULL:.*]] = "nir.full"(%[[SUM]], %arg0) {dtype = "float64"}
  // CHECK-NEXT: return %[[FULL]]
  // CLEAN-COUNT-1: "nir.full"
  // CLEAN-NOT: "nir.full"
  %s = "nir.binary"(%z, %o) {dtype = "float64", kind = "add"} : (!m, !m) -> !m
  return %s : !m
}
