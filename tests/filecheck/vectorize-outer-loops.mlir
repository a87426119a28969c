// vectorize-outer-loops: a loop of step 1 holding an inner loop runs 4 (f64) or 8 (f32)
// of its iterations per trip, one per vector lane, then the iterations left over in the
// original loop, marked so that a second run changes nothing. A varying load with a
// unit-stride last index is a vector load, other varying loads one scalar per lane; a
// sum carried by the inner loop is a vector. Loops that read and write one memref, or
// two that may be one buffer, or whose inner bounds vary, are left alone. The inner loops
// of vector loops are located in a "noodle.no_unroll" name, which apply-loop-hints reads.
// RUN: noodle-opt %s --vectorize-outer-loops --mlir-print-debuginfo --mlir-print-local-scope \
// RUN:   | FileCheck %s
// RUN: noodle-opt %s --vectorize-outer-loops --vectorize-outer-loops --mlir-print-debuginfo \
// RUN:   --mlir-print-local-scope | FileCheck %s
// With 512-bit vectors (the JIT's choice where the host has AVX-512), twice the lanes:
// RUN: noodle-opt %s --pass-pipeline='builtin.module(vectorize-outer-loops{bits=512})' \
// RUN:   | FileCheck %s --check-prefix=WIDE

// WIDE-LABEL: func.func @distances(
// WIDE: scf.for {{.*}} step %c8{{.*}} {
// WIDE: math.sqrt %{{.*}} : vector<8xf64>
// WIDE-LABEL: func.func @column_sums(
// WIDE: vector.load %{{.*}} : memref<?x?xf32>, vector<16xf32>

