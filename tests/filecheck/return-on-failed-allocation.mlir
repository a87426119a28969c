// return-on-failed-allocation: each call of the marker `check-allocations` leaves ends a
// block of its own; the call and the branch after it become a return, of a zero value
// where the function returns one, and the marker's declaration goes.
// RUN: noodle-opt %s --return-on-failed-allocation | FileCheck %s

// CHECK-NOT: noodle_allocation_failed
// CHECK-LABEL: llvm.func @kernel(
// CHECK: llvm.store
// CHECK-NEXT: %[[ZERO:.*]] = llvm.mlir.zero : !llvm.struct<(ptr, i64)>
// CHECK-NEXT: llvm.return %[[ZERO]] : !llvm.struct<(ptr, i64)>
// CHECK-LABEL: llvm.func @task(
// CHECK: ^bb1:
// CHECK-NEXT: llvm.return{{$}}
// CHECK-NOT: noodle_allocation_failed

module {
  llvm.func @noodle_allocation_failed()
  llvm.func @kernel(%status: !llvm.ptr, %p: !llvm.ptr, %n: i64) -> !llvm.struct<(ptr, i64)> {
    %null = llvm.mlir.zero : !llvm.ptr
    %failed = llvm.icmp "eq" %p, %null : !llvm.ptr
    llvm.cond_br %failed, ^bb1, ^bb2
  ^bb1:
    %code = llvm.mlir.constant(3 : i64) : i64
    llvm.store %code, %status : i64, !llvm.ptr
    llvm.call @noodle_allocation_failed() : () -> ()
    llvm.br ^bb2
  ^bb2:
    %u = llvm.mlir.undef : !llvm.struct<(ptr, i64)>
    %r0 = llvm.insertvalue %p, %u[0] : !llvm.struct<(ptr, i64)>
    %r1 = llvm.insertvalue %n, %r0[1] : !llvm.struct<(ptr, i64)>
    llvm.return %r1 : !llvm.struct<(ptr, i64)>
  }
  llvm.func @task(%p: !llvm.ptr) {
    %null = llvm.mlir.zero : !llvm.ptr
    %failed = llvm.icmp "eq" %p, %null : !llvm.ptr
    llvm.cond_br %failed, ^bb1, ^bb2
  ^bb1:
    llvm.call @noodle_allocation_failed() : () -> ()
    llvm.br ^bb2
  ^bb2:
    llvm.return
  }
}
