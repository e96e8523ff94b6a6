// CUDA LSTM / GRU sequence kernels with the contracts of csrc/cpu/rnn_sequence.h, built
// from existing device kernels (no kernel of their own, hence plain C++): per step the
// recurrent GEMM (matmul on views, W_hh transposed by its strides) and the fused cell
// kernel of rnn.cu, launched back to back on the stream.
#include <string>

#include "common/rnn_cells.h"
#include "cpu/rnn_sequence_args.h"
#include "cuda_api.h"
#include "matrix_views.h"
#include "layer_kernels.h"
#include "temp_tensor.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

// Slot t of a contiguous (T or T+1, B, W) buffer as a (B, W) view.
TensorArg slot(const TensorArg& buf, int64_t t) {
  TensorArg s = buf;
  s.shape = {buf.shape[1], buf.shape[2]};
  s.strides = {buf.shape[2], 1};
  s.offset = buf.offset + t * buf.shape[1] * buf.shape[2];
  return s;
}

// A contiguous (T, B, W) buffer as a (T*B, W) matrix.
TensorArg rows_of(const TensorArg& buf) {
  TensorArg r = buf;
  r.shape = {buf.shape[0] * buf.shape[1], buf.shape[2]};
  r.strides = {buf.shape[2], 1};
  return r;
}

}  // namespace

void lstm_sequence_forward(const TensorArg& acts, const TensorArg& w_hh, const TensorArg& hs, const TensorArg& cs,
                           bool reverse, const OptTensor& xh, const OptTensor& w_ih, const OptTensor& bias) {
  const char* op = "lstm_sequence_forward";
  require_device(op);
  if (xh.has_value() != w_ih.has_value())
    fail_value(std::string(op) + ": xh and w_ih must be given together (or neither)");
  if (bias && !xh) fail_value(std::string(op) + ": bias needs xh and w_ih");
  const SeqOperand a{"acts", &acts, SeqShape::kSteps, rnn::kLstmGates};
  const SeqOperand w{"w_hh", &w_hh, SeqShape::kWeight, rnn::kLstmGates};
  const SequenceDims d = check_sequence_operands(
      op, on_cuda(op, acts), a, w,
      {a, w, {"hs", &hs, SeqShape::kStates, 1}, {"cs", &cs, SeqShape::kStates, 1},
       {"xh", xh ? &*xh : nullptr, SeqShape::kInputAndState, 1},
       {"w_ih", w_ih ? &*w_ih : nullptr, SeqShape::kInputWeight, rnn::kLstmGates},
       {"bias", bias ? &*bias : nullptr, SeqShape::kBias, rnn::kLstmGates}});
  if (d.B * d.H == 0) return;
  // the CPU's contract from the existing kernels: the input projection of all steps as
  // one GEMM (+ bias), then per step h_prev copied into xh and the recurrent step
  const int64_t K = d.I + d.H + 1;
  auto xh_columns = [&](int64_t t, int64_t first, int64_t width) {  // xh[t][:, first:first+width]
    TensorArg v = *xh;
    v.shape = {d.B, width};
    v.strides = {K, 1};
    v.offset = xh->offset + t * d.B * K + first;
    return v;
  };
  if (xh) {
    TensorArg x_rows = *xh;
    x_rows.shape = {d.T * d.B, d.I};
    x_rows.strides = {K, 1};
    const TensorArg a_rows = rows_of(acts);
    matmul(x_rows, transposed(*w_ih), a_rows, 1.0, 0.0);
    if (bias) binary("add", a_rows, repeated_rows(*bias, d.T * d.B), a_rows);
  }
  const TensorArg wt = transposed(w_hh);
  for (int64_t k = 0; k < d.T; ++k) {
    const StepSlots s = step_slots(k, d.T, reverse);
    const TensorArg at = slot(acts, s.t);
    if (xh) copy(slot(hs, s.prev), xh_columns(s.t, d.I, d.H));
    matmul(slot(hs, s.prev), wt, at, 1.0, 1.0);
    lstm_cell_forward(at, slot(cs, s.prev), slot(hs, s.next), slot(cs, s.next), at);
  }
}

