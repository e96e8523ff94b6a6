// float32 vector versions of the LSTM / GRU cell equations of csrc/common/rnn_cells.h
// (rnn_cells_simd.h), one batch row at a time: 8 hidden units per step in rnn_avx2 (call
// only when use_avx2()), 16 in rnn_avx512 (only when use_avx512()), a masked block for
// the rest. Each function takes the same row pointers as the matching *_elem function and
// does the whole row j = 0..H-1; results agree with the scalar functions to a few ulp
// (tests/test_rnn_kernels.py), and the two widths give the same bits. The same aliasing
// is allowed.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
// The four row functions, declared in each ISA's namespace below.
#define FASTDL_RNN_CELL_ROW_DECLS                                                                      \
  void lstm_forward_row(const float* gates, const float* c_prev, float* h_out, float* c_out, float* act,  \
                        int64_t H);                                                                     \
  void lstm_backward_row(const float* act, const float* c_prev, const float* c, const float* grad_h,     \
                         const float* grad_c, float* grad_gates, float* grad_c_prev, int64_t H);        \
  void gru_forward_row(const float* gi, const float* gh, const float* h_prev, float* h_out, float* saved, \
                       int64_t H);                                                                      \
  void gru_backward_row(const float* saved, const float* h_prev, const float* grad_h, float* grad_gi,    \
                        float* grad_gh, float* grad_h_prev, int64_t H);

namespace rnn_avx2 {
FASTDL_RNN_CELL_ROW_DECLS
}  // namespace rnn_avx2

namespace rnn_avx512 {
FASTDL_RNN_CELL_ROW_DECLS
}  // namespace rnn_avx512
}  // namespace cpu
}  // namespace fastdl
