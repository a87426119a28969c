// version-broadcasts: an elementwise generic whose inputs are broadcast views (a
// reinterpret_cast whose last stride is `select(size == 1, 0, stride)`) gets a copy for
// each subset of them read without their innermost dimension, chosen by the selects'
// conditions. Inputs that are not broadcast views of arguments, generics with a
// reduction, and generics with more than two candidates are left alone.
// RUN: noodle-opt %s --version-broadcasts | FileCheck %s

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROWS:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[NONE:.+]] = affine_map<(d0) -> ()>

// CHECK-LABEL: func.func @two_candidates(
// CHECK-SAME: %[[X:[a-z0-9]+]]: memref<f64>, %[[M:[a-z0-9]+]]: memref<f64>, %[[OFF:[a-z0-9]+]]: index, %[[N:[a-z0-9]+]]: index, %[[K:[a-z0-9]+]]: index, %[[XS:[a-z0-9]+]]: index, %[[XK:[a-z0-9]+]]: index, %[[MS:[a-z0-9]+]]: index
func.func @two_candidates(%x: memref<f64>, %m: memref<f64>, %off: index, %n: index, %k: index,
                          %xs: index, %xk: index, %ms: index, %out: memref<?x?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: %[[XB:.+]] = arith.cmpi eq, %[[XK]]
  %xb = arith.cmpi eq, %xk, %c1 : index
  %xstride = arith.select %xb, %c0, %c1 : index
  %xv = memref.reinterpret_cast %x to offset: [%off], sizes: [%n, %k], strides: [%xs, %xstride]
      : memref<f64> to memref<?x?xf64, strided<[?, ?], offset: ?>>
  // CHECK: %[[MB:.+]] = arith.cmpi eq
  %mb = arith.cmpi eq, %k, %c1 : index
  %mstride = arith.select %mb, %c0, %c1 : index
  %mv = memref.reinterpret_cast %m to offset: [%off], sizes: [%n, %k], strides: [%ms, %mstride]
      : memref<f64> to memref<?x?xf64, strided<[?, ?], offset: ?>>
  // CHECK: scf.if %[[XB]] {
  // CHECK:   scf.if %[[MB]] {
  // CHECK:     %[[XR:.+]] = memref.reinterpret_cast %[[X]] to offset: [%[[OFF]]], sizes: [%[[N]]], strides: [%[[XS]]] : memref<f64> to memref<?xf64, strided<[?], offset: ?>>
  // CHECK:     %[[MR:.+]] = memref.reinterpret_cast %[[M]] to offset: [%[[OFF]]], sizes: [%[[N]]], strides: [%[[MS]]]
  // CHECK:     linalg.generic {indexing_maps = [#[[ROWS]], #[[ROWS]], #[[ID]]]{{.*}} ins(%[[XR]], %[[MR]] :
  // CHECK:       arith.subf
  // CHECK:   } else {
  // CHECK:     linalg.generic {indexing_maps = [#[[ROWS]], #[[ID]], #[[ID]]]
  // CHECK:   }
  // CHECK: } else {
  // CHECK:   scf.if %[[MB]] {
  // CHECK:     linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]], #[[ID]]]
  // CHECK:   } else {
  // CHECK:     linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]]
  // CHECK-NOT: linalg.generic
  // CHECK: return
  linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%xv, %mv : memref<?x?xf64, strided<[?, ?], offset: ?>>, memref<?x?xf64, strided<[?, ?], offset: ?>>)
      outs(%out : memref<?x?xf64>) {
  ^bb0(%a: f64, %b: f64, %o: f64):
    %d = arith.subf %a, %b : f64
    linalg.yield %d : f64
  }
  return
}

