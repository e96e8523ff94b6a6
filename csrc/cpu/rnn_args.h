// Argument checks of the fused LSTM / GRU cell kernels (contracts in csrc/cpu/rnn.h),
// shared by the CPU and CUDA kernels.
#pragma once
#include <cstdint>
#include <initializer_list>

#include "operand_check.h"

namespace fastdl {

struct CellOperand {
  const char* name;
  const TensorArg* t;
  int gates;  // expected width in units of H
};

// Every operand must be a contiguous 2-D tensor of one floating dtype with B rows and
// gates*H columns, where B and H come from `ref` (an operand of width H). Returns H.
int64_t check_cell_operands(const char* op, const DeviceCheck& on_device, const CellOperand& ref,
                            std::initializer_list<CellOperand> ops);

}  // namespace fastdl
