// nir-cleanup: unused nir ops removed, repeated pure ones computed once (upstream cse and
// canonicalize leave IRDL ops alone: they have no traits).
// RUN: noodle-opt %s --nir-cleanup | FileCheck %s
// RUN: noodle-opt %s --cse --canonicalize | FileCheck %s --check-prefix=UPSTREAM

!m = memref<?xf64, strided<[?], offset: ?>>

// CHECK-LABEL: func.func @repeated
func.func @repeated(%a: !m) -> !m {
  %three = arith.constant 3.0 : f64
  // CHECK: %[[EXP:.*]] = "nir.unary"(%arg0) {dtype = "float64", kind = "exp"}
  // CHECK-NEXT: %[[SUM:.*]] = "nir.binary"(%[[EXP]], %[[EXP]]) {dtype = "float64", kind = "add"}
  // CHECK-NEXT: return %[[SUM]]
  // UPSTREAM-COUNT-2: "nir.unary"
  // UPSTREAM: kind = "mul"
  %0 = "nir.unary"(%a) {dtype = "float64", kind = "exp"} : (!m) -> !m
  %1 = "nir.unary"(%a) {dtype = "float64", kind = "exp"} : (!m) -> !m
  %unused = "nir.binary"(%a, %three) {dtype = "float64", kind = "mul"} : (!m, f64) -> !m
  %2 = "nir.binary"(%0, %1) {dtype = "float64", kind = "add"} : (!m, !m) -> !m
  return %2 : !m
}
