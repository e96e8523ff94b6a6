#include "gil.h"
#include "registry.h"
#include "../cpu/reduce.h"

using namespace fastdl;

FASTDL_BIND(CPU, reduce) {
  m.def("reduce", FASTDL_RELEASED(&cpu::reduce), py::arg("op"), py::arg("x"), py::arg("out"), py::arg("dims"),
        "Reduce x over dims (sorted, unique) into the contiguous keepdim-shaped out.");
}
