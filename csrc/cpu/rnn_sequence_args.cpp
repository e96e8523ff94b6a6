#include "rnn_sequence_args.h"

#include <string>
#include <vector>

namespace fastdl {

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::vector<int64_t> expected_shape(const SeqOperand& o, const SequenceDims& d) {
  switch (o.shape) {
    case SeqShape::kSteps: return {d.T, d.B, o.width * d.H};
    case SeqShape::kStates: return {d.T + 1, d.B, d.H};
    case SeqShape::kRow: return {d.B, d.H};
    case SeqShape::kWeight: return {o.width * d.H, d.H};
    case SeqShape::kBias: return {o.width * d.H};
    case SeqShape::kInputWeight: return {o.width * d.H, d.I};
    case SeqShape::kInputSteps: return {d.T, d.B, d.I};
    case SeqShape::kInputAndState: return {d.T, d.B, d.I + d.H + 1};
  }
  return {};
}

int expected_ndim(SeqShape s) {
  switch (s) {
    case SeqShape::kSteps:
    case SeqShape::kStates:
    case SeqShape::kInputSteps:
    case SeqShape::kInputAndState: return 3;
    case SeqShape::kRow:
    case SeqShape::kWeight:
    case SeqShape::kInputWeight: return 2;
    case SeqShape::kBias: return 1;
  }
  return 0;
}

}  // namespace

SequenceDims check_sequence_operands(const char* op, const DeviceCheck& on_device, const SeqOperand& steps,
                                     const SeqOperand& w_hh, std::initializer_list<SeqOperand> ops) {
  auto fail_msg = [&](const std::string& what) {
    std::string s = std::string(op) + ": " + what + ", got " + op + "(";
    bool first = true;
    for (const auto& o : ops) {
      s += (first ? "" : ", ") + std::string(o.name) + "=" + (o.t ? describe(*o.t) : std::string("None"));
      first = false;
    }
    return s + ")";
  };
  for (const auto& o : ops) {
    if (!o.t) continue;
    on_device(*o.t);
    if (o.t->ndim() != expected_ndim(o.shape))
      fail_value(fail_msg(std::string(o.name) + " must be " + std::to_string(expected_ndim(o.shape)) + "-D"));
  }
  const DType dtype = steps.t->dtype;
  if (!is_floating(dtype)) fail_type(fail_msg("expected float32 or float64"));
  SequenceDims d{steps.t->shape[0], steps.t->shape[1], w_hh.t->shape[1], 0};
  for (const auto& o : ops)
    if (o.t && o.shape == SeqShape::kInputWeight) {
      d.I = o.t->shape[1];
      break;
    }
  for (const auto& o : ops) {
    if (!o.t) continue;
    if (o.t->dtype != dtype) fail_type(fail_msg("all operands must share one dtype"));
    const std::vector<int64_t> want = expected_shape(o, d);
    if (o.t->shape != want)
      fail_value(fail_msg(std::string(o.name) + " must be " + shape_str(want) + " (T=" + std::to_string(d.T) +
                          ", B=" + std::to_string(d.B) + ", H=" + std::to_string(d.H) +
                          (d.I ? ", I=" + std::to_string(d.I) : std::string()) + ")"));
    const bool any_strides =
        o.shape == SeqShape::kWeight || o.shape == SeqShape::kBias || o.shape == SeqShape::kInputWeight;
    if (!any_strides && !o.t->is_contiguous()) fail_value(fail_msg(std::string(o.name) + " must be contiguous"));
  }
  return d;
}

}  // namespace fastdl
