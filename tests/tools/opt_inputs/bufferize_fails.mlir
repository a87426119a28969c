// one-shot-bufferize fails on an op it cannot bufferize (allow-unregistered-dialect).
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %b = "test.foo"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %b : tensor<4xf32>
}
