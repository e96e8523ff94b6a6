#include "gil.h"
#include "registry.h"
#include "../cpu/norm.h"

using namespace fastdl;

FASTDL_BIND(CPU, norm) {
  m.def("batch_norm", FASTDL_RELEASED(&cpu::batch_norm), py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"),
        py::arg("running_var"), py::arg("out"), py::arg("save_mean"), py::arg("save_invstd"), py::arg("training"),
        py::arg("momentum"), py::arg("eps"));
  m.def("batch_norm_backward", FASTDL_RELEASED(&cpu::batch_norm_backward), py::arg("grad_out"), py::arg("x"), py::arg("weight"),
        py::arg("save_mean"), py::arg("save_invstd"), py::arg("grad_x"), py::arg("grad_weight"),
        py::arg("grad_bias"), py::arg("training"));
  m.def("layer_norm", FASTDL_RELEASED(&cpu::layer_norm), py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"),
        py::arg("mean"), py::arg("rstd"), py::arg("axis"), py::arg("eps"));
  m.def("layer_norm_backward", FASTDL_RELEASED(&cpu::layer_norm_backward), py::arg("grad_out"), py::arg("x"), py::arg("mean"),
        py::arg("rstd"), py::arg("weight"), py::arg("grad_x"), py::arg("grad_weight"), py::arg("grad_bias"),
        py::arg("axis"));
}
