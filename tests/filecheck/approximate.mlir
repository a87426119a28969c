// The math approximation passes: math.exp, log, sin/cos, tanh and powf on f32/f64 become
// inline arithmetic (no math call left for LLVM to turn into a libm call).
// RUN: noodle-opt %s --approximate-exp | FileCheck %s --check-prefix=EXP
// With AVX-512's scaling (one instruction), exp(x) = ldexp(polynomial, n)
// RUN: noodle-opt %s --pass-pipeline='builtin.module(approximate-exp{ldexp=true})' \
// RUN:   | FileCheck %s --check-prefix=LDEXP
// RUN: noodle-opt %s --approximate-log | FileCheck %s --check-prefix=LOG
// RUN: noodle-opt %s --approximate-sin-cos | FileCheck %s --check-prefix=SINCOS
// RUN: noodle-opt %s --approximate-tanh | FileCheck %s --check-prefix=TANH
// RUN: noodle-opt %s --approximate-pow | FileCheck %s --check-prefix=POW
// All of them in one pipeline with upstream passes: no transcendental math op remains
// (only ops LLVM has instructions for: fma, floor, absf, copysign, roundeven).
// RUN: noodle-opt %s --pass-pipeline='builtin.module(approximate-pow,approximate-tanh,approximate-sin-cos,approximate-log,approximate-exp,canonicalize,cse)' \
// RUN:   | FileCheck %s --check-prefix=ALL

// EXP-NOT: math.exp
// EXP-NOT: ldexp
// EXP: func.func @log
// LDEXP-LABEL: func.func @exp
// LDEXP: llvm.intr.ldexp({{.*}}) : (f64, i32) -> f64
// LDEXP: llvm.intr.ldexp({{.*}}) : (f32, i32) -> f32
// LDEXP-LABEL: func.func @log
// LOG: func.func @exp
// LOG-NOT: math.log
// SINCOS-NOT: math.sin
// SINCOS-NOT: math.cos
// TANH-LABEL: func.func @tanh
// TANH-NOT: math.tanh
// f64: the Taylor polynomial below 1/4 or the exp-based form, only one of them computed
// TANH: scf.if
// TANH-NOT: math.tanh
// POW-NOT: math.powf
// ALL: func.func @exp
// ALL-NOT: math.{{(exp|log|sin|cos|tanh|powf)}}

func.func @exp(%x: f64, %y: f32) -> (f64, f32) {
  %0 = math.exp %x : f64
  %1 = math.exp %y : f32
  return %0, %1 : f64, f32
}

func.func @log(%x: f64, %y: f32) -> (f64, f32) {
  %0 = math.log %x : f64
  %1 = math.log %y : f32
  return %0, %1 : f64, f32
}

func.func @sin_cos(%x: f64, %y: f32) -> (f64, f32) {
  %0 = math.sin %x : f64
  %1 = math.cos %y : f32
  return %0, %1 : f64, f32
}

func.func @tanh(%x: f64, %y: f32) -> (f64, f32) {
  %0 = math.tanh %x : f64
  %1 = math.tanh %y : f32
  return %0, %1 : f64, f32
}

func.func @pow(%x: f64, %y: f64) -> f64 {
  %0 = math.powf %x, %y : f64
  return %0 : f64
}
