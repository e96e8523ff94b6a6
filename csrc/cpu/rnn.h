// CPU fused pointwise kernels of one LSTM / GRU time step (PyTorch gate order). The
// GEMMs (x W_ih^T for all steps, h W_hh^T per step) are done by the caller; these
// kernels apply the nonlinearities and state update, and their backward. The layers
// run whole sequences through rnn_sequence.h, which applies the same cells row by row
// (rnn_rows.h); these one-step kernels are the CUDA sequence's building blocks.
// Every operand is a contiguous 2-D float32/float64 tensor of one dtype, B rows;
// widths are H, 4H (LSTM gates) or 3H / 4H (GRU gates / saved). Python allocates the
// outputs. Exact aliasing of an output with a same-shaped input is allowed.
#pragma once
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// gates (B,4H) pre-activations -> h_out, c_out (B,H); act_out (B,4H) = [i,f,g,o].
void lstm_cell_forward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& h_out,
                       const TensorArg& c_out, const TensorArg& act_out);
// act (B,4H), c_prev, c, grad_h, grad_c (B,H) -> grad_gates (B,4H), grad_c_prev (B,H).
void lstm_cell_backward(const TensorArg& act, const TensorArg& c_prev, const TensorArg& c,
                        const TensorArg& grad_h, const TensorArg& grad_c,
                        const TensorArg& grad_gates, const TensorArg& grad_c_prev);
// gi, gh (B,3H), h_prev (B,H) -> h_out (B,H); saved (B,4H) = [r,z,n,gh_n].
void gru_cell_forward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev,
                      const TensorArg& h_out, const TensorArg& saved);
// saved (B,4H), h_prev, grad_h (B,H) -> grad_gi, grad_gh (B,3H); grad_h_prev (B,H)
// holds only the direct z*h path (the W_hh path is the caller's GEMM).
void gru_cell_backward(const TensorArg& saved, const TensorArg& h_prev, const TensorArg& grad_h,
                       const TensorArg& grad_gi, const TensorArg& grad_gh,
                       const TensorArg& grad_h_prev);

}  // namespace cpu
}  // namespace fastdl