// CHECK-LABEL: func.func @distances(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<?x?xf64>{{.*}}, %[[N:[a-z0-9]+]]: index{{.*}}, %[[I:[a-z0-9]+]]: index
// CHECK: %[[D:[a-z0-9_]+]] = memref.alloc
// CHECK: %[[AHEAD:[a-z0-9_]+]] = arith.cmpi sgt, %[[N]], %[[C0:[a-z0-9_]+]]
// CHECK: %[[DISTANCE:[a-z0-9_]+]] = arith.subi %[[N]], %[[C0]]
// CHECK: %[[COUNT:[a-z0-9_]+]] = arith.select %[[AHEAD]], %[[DISTANCE]]
// CHECK: %[[REST:[a-z0-9_]+]] = arith.remui %[[COUNT]], %c4
// CHECK: %[[WHOLE:[a-z0-9_]+]] = arith.subi %[[COUNT]], %[[REST]]
// CHECK: %[[END:[a-z0-9_]+]] = arith.addi %[[C0]], %[[WHOLE]]
// CHECK: scf.for %[[J:[a-z0-9_]+]] = %[[C0]] to %[[END]] step %c4{{.*}} {
// CHECK-DAG: %[[J1:[a-z0-9_]+]] = arith.addi %[[J]], %c1
// CHECK-DAG: %[[J2:[a-z0-9_]+]] = arith.addi %[[J]], %c2
// CHECK-DAG: %[[J3:[a-z0-9_]+]] = arith.addi %[[J]], %c3
// CHECK: %[[ZERO:[a-z0-9_]+]] = vector.broadcast %{{.*}} : f64 to vector<4xf64>
// CHECK: %[[SUM:[a-z0-9_]+]] = scf.for %[[K:[a-z0-9_]+]] = {{.*}} iter_args(%[[S:[a-z0-9_]+]] = %[[ZERO]]) -> (vector<4xf64>) {
// CHECK: %[[XI:[a-z0-9_]+]] = memref.load %[[X]][%[[I]], %[[K]]]
// CHECK: %[[X0:[a-z0-9_]+]] = memref.load %[[X]][%[[J]], %[[K]]]
// CHECK: %[[X1:[a-z0-9_]+]] = memref.load %[[X]][%[[J1]], %[[K]]]
// CHECK: %[[X2:[a-z0-9_]+]] = memref.load %[[X]][%[[J2]], %[[K]]]
// CHECK: %[[X3:[a-z0-9_]+]] = memref.load %[[X]][%[[J3]], %[[K]]]
// CHECK: %[[XIV:[a-z0-9_]+]] = vector.broadcast %[[XI]] : f64 to vector<4xf64>
// CHECK: %[[XJ:[a-z0-9_]+]] = vector.from_elements %[[X0]], %[[X1]], %[[X2]], %[[X3]] : vector<4xf64>
// CHECK: %[[T:[a-z0-9_]+]] = arith.subf %[[XIV]], %[[XJ]] : vector<4xf64>
// CHECK: %[[TT:[a-z0-9_]+]] = arith.mulf %[[T]], %[[T]] : vector<4xf64>
// CHECK: %[[NEXT:[a-z0-9_]+]] = arith.addf %[[S]], %[[TT]] : vector<4xf64>
// CHECK: scf.yield %[[NEXT]] : vector<4xf64>
// CHECK: } loc("noodle.no_unroll"("{{.*}}vectorize-outer-loops.mlir":{{[0-9]+}}:{{[0-9]+}}))
// CHECK: %[[ROOT:[a-z0-9_]+]] = math.sqrt %[[SUM]] : vector<4xf64>
// CHECK: vector.store %[[ROOT]], %[[D]][%[[I]], %[[J]]] : memref<?x?xf64>, vector<4xf64>
// CHECK: scf.for %{{.*}} = %[[END]] to %[[N]] step %c1
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: } {noodle.vector_remainder}
// CHECK-NOT: vector.
// CHECK: return
func.func @distances(%x: memref<?x?xf64>, %n: index, %i: index) -> memref<?x?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %m = memref.dim %x, %c1 : memref<?x?xf64>
  %d = memref.alloc(%n, %n) : memref<?x?xf64>
  scf.for %j = %c0 to %n step %c1 {
    %sum = scf.for %k = %c0 to %m step %c1 iter_args(%s = %zero) -> (f64) {
      %a = memref.load %x[%i, %k] : memref<?x?xf64>
      %b = memref.load %x[%j, %k] : memref<?x?xf64>
      %t = arith.subf %a, %b : f64
      %tt = arith.mulf %t, %t : f64
      %next = arith.addf %s, %tt : f64
      scf.yield %next : f64
    }
    %root = math.sqrt %sum : f64
    memref.store %root, %d[%i, %j] : memref<?x?xf64>
  }
  return %d : memref<?x?xf64>
}

// Column sums of a float32 matrix: the loads step along the lanes, so they are vector
// loads too, 8 to a vector.
// CHECK-LABEL: func.func @column_sums(
// CHECK: scf.for %[[J:[a-z0-9_]+]] = {{.*}} step %c8{{.*}} {
// CHECK: scf.for %[[K:[a-z0-9_]+]] = {{.*}} -> (vector<8xf32>) {
// CHECK: vector.load %{{.*}}[%[[K]], %[[J]]] : memref<?x?xf32>, vector<8xf32>
// CHECK: vector.store %{{.*}}, %{{.*}}[%[[J]]] : memref<?xf32>, vector<8xf32>
// CHECK: } {noodle.vector_remainder}
func.func @column_sums(%a: memref<?x?xf32>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %a, %c0 : memref<?x?xf32>
  %cols = memref.dim %a, %c1 : memref<?x?xf32>
  %out = memref.alloc(%cols) : memref<?xf32>
  scf.for %j = %c0 to %cols step %c1 {
    %sum = scf.for %k = %c0 to %rows step %c1 iter_args(%s = %zero) -> (f32) {
      %v = memref.load %a[%k, %j] : memref<?x?xf32>
      %next = arith.addf %s, %v : f32
      scf.yield %next : f32
    }
    memref.store %sum, %out[%j] : memref<?xf32>
  }
  return %out : memref<?xf32>
}

