// catseq-flatten: compositions, tensors and barriers resolved into one catseq.schedule with
// each occurrence at its absolute start time (the barrier waits for the 200-cycle pulse).
// RUN: noodle-opt %s --catseq-flatten | FileCheck %s

// CHECK-LABEL: func.func @sequence
// CHECK-NOT: "catseq.compose"
// CHECK-NOT: "catseq.tensor"
// CHECK: %[[S:.*]] = "catseq.schedule"({{.*}}) {duration = 205 : i64, start = array<i64: 0, 0, 0, 0, 0, 200, 200>}
// CHECK-NEXT: return %[[S]] : !catseq.morphism
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
