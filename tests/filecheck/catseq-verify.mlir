// catseq-verify: semantic checks MLIR's IRDL verifier cannot make (channels of a tensor
// disjoint, states matching across a composition), as noodle's own verifier pass, checked
// here with --verify-diagnostics (one chunk per case).
// RUN: noodle-opt %s --split-input-file --verify-diagnostics --catseq-verify | FileCheck %s

// A valid sequence passes unchanged.
// CHECK-LABEL: func.func @valid
// CHECK: "catseq.compose"
func.func @valid() -> !catseq.morphism {
  %a = "catseq.channel"() {board = "mlir0", index = 0 : i64} : () -> !catseq.chan<"ttl">
  %i = "catseq.initialize"(%a) : (!catseq.chan<"ttl">) -> !catseq.morphism
  %p = "catseq.pulse"(%a) {duration = 10 : i64} : (!catseq.chan<"ttl">) -> !catseq.morphism
  %s = "catseq.compose"(%i, %p) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  return %s : !catseq.morphism
}

// -----

func.func @overlap() -> !catseq.morphism {
  %a = "catseq.channel"() {board = "mlir0", index = 0 : i64} : () -> !catseq.chan<"ttl">
  %i = "catseq.initialize"(%a) : (!catseq.chan<"ttl">) -> !catseq.morphism
  %p = "catseq.pulse"(%a) {duration = 10 : i64} : (!catseq.chan<"ttl">) -> !catseq.morphism
  // expected-error @+1 {{a | b needs disjoint}}
  %t = "catseq.tensor"(%i, %p) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  return %t : !catseq.morphism
}

// -----

func.func @uninitialized() -> !catseq.morphism {
  %a = "catseq.channel"() {board = "mlir0", index = 0 : i64} : () -> !catseq.chan<"ttl">
  %b = "catseq.channel"() {board = "mlir0", index = 1 : i64} : () -> !catseq.chan<"ttl">
  %i = "catseq.initialize"(%a) : (!catseq.chan<"ttl">) -> !catseq.morphism
  %on = "catseq.on"(%b) : (!catseq.chan<"ttl">) -> !catseq.morphism
  %s = "catseq.compose"(%i, %on) : (!catseq.morphism, !catseq.morphism) -> !catseq.morphism
  // expected-error @above {{ttl(mlir0, 1)}}
  return %s : !catseq.morphism
}

// -----

func.func @negative() -> !catseq.morphism {
  %a = "catseq.channel"() {board = "mlir0", index = 0 : i64} : () -> !catseq.chan<"ttl">
  // expected-error @below {{cycles(n) needs a non-negative integer}}
  %p = "catseq.pulse"(%a) {duration = -1 : i64} : (!catseq.chan<"ttl">) -> !catseq.morphism
  return %p : !catseq.morphism
}
