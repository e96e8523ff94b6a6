#include "gil.h"
#include "registry.h"
#include "../cpu/linalg_factor.h"

using namespace fastdl;

FASTDL_BIND(CPU, linalg_factor) {
  m.def("lu_factor", FASTDL_RELEASED(&cpu::lu_factor), py::arg("a"), py::arg("pivots"), py::arg("info"));
  m.def("lu_solve", FASTDL_RELEASED(&cpu::lu_solve), py::arg("lu"), py::arg("pivots"), py::arg("b"));
  m.def("cholesky", FASTDL_RELEASED(&cpu::cholesky), py::arg("a"), py::arg("info"));
  m.def("solve_triangular", FASTDL_RELEASED(&cpu::solve_triangular), py::arg("a"), py::arg("b"), py::arg("upper"),
        py::arg("unitriangular"));
  m.def("qr", FASTDL_RELEASED(&cpu::qr), py::arg("a"), py::arg("tau"), py::arg("q"));
  m.def("eigh", FASTDL_RELEASED(&cpu::eigh), py::arg("a"), py::arg("w"), py::arg("v"), py::arg("info"));
  m.def("svd", FASTDL_RELEASED(&cpu::svd), py::arg("a"), py::arg("s"), py::arg("v"), py::arg("info"));
}
