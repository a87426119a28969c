// --verify-diagnostics: every error is expected.
func.func @ok() {
  return
}

// -----

func.func @wrong_return(%a: i32) -> f32 {
  // expected-error @+1 {{type of return operand 0 ('i32') doesn't match function result type ('f32')}}
  return %a : i32
}

// -----

func.func @undefined() {
  // expected-error @below {{use of undeclared SSA value name}}
  %b = arith.addi %x, %x : i32
  return
}
