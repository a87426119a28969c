// apply-loop-hints: the back edge of a loop located in a "noodle.no_unroll" name (the
// branch to a block before its own) tells LLVM not to unroll the loop; the loop's other
// branches, and the branches of other loops, are left as they were.
// RUN: noodle-opt %s --apply-loop-hints --mlir-print-local-scope | FileCheck %s

// CHECK-LABEL: llvm.func @marked(
// CHECK: llvm.br ^bb1(%{{.*}} : i64)
// CHECK-NOT: loop_annotation
// CHECK: llvm.cond_br
// CHECK-NOT: loop_annotation
// CHECK: llvm.br ^bb1(%{{.*}} : i64) {loop_annotation = #llvm.loop_annotation<unroll = <disable = true>>}
// CHECK: llvm.return
llvm.func @marked(%n: i64) {
  %zero = llvm.mlir.constant(0 : i64) : i64
  %one = llvm.mlir.constant(1 : i64) : i64
  llvm.br ^header(%zero : i64) loc(#marked)
^header(%i: i64):
  %more = llvm.icmp "slt" %i, %n : i64
  llvm.cond_br %more, ^body, ^exit loc(#marked)
^body:
  %next = llvm.add %i, %one : i64
  llvm.br ^header(%next : i64) loc(#marked)
^exit:
  llvm.return
}

// CHECK-LABEL: llvm.func @unmarked(
// CHECK-NOT: loop_annotation
// CHECK: llvm.return
llvm.func @unmarked(%n: i64) {
  %zero = llvm.mlir.constant(0 : i64) : i64
  %one = llvm.mlir.constant(1 : i64) : i64
  llvm.br ^header(%zero : i64)
^header(%i: i64):
  %more = llvm.icmp "slt" %i, %n : i64
  llvm.cond_br %more, ^body, ^exit
^body:
  %next = llvm.add %i, %one : i64
  llvm.br ^header(%next : i64)
^exit:
  llvm.return
}

#marked = loc("noodle.no_unroll"("kernel.py":3:4))
