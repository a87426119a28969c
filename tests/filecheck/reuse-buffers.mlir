// reuse-buffers: a temporary takes over the buffer of an earlier one that is dead by then;
// a buffer still used later, or one that escapes, keeps its own allocation.
// RUN: noodle-opt %s --reuse-buffers | FileCheck %s

// CHECK-LABEL: func.func @dead_first
func.func @dead_first(%n: index, %out: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  // CHECK: %[[A:.*]] = memref.alloc(%arg0) : memref<?xf64>
  // CHECK-NOT: memref.alloc
  // CHECK: memref.store %{{.*}}, %[[A]][%c0]
  // CHECK: memref.copy %[[A]], %arg1
  %a = memref.alloc(%n) : memref<?xf64>
  %x = memref.load %a[%c0] : memref<?xf64>
  %b = memref.alloc(%n) : memref<?xf64>
  memref.store %x, %b[%c0] : memref<?xf64>
  memref.copy %b, %out : memref<?xf64> to memref<?xf64>
  return
}

// CHECK-LABEL: func.func @still_used
func.func @still_used(%n: index, %out: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  // CHECK-COUNT-2: memref.alloc
  %a = memref.alloc(%n) : memref<?xf64>
  %b = memref.alloc(%n) : memref<?xf64>
  %x = memref.load %a[%c0] : memref<?xf64>
  memref.store %x, %b[%c0] : memref<?xf64>
  memref.copy %b, %out : memref<?xf64> to memref<?xf64>
  return
}

// CHECK-LABEL: func.func @escapes
func.func @escapes(%n: index) -> memref<?xf64> {
  // CHECK-COUNT-2: memref.alloc
  %a = memref.alloc(%n) : memref<?xf64>
  %b = memref.alloc(%n) : memref<?xf64>
  return %a : memref<?xf64>
}
