#include "rnn_sequence.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "../common/rnn_cells.h"
#include "../core/errors.h"
#include "../core/parallel.h"
#include "elementwise.h"
#include "gemm.h"
#include "rnn_rows.h"
#include "rnn_sequence_args.h"

namespace fastdl {
namespace cpu {

namespace {

// W_hh (G, H) packed as the B of the forward's h @ W_hh^T (K = H, N = G).
template <typename T>
PackedB<T> pack_w_hh_t(const TensorArg& w) {
  return pack_b_once<T>(w.shape[1], w.shape[0], w.data<T>(), w.strides[1], w.strides[0]);
}

// W_hh (G, H) packed as the B of the backward's dgates @ W_hh (K = G, N = H).
template <typename T>
PackedB<T> pack_w_hh(const TensorArg& w) {
  return pack_b_once<T>(w.shape[0], w.shape[1], w.data<T>(), w.strides[0], w.strides[1]);
}

// Blocks of batch rows, each run for the whole sequence: no step waits for another
// thread. One block on one thread (the most rows per packed B sliver); otherwise 2 or 3
// per thread, claimed dynamically, so a thread the shared machine deschedules leaves
// its remaining blocks to the others. Of the two counts, the one whose round-robin share
// of rows is smaller for the busiest thread (ties: more blocks): blocks need not be
// whole 6-row tiles, since gemm_prepacked runs edge rows at their own cost (64 rows on
// 2 threads: 4 blocks of 16, not 36 + 28 rows of 12-row blocks). All blocks but the
// last have the same size. The bounds depend only on B and the thread count
// (reproducible results, also of sums over blocks taken in block order).
struct RowBlocks {
  int64_t size, count;
};

RowBlocks row_blocks(int64_t B) {
  constexpr int64_t kTile = 6;  // at least a micro-tile's rows per block
  const int64_t nt = get_num_threads();
  if (nt == 1 || B <= 0) return {std::max<int64_t>(B, 1), 1};
  RowBlocks best{0, 0};
  int64_t best_load = 0;
  for (int64_t per_thread : {2, 3}) {
    const int64_t want = std::min(nt * per_thread, (B + kTile - 1) / kTile);
    const int64_t size = (B + want - 1) / want, count = (B + size - 1) / size;
    int64_t load = 0;  // rows of the busiest thread when blocks go round-robin
    for (int64_t t = 0; t < nt; ++t) {
      int64_t rows = 0;
      for (int64_t blk = t; blk < count; blk += nt) rows += std::min(size, B - blk * size);
      load = std::max(load, rows);
    }
    if (best.count == 0 || load <= best_load) best = {size, count}, best_load = load;
  }
  return best;
}

// Runs rows(r0, r1) on the row blocks of row_blocks(d.B).
template <typename F>
void for_row_blocks(const SequenceDims& d, int64_t G, F&& rows) {
  const int nt = get_num_threads();
  const int64_t block = row_blocks(d.B).size;
  std::atomic<int64_t> next{0};
  const int64_t work = d.B * d.T * G * std::max<int64_t>(d.H, 1);  // multiply-adds of the recurrent GEMMs
  parallel_for(nt, work / nt, [&](int64_t, int64_t) {
    for (int64_t r0; (r0 = next.fetch_add(1) * block) < d.B;) rows(r0, std::min(d.B, r0 + block));
  });
}

// acc[j] += m[b][j] summed over the rows b of a contiguous (rows, n) matrix.
// __restrict: the two never overlap, which lets the compiler vectorise the loop.
template <typename T>
void add_rows(const T* __restrict m, int64_t rows, int64_t n, T* __restrict acc) {
  for (int64_t b = 0; b < rows; ++b)
    for (int64_t j = 0; j < n; ++j) acc[j] += m[b * n + j];
}

// Row r of step t of a (T or T+1, B, width) buffer.
template <typename T>
T* at(T* buf, const SequenceDims& d, int64_t width, int64_t t, int64_t r) {
  return buf + (t * d.B + r) * width;
}

}  // namespace

void lstm_sequence_forward(const TensorArg& acts, const TensorArg& w_hh, const TensorArg& hs, const TensorArg& cs,
                           bool reverse, const std::optional<TensorArg>& xh, const std::optional<TensorArg>& w_ih,
                           const std::optional<TensorArg>& bias) {
  const char* op = "lstm_sequence_forward";
  if (xh.has_value() != w_ih.has_value())
    fail_value(std::string(op) + ": xh and w_ih must be given together (or neither)");
  if (bias && !xh) fail_value(std::string(op) + ": bias needs xh and w_ih");
  const SeqOperand a{"acts", &acts, SeqShape::kSteps, rnn::kLstmGates};
  const SeqOperand w{"w_hh", &w_hh, SeqShape::kWeight, rnn::kLstmGates};
  const SequenceDims d = check_sequence_operands(
      op, on_cpu(op), a, w,
      {a, w, {"hs", &hs, SeqShape::kStates, 1}, {"cs", &cs, SeqShape::kStates, 1},
       {"xh", xh ? &*xh : nullptr, SeqShape::kInputAndState, 1},
       {"w_ih", w_ih ? &*w_ih : nullptr, SeqShape::kInputWeight, rnn::kLstmGates},
       {"bias", bias ? &*bias : nullptr, SeqShape::kBias, rnn::kLstmGates}});
  const int64_t H = d.H, G = rnn::kLstmGates * H, I = d.I, K = I + H + 1;
  if (d.B * H == 0) return;
  FASTDL_DISPATCH_FLOAT(acts.dtype, op, [&] {
    using T = scalar_t;
    T *A = acts.data<T>(), *Hs = hs.data<T>(), *Cs = cs.data<T>();
    // Per step either h_prev @ W_hh^T added into the given projections, or the whole
    // [x_t | h_prev | 1] @ [W_ih | W_hh | bias]^T as one GEMM (about as fast as a
    // projection GEMM over all steps first, and the backward finds [x_t | h_prev] of
    // every step side by side for its weight gradients).
    std::vector<T> wcat;  // (G, K): row n = [W_ih[n] | W_hh[n] | bias_n or 0]
    if (xh) {
      wcat.assign(static_cast<size_t>(G * K), T(0));
      const T *wi = w_ih->data<T>(), *wh = w_hh.data<T>();
      for (int64_t n = 0; n < G; ++n) {
        T* row = wcat.data() + n * K;
        for (int64_t j = 0; j < I; ++j) row[j] = wi[n * w_ih->strides[0] + j * w_ih->strides[1]];
        for (int64_t j = 0; j < H; ++j) row[I + j] = wh[n * w_hh.strides[0] + j * w_hh.strides[1]];
        if (bias) row[I + H] = bias->data<T>()[n * bias->strides[0]];
      }
    }
    const PackedB<T> wt = xh ? pack_b_once<T>(K, G, wcat.data(), 1, K) : pack_w_hh_t<T>(w_hh);
    T* XH = xh ? xh->data<T>() : nullptr;
    for_row_blocks(d, G, [&](int64_t r0, int64_t r1) {
      const int64_t rows = r1 - r0;
      for (int64_t k = 0; k < d.T; ++k) {
        const StepSlots s = step_slots(k, d.T, reverse);
        T* a = at(A, d, G, s.t, r0);
        const T *hp = at(Hs, d, H, s.prev, r0), *cp = at(Cs, d, H, s.prev, r0);
        T *hn = at(Hs, d, H, s.next, r0), *cn = at(Cs, d, H, s.next, r0);
        if (XH) {
          T* in = at(XH, d, K, s.t, r0);
          for (int64_t b = 0; b < rows; ++b) std::copy(hp + b * H, hp + (b + 1) * H, in + b * K + I);
          gemm_prepacked<T>(rows, T(1), in, K, 1, wt, T(0), a, G);
        } else {
          gemm_prepacked<T>(rows, T(1), hp, H, 1, wt, T(1), a, G);
        }
        for (int64_t b = 0; b < rows; ++b)
          lstm_forward_row(a + b * G, cp + b * H, hn + b * H, cn + b * H, a + b * G, H);
      }
    });
  })
}

void lstm_sequence_backward(const TensorArg& acts, const TensorArg& w_hh, const TensorArg& cs,
                            const TensorArg& grad_out, const TensorArg& grad_h, const TensorArg& grad_c,
                            const TensorArg& grad_gates, bool reverse, const std::optional<TensorArg>& w_ih,
                            const std::optional<TensorArg>& grad_input, const std::optional<TensorArg>& grad_bias) {
  const char* op = "lstm_sequence_backward";
  if (w_ih.has_value() != grad_input.has_value())
    fail_value(std::string(op) + ": w_ih and grad_input must be given together (or neither)");
  const SeqOperand a{"acts", &acts, SeqShape::kSteps, rnn::kLstmGates};
  const SeqOperand w{"w_hh", &w_hh, SeqShape::kWeight, rnn::kLstmGates};
  const SequenceDims d = check_sequence_operands(
      op, on_cpu(op), a, w,
      {a, w, {"cs", &cs, SeqShape::kStates, 1}, {"grad_out", &grad_out, SeqShape::kSteps, 1},
       {"grad_h", &grad_h, SeqShape::kRow, 1}, {"grad_c", &grad_c, SeqShape::kRow, 1},
       {"grad_gates", &grad_gates, SeqShape::kSteps, rnn::kLstmGates},
       {"w_ih", w_ih ? &*w_ih : nullptr, SeqShape::kInputWeight, rnn::kLstmGates},
       {"grad_input", grad_input ? &*grad_input : nullptr, SeqShape::kInputSteps, 1},
       {"grad_bias", grad_bias ? &*grad_bias : nullptr, SeqShape::kBias, rnn::kLstmGates}});
  const int64_t H = d.H, G = rnn::kLstmGates * H, I = d.I;
  if (grad_bias) fill(*grad_bias, 0.0);
  if (grad_input && H == 0) fill(*grad_input, 0.0);  // no gates: d(input) = 0
  if (d.B * H == 0) return;
  FASTDL_DISPATCH_FLOAT(acts.dtype, op, [&] {
    using T = scalar_t;
    const PackedB<T> wp = pack_w_hh<T>(w_hh);
    std::optional<PackedB<T>> wi;  // W_ih (G, I) as the B of dgates @ W_ih (K = G, N = I)
    if (w_ih) wi.emplace(pack_b_once<T>(G, I, w_ih->data<T>(), w_ih->strides[0], w_ih->strides[1]));
    const RowBlocks blocks = row_blocks(d.B);
    std::vector<T> bias_parts(grad_bias ? static_cast<size_t>(blocks.count * G) : 0);  // per row block
    const T *A = acts.data<T>(), *Cs = cs.data<T>(), *Gout = grad_out.data<T>();
    T *DG = grad_gates.data<T>(), *DH = grad_h.data<T>(), *DC = grad_c.data<T>();
    T* DX = grad_input ? grad_input->data<T>() : nullptr;
    for_row_blocks(d, G, [&](int64_t r0, int64_t r1) {
      const int64_t rows = r1 - r0;
      T *dh = DH + r0 * H, *dc = DC + r0 * H;  // dL/d(state) after the step being undone
      T* db = grad_bias ? bias_parts.data() + r0 / blocks.size * G : nullptr;
      for (int64_t k = d.T - 1; k >= 0; --k) {
        const StepSlots s = step_slots(k, d.T, reverse);
        const T* gout = at(Gout, d, H, s.t, r0);
        for (int64_t i = 0; i < rows * H; ++i) dh[i] += gout[i];
        const T *a = at(A, d, G, s.t, r0), *cp = at(Cs, d, H, s.prev, r0), *cn = at(Cs, d, H, s.next, r0);
        T* dg = at(DG, d, G, s.t, r0);
        for (int64_t b = 0; b < rows; ++b)
          lstm_backward_row(a + b * G, cp + b * H, cn + b * H, dh + b * H, dc + b * H, dg + b * G, dc + b * H, H);
        // while this step's gate grads are in cache: their share of d(input) and d(bias)
        if (DX) gemm_prepacked<T>(rows, T(1), dg, G, 1, *wi, T(0), at(DX, d, I, s.t, r0), I);
        if (db) add_rows(dg, rows, G, db);
        gemm_prepacked<T>(rows, T(1), dg, G, 1, wp, T(0), dh, H);  // dL/dh_prev = dgates @ W_hh
      }
    });
    if (grad_bias) {
      T* out = grad_bias->data<T>();
      for (int64_t blk = 0; blk < blocks.count; ++blk)
        for (int64_t j = 0; j < G; ++j) out[j * grad_bias->strides[0]] += bias_parts[blk * G + j];
    }
  })
}

void gru_sequence_forward(const TensorArg& gi, const TensorArg& w_hh, const std::optional<TensorArg>& b_hh,
                          const TensorArg& hs, const TensorArg& saved, bool reverse) {
  const char* op = "gru_sequence_forward";
  const SeqOperand x{"gi", &gi, SeqShape::kSteps, rnn::kGruGates};
  const SeqOperand w{"w_hh", &w_hh, SeqShape::kWeight, rnn::kGruGates};
  const SequenceDims d = check_sequence_operands(
      op, on_cpu(op), x, w,
      {x, w, {"b_hh", b_hh ? &*b_hh : nullptr, SeqShape::kBias, rnn::kGruGates},
       {"hs", &hs, SeqShape::kStates, 1}, {"saved", &saved, SeqShape::kSteps, rnn::kGruSaved}});
  const int64_t H = d.H, G = rnn::kGruGates * H, S = rnn::kGruSaved * H;
  if (d.B * H == 0) return;
  FASTDL_DISPATCH_FLOAT(gi.dtype, op, [&] {
    using T = scalar_t;
    const PackedB<T> wt = pack_w_hh_t<T>(w_hh);
    const T *X = gi.data<T>(), *bias = b_hh ? b_hh->data<T>() : nullptr;
    const int64_t bias_stride = b_hh ? b_hh->strides[0] : 0;
    T *Hs = hs.data<T>(), *Sv = saved.data<T>();
    for_row_blocks(d, G, [&](int64_t r0, int64_t r1) {
      const int64_t rows = r1 - r0;
      std::vector<T> gh(static_cast<size_t>(rows * G));  // h_prev W_hh^T + b_hh of this step
      for (int64_t k = 0; k < d.T; ++k) {
        const StepSlots s = step_slots(k, d.T, reverse);
        if (bias)
          for (int64_t b = 0; b < rows; ++b)
            for (int64_t j = 0; j < G; ++j) gh[b * G + j] = bias[j * bias_stride];
        const T* hp = at(Hs, d, H, s.prev, r0);
        gemm_prepacked<T>(rows, T(1), hp, H, 1, wt, bias ? T(1) : T(0), gh.data(), G);
        const T* xi = at(X, d, G, s.t, r0);
        T *hn = at(Hs, d, H, s.next, r0), *sv = at(Sv, d, S, s.t, r0);
        for (int64_t b = 0; b < rows; ++b)
          gru_forward_row(xi + b * G, gh.data() + b * G, hp + b * H, hn + b * H, sv + b * S, H);
      }
    });
  })
}

void gru_sequence_backward(const TensorArg& saved, const TensorArg& w_hh, const TensorArg& hs,
                           const TensorArg& grad_out, const TensorArg& grad_h, const TensorArg& grad_gi,
                           const TensorArg& grad_gh, bool reverse) {
  const char* op = "gru_sequence_backward";
  const SeqOperand sv{"saved", &saved, SeqShape::kSteps, rnn::kGruSaved};
  const SeqOperand w{"w_hh", &w_hh, SeqShape::kWeight, rnn::kGruGates};
  const SequenceDims d = check_sequence_operands(
      op, on_cpu(op), sv, w,
      {sv, w, {"hs", &hs, SeqShape::kStates, 1}, {"grad_out", &grad_out, SeqShape::kSteps, 1},
       {"grad_h", &grad_h, SeqShape::kRow, 1}, {"grad_gi", &grad_gi, SeqShape::kSteps, rnn::kGruGates},
       {"grad_gh", &grad_gh, SeqShape::kSteps, rnn::kGruGates}});
  const int64_t H = d.H, G = rnn::kGruGates * H, S = rnn::kGruSaved * H;
  if (d.B * H == 0) return;
  FASTDL_DISPATCH_FLOAT(saved.dtype, op, [&] {
    using T = scalar_t;
    const PackedB<T> wp = pack_w_hh<T>(w_hh);
    const T *Sv = saved.data<T>(), *Hs = hs.data<T>(), *Gout = grad_out.data<T>();
    T *DGI = grad_gi.data<T>(), *DGH = grad_gh.data<T>(), *DH = grad_h.data<T>();
    for_row_blocks(d, G, [&](int64_t r0, int64_t r1) {
      const int64_t rows = r1 - r0;
      T* dh = DH + r0 * H;
      for (int64_t k = d.T - 1; k >= 0; --k) {
        const StepSlots s = step_slots(k, d.T, reverse);
        const T* gout = at(Gout, d, H, s.t, r0);
        for (int64_t i = 0; i < rows * H; ++i) dh[i] += gout[i];
        const T *sv = at(Sv, d, S, s.t, r0), *hp = at(Hs, d, H, s.prev, r0);
        T *dgi = at(DGI, d, G, s.t, r0), *dgh = at(DGH, d, G, s.t, r0);
        // dh becomes the direct z * dh path of dL/dh_prev; the GEMM adds the W_hh path
        for (int64_t b = 0; b < rows; ++b)
          gru_backward_row(sv + b * S, hp + b * H, dh + b * H, dgi + b * G, dgh + b * G, dh + b * H, H);
        gemm_prepacked<T>(rows, T(1), dgh, G, 1, wp, T(1), dh, H);
      }
    });
  })
}

}  // namespace cpu
}  // namespace fastdl
