#include "rnn.h"

#include "../core/parallel.h"
#include "rnn_args.h"
#include "rnn_rows.h"

namespace fastdl {
namespace cpu {

namespace {

// Runs row(b) for the B rows of a (B, H) cell grid, split across threads; vec_cost is
// the kernel's AVX2 cost per cell (rnn_rows.h).
template <typename T, typename Row>
void for_each_row(int64_t B, int64_t H, int64_t vec_cost, Row&& row) {
  if (H == 0) return;
  parallel_for(B, H * cell_cost<T>(vec_cost), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) row(b);
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
    for_each_row<T>(B, H, kLstmForwardCost, [&](int64_t b) {
      lstm_forward_row(a + b * G, cp + b * H, h + b * H, c + b * H, act + b * G, H);
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
    for_each_row<T>(B, H, kLstmBackwardCost, [&](int64_t b) {
      const int64_t r = b * H;
      lstm_backward_row(s + b * G, cp + r, cc + r, dh + r, dc + r, dg + b * G, dcp + r, H);
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
    for_each_row<T>(B, H, kGruForwardCost, [&](int64_t b) {
      gru_forward_row(xi + b * G, xh + b * G, hp + b * H, h + b * H, sv + b * S, H);
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
    for_each_row<T>(B, H, kGruBackwardCost, [&](int64_t b) {
      gru_backward_row(sv + b * S, hp + b * H, dh + b * H, dgi + b * G, dgh + b * G, dhp + b * H, H);
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