// The same on an argument, whose strides are known only at run time: the vector loop
// runs when its last stride is 1, on the argument typed as having that stride; else the
// original loop runs every iteration.
// CHECK-LABEL: func.func @argument_column_sums(
// CHECK-SAME: %[[A:[a-z0-9]+]]: memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[REST:[a-z0-9_]+]] = arith.remui
// CHECK: %[[WHOLE:[a-z0-9_]+]] = arith.subi %{{.*}}, %[[REST]]
// CHECK: %[[BASE:[a-z0-9_]+]], %[[OFFSET:[a-z0-9_]+]], %[[SIZES:[a-z0-9_]+]]:2, %[[STRIDES:[a-z0-9_]+]]:2 = memref.extract_strided_metadata %[[A]]
// CHECK: %[[UNIT:[a-z0-9_]+]] = arith.cmpi eq, %[[STRIDES]]#1, %c1
// CHECK: %[[RUN:[a-z0-9_]+]] = arith.select %[[UNIT]], %[[WHOLE]], %c0{{.*}}
// CHECK: %[[END:[a-z0-9_]+]] = arith.addi %c0, %[[RUN]]
// CHECK: scf.if %[[UNIT]] {
// CHECK: %[[ROWS:[a-z0-9_]+]] = memref.reinterpret_cast %[[BASE]] to offset: [%[[OFFSET]]], sizes: [%[[SIZES]]#0, %[[SIZES]]#1], strides: [%[[STRIDES]]#0, 1] : memref<f32> to memref<?x?xf32, strided<[?, 1], offset: ?>>
// CHECK: scf.for %[[J:[a-z0-9_]+]] = %c0 to %[[END]] step %c8{{.*}} {
// CHECK: vector.load %[[ROWS]][%{{.*}}, %[[J]]] : memref<?x?xf32, strided<[?, 1], offset: ?>>, vector<8xf32>
// CHECK: vector.store
// CHECK: }
// CHECK: }
// CHECK: scf.for %{{.*}} = %[[END]] to
// CHECK: memref.load %[[A]]
// CHECK: } {noodle.vector_remainder}
func.func @argument_column_sums(%a: memref<?x?xf32, strided<[?, ?], offset: ?>>)
    -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %a, %c0 : memref<?x?xf32, strided<[?, ?], offset: ?>>
  %cols = memref.dim %a, %c1 : memref<?x?xf32, strided<[?, ?], offset: ?>>
  %out = memref.alloc(%cols) : memref<?xf32>
  scf.for %j = %c0 to %cols step %c1 {
    %sum = scf.for %k = %c0 to %rows step %c1 iter_args(%s = %zero) -> (f32) {
      %v = memref.load %a[%k, %j] : memref<?x?xf32, strided<[?, ?], offset: ?>>
      %next = arith.addf %s, %v : f32
      scf.yield %next : f32
    }
    memref.store %sum, %out[%j] : memref<?xf32>
  }
  return %out : memref<?xf32>
}

// Both memrefs are arguments, which may be one buffer: left alone.
// CHECK-LABEL: func.func @into_an_argument(
// CHECK-NOT: vector.
// CHECK-NOT: noodle.vector_remainder
// CHECK: return
func.func @into_an_argument(%a: memref<?x?xf64>, %out: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %rows = memref.dim %a, %c0 : memref<?x?xf64>
  %cols = memref.dim %a, %c1 : memref<?x?xf64>
  scf.for %j = %c0 to %cols step %c1 {
    %sum = scf.for %k = %c0 to %rows step %c1 iter_args(%s = %zero) -> (f64) {
      %v = memref.load %a[%k, %j] : memref<?x?xf64>
      %next = arith.addf %s, %v : f64
      scf.yield %next : f64
    }
    memref.store %sum, %out[%j] : memref<?xf64>
  }
  return
}

