// One explicit module with attributes: not wrapped again.
module @named attributes {test.flag} {
  func.func @h() {
    return
  }
}
