#include "rnn.h"

#include <type_traits>
#include <utility>

#include "../common/rnn_cells.h"
#include "../core/cpu_features.h"
#include "../core/parallel.h"
#include "rnn_args.h"
#include "rnn_cells_avx2.h"

namespace fastdl {
namespace cpu {

namespace {

// One cell costs 3-5 scalar libm calls (~100 ns, vs ~1 ns for an elementwise op):
// weighted so, a step goes parallel from about 1000 cells (~0.1 ms of work).
constexpr int64_t kElemCost = 32;
// Cost of one float32 AVX2 cell, ~1 per exp/tanh/sigmoid it evaluates (~1 ns each):
// the LSTM forward (5 of them) goes parallel from ~8k cells (B=64, H=128, one step of
// the benchmark LSTM), its backward (1) from ~16k; below that a woken thread costs
// more than it saves (measured: the backward step of 8k cells takes ~15 us).
constexpr int64_t kVecLstmForward = 4, kVecLstmBackward = 2, kVecGruForward = 3, kVecGruBackward = 1;

// Runs the cells of the (B, H) grid, rows split across threads: vec_row(b) does row b
// on the float32 AVX2 path (vec_cost per cell), else elem(b, j) every unit with the
// scalar equations.
// vec_row is a generic lambda so that its float-only body is never instantiated for
// float64.
template <typename T, typename VecRow, typename Elem>
void for_each_cell(int64_t B, int64_t H, int64_t vec_cost, VecRow&& vec_row, Elem&& elem) {
  if (H == 0) return;
  if constexpr (std::is_same<T, float>::value) {
    if (use_avx2()) {
      parallel_for(B, H * vec_cost, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) vec_row(b);
      });
      return;
    }
  }
  parallel_for(B, H * kElemCost, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t j = 0; j < H; ++j) elem(b, j);
  });
}

}  // namespace

void lstm_cell_forward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& h_out,
                       const TensorArg& c_out, const TensorArg& act_out) {
  const char* op = "lstm_cell_forward";
  const CellOperand ref{"c_prev", &c_prev, 1};
  const int64_t H = check_cell_operands(op, on_cpu(op), ref,
                                        {{"gates", &gates, rnn::kLstmGates}, ref, {"h_out", &h_out, 1},
                                         {"c_out", &c_out, 1}, {"act_out", &act_out, rnn::kLstmGates}});
  const int64_t B = c_prev.shape[0], G = rnn::kLstmGates * H;
  FASTDL_DISPATCH_FLOAT(c_prev.dtype, op, [&] {
    using T = scalar_t;
    const T *a = gates.data<T>(), *cp = c_prev.data<T>();
    T *h = h_out.data<T>(), *c = c_out.data<T>(), *act = act_out.data<T>();
    for_each_cell<T>(
        B, H, kVecLstmForward,
        [&](auto b) { rnn_avx2::lstm_forward_row(a + b * G, cp + b * H, h + b * H, c + b * H, act + b * G, H); },
        [&](int64_t b, int64_t j) {
          rnn::lstm_forward_elem(a + b * G, cp + b * H, h + b * H, c + b * H, act + b * G, H, j);
        });
  })
}