// The inner loop's bound varies with j (a triangle): left alone.
// CHECK-LABEL: func.func @triangle(
// CHECK-NOT: vector.
// CHECK: return
func.func @triangle(%a: memref<?x?xf64>) -> memref<?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %cols = memref.dim %a, %c1 : memref<?x?xf64>
  %out = memref.alloc(%cols) : memref<?xf64>
  scf.for %j = %c0 to %cols step %c1 {
    %sum = scf.for %k = %c0 to %j step %c1 iter_args(%s = %zero) -> (f64) {
      %v = memref.load %a[%k, %j] : memref<?x?xf64>
      %next = arith.addf %s, %v : f64
      scf.yield %next : f64
    }
    memref.store %sum, %out[%j] : memref<?xf64>
  }
  return %out : memref<?xf64>
}

// A running sum that reads what the previous iteration wrote: left alone.
// CHECK-LABEL: func.func @reads_what_it_writes(
// CHECK-NOT: vector.
// CHECK: return
func.func @reads_what_it_writes(%a: memref<?x?xf64>) -> memref<?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %a, %c0 : memref<?x?xf64>
  %cols = memref.dim %a, %c1 : memref<?x?xf64>
  %out = memref.alloc(%cols) : memref<?xf64>
  scf.for %j = %c1 to %cols step %c1 {
    %before = arith.subi %j, %c1 : index
    %start = memref.load %out[%before] : memref<?xf64>
    %sum = scf.for %k = %c0 to %rows step %c1 iter_args(%s = %start) -> (f64) {
      %v = memref.load %a[%k, %j] : memref<?x?xf64>
      %next = arith.addf %s, %v : f64
      scf.yield %next : f64
    }
    memref.store %sum, %out[%j] : memref<?xf64>
  }
  return %out : memref<?xf64>
}

// Two arguments written: they may overlap, and lanes would reorder their stores.
// CHECK-LABEL: func.func @two_outputs(
// CHECK-NOT: vector.
// CHECK: return
func.func @two_outputs(%rows: index, %cols: index, %first: memref<?xf64>,
                       %second: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %a = memref.alloc(%rows, %cols) : memref<?x?xf64>
  scf.for %j = %c0 to %cols step %c1 {
    %sum = scf.for %k = %c0 to %rows step %c1 iter_args(%s = %zero) -> (f64) {
      %v = memref.load %a[%k, %j] : memref<?x?xf64>
      %next = arith.addf %s, %v : f64
      scf.yield %next : f64
    }
    memref.store %sum, %first[%j] : memref<?xf64>
    memref.store %sum, %second[%j] : memref<?xf64>
  }
  memref.dealloc %a : memref<?x?xf64>
  return
}

