#include "gil.h"
#include "registry.h"
#include "../cpu/flip.h"

using namespace fastdl;

FASTDL_BIND(CPU, flip) {
  m.def("flip", FASTDL_RELEASED(&cpu::flip), py::arg("x"), py::arg("out"), py::arg("dims"));
}
