#include "gil.h"
#include "registry.h"
#include "../cpu/fft.h"

using namespace fastdl;

FASTDL_BIND(CPU, fft) {
  m.def("fft_c2c", FASTDL_RELEASED(&cpu::fft_c2c), py::arg("x"), py::arg("out"), py::arg("inverse"));
}
