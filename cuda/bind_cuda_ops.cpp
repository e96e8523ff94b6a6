// The spine's kernels in fastdl._C.cuda, bound with the names, argument names and
// defaults of their _C.cpu counterparts (csrc/bind/bind_{gemm,reduce,scan,search,flip,softmax,index,
// random,linalg_factor}.cpp), so Python calls either backend the same way.
#include "bind/registry.h"
#include "cuda_api.h"

using namespace fastdl;

FASTDL_BIND(CUDA, cuda_ops) {
  m.def("matmul", &cuda::matmul, py::arg("a"), py::arg("b"), py::arg("out"), py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0,
        "out = alpha * a @ b + beta * out; a (..., M, K), b (..., K, N), out (..., M, N), same "
        "dtype (float32/float64/int64), identical batch dims, any non-negative strides");
  m.def("reduce", &cuda::reduce, py::arg("op"), py::arg("x"), py::arg("out"), py::arg("dims"));

  m.def("cumsum", &cuda::cumsum, py::arg("x"), py::arg("out"), py::arg("dim"), py::arg("reverse"));
  m.def("cum_extreme", &cuda::cum_extreme, py::arg("x"), py::arg("values"), py::arg("indices"), py::arg("dim"),
        py::arg("largest"));
  m.def("flip", &cuda::flip, py::arg("x"), py::arg("out"), py::arg("dims"));
  m.def("searchsorted", &cuda::searchsorted, py::arg("seq"), py::arg("values"), py::arg("out"), py::arg("right"));

  m.def("lu_factor", &cuda::lu_factor, py::arg("a"), py::arg("pivots"), py::arg("info"));
  m.def("lu_solve", &cuda::lu_solve, py::arg("lu"), py::arg("pivots"), py::arg("b"));
  m.def("cholesky", &cuda::cholesky, py::arg("a"), py::arg("info"));
  m.def("solve_triangular", &cuda::solve_triangular, py::arg("a"), py::arg("b"), py::arg("upper"),
        py::arg("unitriangular"));
  m.def("qr", &cuda::qr, py::arg("a"), py::arg("tau"), py::arg("q"));
  m.def("eigh", &cuda::eigh, py::arg("a"), py::arg("w"), py::arg("v"), py::arg("info"));
  m.def("svd", &cuda::svd, py::arg("a"), py::arg("s"), py::arg("v"), py::arg("info"));

  m.def("softmax", &cuda::softmax, py::arg("x"), py::arg("out"), py::arg("dim"), py::arg("log"));
  m.def("softmax_backward", &cuda::softmax_backward, py::arg("y"), py::arg("grad_y"), py::arg("grad_x"),
        py::arg("dim"), py::arg("log"));
  m.def("cross_entropy", &cuda::cross_entropy, py::arg("logits"), py::arg("target"), py::arg("weight"),
        py::arg("loss_out"), py::arg("lse_out"), py::arg("ignore_index"), py::arg("label_smoothing"));
  m.def("cross_entropy_backward", &cuda::cross_entropy_backward, py::arg("logits"), py::arg("target"),
        py::arg("weight"), py::arg("lse"), py::arg("grad_loss"), py::arg("grad_logits"),
        py::arg("ignore_index"), py::arg("label_smoothing"));

  m.def("nll_loss", &cuda::nll_loss, py::arg("x"), py::arg("target"), py::arg("weight"), py::arg("out"),
        py::arg("ignore_index"), py::arg("reduction"));
  m.def("nll_loss_backward", &cuda::nll_loss_backward, py::arg("target"), py::arg("weight"), py::arg("grad"),
        py::arg("grad_x"), py::arg("ignore_index"), py::arg("reduction"), py::arg("total_weight"));

  m.def("index_select", &cuda::index_select, py::arg("x"), py::arg("dim"), py::arg("index"), py::arg("out"));
  m.def("index_add", &cuda::index_add, py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("index_put", &cuda::index_put, py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"),
        py::arg("accumulate"));
  m.def("gather", &cuda::gather, py::arg("x"), py::arg("dim"), py::arg("index"), py::arg("out"));
  m.def("scatter_add", &cuda::scatter_add, py::arg("target"), py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("count_nonzero", &cuda::count_nonzero, py::arg("x"));
  m.def("nonzero", &cuda::nonzero, py::arg("x"), py::arg("out"));

  // Each random_* returns the new offset (offset + counters consumed).
  m.def("random_uniform", &cuda::random_uniform, py::arg("out"), py::arg("seed"), py::arg("offset"),
        py::arg("low"), py::arg("high"));
  m.def("random_normal", &cuda::random_normal, py::arg("out"), py::arg("seed"), py::arg("offset"),
        py::arg("mean"), py::arg("std"));
  m.def("random_int", &cuda::random_int, py::arg("out"), py::arg("seed"), py::arg("offset"), py::arg("low"),
        py::arg("high"));
  m.def("bernoulli", &cuda::bernoulli, py::arg("out"), py::arg("seed"), py::arg("offset"), py::arg("p"));
  m.def("randperm", &cuda::randperm, py::arg("out"), py::arg("seed"), py::arg("offset"));
  m.def("arange", &cuda::arange, py::arg("out"), py::arg("start"), py::arg("step"));
}
