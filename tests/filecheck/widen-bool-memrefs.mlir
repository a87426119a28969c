// widen-bool-memrefs: memrefs of i1 become memrefs of i8 (NumPy's bool layout, and LLVM's
// memref lowering aborts on i1 stores): stores zero-extend, loads truncate.
// RUN: noodle-opt %s --widen-bool-memrefs | FileCheck %s

// CHECK-LABEL: func.func @flags
func.func @flags(%n: index, %v: i1) -> i1 {
  %c0 = arith.constant 0 : index
  // CHECK: %[[A:.*]] = memref.alloc(%arg0) : memref<?xi8>
  // CHECK: %[[WIDE:.*]] = arith.extui %arg1 : i1 to i8
  // CHECK: memref.store %[[WIDE]], %[[A]][%c0] : memref<?xi8>
  // CHECK: %[[BYTE:.*]] = memref.load %[[A]][%c0] : memref<?xi8>
  // CHECK: %[[BIT:.*]] = arith.trunci %[[BYTE]] : i8 to i1
  // CHECK: memref.dealloc %[[A]] : memref<?xi8>
  // CHECK: return %[[BIT]] : i1
  // CHECK-NOT: xi1
  %a = memref.alloc(%n) : memref<?xi1>
  memref.store %v, %a[%c0] : memref<?xi1>
  %x = memref.load %a[%c0] : memref<?xi1>
  memref.dealloc %a : memref<?xi1>
  return %x : i1
}
