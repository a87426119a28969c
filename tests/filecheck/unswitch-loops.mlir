// unswitch-loops: a loop carrying a flag (an error found), whose body tests a condition
// no iteration changes, becomes a test before two copies of the loop, one per outcome;
// canonicalisation then removes the flag from the copy where it stays false. Conditions
// that change in the loop, or that need an integer division to compute (undefined for a
// zero divisor, so not computed where the loop would not), and loops that carry no flag
// are left alone.
// RUN: noodle-opt %s --unswitch-loops | FileCheck %s
// RUN: noodle-opt %s --unswitch-loops --canonicalize | FileCheck %s --check-prefix=CLEAN

// CHECK-LABEL: func.func @divide_by_length_less_one(
// CHECK-SAME: %[[STATUS:[a-z0-9]+]]: memref<i64>, %[[A:[a-z0-9]+]]: memref<?xf64>, %[[N:[a-z0-9]+]]: i64
// CHECK: %[[M:[a-z0-9_]+]] = arith.subi %[[N]], %c1_i64
// CHECK: %[[ZERO:[a-z0-9_]+]] = arith.cmpi eq, %[[M]], %c0_i64
// CHECK: %[[FAILED:[a-z0-9_]+]] = scf.if %[[ZERO]] -> (i1) {
// CHECK: %[[TRUE:[a-z0-9_]+]] = arith.constant true
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.andi %[[TRUE]],
// CHECK: } else {
// CHECK: %[[FALSE:[a-z0-9_]+]] = arith.constant false
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.andi %[[FALSE]],
// CHECK: }
// CHECK: return %[[FAILED]]

// CLEAN-LABEL: func.func @divide_by_length_less_one(
// CLEAN: scf.if %{{.*}} -> (i1) {
// CLEAN: scf.for {{.*}} iter_args
// CLEAN: memref.store %c2_i64
// CLEAN: scf.yield %{{[0-9]+}} : i1
// CLEAN-NEXT: } else {
// CLEAN-NEXT: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 {
// CLEAN-NOT: memref.store %c2_i64
// CLEAN: arith.divf
// CLEAN-NEXT: memref.store
// CLEAN-NEXT: }
// CLEAN-NEXT: scf.yield %false : i1
func.func @divide_by_length_less_one(%status: memref<i64>, %a: memref<?xf64>, %n: i64)
    -> i1 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %false = arith.constant false
  %true = arith.constant true
  %c0_i64 = arith.constant 0 : i64
  %c1_i64 = arith.constant 1 : i64
  %c2_i64 = arith.constant 2 : i64
  %one = arith.constant 1.0 : f64
  %length = memref.dim %a, %c0 : memref<?xf64>
  %failed = scf.for %i = %c0 to %length step %c1 iter_args(%flag = %false) -> (i1) {
    %next = scf.if %flag -> (i1) {
      scf.yield %true : i1
    } else {
      %m = arith.subi %n, %c1_i64 : i64
      %zero = arith.cmpi eq, %m, %c0_i64 : i64
      %ok = arith.xori %flag, %true : i1
      %report = arith.andi %zero, %ok : i1
      scf.if %report {
        memref.store %c2_i64, %status[] : memref<i64>
      }
      %d = arith.sitofp %m : i64 to f64
      %divisor = arith.select %zero, %one, %d : f64
      %v = memref.load %a[%i] : memref<?xf64>
      %q = arith.divf %v, %divisor : f64
      scf.if %report {
      } else {
        memref.store %q, %a[%i] : memref<?xf64>
      }
      scf.yield %report : i1
    }
    scf.yield %next : i1
  }
  return %failed : i1
}

// The condition depends on what the loop loads: left alone.
// CHECK-LABEL: func.func @varying_condition(
// CHECK-NOT: scf.if {{.*}} -> (i1) {
// CHECK: scf.for
// CHECK: return
func.func @varying_condition(%a: memref<?xf64>) -> i1 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %false = arith.constant false
  %zero = arith.constant 0.0 : f64
  %length = memref.dim %a, %c0 : memref<?xf64>
  %found = scf.for %i = %c0 to %length step %c1 iter_args(%flag = %false) -> (i1) {
    %v = memref.load %a[%i] : memref<?xf64>
    %negative = arith.cmpf olt, %v, %zero : f64
    %any = arith.ori %flag, %negative : i1
    scf.if %negative {
      memref.store %zero, %a[%i] : memref<?xf64>
    }
    scf.yield %any : i1
  }
  return %found : i1
}

// The condition needs an integer division: left alone.
// CHECK-LABEL: func.func @condition_needs_a_division(
// CHECK-NOT: scf.if {{.*}} -> (i1) {
// CHECK: scf.for
// CHECK: arith.divsi
// CHECK: return
func.func @condition_needs_a_division(%a: memref<?xi64>, %n: i64, %d: i64) -> i1 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %false = arith.constant false
  %c0_i64 = arith.constant 0 : i64
  %length = memref.dim %a, %c0 : memref<?xi64>
  %found = scf.for %i = %c0 to %length step %c1 iter_args(%flag = %false) -> (i1) {
    %q = arith.divsi %n, %d : i64
    %big = arith.cmpi sgt, %q, %c0_i64 : i64
    %any = arith.ori %flag, %big : i1
    scf.if %big {
      memref.store %q, %a[%i] : memref<?xi64>
    }
    scf.yield %any : i1
  }
  return %found : i1
}

// No flag carried: left alone (nothing to remove; LLVM unswitches such loops itself).
// CHECK-LABEL: func.func @no_flag(
// CHECK-NOT: scf.if {{.*}} -> (
// CHECK: scf.for
// CHECK: return
func.func @no_flag(%a: memref<?xf64>, %n: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c0_i64 = arith.constant 0 : i64
  %zero = arith.constant 0.0 : f64
  %length = memref.dim %a, %c0 : memref<?xf64>
  scf.for %i = %c0 to %length step %c1 {
    %positive = arith.cmpi sgt, %n, %c0_i64 : i64
    scf.if %positive {
      memref.store %zero, %a[%i] : memref<?xf64>
    }
  }
  return
}

// The condition is made before the loop already: the loop is unswitched on it as is.
// CHECK-LABEL: func.func @condition_made_before(
// CHECK-SAME: %[[A:[a-z0-9]+]]: memref<?xf64>, %[[BAD:[a-z0-9]+]]: i1
// CHECK-NEXT: arith.constant
// CHECK: %[[FAILED:[a-z0-9_]+]] = scf.if %[[BAD]] -> (i1) {
// CHECK: %[[TRUE:[a-z0-9_]+]] = arith.constant true
// CHECK: scf.for
// CHECK: arith.andi %[[TRUE]],
// CHECK: } else {
// CHECK: %[[FALSE:[a-z0-9_]+]] = arith.constant false
// CHECK: scf.for
// CHECK: arith.andi %[[FALSE]],
// CHECK: return %[[FAILED]]
func.func @condition_made_before(%a: memref<?xf64>, %bad: i1) -> i1 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %false = arith.constant false
  %true = arith.constant true
  %zero = arith.constant 0.0 : f64
  %length = memref.dim %a, %c0 : memref<?xf64>
  %failed = scf.for %i = %c0 to %length step %c1 iter_args(%flag = %false) -> (i1) {
    %ok = arith.xori %flag, %true : i1
    %report = arith.andi %bad, %ok : i1
    scf.if %report {
    } else {
      memref.store %zero, %a[%i] : memref<?xf64>
    }
    %next = arith.ori %flag, %report : i1
    scf.yield %next : i1
  }
  return %failed : i1
}
