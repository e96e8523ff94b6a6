#include "gil.h"
#include "registry.h"
#include "../cpu/elementwise.h"

using namespace fastdl;

FASTDL_BIND(CPU, elementwise) {
  using Unary = void (*)(const std::string&, const TensorArg&, const TensorArg&, double, double);
  using Binary = void (*)(const std::string&, const TensorArg&, const TensorArg&, const TensorArg&);
  m.def("unary", FASTDL_RELEASED(static_cast<Unary>(&cpu::unary)), py::arg("op"), py::arg("x"), py::arg("out"), py::arg("p0") = 0.0,
        py::arg("p1") = 0.0);
  m.def("binary", FASTDL_RELEASED(static_cast<Binary>(&cpu::binary)), py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out"));
  m.def("where", FASTDL_RELEASED(&cpu::where));
  m.def("half_arith", FASTDL_RELEASED(&cpu::half_arith), py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out"));
  m.def("lerp_scalar", FASTDL_RELEASED(&cpu::lerp_scalar), py::arg("a"), py::arg("b"), py::arg("out"),
        py::arg("scale"), py::arg("small"));
  m.def("copy", FASTDL_RELEASED(&cpu::copy), py::arg("src"), py::arg("dst"));
  m.def("fill", FASTDL_RELEASED(&cpu::fill), py::arg("dst"), py::arg("value"));
}
