// --verify-diagnostics: one annotation no diagnostic matches, one error no annotation names.
func.func @f() {
  // expected-error @+1 {{abc}}
  return
}
// expected-remark @-1 {{a much longer message than any diagnostic here gives}}
func.func @wrong_return(%a: i32) -> f32 {
  return %a : i32
}
