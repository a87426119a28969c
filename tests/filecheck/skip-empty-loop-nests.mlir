// skip-empty-loop-nests: a perfect nest of scf.for loops whose inner bounds are made
// outside it runs under one test that every inner loop has an iteration; a nest whose
// inner bound depends on the outer loop, or a loop carrying values, is left alone.
// RUN: noodle-opt %s --skip-empty-loop-nests | FileCheck %s

// CHECK-LABEL: func.func @fill(
// CHECK-SAME: %[[N:.*]]: index, %[[M:.*]]: index, %[[K:.*]]: index
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[RUNS_M:.*]] = arith.cmpi slt, %[[C0]], %[[M]] : index
// CHECK: %[[RUNS_K:.*]] = arith.cmpi slt, %[[C0]], %[[K]] : index
// CHECK: %[[RUNS:.*]] = arith.andi %[[RUNS_M]], %[[RUNS_K]] : i1
// CHECK: scf.if %[[RUNS]] {
// CHECK-NEXT: scf.for %{{.*}} = %[[C0]] to %[[N]]
// CHECK-NEXT: scf.for %{{.*}} = %[[C0]] to %[[M]]
// CHECK-NEXT: scf.for %{{.*}} = %[[C0]] to %[[K]]
// CHECK-LABEL: func.func @triangle(
// CHECK-NOT: scf.if
// CHECK-LABEL: func.func @carried(
// CHECK-NOT: scf.if
// CHECK: return

func.func @fill(%n: index, %m: index, %k: index, %a: memref<?x?x?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %m step %c1 {
      scf.for %l = %c0 to %k step %c1 {
        memref.store %zero, %a[%i, %j, %l] : memref<?x?x?xf64>
      }
    }
  }
  return
}

func.func @triangle(%n: index, %a: memref<?x?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %i step %c1 {
      memref.store %zero, %a[%i, %j] : memref<?x?xf64>
    }
  }
  return
}

func.func @carried(%n: index, %m: index) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%s = %zero) -> f64 {
    %t = scf.for %j = %c0 to %m step %c1 iter_args(%u = %s) -> f64 {
      scf.yield %u : f64
    }
    scf.yield %t : f64
  }
  return %r : f64
}
