// The device half of an operand check, supplied by each backend to the shared
// argument checks (csrc/cpu/*_args.h): the CPU passes check_cpu, CUDA checks that the
// operand is a valid view on the kernel's device. The shared checks call it on every
// operand before looking at shapes and dtypes, so both backends fail in one order.
#pragma once
#include <functional>

#include "../core/tensor_arg.h"

namespace fastdl {

using DeviceCheck = std::function<void(const TensorArg&)>;

// The CPU half: every operand is in host memory (op names the kernel in the error).
inline DeviceCheck on_cpu(const char* op) {
  return [op](const TensorArg& t) { check_cpu(op, t); };
}

}  // namespace fastdl
