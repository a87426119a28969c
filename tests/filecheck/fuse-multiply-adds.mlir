// fuse-multiply-adds: a product used only by a sum or a difference, both marked
// `contract`, becomes one llvm.intr.fmuladd, whichever side the product is on, the
// difference's other operand or factor negated. A product with two uses, an add or a
// product without `contract`, and arithmetic that may be regrouped (`reassoc`, `fast`)
// stay as they are.
// RUN: noodle-opt %s --fuse-multiply-adds | FileCheck %s

// CHECK-LABEL: func.func @forms(
// CHECK-SAME: %[[A:[a-z0-9]+]]: f64, %[[B:[a-z0-9]+]]: f64, %[[C:[a-z0-9]+]]: f64
func.func @forms(%a: f64, %b: f64, %c: f64) -> (f64, f64, f64, f64) {
  // CHECK-NOT: arith.mulf
  // CHECK: %[[SUM:.+]] = llvm.intr.fmuladd(%[[A]], %[[B]], %[[C]])
  %p = arith.mulf %a, %b fastmath<contract> : f64
  %sum = arith.addf %p, %c fastmath<contract> : f64
  // CHECK: %[[SUM2:.+]] = llvm.intr.fmuladd(%[[B]], %[[C]], %[[A]])
  %q = arith.mulf %b, %c fastmath<contract> : f64
  %sum2 = arith.addf %a, %q fastmath<contract> : f64
  // CHECK: %[[NEG_C:.+]] = arith.negf %[[C]] fastmath<contract> : f64
  // CHECK: %[[DIFF:.+]] = llvm.intr.fmuladd(%[[A]], %[[C]], %[[NEG_C]])
  %r = arith.mulf %a, %c fastmath<contract> : f64
  %diff = arith.subf %r, %c fastmath<contract> : f64
  // CHECK: %[[NEG_B:.+]] = arith.negf %[[B]] fastmath<contract> : f64
  // CHECK: %[[DIFF2:.+]] = llvm.intr.fmuladd(%[[NEG_B]], %[[B]], %[[A]])
  %s = arith.mulf %b, %b fastmath<contract> : f64
  %diff2 = arith.subf %a, %s fastmath<contract> : f64
  // CHECK: return %[[SUM]], %[[SUM2]], %[[DIFF]], %[[DIFF2]]
  return %sum, %sum2, %diff, %diff2 : f64, f64, f64, f64
}

// CHECK-LABEL: func.func @vectors(
// CHECK: llvm.intr.fmuladd({{.+}}) : (vector<4xf32>, vector<4xf32>, vector<4xf32>) -> vector<4xf32>
func.func @vectors(%a: vector<4xf32>, %b: vector<4xf32>) -> vector<4xf32> {
  %p = arith.mulf %a, %b fastmath<nnan,contract> : vector<4xf32>
  %sum = arith.addf %p, %a fastmath<nnan,contract> : vector<4xf32>
  return %sum : vector<4xf32>
}

// CHECK-LABEL: func.func @left_alone(
func.func @left_alone(%a: f64, %b: f64, %c: f64) -> (f64, f64, f64, f64, f64, f64) {
  // CHECK-NOT: fmuladd
  // CHECK: %[[TWICE:.+]] = arith.mulf {{.+}} fastmath<contract>
  // CHECK: arith.addf %[[TWICE]], {{.+}} fastmath<contract>
  // CHECK: arith.addf %[[TWICE]], {{.+}} fastmath<contract>
  %twice = arith.mulf %a, %b fastmath<contract> : f64
  %one = arith.addf %twice, %c fastmath<contract> : f64
  %two = arith.addf %twice, %a fastmath<contract> : f64
  // CHECK: %[[STRICT:.+]] = arith.mulf
  // CHECK: arith.addf %[[STRICT]], {{.+}} fastmath<contract>
  %strict = arith.mulf %a, %c : f64
  %three = arith.addf %strict, %b fastmath<contract> : f64
  // CHECK: %[[LOOSE:.+]] = arith.mulf {{.+}} fastmath<contract>
  // CHECK: arith.addf %[[LOOSE]], {{.+}} : f64
  %loose = arith.mulf %b, %c fastmath<contract> : f64
  %four = arith.addf %loose, %a : f64
  // CHECK: %[[REGROUPED:.+]] = arith.mulf {{.+}} fastmath<fast>
  // CHECK: arith.addf %[[REGROUPED]], {{.+}} fastmath<fast>
  // CHECK: %[[REASSOC:.+]] = arith.mulf {{.+}} fastmath<reassoc,contract>
  // CHECK: arith.addf %[[REASSOC]], {{.+}} fastmath<reassoc,contract>
  %regrouped = arith.mulf %a, %a fastmath<fast> : f64
  %five = arith.addf %regrouped, %b fastmath<fast> : f64
  %reassoc = arith.mulf %b, %b fastmath<reassoc,contract> : f64
  %six = arith.addf %reassoc, %c fastmath<reassoc,contract> : f64
  // CHECK-NOT: fmuladd
  return %one, %two, %three, %four, %five, %six : f64, f64, f64, f64, f64, f64
}
