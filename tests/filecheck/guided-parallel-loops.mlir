// guided-parallel-loops: a one-dimensional scf.parallel loop becomes a loop over chunks
// (at most 4 per thread of the async runtime, never more than its iterations), each a
// serial scf.for over the chunk's iterations, which carries the old body. The loop over
// chunks is marked, so a second run changes nothing; loops of several dimensions and
// loops with results are left alone.
// RUN: noodle-opt %s --guided-parallel-loops | FileCheck %s
// RUN: noodle-opt %s --guided-parallel-loops --guided-parallel-loops | FileCheck %s

// CHECK-LABEL: func.func @rows(
// CHECK-SAME: %[[M:[a-z0-9]+]]: memref<?xf64>, %[[LO:[a-z0-9]+]]: index, %[[HI:[a-z0-9]+]]: index
// CHECK-DAG: %[[STEP:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.0
// CHECK: %[[AHEAD:.*]] = arith.cmpi sgt, %[[HI]], %[[LO]]
// CHECK: %[[DISTANCE:.*]] = arith.subi %[[HI]], %[[LO]]
// CHECK: %[[TRIPS:.*]] = arith.ceildivui %[[DISTANCE]], %[[STEP]]
// CHECK: %[[COUNT:.*]] = arith.select %[[AHEAD]], %[[TRIPS]]
// CHECK: %[[THREADS:.*]] = async.runtime.num_worker_threads : index
// CHECK: %[[WANTED:.*]] = arith.muli %[[THREADS]], %c4 : index
// CHECK: %[[CAPPED:.*]] = arith.minui %[[WANTED]], %c4096
// CHECK: %[[CHUNKS:.*]] = arith.minui %[[COUNT]], %[[CAPPED]]
// CHECK: scf.parallel (%[[CHUNK:.*]]) = (%c0) to (%[[CHUNKS]]) step (%c1) {
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %c1 {
// CHECK-NEXT: %[[OFFSET:.*]] = arith.muli %[[K]], %[[STEP]]
// CHECK-NEXT: %[[I:.*]] = arith.addi %[[LO]], %[[OFFSET]]
// CHECK-NEXT: memref.store %[[ONE]], %[[M]][%[[I]]]
// CHECK-NEXT: }
// CHECK-NEXT: scf.reduce
// CHECK-NEXT: } {noodle.guided_chunks}
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @rows(%m: memref<?xf64>, %lo: index, %hi: index) {
  %c3 = arith.constant 3 : index
  %one = arith.constant 1.0 : f64
  scf.parallel (%i) = (%lo) to (%hi) step (%c3) {
    memref.store %one, %m[%i] : memref<?xf64>
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT: num_worker_threads
// CHECK-NOT: scf.for
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0)
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%arg1) step (%c1) init
func.func @left_alone(%m: memref<?x?xf64>, %n: index) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %n) step (%c1, %c1) {
    memref.store %zero, %m[%i, %j] : memref<?x?xf64>
    scf.reduce
  }
  %s = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f64 {
    %x = memref.load %m[%i, %i] : memref<?x?xf64>
    scf.reduce(%x : f64) {
    ^bb0(%a: f64, %b: f64):
      %t = arith.addf %a, %b : f64
      scf.reduce.return %t : f64
    }
  }
  return %s : f64
}