// An escape-time loop (mandelbrot's): a while loop whose condition varies runs while
// any lane is still in it; a mask says which lanes are, and each keeps the values it
// left with. The branch whose condition varies in its test becomes a select.
// CHECK-LABEL: func.func @escape_times(
// CHECK: scf.for %[[J:[a-z0-9_]+]] = {{.*}} step %c4{{.*}} {
// CHECK: %[[X:[a-z0-9_]+]] = vector.load %{{.*}}[%[[J]]] : memref<?xf64>, vector<4xf64>
// CHECK: %[[ALL:[a-z0-9_]+]] = arith.constant dense<true> : vector<4xi1>
// CHECK: %[[R:[a-z0-9_]+]]:5 = scf.while (%[[ACTIVE:[a-z0-9_]+]] = %[[ALL]], {{.*}}) : (vector<4xi1>, vector<4xi64>, vector<4xf64>, vector<4xi64>, vector<4xf64>) -> (vector<4xi1>, vector<4xi64>, vector<4xf64>, vector<4xi64>, vector<4xf64>) {
// CHECK: %[[MORE:[a-z0-9_]+]] = arith.cmpi slt, %{{.*}} : vector<4xi64>
// CHECK: %[[IN:[a-z0-9_]+]] = arith.cmpf ole, %{{.*}} : vector<4xf64>
// CHECK: %[[STAYS:[a-z0-9_]+]] = arith.select %[[MORE]], %[[IN]], %{{.*}} : vector<4xi1>, vector<4xi1>
// CHECK: %[[STILL:[a-z0-9_]+]] = arith.select %[[ACTIVE]], %[[STAYS]], %{{.*}} : vector<4xi1>, vector<4xi1>
// CHECK: %[[NOT:[a-z0-9_]+]] = arith.xori %[[STAYS]], %[[ALL]] : vector<4xi1>
// CHECK: %[[LEAVES:[a-z0-9_]+]] = arith.select %[[ACTIVE]], %[[NOT]], %{{.*}} : vector<4xi1>, vector<4xi1>
// CHECK: %[[KEPT:[a-z0-9_]+]] = arith.select %[[LEAVES]], %{{.*}}, %{{.*}} : vector<4xi1>, vector<4xi64>
// CHECK: %[[ANY:[a-z0-9_]+]] = vector.reduction <or>, %[[STILL]] : vector<4xi1> into i1
// CHECK: scf.condition(%[[ANY]]) %[[STILL]], {{.*}}, %[[KEPT]], {{.*}}
// CHECK: } do {
// CHECK: arith.addf %{{.*}}, %[[X]] : vector<4xf64>
// CHECK: scf.yield
// CHECK: vector.store %[[R]]#3, %{{.*}}[%[[J]]] : memref<?xi64>, vector<4xi64>
// CHECK: } {noodle.vector_remainder}
func.func @escape_times(%xs: memref<?xf64>, %limit: i64) -> memref<?xi64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %false = arith.constant false
  %c0_i64 = arith.constant 0 : i64
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant 0.0 : f64
  %four = arith.constant 4.0 : f64
  %n = memref.dim %xs, %c0 : memref<?xf64>
  %out = memref.alloc(%n) : memref<?xi64>
  scf.for %j = %c0 to %n step %c1 {
    %x = memref.load %xs[%j] : memref<?xf64>
    %r:2 = scf.while (%k = %c0_i64, %z = %zero) : (i64, f64) -> (i64, f64) {
      %more = arith.cmpi slt, %k, %limit : i64
      %go = scf.if %more -> (i1) {
        %zz = arith.mulf %z, %z : f64
        %in = arith.cmpf ole, %zz, %four : f64
        scf.yield %in : i1
      } else {
        scf.yield %false : i1
      }
      scf.condition(%go) %k, %z : i64, f64
    } do {
    ^bb0(%k: i64, %z: f64):
      %zz = arith.mulf %z, %z : f64
      %next = arith.addf %zz, %x : f64
      %k1 = arith.addi %k, %c1_i64 : i64
      scf.yield %k1, %next : i64, f64
    }
    memref.store %r#0, %out[%j] : memref<?xi64>
  }
  return %out : memref<?xi64>
}

// A while loop whose condition varies, around a load: a lane that has left the loop
// could read out of bounds, so each lane's load runs only while its lane is in the loop.
// CHECK-LABEL: func.func @escape_reads(
// CHECK: scf.while (%[[ACTIVE:[a-z0-9_]+]] = {{.*}}) : (vector<4xi1>, vector<4xi64>, vector<4xi64>)
// CHECK: %[[BIT:[a-z0-9_]+]] = vector.extract %[[ACTIVE]][0] : i1 from vector<4xi1>
// CHECK-NEXT: scf.if %[[BIT]] -> (f64) {
// CHECK-NEXT: memref.load
// CHECK: } else {
// CHECK-NEXT: %[[ZERO:[a-z0-9_]+]] = arith.constant 0.000000e+00 : f64
// CHECK-NEXT: scf.yield %[[ZERO]] : f64
// CHECK: vector.extract %[[ACTIVE]][3] : i1 from vector<4xi1>
// CHECK: scf.condition
// CHECK: return
func.func @escape_reads(%xs: memref<?xf64>, %table: memref<?xf64>) -> memref<?xi64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c0_i64 = arith.constant 0 : i64
  %c1_i64 = arith.constant 1 : i64
  %n = memref.dim %xs, %c0 : memref<?xf64>
  %out = memref.alloc(%n) : memref<?xi64>
  scf.for %j = %c0 to %n step %c1 {
    %x = memref.load %xs[%j] : memref<?xf64>
    %r = scf.while (%k = %c0_i64) : (i64) -> i64 {
      %i = arith.index_cast %k : i64 to index
      %v = memref.load %table[%i] : memref<?xf64>
      %go = arith.cmpf olt, %v, %x : f64
      scf.condition(%go) %k : i64
    } do {
    ^bb0(%k: i64):
      %k1 = arith.addi %k, %c1_i64 : i64
      scf.yield %k1 : i64
    }
    memref.store %r, %out[%j] : memref<?xi64>
  }
  return %out : memref<?xi64>
}

