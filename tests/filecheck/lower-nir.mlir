// lower-nir: every nir op becomes upstream MLIR on memrefs (linalg, memref, arith, math);
// the result then goes on through upstream passes in the same pipeline.
// RUN: noodle-opt %s --lower-nir | FileCheck %s
// RUN: noodle-opt %s --pass-pipeline='builtin.module(lower-nir,convert-linalg-to-loops,canonicalize,cse)' \
// RUN:   | FileCheck %s --check-prefix=LOOPS

!m = memref<?xf64, strided<[?], offset: ?>>

// CHECK-LABEL: func.func @expr
// LOOPS-LABEL: func.func @expr
func.func @expr(%a: !m) -> !m {
  %two = arith.constant 2.0 : f64
  // CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?xf64>
  // CHECK: linalg.generic
  // CHECK: math.exp
  // CHECK: linalg.generic
  // CHECK: arith.mulf
  // CHECK-NOT: "nir.
  // LOOPS: scf.for
  // LOOPS: math.exp
  // LOOPS-NOT: linalg.generic
  %0 = "nir.unary"(%a) {dtype = "float64", kind = "exp"} : (!m) -> !m
  %1 = "nir.binary"(%0, %two) {dtype = "float64", kind = "mul"} : (!m, f64) -> !m
  return %1 : !m
}

// CHECK-LABEL: func.func @compare
func.func @compare(%a: !m) -> memref<?xi1, strided<[?], offset: ?>> {
  %zero = arith.constant 0.0 : f64
  // CHECK: arith.cmpf ogt
  // CHECK-NOT: "nir.
  %0 = "nir.compare"(%a, %zero) {dtype = "float64", predicate = "gt"} : (!m, f64) -> memref<?xi1, strided<[?], offset: ?>>
  return %0 : memref<?xi1, strided<[?], offset: ?>>
}
