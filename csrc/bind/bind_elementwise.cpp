#include "registry.h"
#include "../cpu/elementwise.h"

using namespace fastdl;

FASTDL_BIND(CPU, elementwise) {
  using Unary = void (*)(const std::string&, const TensorArg&, const TensorArg&, double, double);
  using Binary = void (*)(const std::string&, const TensorArg&, const TensorArg&, const TensorArg&);
  m.def("unary", static_cast<Unary>(&cpu::unary), py::arg("op"), py::arg("x"), py::arg("out"), py::arg("p0") = 0.0,
        py::arg("p1") = 0.0);
  m.def("binary", static_cast<Binary>(&cpu::binary), py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out"));
  m.def("where", &cpu::where);
  m.def("copy", &cpu::copy, py::arg("src"), py::arg("dst"));
  m.def("fill", &cpu::fill, py::arg("dst"), py::arg("value"));
}
