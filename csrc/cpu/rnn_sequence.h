// CPU LSTM / GRU layers' time loops (one direction) in one call each: the recurrent
// weight is packed for the GEMM once per call instead of once per step, and each thread
// runs every step on its own block of batch rows (row b of a step's GEMM and cell reads
// only row b of the states), so a sequence costs one parallel job, not 2T.
// The weight gradients (one GEMM over all steps) and the GRU's input projection (one
// GEMM over all steps) stay with the caller (python/fastdl/nn/functional/rnn.py); the
// LSTM kernels can take the input side too (optional operands below).
//
// Layout: per-step tensors are (T, B, k*H) in time order; state buffers hs / cs are
// (T+1, B, H) with the initial state in slot 0, step t writing slot t+1 (reverse: the
// initial state in slot T, step t writing slot t, steps run from T-1 down to 0), so
// the outputs and each step's previous state are both slices of one buffer.
// Every operand is contiguous except w_hh (4H, H) / (3H, H), w_ih and the biases, which may
// have any strides; one float dtype throughout; outputs must not overlap inputs except
// where in/out is stated.
#pragma once
#include <optional>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// acts (T, B, 4H): in, the input projections; out, the gate activations [i, f, g, o]
// (saved for the backward). hs, cs (T+1, B, H): in, the initial state slot; out, the rest.
// With xh (T, B, I+H+1) and w_ih (4H, I) (and optionally bias (4H,), b_ih + b_hh) the
// kernel projects the input itself, step by step, and acts is out only. xh: in, per
// step [x_t | any | 1]; out, [x_t | h_prev | 1] (the rows the weight gradients need).
void lstm_sequence_forward(const TensorArg& acts, const TensorArg& w_hh, const TensorArg& hs, const TensorArg& cs,
                           bool reverse, const std::optional<TensorArg>& xh = std::nullopt,
                           const std::optional<TensorArg>& w_ih = std::nullopt,
                           const std::optional<TensorArg>& bias = std::nullopt);

// acts, cs as the forward left them; grad_out (T, B, H) = dL/d(outputs). grad_h, grad_c
// (B, H): in, dL/dh_n and dL/dc_n; out, dL/dh0 and dL/dc0. grad_gates (T, B, 4H), out:
// dL/d(gate pre-activations) of every step. Optional, computed per step while that
// step's gate grads are in cache (cheaper than a GEMM over all of them afterwards):
// w_ih (4H, I) with grad_input (T, B, I), out: dL/d(input) = grad_gates @ w_ih; and
// grad_bias (4H,), out: grad_gates summed over steps and rows (dL/d(b_ih) = dL/d(b_hh)).
void lstm_sequence_backward(const TensorArg& acts, const TensorArg& w_hh, const TensorArg& cs,
                            const TensorArg& grad_out, const TensorArg& grad_h, const TensorArg& grad_c,
                            const TensorArg& grad_gates, bool reverse,
                            const std::optional<TensorArg>& w_ih = std::nullopt,
                            const std::optional<TensorArg>& grad_input = std::nullopt,
                            const std::optional<TensorArg>& grad_bias = std::nullopt);

// gi (T, B, 3H): the input projections x W_ih^T + b_ih; b_hh (3H,) or none. hs as for
// the LSTM; saved (T, B, 4H), out: per step [r, z, n, (h W_hh^T + b_hh)_n].
void gru_sequence_forward(const TensorArg& gi, const TensorArg& w_hh, const std::optional<TensorArg>& b_hh,
                          const TensorArg& hs, const TensorArg& saved, bool reverse);

// saved, hs as the forward left them; grad_out (T, B, H). grad_h (B, H): in, dL/dh_n;
// out, dL/dh0. grad_gi, grad_gh (T, B, 3H), out: dL/d(x W_ih^T + b_ih), dL/d(h W_hh^T + b_hh).
void gru_sequence_backward(const TensorArg& saved, const TensorArg& w_hh, const TensorArg& hs,
                           const TensorArg& grad_out, const TensorArg& grad_h, const TensorArg& grad_gi,
                           const TensorArg& grad_gh, bool reverse);

}  // namespace cpu
}  // namespace fastdl
