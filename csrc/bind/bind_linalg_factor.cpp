#include "registry.h"
#include "../cpu/linalg_factor.h"

using namespace fastdl;

FASTDL_BIND(CPU, linalg_factor) {
  m.def("lu_factor", &cpu::lu_factor, py::arg("a"), py::arg("pivots"), py::arg("info"));
  m.def("lu_solve", &cpu::lu_solve, py::arg("lu"), py::arg("pivots"), py::arg("b"));
  m.def("cholesky", &cpu::cholesky, py::arg("a"), py::arg("info"));
  m.def("solve_triangular", &cpu::solve_triangular, py::arg("a"), py::arg("b"), py::arg("upper"),
        py::arg("unitriangular"));
  m.def("qr", &cpu::qr, py::arg("a"), py::arg("tau"), py::arg("q"));
  m.def("eigh", &cpu::eigh, py::arg("a"), py::arg("w"), py::arg("v"), py::arg("info"));
  m.def("svd", &cpu::svd, py::arg("a"), py::arg("s"), py::arg("v"), py::arg("info"));
}
