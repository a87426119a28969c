// check-allocations: in a function marked `noodle.status_cell`, the size in bytes of an
// allocation with dynamic sizes is checked for overflow before it (a size that would
// wrap allocates nothing instead), and its pointer for null after it; either failure
// stores a status code and calls the marker. An allocation of static sizes is checked
// for null only; a function without the mark is left alone.
// RUN: noodle-opt %s --check-allocations | FileCheck %s

// CHECK-LABEL: func.func private @kernel(
// CHECK-SAME: %[[STATUS:.*]]: memref<i64>, %[[N:.*]]: index, %[[M:.*]]: index)
// CHECK-NOT: noodle.status_cell
// CHECK: %[[ROW:.*]] = arith.constant 24 : i64
// CHECK: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: %{{.*}}, %[[HIGH:.*]] = arith.mului_extended %[[ROW]], %[[N64]] : i64
// CHECK: arith.mului_extended
// CHECK: %[[NEGATIVE:.*]] = arith.cmpi slt
// CHECK: %[[BIG:.*]] = arith.ori %{{.*}}, %[[NEGATIVE]] : i1
// CHECK: %[[N2:.*]] = arith.select %[[BIG]], %{{.*}}, %[[N]] : index
// CHECK: %[[M2:.*]] = arith.select %[[BIG]], %{{.*}}, %[[M]] : index
// CHECK: %[[A:.*]] = memref.alloc(%[[N2]], %[[M2]]) : memref<?x3x?xf64>
// CHECK: %[[POINTER:.*]] = memref.extract_aligned_pointer_as_index %[[A]]
// CHECK: %[[NULL:.*]] = arith.cmpi eq, %[[POINTER]]
// CHECK: %[[FAILED:.*]] = arith.ori %[[BIG]], %[[NULL]] : i1
// CHECK: scf.if %[[FAILED]] {
// CHECK: memref.store %{{.*}}, %[[STATUS]][] : memref<i64>
// CHECK: func.call @noodle_allocation_failed() : () -> ()
// CHECK: memref.alloc() : memref<4xi1>
// CHECK-NEXT: memref.extract_aligned_pointer_as_index
// CHECK-NEXT: arith.constant 0 : index
// CHECK-NEXT: arith.cmpi eq
// CHECK-NEXT: arith.constant 1 : i64
// CHECK-NEXT: scf.if
// CHECK-LABEL: func.func private @unmarked(
// CHECK-NEXT: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-NEXT: return
// CHECK: func.func private @noodle_allocation_failed()

module {
  func.func private @kernel(%status: memref<i64>, %n: index, %m: index)
      attributes {noodle.status_cell} {
    %a = memref.alloc(%n, %m) : memref<?x3x?xf64>
    %b = memref.alloc() : memref<4xi1>
    memref.dealloc %a : memref<?x3x?xf64>
    memref.dealloc %b : memref<4xi1>
    return
  }
  func.func private @unmarked(%n: index) -> memref<?xf32> {
    %a = memref.alloc(%n) : memref<?xf32>
    return %a : memref<?xf32>
  }
}