void lstm_cell_backward(const TensorArg& act, const TensorArg& c_prev, const TensorArg& c,
                        const TensorArg& grad_h, const TensorArg& grad_c,
                        const TensorArg& grad_gates, const TensorArg& grad_c_prev) {
  const char* op = "lstm_cell_backward";
  const CellOperand ref{"c_prev", &c_prev, 1};
  const int64_t H = check_cell_operands(
      op, on_cpu(op), ref,
      {{"act", &act, rnn::kLstmGates}, ref, {"c", &c, 1}, {"grad_h", &grad_h, 1}, {"grad_c", &grad_c, 1},
       {"grad_gates", &grad_gates, rnn::kLstmGates}, {"grad_c_prev", &grad_c_prev, 1}});
  const int64_t B = c_prev.shape[0], G = rnn::kLstmGates * H;
  FASTDL_DISPATCH_FLOAT(c_prev.dtype, op, [&] {
    using T = scalar_t;
    const T *s = act.data<T>(), *cp = c_prev.data<T>(), *cc = c.data<T>();
    const T *dh = grad_h.data<T>(), *dc = grad_c.data<T>();
    T *dg = grad_gates.data<T>(), *dcp = grad_c_prev.data<T>();
    for_each_cell<T>(
        B, H, kVecLstmBackward,
        [&](auto b) {
          const auto r = b * H;
          rnn_avx2::lstm_backward_row(s + b * G, cp + r, cc + r, dh + r, dc + r, dg + b * G, dcp + r, H);
        },
        [&](int64_t b, int64_t j) {
          const int64_t r = b * H;
          rnn::lstm_backward_elem(s + b * G, cp + r, cc + r, dh + r, dc + r, dg + b * G, dcp + r, H, j);
        });
  })
}

void gru_cell_forward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev,
                      const TensorArg& h_out, const TensorArg& saved) {
  const char* op = "gru_cell_forward";
  const CellOperand ref{"h_prev", &h_prev, 1};
  const int64_t H = check_cell_operands(op, on_cpu(op), ref,
                                        {{"gi", &gi, rnn::kGruGates}, {"gh", &gh, rnn::kGruGates}, ref,
                                         {"h_out", &h_out, 1}, {"saved", &saved, rnn::kGruSaved}});
  const int64_t B = h_prev.shape[0], G = rnn::kGruGates * H, S = rnn::kGruSaved * H;
  FASTDL_DISPATCH_FLOAT(h_prev.dtype, op, [&] {
    using T = scalar_t;
    const T *xi = gi.data<T>(), *xh = gh.data<T>(), *hp = h_prev.data<T>();
    T *h = h_out.data<T>(), *sv = saved.data<T>();
    for_each_cell<T>(
        B, H, kVecGruForward,
        [&](auto b) { rnn_avx2::gru_forward_row(xi + b * G, xh + b * G, hp + b * H, h + b * H, sv + b * S, H); },
        [&](int64_t b, int64_t j) {
          rnn::gru_forward_elem(xi + b * G, xh + b * G, hp + b * H, h + b * H, sv + b * S, H, j);
        });
  })
}

void gru_cell_backward(const TensorArg& saved, const TensorArg& h_prev, const TensorArg& grad_h,
                       const TensorArg& grad_gi, const TensorArg& grad_gh,
                       const TensorArg& grad_h_prev) {
  const char* op = "gru_cell_backward";
  const CellOperand ref{"h_prev", &h_prev, 1};
  const int64_t H = check_cell_operands(
      op, on_cpu(op), ref,
      {{"saved", &saved, rnn::kGruSaved}, ref, {"grad_h", &grad_h, 1}, {"grad_gi", &grad_gi, rnn::kGruGates},
       {"grad_gh", &grad_gh, rnn::kGruGates}, {"grad_h_prev", &grad_h_prev, 1}});
  const int64_t B = h_prev.shape[0], G = rnn::kGruGates * H, S = rnn::kGruSaved * H;
  FASTDL_DISPATCH_FLOAT(h_prev.dtype, op, [&] {
    using T = scalar_t;
    const T *sv = saved.data<T>(), *hp = h_prev.data<T>(), *dh = grad_h.data<T>();
    T *dgi = grad_gi.data<T>(), *dgh = grad_gh.data<T>(), *dhp = grad_h_prev.data<T>();
    for_each_cell<T>(
        B, H, kVecGruBackward,
        [&](auto b) {
          rnn_avx2::gru_backward_row(sv + b * S, hp + b * H, dh + b * H, dgi + b * G, dgh + b * G,
                                     dhp + b * H, H);
        },
        [&](int64_t b, int64_t j) {
          rnn::gru_backward_elem(sv + b * S, hp + b * H, dh + b * H, dgi + b * G, dgh + b * G,
                                 dhp + b * H, H, j);
        });
  })
}

}  // namespace cpu
}  // namespace fastdl
