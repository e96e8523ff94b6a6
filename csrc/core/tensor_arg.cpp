#include "tensor_arg.h"

namespace fastdl {

std::string describe(const TensorArg& t) {
  std::string s = std::string(dtype_name(t.dtype)) + "[";
  for (size_t i = 0; i < t.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  s += "] on ";
  s += t.buf && t.buf->device() == DeviceType::CUDA ? "cuda" : "cpu";
  return s;
}

}  // namespace fastdl
