// nir-never-negative: `x < 0` (math.sqrt's domain check) folds to false where x is a
// sum of squares carried by a loop; it stays where the loop starts below zero.
// RUN: noodle-opt %s --nir-never-negative | FileCheck %s

// CHECK-LABEL: func.func @sum_of_squares
// CHECK-NOT: "nir.compare"
// CHECK: return %false
func.func @sum_of_squares(%x: memref<?xf64>, %n: index) -> i1 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.000000e+00 : f64
  %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f64) {
    %v = memref.load %x[%i] : memref<?xf64>
    %sq = "nir.binary"(%v, %v) {dtype = "float64", kind = "mul"} : (f64, f64) -> f64
    %next = "nir.binary"(%acc, %sq) {dtype = "float64", kind = "add"} : (f64, f64) -> f64
    scf.yield %next : f64
  }
  %bad = "nir.compare"(%s, %zero) {dtype = "float64", predicate = "lt"} : (f64, f64) -> i1
  return %bad : i1
}

// CHECK-LABEL: func.func @starts_negative
// CHECK: "nir.compare"
func.func @starts_negative(%x: memref<?xf64>, %n: index) -> i1 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.000000e+00 : f64
  %minus = arith.constant -1.000000e+00 : f64
  %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %minus) -> (f64) {
    %v = memref.load %x[%i] : memref<?xf64>
    %sq = "nir.binary"(%v, %v) {dtype = "float64", kind = "mul"} : (f64, f64) -> f64
    %next = "nir.binary"(%acc, %sq) {dtype = "float64", kind = "add"} : (f64, f64) -> f64
    scf.yield %next : f64
  }
  %bad = "nir.compare"(%s, %zero) {dtype = "float64", predicate = "lt"} : (f64, f64) -> i1
  return %bad : i1
}
