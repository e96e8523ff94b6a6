#include "gil.h"
#include "registry.h"
#include "../cpu/softmax.h"
#include "../cpu/nll_loss.h"

using namespace fastdl;

FASTDL_BIND(CPU, softmax) {
  m.def("softmax", FASTDL_RELEASED(&cpu::softmax), py::arg("x"), py::arg("out"), py::arg("dim"), py::arg("log"));
  m.def("softmax_backward", FASTDL_RELEASED(&cpu::softmax_backward), py::arg("y"), py::arg("grad_y"), py::arg("grad_x"),
        py::arg("dim"), py::arg("log"));
  m.def("cross_entropy", FASTDL_RELEASED(&cpu::cross_entropy), py::arg("logits"), py::arg("target"), py::arg("weight"),
        py::arg("loss_out"), py::arg("lse_out"), py::arg("ignore_index"), py::arg("label_smoothing"));
  m.def("cross_entropy_backward", FASTDL_RELEASED(&cpu::cross_entropy_backward), py::arg("logits"), py::arg("target"),
        py::arg("weight"), py::arg("lse"), py::arg("grad_loss"), py::arg("grad_logits"),
        py::arg("ignore_index"), py::arg("label_smoothing"));
  m.def("nll_loss", FASTDL_RELEASED(&cpu::nll_loss), py::arg("x"), py::arg("target"), py::arg("weight"), py::arg("out"),
        py::arg("ignore_index"), py::arg("reduction"));
  m.def("nll_loss_backward", FASTDL_RELEASED(&cpu::nll_loss_backward), py::arg("target"), py::arg("weight"),
        py::arg("grad"), py::arg("grad_x"), py::arg("ignore_index"), py::arg("reduction"), py::arg("total_weight"));
}
