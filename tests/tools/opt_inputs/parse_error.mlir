func.func @broken(%a: i32) -> i32 {
  %b = arith.addi %a, %undefined : i32
  return %b : i32
}
