#include "rnn_args.h"

#include <string>

namespace fastdl {

int64_t check_cell_operands(const char* op, const DeviceCheck& on_device, const CellOperand& ref,
                            std::initializer_list<CellOperand> ops) {
  auto sig = [&] {
    std::string s = std::string(op) + "(";
    bool first = true;
    for (const auto& o : ops) {
      s += (first ? "" : ", ") + std::string(o.name) + "=" + describe(*o.t);
      first = false;
    }
    return s + ")";
  };
  for (const auto& o : ops) {
    on_device(*o.t);
    if (o.t->ndim() != 2) fail_value(std::string(op) + ": " + o.name + " must be 2-D, got " + sig());
  }
  if (!is_floating(ref.t->dtype)) fail_type(std::string(op) + ": expected float32 or float64, got " + sig());
  const int64_t B = ref.t->shape[0], H = ref.t->shape[1];
  for (const auto& o : ops) {
    if (o.t->dtype != ref.t->dtype)
      fail_type(std::string(op) + ": all operands must share one dtype, got " + sig());
    if (o.t->shape[0] != B || o.t->shape[1] != o.gates * H)
      fail_value(std::string(op) + ": " + o.name + " must be [" + std::to_string(B) + ", " +
                 std::to_string(o.gates * H) + "] (B=" + std::to_string(B) + ", H=" + std::to_string(H) +
                 "), got " + sig());
    if (o.t->numel() != 0 && !o.t->is_contiguous())
      fail_value(std::string(op) + ": " + o.name + " must be contiguous, got " + sig());
  }
  return H;
}

}  // namespace fastdl
