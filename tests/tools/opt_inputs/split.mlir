// RUN lines live elsewhere: chunks for --split-input-file parity.
func.func @one(%a: i32) -> i32 {
  %c0 = arith.constant 0 : i32
  %b = arith.addi %a, %c0 : i32
  return %b : i32
}

// -----

#map = affine_map<(d0) -> (d0 + 1)>
func.func @two(%a: index) -> index {
  %b = affine.apply #map(%a)
  return %b : index
}

// -----
func.func @three(%t: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %t, %t : tensor<4xf32>
  return %0 : tensor<4xf32>
}
