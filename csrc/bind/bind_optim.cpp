#include "gil.h"
#include "registry.h"
#include "../cpu/grad_norm.h"
#include "../cpu/optim.h"

using namespace fastdl;

FASTDL_BIND(CPU, optim) {
  // In-place fused updates of one parameter and its state (see cpu/optim.h).
  m.def("sgd_step", FASTDL_RELEASED(&cpu::sgd_step), py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::arg("lr"),
        py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
        py::arg("maximize"), py::arg("init_buffer"));
  m.def("adam_step", FASTDL_RELEASED(&cpu::adam_step), py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"),
        py::arg("max_exp_avg_sq"), py::arg("step"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
        py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"), py::arg("maximize"), py::arg("decoupled"));
  m.def("adam_step_multi", FASTDL_RELEASED(&cpu::adam_step_multi), py::arg("params"), py::arg("grads"), py::arg("exp_avgs"),
        py::arg("exp_avg_sqs"), py::arg("max_exp_avg_sqs"), py::arg("steps"), py::arg("lr"), py::arg("beta1"),
        py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"), py::arg("maximize"),
        py::arg("decoupled"));
  m.def("rmsprop_step", FASTDL_RELEASED(&cpu::rmsprop_step), py::arg("param"), py::arg("grad"), py::arg("square_avg"),
        py::arg("grad_avg"), py::arg("momentum_buffer"), py::arg("lr"), py::arg("alpha"), py::arg("eps"),
        py::arg("weight_decay"), py::arg("momentum"), py::arg("centered"), py::arg("maximize"));
  m.def("sum_squares_multi", FASTDL_RELEASED(&cpu::sum_squares_multi), py::arg("tensors"),
        "sum of squares of all elements of all tensors, in double (clip_grad_norm_)");
}
