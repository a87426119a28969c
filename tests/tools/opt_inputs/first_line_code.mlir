func.func @starts_at_line_one(%a: i32) -> i32 {
  %c1 = arith.constant 1 : i32
  %b = arith.muli %a, %c1 : i32
  return %b : i32
}
func.func @second(%a: i32) -> i32 {
  return %a : i32
}
