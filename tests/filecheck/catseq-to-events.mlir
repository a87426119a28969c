// catseq-to-events: each sequence function becomes per-board event tables (time, channel,
// opcode, value, duration), verified first by catseq-verify in the same pipeline.
// RUN: noodle-opt %s --pass-pipeline="builtin.module(catseq-verify,catseq-to-events)" | FileCheck %s

// CHECK-LABEL: func.func @sequence() {
// CHECK-NEXT: "catseq.events"() {board = "mlir0", channel = array<i32: 0, 1, 0, 1, 0, 1, 0>,
// CHECK-SAME: opcode = array<i32: 1, 1, 2, 2, 3, 3, 2>, time = array<i64: 0, 0, 0, 0, 100, 200, 200>
// CHECK-NEXT: "catseq.events"() {board = "mlir1", channel = array<i32: 5, 5, 5>,
// CHECK-SAME: time = array<i64: 0, 200, 205>
// CHECK-NEXT: return
// CHECK-NOT: "catseq.
func.func @sequence() -> !catseq.morphism {
  %0 = "catseq.channel"() {board = "mlir0", index = 0 : i64} : () -> !catseq.chan<"ttl">
  %1 = "catseq.channel"() {board = "mlir0", index = 1 : i64} : () -> !catseq.chan<"ttl">
  %2 = "catseq.channel"() {board = "mlir1", index = 5 : i64} : () -> !catseq.chan<"ttl">
  %3 = "catseq.initialize"(%0) : (!catseq.chan<"ttl">) -> !catseq.morphism
  %4 = "catseq.initialize"(%1) : (!catseq.chan<"ttl">) -> !catseq.morphism
  %5 = "catseq.tensor"(%3, %4) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  %6 = "catseq.initialize"(%2) : (!catseq.chan<"ttl">) -> !catseq.morphism
  %7 = "catseq.tensor"(%5, %6) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  %8 = "catseq.pulse"(%0) {duration = 100 : i64} : (!catseq.chan<"ttl">) -> !catseq.morphism
  %9 = "catseq.pulse"(%1) {duration = 200 : i64} : (!catseq.chan<"ttl">) -> !catseq.morphism
  %10 = "catseq.tensor"(%8, %9) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  %11 = "catseq.on"(%0) : (!catseq.chan<"ttl">) -> !catseq.morphism
  %12 = "catseq.pulse"(%2) {duration = 5 : i64} : (!catseq.chan<"ttl">) -> !catseq.morphism
  %13 = "catseq.tensor"(%11, %12) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  %14 = "catseq.compose"(%10, %13) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  %15 = "catseq.compose"(%7, %14) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  return %15 : !catseq.morphism
}
