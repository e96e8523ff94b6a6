#include "gil.h"
#include "registry.h"
#include "../cpu/search.h"

using namespace fastdl;

FASTDL_BIND(CPU, search) {
  m.def("searchsorted", FASTDL_RELEASED(&cpu::searchsorted), py::arg("seq"), py::arg("values"), py::arg("out"),
        py::arg("right"));
}
