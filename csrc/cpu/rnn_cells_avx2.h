// float32 AVX2 versions of the LSTM / GRU cell equations of csrc/common/rnn_cells.h,
// one batch row at a time, 8 hidden units per step (a masked block for H % 8). Each
// function takes the same row pointers as the matching *_elem function and does the
// whole row j = 0..H-1; results agree with the scalar functions to a few ulp
// (tests/test_rnn_kernels.py). The same aliasing is allowed. Call only when use_avx2().
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
namespace rnn_avx2 {

void lstm_forward_row(const float* gates, const float* c_prev, float* h_out, float* c_out,
                      float* act, int64_t H);
void lstm_backward_row(const float* act, const float* c_prev, const float* c, const float* grad_h,
                       const float* grad_c, float* grad_gates, float* grad_c_prev, int64_t H);
void gru_forward_row(const float* gi, const float* gh, const float* h_prev, float* h_out,
                     float* saved, int64_t H);
void gru_backward_row(const float* saved, const float* h_prev, const float* grad_h,
                      float* grad_gi, float* grad_gh, float* grad_h_prev, int64_t H);

}  // namespace rnn_avx2
}  // namespace cpu
}  // namespace fastdl
