// apply-fastmath: LLVM's fast-math flags on float arith; the `flags` option picks them
// (default `fast`, all of them). An unknown flag is an error in the pipeline itself.
// RUN: noodle-opt %s --apply-fastmath | FileCheck %s --check-prefix=FAST
// RUN: noodle-opt %s --pass-pipeline='builtin.module(apply-fastmath{flags=nnan,ninf})' \
// RUN:   | FileCheck %s --check-prefix=SOME
// RUN: noodle-opt %s '--apply-fastmath=flags=reassoc' | FileCheck %s --check-prefix=FLAG
// RUN: not noodle-opt %s --pass-pipeline='builtin.module(apply-fastmath{flags=quick})' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD
// RUN: not noodle-opt %s --pass-pipeline='builtin.module(apply-fastmath{speed=1})' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOOPT

// BAD: <unknown>:0: error: MLIR Textual PassPipeline Parser:1:1: error: unknown fast-math flag 'quick'
// BAD-NEXT: {{^apply-fastmath\{flags=quick\}$}}
// BAD-NEXT: {{^\^$}}
// NOOPT: error: pass 'apply-fastmath' has no option 'speed' (its options: flags)

// FAST-LABEL: func.func @arith
// SOME-LABEL: func.func @arith
func.func @arith(%x: f64, %y: f64) -> (f64, i32) {
  // FAST: arith.mulf %arg0, %arg1 fastmath<fast> : f64
  // FAST: arith.addf %{{.*}}, %arg1 fastmath<fast> : f64
  // SOME: arith.mulf %arg0, %arg1 fastmath<nnan,ninf> : f64
  // FLAG: arith.mulf %arg0, %arg1 fastmath<reassoc> : f64
  // FAST: arith.addi %{{.*}} : i32
  %0 = arith.mulf %x, %y : f64
  %1 = arith.addf %0, %y : f64
  %c = arith.constant 1 : i32
  %2 = arith.addi %c, %c : i32
  return %1, %2 : f64, i32
}