void lstm_sequence_backward(const TensorArg& acts, const TensorArg& w_hh, const TensorArg& cs,
                            const TensorArg& grad_out, const TensorArg& grad_h, const TensorArg& grad_c,
                            const TensorArg& grad_gates, bool reverse, const OptTensor& w_ih,
                            const OptTensor& grad_input, const OptTensor& grad_bias) {
  const char* op = "lstm_sequence_backward";
  require_device(op);
  if (w_ih.has_value() != grad_input.has_value())
    fail_value(std::string(op) + ": w_ih and grad_input must be given together (or neither)");
  const SeqOperand a{"acts", &acts, SeqShape::kSteps, rnn::kLstmGates};
  const SeqOperand w{"w_hh", &w_hh, SeqShape::kWeight, rnn::kLstmGates};
  const SequenceDims d = check_sequence_operands(
      op, on_cuda(op, acts), a, w,
      {a, w, {"cs", &cs, SeqShape::kStates, 1}, {"grad_out", &grad_out, SeqShape::kSteps, 1},
       {"grad_h", &grad_h, SeqShape::kRow, 1}, {"grad_c", &grad_c, SeqShape::kRow, 1},
       {"grad_gates", &grad_gates, SeqShape::kSteps, rnn::kLstmGates},
       {"w_ih", w_ih ? &*w_ih : nullptr, SeqShape::kInputWeight, rnn::kLstmGates},
       {"grad_input", grad_input ? &*grad_input : nullptr, SeqShape::kInputSteps, 1},
       {"grad_bias", grad_bias ? &*grad_bias : nullptr, SeqShape::kBias, rnn::kLstmGates}});
  if (d.B * d.H > 0)
    for (int64_t k = d.T - 1; k >= 0; --k) {
      const StepSlots s = step_slots(k, d.T, reverse);
      const TensorArg dg = slot(grad_gates, s.t);
      binary("add", grad_h, slot(grad_out, s.t), grad_h);
      lstm_cell_backward(slot(acts, s.t), slot(cs, s.prev), slot(cs, s.next), grad_h, grad_c, dg, grad_c);
      matmul(dg, w_hh, grad_h, 1.0, 0.0);
    }
  // the optional outputs as one GEMM / one reduction over all steps (the CPU computes
  // them per step, for its caches); both give zeros when there are no gates (H = 0)
  const TensorArg dg_rows = rows_of(grad_gates);
  if (grad_input) matmul(dg_rows, *w_ih, rows_of(*grad_input), 1.0, 0.0);
  if (grad_bias) {
    TensorArg row = *grad_bias;  // the sum over dim 0 keeps that dim: (1, 4H)
    row.shape = {1, grad_bias->shape[0]};
    row.strides = {grad_bias->shape[0], 1};
    reduce("sum", dg_rows, row, {0});
  }
}

void gru_sequence_forward(const TensorArg& gi, const TensorArg& w_hh, const OptTensor& b_hh, const TensorArg& hs,
                          const TensorArg& saved, bool reverse) {
  const char* op = "gru_sequence_forward";
  require_device(op);
  const SeqOperand x{"gi", &gi, SeqShape::kSteps, rnn::kGruGates};
  const SeqOperand w{"w_hh", &w_hh, SeqShape::kWeight, rnn::kGruGates};
  const SequenceDims d = check_sequence_operands(
      op, on_cuda(op, gi), x, w,
      {x, w, {"b_hh", b_hh ? &*b_hh : nullptr, SeqShape::kBias, rnn::kGruGates},
       {"hs", &hs, SeqShape::kStates, 1}, {"saved", &saved, SeqShape::kSteps, rnn::kGruSaved}});
  if (d.B * d.H == 0) return;
  const TensorArg wt = transposed(w_hh);
  const TensorArg gh = empty_cuda({d.B, rnn::kGruGates * d.H}, gi.dtype, gi.buf->device_index());
  const TensorArg bias_rows = b_hh ? repeated_rows(*b_hh, d.B) : TensorArg{};  // b_hh over the rows of gh
  for (int64_t k = 0; k < d.T; ++k) {
    const StepSlots s = step_slots(k, d.T, reverse);
    if (b_hh) copy(bias_rows, gh);
    const TensorArg hp = slot(hs, s.prev);
    matmul(hp, wt, gh, 1.0, b_hh ? 1.0 : 0.0);
    gru_cell_forward(slot(gi, s.t), gh, hp, slot(hs, s.next), slot(saved, s.t));
  }
}

void gru_sequence_backward(const TensorArg& saved, const TensorArg& w_hh, const TensorArg& hs,
                           const TensorArg& grad_out, const TensorArg& grad_h, const TensorArg& grad_gi,
                           const TensorArg& grad_gh, bool reverse) {
  const char* op = "gru_sequence_backward";
  require_device(op);
  const SeqOperand sv{"saved", &saved, SeqShape::kSteps, rnn::kGruSaved};
  const SeqOperand w{"w_hh", &w_hh, SeqShape::kWeight, rnn::kGruGates};
  const SequenceDims d = check_sequence_operands(
      op, on_cuda(op, saved), sv, w,
      {sv, w, {"hs", &hs, SeqShape::kStates, 1}, {"grad_out", &grad_out, SeqShape::kSteps, 1},
       {"grad_h", &grad_h, SeqShape::kRow, 1}, {"grad_gi", &grad_gi, SeqShape::kSteps, rnn::kGruGates},
       {"grad_gh", &grad_gh, SeqShape::kSteps, rnn::kGruGates}});
  if (d.B * d.H == 0) return;
  for (int64_t k = d.T - 1; k >= 0; --k) {
    const StepSlots s = step_slots(k, d.T, reverse);
    const TensorArg dgh = slot(grad_gh, s.t);
    binary("add", grad_h, slot(grad_out, s.t), grad_h);
    // grad_h becomes the direct z * dh path of dL/dh_prev; the GEMM adds the W_hh path
    gru_cell_backward(slot(saved, s.t), slot(hs, s.prev), grad_h, slot(grad_gi, s.t), dgh, grad_h);
    matmul(dgh, w_hh, grad_h, 1.0, 1.0);
  }
}

}  // namespace cuda
}  // namespace fastdl
