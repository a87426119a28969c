func.func @wrong_return(%a: i32) -> f32 {
  return %a : i32
}
