// nir-simplify: arithmetic with an identity on arrays becomes a copy; a + 0.0 stays
// (it turns -0.0 into 0.0). Nested under func.func, the noodle pass runs on each function.
// RUN: noodle-opt %s --nir-simplify | FileCheck %s
// RUN: noodle-opt %s --pass-pipeline='builtin.module(func.func(nir-simplify))' | FileCheck %s

!m = memref<?xf64, strided<[?], offset: ?>>

// CHECK-LABEL: func.func @identities
func.func @identities(%a: !m) -> !m {
  %one = arith.constant 1.0 : f64
  %zero = arith.constant 0.0 : f64
  // CHECK: %[[MUL:.*]] = "nir.copy"(%arg0) {dtype = "float64"}
  %0 = "nir.binary"(%a, %one) {dtype = "float64", kind = "mul"} : (!m, f64) -> !m
  // CHECK-NEXT: %[[ADD:.*]] = "nir.binary"(%[[MUL]], %{{.*}}) {dtype = "float64", kind = "add"}
  %1 = "nir.binary"(%0, %zero) {dtype = "float64", kind = "add"} : (!m, f64) -> !m
  // CHECK-NEXT: %[[SUB:.*]] = "nir.copy"(%[[ADD]])
  %2 = "nir.binary"(%1, %zero) {dtype = "float64", kind = "sub"} : (!m, f64) -> !m
  // CHECK-NEXT: return %[[SUB]]
  return %2 : !m
}

// CHECK-LABEL: func.func @not_identities
func.func @not_identities(%a: !m) -> !m {
  %two = arith.constant 2.0 : f64
  // CHECK-NOT: nir.copy
  // CHECK: "nir.binary"({{.*}}) {dtype = "float64", kind = "mul"}
  %0 = "nir.binary"(%a, %two) {dtype = "float64", kind = "mul"} : (!m, f64) -> !m
  return %0 : !m
}
