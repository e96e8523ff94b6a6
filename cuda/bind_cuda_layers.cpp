// The layers' kernels in fastdl._C.cuda (cuda/layer_kernels.h), bound with the names,
// argument names and defaults of their _C.cpu counterparts (csrc/bind/bind_{conv,
// pool,rnn,norm,linear,optim}.cpp), so Python calls either backend the same way.
#include "bind/registry.h"
#include "layer_kernels.h"

using namespace fastdl;

FASTDL_BIND(CUDA, cuda_layers) {
  m.def("im2col", &cuda::im2col, py::arg("x"), py::arg("cols"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"));
  m.def("col2im", &cuda::col2im, py::arg("cols"), py::arg("x_grad"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"));
  m.def("conv2d_forward", &cuda::conv2d_forward, py::arg("x"), py::arg("w"), py::arg("bias"), py::arg("y"),
        py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"),
        py::arg("dw"), py::arg("groups"));
  m.def("conv2d_input_grad", &cuda::conv2d_input_grad, py::arg("gy"), py::arg("w"), py::arg("gx"), py::arg("kh"),
        py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"),
        py::arg("groups"));
  m.def("conv2d_weight_grad", &cuda::conv2d_weight_grad, py::arg("x"), py::arg("gy"), py::arg("gw"),
        py::arg("gb"), py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"),
        py::arg("dh"), py::arg("dw"), py::arg("groups"));

  m.def("max_pool2d", &cuda::max_pool2d, py::arg("x"), py::arg("out"), py::arg("indices"), py::arg("kh"),
        py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"),
        py::arg("ceil_mode"));
  m.def("max_pool2d_backward", &cuda::max_pool2d_backward, py::arg("grad_out"), py::arg("indices"),
        py::arg("grad_in"));
  m.def("avg_pool2d", &cuda::avg_pool2d, py::arg("x"), py::arg("out"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("ceil_mode"), py::arg("count_include_pad"),
        py::arg("divisor_override"));
  m.def("avg_pool2d_backward", &cuda::avg_pool2d_backward, py::arg("grad_out"), py::arg("grad_in"), py::arg("kh"),
        py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("ceil_mode"),
        py::arg("count_include_pad"), py::arg("divisor_override"));
  m.def("adaptive_avg_pool2d", &cuda::adaptive_avg_pool2d, py::arg("x"), py::arg("out"));
  m.def("adaptive_avg_pool2d_backward", &cuda::adaptive_avg_pool2d_backward, py::arg("grad_out"),
        py::arg("grad_in"));

  m.def("lstm_cell_forward", &cuda::lstm_cell_forward, py::arg("gates"), py::arg("c_prev"), py::arg("h_out"),
        py::arg("c_out"), py::arg("act_out"));
  m.def("lstm_cell_backward", &cuda::lstm_cell_backward, py::arg("act"), py::arg("c_prev"), py::arg("c"),
        py::arg("grad_h"), py::arg("grad_c"), py::arg("grad_gates"), py::arg("grad_c_prev"));
  m.def("gru_cell_forward", &cuda::gru_cell_forward, py::arg("gi"), py::arg("gh"), py::arg("h_prev"),
        py::arg("h_out"), py::arg("saved"));
  m.def("gru_cell_backward", &cuda::gru_cell_backward, py::arg("saved"), py::arg("h_prev"), py::arg("grad_h"),
        py::arg("grad_gi"), py::arg("grad_gh"), py::arg("grad_h_prev"));

  m.def("lstm_sequence_forward", &cuda::lstm_sequence_forward, py::arg("acts"), py::arg("w_hh"), py::arg("hs"),
        py::arg("cs"), py::arg("reverse"), py::arg("xh") = py::none(), py::arg("w_ih") = py::none(),
        py::arg("bias") = py::none());
  m.def("lstm_sequence_backward", &cuda::lstm_sequence_backward, py::arg("acts"), py::arg("w_hh"),
        py::arg("cs"), py::arg("grad_out"), py::arg("grad_h"), py::arg("grad_c"), py::arg("grad_gates"),
        py::arg("reverse"), py::arg("w_ih") = py::none(), py::arg("grad_input") = py::none(),
        py::arg("grad_bias") = py::none());
  m.def("gru_sequence_forward", &cuda::gru_sequence_forward, py::arg("gi"), py::arg("w_hh"), py::arg("b_hh"),
        py::arg("hs"), py::arg("saved"), py::arg("reverse"));
  m.def("gru_sequence_backward", &cuda::gru_sequence_backward, py::arg("saved"), py::arg("w_hh"), py::arg("hs"),
        py::arg("grad_out"), py::arg("grad_h"), py::arg("grad_gi"), py::arg("grad_gh"), py::arg("reverse"));

  m.def("batch_norm", &cuda::batch_norm, py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("running_mean"),
        py::arg("running_var"), py::arg("out"), py::arg("save_mean"), py::arg("save_invstd"), py::arg("training"),
        py::arg("momentum"), py::arg("eps"));
  m.def("batch_norm_backward", &cuda::batch_norm_backward, py::arg("grad_out"), py::arg("x"), py::arg("weight"),
        py::arg("save_mean"), py::arg("save_invstd"), py::arg("grad_x"), py::arg("grad_weight"),
        py::arg("grad_bias"), py::arg("training"));
  m.def("layer_norm", &cuda::layer_norm, py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"),
        py::arg("mean"), py::arg("rstd"), py::arg("axis"), py::arg("eps"));
  m.def("layer_norm_backward", &cuda::layer_norm_backward, py::arg("grad_out"), py::arg("x"), py::arg("mean"),
        py::arg("rstd"), py::arg("weight"), py::arg("grad_x"), py::arg("grad_weight"), py::arg("grad_bias"),
        py::arg("axis"));

  m.def("linear", &cuda::linear, py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("out"),
        py::arg("activation") = "none",
        "out = act(x @ weight^T + bias); x (M, K), weight (N, K), bias (N,) or None, out (M, N) contiguous; "
        "activation none, relu, tanh or sigmoid (the unary kernel after the GEMM)");
  m.def("linear_backward", &cuda::linear_backward, py::arg("grad"), py::arg("x"), py::arg("weight"),
        py::arg("grad_x"), py::arg("grad_weight"), py::arg("grad_bias"),
        "grad_x = grad @ weight, grad_weight = grad^T @ x, grad_bias = grad.sum(0); each output optional");

  // In-place fused updates of one parameter and its state (see csrc/cpu/optim.h).
  m.def("sgd_step", &cuda::sgd_step, py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::arg("lr"),
        py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
        py::arg("maximize"), py::arg("init_buffer"));
  m.def("adam_step", &cuda::adam_step, py::arg("param"), py::arg("grad"), py::arg("exp_avg"), py::arg("exp_avg_sq"),
        py::arg("max_exp_avg_sq"), py::arg("step"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
        py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"), py::arg("maximize"), py::arg("decoupled"));
  m.def("adam_step_multi", &cuda::adam_step_multi, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"),
        py::arg("exp_avg_sqs"), py::arg("max_exp_avg_sqs"), py::arg("steps"), py::arg("lr"), py::arg("beta1"),
        py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"), py::arg("maximize"),
        py::arg("decoupled"));
  m.def("rmsprop_step", &cuda::rmsprop_step, py::arg("param"), py::arg("grad"), py::arg("square_avg"),
        py::arg("grad_avg"), py::arg("momentum_buffer"), py::arg("lr"), py::arg("alpha"), py::arg("eps"),
        py::arg("weight_decay"), py::arg("momentum"), py::arg("centered"), py::arg("maximize"));
  m.def("sum_squares_multi", &cuda::sum_squares_multi, py::arg("tensors"),
        "sum of squares of all elements of all tensors, in double (clip_grad_norm_)");
}