// A rank-1 broadcast input becomes a rank-0 view, read with no index at all.
// CHECK-LABEL: func.func @one_dimension(
// CHECK: scf.if
// CHECK: %[[SCALAR:.+]] = memref.reinterpret_cast {{.+}} sizes: [], strides: [] : memref<f64> to memref<f64, strided<[], offset: ?>>
// CHECK: linalg.generic {indexing_maps = [#[[NONE]], #{{.+}}]{{.*}} ins(%[[SCALAR]] :
// CHECK: } else {
// CHECK: linalg.generic
func.func @one_dimension(%m: memref<f64>, %off: index, %n: index, %size: index, %s: index,
                         %out: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = arith.cmpi eq, %size, %c1 : index
  %stride = arith.select %b, %c0, %s : index
  %v = memref.reinterpret_cast %m to offset: [%off], sizes: [%n], strides: [%stride]
      : memref<f64> to memref<?xf64, strided<[?], offset: ?>>
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]}
      ins(%v : memref<?xf64, strided<[?], offset: ?>>) outs(%out : memref<?xf64>) {
  ^bb0(%a: f64, %o: f64):
    %e = math.exp %a : f64
    linalg.yield %e : f64
  }
  return
}

// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT: scf.if
func.func @left_alone(%a: memref<?x?xf64>, %m: memref<f64>, %off: index, %n: index,
                      %s: index, %acc: memref<?xf64>, %out: memref<?x?xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // not a broadcast view: an argument, and a view whose last stride is not a select
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<?x?xf64>) outs(%out : memref<?x?xf64>) {
  ^bb0(%x: f64, %o: f64):
    linalg.yield %x : f64
  }
  %plain = memref.reinterpret_cast %m to offset: [%off], sizes: [%n, %n], strides: [%s, %s]
      : memref<f64> to memref<?x?xf64, strided<[?, ?], offset: ?>>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%plain : memref<?x?xf64, strided<[?, ?], offset: ?>>) outs(%out : memref<?x?xf64>) {
  ^bb0(%x: f64, %o: f64):
    linalg.yield %x : f64
  }
  // a reduction
  %b = arith.cmpi eq, %n, %c1 : index
  %stride = arith.select %b, %c0, %s : index
  %v = memref.reinterpret_cast %m to offset: [%off], sizes: [%n, %n], strides: [%s, %stride]
      : memref<f64> to memref<?x?xf64, strided<[?, ?], offset: ?>>
  linalg.generic {indexing_maps = [#id2, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%v : memref<?x?xf64, strided<[?, ?], offset: ?>>) outs(%acc : memref<?xf64>) {
  ^bb0(%x: f64, %o: f64):
    %sum = arith.addf %x, %o : f64
    linalg.yield %sum : f64
  }
  // a broadcast view of an array the kernel made itself
  %made = memref.alloc(%n, %n) : memref<?x?xf64>
  %base, %offset, %sizes:2, %strides:2 = memref.extract_strided_metadata %made
      : memref<?x?xf64> -> memref<f64>, index, index, index, index, index
  %mb = arith.cmpi eq, %sizes#1, %c1 : index
  %mstride = arith.select %mb, %c0, %strides#1 : index
  %mv = memref.reinterpret_cast %base to offset: [%offset], sizes: [%n, %n],
      strides: [%strides#0, %mstride] : memref<f64> to memref<?x?xf64, strided<[?, ?], offset: ?>>
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%mv : memref<?x?xf64, strided<[?, ?], offset: ?>>) outs(%out : memref<?x?xf64>) {
  ^bb0(%x: f64, %o: f64):
    linalg.yield %x : f64
  }
  // three candidates
  linalg.generic {indexing_maps = [#id2, #id2, #id2, #id2],
                  iterator_types = ["parallel", "parallel"]}
      ins(%v, %v, %v : memref<?x?xf64, strided<[?, ?], offset: ?>>, memref<?x?xf64, strided<[?, ?], offset: ?>>, memref<?x?xf64, strided<[?, ?], offset: ?>>)
      outs(%out : memref<?x?xf64>) {
  ^bb0(%x: f64, %y: f64, %z: f64, %o: f64):
    %s1 = arith.addf %x, %y : f64
    %s2 = arith.addf %s1, %z : f64
    linalg.yield %s2 : f64
  }
  return
}
