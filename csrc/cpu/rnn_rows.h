// One batch row of each LSTM / GRU cell on the fastest path: the float32 AVX-512 or AVX2
// row (csrc/cpu/rnn_cells_vec.h) when use_avx512() / use_avx2(), else the scalar equations of
// csrc/common/rnn_cells.h unit by unit. Row pointers and aliasing as in those files.
// Shared by the one-step cell kernels (rnn.cpp) and the sequence loops (rnn_sequence.cpp).
// Not for *_avx2.cpp files (rnn_cells.h must not be compiled with -mavx2).
#pragma once
#include <cstdint>
#include <type_traits>

#include "../common/rnn_cells.h"
#include "../core/cpu_features.h"
#include "rnn_cells_vec.h"

namespace fastdl {
namespace cpu {

// Relative cost of one cell for parallel_for: ~1 per exp/tanh/sigmoid of a float32 AVX2
// cell (~1 ns each), or kScalarCellCost for the 3-5 scalar libm calls (~100 ns).
// Measured: one backward step of 8k cells takes ~15 us, below which a woken thread
// costs more than it saves.
constexpr int64_t kScalarCellCost = 32;
enum CellCost : int64_t { kLstmForwardCost = 4, kLstmBackwardCost = 2, kGruForwardCost = 3, kGruBackwardCost = 1 };

template <typename T>
bool cell_rows_vectorised() {
  return std::is_same<T, float>::value && use_avx2();
}

// Cost per cell for parallel_for of a kernel whose AVX2 cell costs `vec_cost`.
template <typename T>
int64_t cell_cost(int64_t vec_cost) {
  return cell_rows_vectorised<T>() ? vec_cost : kScalarCellCost;
}

template <typename T>
void lstm_forward_row(const T* gates, const T* c_prev, T* h_out, T* c_out, T* act, int64_t H) {
  if constexpr (std::is_same<T, float>::value) {
    if (use_avx512()) return rnn_avx512::lstm_forward_row(gates, c_prev, h_out, c_out, act, H);
    if (use_avx2()) return rnn_avx2::lstm_forward_row(gates, c_prev, h_out, c_out, act, H);
  }
  for (int64_t j = 0; j < H; ++j) rnn::lstm_forward_elem(gates, c_prev, h_out, c_out, act, H, j);
}

template <typename T>
void lstm_backward_row(const T* act, const T* c_prev, const T* c, const T* grad_h, const T* grad_c,
                       T* grad_gates, T* grad_c_prev, int64_t H) {
  if constexpr (std::is_same<T, float>::value) {
    if (use_avx512())
      return rnn_avx512::lstm_backward_row(act, c_prev, c, grad_h, grad_c, grad_gates, grad_c_prev, H);
    if (use_avx2()) return rnn_avx2::lstm_backward_row(act, c_prev, c, grad_h, grad_c, grad_gates, grad_c_prev, H);
  }
  for (int64_t j = 0; j < H; ++j)
    rnn::lstm_backward_elem(act, c_prev, c, grad_h, grad_c, grad_gates, grad_c_prev, H, j);
}

template <typename T>
void gru_forward_row(const T* gi, const T* gh, const T* h_prev, T* h_out, T* saved, int64_t H) {
  if constexpr (std::is_same<T, float>::value) {
    if (use_avx512()) return rnn_avx512::gru_forward_row(gi, gh, h_prev, h_out, saved, H);
    if (use_avx2()) return rnn_avx2::gru_forward_row(gi, gh, h_prev, h_out, saved, H);
  }
  for (int64_t j = 0; j < H; ++j) rnn::gru_forward_elem(gi, gh, h_prev, h_out, saved, H, j);
}

template <typename T>
void gru_backward_row(const T* saved, const T* h_prev, const T* grad_h, T* grad_gi, T* grad_gh,
                      T* grad_h_prev, int64_t H) {
  if constexpr (std::is_same<T, float>::value) {
    if (use_avx512()) return rnn_avx512::gru_backward_row(saved, h_prev, grad_h, grad_gi, grad_gh, grad_h_prev, H);
    if (use_avx2()) return rnn_avx2::gru_backward_row(saved, h_prev, grad_h, grad_gi, grad_gh, grad_h_prev, H);
  }
  for (int64_t j = 0; j < H; ++j) rnn::gru_backward_elem(saved, h_prev, grad_h, grad_gi, grad_gh, grad_h_prev, H, j);
}

}  // namespace cpu
}  // namespace fastdl
