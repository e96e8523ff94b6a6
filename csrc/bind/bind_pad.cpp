#include "gil.h"
#include "registry.h"
#include "../cpu/pad.h"

using namespace fastdl;

FASTDL_BIND(CPU, pad) {
  m.def("pad_constant", FASTDL_RELEASED(&cpu::pad_constant), py::arg("x"), py::arg("out"), py::arg("left"),
        py::arg("right"), py::arg("fill"));
}