// A branch whose condition varies, around an integer division: a lane that does not
// take the branch may divide by zero. Left alone.
// CHECK-LABEL: func.func @divide_where_nonzero(
// CHECK-NOT: vector.
// CHECK: return
func.func @divide_where_nonzero(%a: memref<?x?xi64>) -> memref<?xi64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c0_i64 = arith.constant 0 : i64
  %c100_i64 = arith.constant 100 : i64
  %rows = memref.dim %a, %c0 : memref<?x?xi64>
  %cols = memref.dim %a, %c1 : memref<?x?xi64>
  %out = memref.alloc(%cols) : memref<?xi64>
  scf.for %j = %c0 to %cols step %c1 {
    %sum = scf.for %k = %c0 to %rows step %c1 iter_args(%s = %c0_i64) -> (i64) {
      %v = memref.load %a[%k, %j] : memref<?x?xi64>
      %nonzero = arith.cmpi ne, %v, %c0_i64 : i64
      %q = scf.if %nonzero -> (i64) {
        %d = arith.divsi %c100_i64, %v : i64
        scf.yield %d : i64
      } else {
        scf.yield %c0_i64 : i64
      }
      %next = arith.addi %s, %q : i64
      scf.yield %next : i64
    }
    memref.store %sum, %out[%j] : memref<?xi64>
  }
  return %out : memref<?xi64>
}

// A store in a branch whose condition varies: masked to the lanes that take the branch.
// CHECK-LABEL: func.func @positive_column_sums(
// CHECK: scf.for %[[J:[a-z0-9_]+]] = {{.*}} step %c4{{.*}} {
// CHECK: %[[SUM:[a-z0-9_]+]] = scf.for {{.*}} -> (vector<4xf64>) {
// CHECK: %[[POSITIVE:[a-z0-9_]+]] = arith.cmpf ogt, %[[SUM]], %{{.*}} : vector<4xf64>
// CHECK: vector.maskedstore %{{.*}}[%[[J]]], %[[POSITIVE]], %[[SUM]] : memref<?xf64>, vector<4xi1>, vector<4xf64>
// CHECK: } {noodle.vector_remainder}
func.func @positive_column_sums(%a: memref<?x?xf64>) -> memref<?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %rows = memref.dim %a, %c0 : memref<?x?xf64>
  %cols = memref.dim %a, %c1 : memref<?x?xf64>
  %out = memref.alloc(%cols) : memref<?xf64>
  scf.for %j = %c0 to %cols step %c1 {
    %sum = scf.for %k = %c0 to %rows step %c1 iter_args(%s = %zero) -> (f64) {
      %v = memref.load %a[%k, %j] : memref<?x?xf64>
      %next = arith.addf %s, %v : f64
      scf.yield %next : f64
    }
    %positive = arith.cmpf ogt, %sum, %zero : f64
    scf.if %positive {
      memref.store %sum, %out[%j] : memref<?xf64>
    }
  }
  return %out : memref<?xf64>
}
