#include "gil.h"
#include "registry.h"
#include "../cpu/pool.h"

using namespace fastdl;

FASTDL_BIND(CPU, pool) {
  m.def("max_pool2d", FASTDL_RELEASED(&cpu::max_pool2d), py::arg("x"), py::arg("out"), py::arg("indices"), py::arg("kh"),
        py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"),
        py::arg("ceil_mode"));
  m.def("max_pool2d_backward", FASTDL_RELEASED(&cpu::max_pool2d_backward), py::arg("grad_out"), py::arg("indices"),
        py::arg("grad_in"));
  m.def("avg_pool2d", FASTDL_RELEASED(&cpu::avg_pool2d), py::arg("x"), py::arg("out"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("ceil_mode"), py::arg("count_include_pad"),
        py::arg("divisor_override"));
  m.def("avg_pool2d_backward", FASTDL_RELEASED(&cpu::avg_pool2d_backward), py::arg("grad_out"), py::arg("grad_in"), py::arg("kh"),
        py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("ceil_mode"),
        py::arg("count_include_pad"), py::arg("divisor_override"));
  m.def("adaptive_avg_pool2d", FASTDL_RELEASED(&cpu::adaptive_avg_pool2d), py::arg("x"), py::arg("out"));
  m.def("adaptive_avg_pool2d_backward", FASTDL_RELEASED(&cpu::adaptive_avg_pool2d_backward), py::arg("grad_out"),
        py::arg("grad_in"));
}
