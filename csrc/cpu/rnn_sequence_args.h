// Argument checks of the LSTM / GRU sequence kernels (contracts in
// csrc/cpu/rnn_sequence.h), shared by the CPU and CUDA kernels.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <optional>

#include "operand_check.h"

namespace fastdl {

// The sizes of one layer's sequence: T steps, B rows, H hidden units, I input features
// (from a kInputWeight operand; 0 without one).
struct SequenceDims {
  int64_t T, B, H, I;
};

// What shape an operand must have, in terms of T, B and H.
enum class SeqShape {
  kSteps,   // (T, B, width*H), contiguous
  kStates,  // (T+1, B, H), contiguous
  kRow,     // (B, H), contiguous
  kWeight,  // (width*H, H), any strides
  kBias,    // (width*H,), any strides
  kInputWeight,  // (width*H, I), any strides
  kInputSteps,   // (T, B, I), contiguous
  kInputAndState,  // (T, B, I + H + 1), contiguous
};

struct SeqOperand {
  const char* name;
  const TensorArg* t;  // nullptr: an absent optional operand
  SeqShape shape;
  int width;  // gates per hidden unit, for kSteps / kWeight / kBias
};

// T and B come from `steps` (a kSteps operand), H from `w_hh` (a kWeight one), I from
// the first kInputWeight operand of `ops` given; every
// operand of `ops` is then checked: device, dimensions, one float dtype, shape,
// contiguity. Errors name the op and list every operand.
SequenceDims check_sequence_operands(const char* op, const DeviceCheck& on_device, const SeqOperand& steps,
                                     const SeqOperand& w_hh, std::initializer_list<SeqOperand> ops);

// Slots of step k (0-based in processing order) of a T-step sequence: the step's time
// index, and the state slots it reads (prev) and writes (next).
struct StepSlots {
  int64_t t, prev, next;
};
inline StepSlots step_slots(int64_t k, int64_t T, bool reverse) {
  return reverse ? StepSlots{T - 1 - k, T - k, T - 1 - k} : StepSlots{k, k, k + 1};
}

}  // namespace fastdl
