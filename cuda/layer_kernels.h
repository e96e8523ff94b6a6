// The layers' CUDA kernels (conv, pooling, RNN cells, normalisation, linear,
// optimizer steps): each has the name, arguments, output rules and error messages of
// the csrc/cpu/*.h function of the same name, and shares its argument checks
// (csrc/cpu/*_args.h). Every operand must be on one CUDA device. Plain C++ only: the
// bindings (g++) include this.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor_arg.h"

namespace fastdl {
namespace cuda {

using OptTensor = std::optional<TensorArg>;

// conv.cu (csrc/cpu/conv.h)
void im2col(const TensorArg& x, const TensorArg& cols, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw);
void col2im(const TensorArg& cols, const TensorArg& x_grad, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
            int64_t ph, int64_t pw, int64_t dh, int64_t dw);
// conv_driver.cpp (csrc/cpu/conv.h): whole conv2d passes from im2col / col2im and matmul.
void conv2d_forward(const TensorArg& x, const TensorArg& w, const OptTensor& bias, const TensorArg& y, int64_t kh,
                    int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                    int64_t groups);
void conv2d_input_grad(const TensorArg& gy, const TensorArg& w, const TensorArg& gx, int64_t kh, int64_t kw,
                       int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups);
void conv2d_weight_grad(const TensorArg& x, const TensorArg& gy, const TensorArg& gw, const OptTensor& gb,
                        int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                        int64_t dw, int64_t groups);

// pool.cu (csrc/cpu/pool.h)
void max_pool2d(const TensorArg& x, const TensorArg& out, const TensorArg& indices, int64_t kh, int64_t kw,
                int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool ceil_mode);
void max_pool2d_backward(const TensorArg& grad_out, const TensorArg& indices, const TensorArg& grad_in);
void avg_pool2d(const TensorArg& x, const TensorArg& out, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                int64_t ph, int64_t pw, bool ceil_mode, bool count_include_pad, int64_t divisor_override);
void avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_in, int64_t kh, int64_t kw,
                         int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool ceil_mode,
                         bool count_include_pad, int64_t divisor_override);
void adaptive_avg_pool2d(const TensorArg& x, const TensorArg& out);
void adaptive_avg_pool2d_backward(const TensorArg& grad_out, const TensorArg& grad_in);

// rnn.cu (csrc/cpu/rnn.h)
void lstm_cell_forward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& h_out,
                       const TensorArg& c_out, const TensorArg& act_out);
void lstm_cell_backward(const TensorArg& act, const TensorArg& c_prev, const TensorArg& c,
                        const TensorArg& grad_h, const TensorArg& grad_c, const TensorArg& grad_gates,
                        const TensorArg& grad_c_prev);
void gru_cell_forward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& h_out,
                      const TensorArg& saved);
void gru_cell_backward(const TensorArg& saved, const TensorArg& h_prev, const TensorArg& grad_h,
                       const TensorArg& grad_gi, const TensorArg& grad_gh, const TensorArg& grad_h_prev);

// rnn_sequence.cpp (csrc/cpu/rnn_sequence.h): the time loops from matmul and the cells.
void lstm_sequence_forward(const TensorArg& acts, const TensorArg& w_hh, const TensorArg& hs, const TensorArg& cs,
                           bool reverse, const OptTensor& xh = std::nullopt, const OptTensor& w_ih = std::nullopt,
                           const OptTensor& bias = std::nullopt);
void lstm_sequence_backward(const TensorArg& acts, const TensorArg& w_hh, const TensorArg& cs,
                            const TensorArg& grad_out, const TensorArg& grad_h, const TensorArg& grad_c,
                            const TensorArg& grad_gates, bool reverse, const OptTensor& w_ih = std::nullopt,
                            const OptTensor& grad_input = std::nullopt, const OptTensor& grad_bias = std::nullopt);
void gru_sequence_forward(const TensorArg& gi, const TensorArg& w_hh, const OptTensor& b_hh, const TensorArg& hs,
                          const TensorArg& saved, bool reverse);
void gru_sequence_backward(const TensorArg& saved, const TensorArg& w_hh, const TensorArg& hs,
                           const TensorArg& grad_out, const TensorArg& grad_h, const TensorArg& grad_gi,
                           const TensorArg& grad_gh, bool reverse);

// norm.cu (csrc/cpu/norm.h)
void batch_norm(const TensorArg& x, const OptTensor& weight, const OptTensor& bias, const OptTensor& running_mean,
                const OptTensor& running_var, const TensorArg& out, const TensorArg& save_mean,
                const TensorArg& save_invstd, bool training, double momentum, double eps);
void batch_norm_backward(const TensorArg& grad_out, const TensorArg& x, const OptTensor& weight,
                         const TensorArg& save_mean, const TensorArg& save_invstd, const OptTensor& grad_x,
                         const OptTensor& grad_weight, const OptTensor& grad_bias, bool training);
void layer_norm(const TensorArg& x, const OptTensor& weight, const OptTensor& bias, const TensorArg& out,
                const TensorArg& mean, const TensorArg& rstd, int64_t axis, double eps);
void layer_norm_backward(const TensorArg& grad_out, const TensorArg& x, const TensorArg& mean,
                         const TensorArg& rstd, const OptTensor& weight, const OptTensor& grad_x,
                         const OptTensor& grad_weight, const OptTensor& grad_bias, int64_t axis);

// linear.cpp (csrc/cpu/linear.h): compositions of the copy, GEMM and reduce kernels.
void linear(const TensorArg& x, const TensorArg& weight, const OptTensor& bias, const TensorArg& out,
            const std::string& activation);
void linear_backward(const TensorArg& grad, const OptTensor& x, const OptTensor& weight, const OptTensor& grad_x,
                     const OptTensor& grad_weight, const OptTensor& grad_bias);

// optim.cu (csrc/cpu/optim.h)
void sgd_step(const TensorArg& param, const TensorArg& grad, const OptTensor& momentum_buffer, double lr,
              double momentum, double dampening, double weight_decay, bool nesterov, bool maximize,
              bool init_buffer);
void adam_step(const TensorArg& param, const TensorArg& grad, const TensorArg& exp_avg, const TensorArg& exp_avg_sq,
               const OptTensor& max_exp_avg_sq, int64_t step, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool amsgrad, bool maximize, bool decoupled);
void adam_step_multi(const std::vector<TensorArg>& params, const std::vector<TensorArg>& grads,
                     const std::vector<TensorArg>& exp_avgs, const std::vector<TensorArg>& exp_avg_sqs,
                     const std::vector<TensorArg>& max_exp_avg_sqs, const std::vector<int64_t>& steps, double lr,
                     double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
                     bool decoupled);
void rmsprop_step(const TensorArg& param, const TensorArg& grad, const TensorArg& square_avg,
                  const OptTensor& grad_avg, const OptTensor& momentum_buffer, double lr, double alpha, double eps,
                  double weight_decay, double momentum, bool centered, bool maximize);

// grad_norm.cu (csrc/cpu/grad_norm.h)
double sum_squares_multi(const std::vector<TensorArg>& tensors);

}  // namespace cuda
}  // namespace fastdl
