#include "optim_args.h"

#include <string>
#include <vector>

namespace fastdl {

namespace {

void check_in_buffer(const char* op, const TensorArg& t, const char* name) {
  if ((t.offset + t.numel()) * static_cast<int64_t>(itemsize(t.dtype)) > static_cast<int64_t>(t.buf->nbytes()))
    fail_value(std::string(op) + ": " + name + " view " + describe(t) + " runs past its buffer");
}

void check_param(const char* op, const DeviceCheck& on_device, const TensorArg& p) {
  on_device(p);
  if (!is_floating(p.dtype))
    fail_type(std::string(op) + ": expected a float32 or float64 parameter, got " + describe(p));
  if (p.numel() > 0 && !p.is_contiguous())
    fail_value(std::string(op) + ": param must be contiguous, got " + describe(p));
  check_in_buffer(op, p, "param");
}

// State tensors and the gradient must look exactly like the parameter.
void check_like(const char* op, const DeviceCheck& on_device, const TensorArg& p, const TensorArg& t,
                const char* name) {
  on_device(t);
  if (t.dtype != p.dtype)
    fail_type(std::string(op) + ": " + name + " must have the param's dtype " + dtype_name(p.dtype) + ", got " +
              describe(t));
  if (t.shape != p.shape)
    fail_value(std::string(op) + ": " + name + " has shape " + describe(t) + ", param is " + describe(p));
  if (t.numel() > 0 && !t.is_contiguous())
    fail_value(std::string(op) + ": " + name + " must be contiguous, got " + describe(t));
  check_in_buffer(op, t, name);
}

// The kernels treat every array as unaliased (__restrict): say so only when true.
void check_disjoint(const char* op, const std::vector<std::pair<const char*, const TensorArg*>>& ts) {
  for (size_t a = 0; a < ts.size(); ++a)
    for (size_t b = a + 1; b < ts.size(); ++b) {
      const TensorArg *x = ts[a].second, *y = ts[b].second;
      if (x->numel() == 0) continue;
      const char* x0 = x->bytes();
      const char* y0 = y->bytes();
      const size_t n = x->numel() * itemsize(x->dtype);
      if (x0 < y0 + n && y0 < x0 + n)
        fail_value(std::string(op) + ": " + ts[a].first + " and " + ts[b].first + " share memory");
    }
}

}  // namespace

void check_optim_args(const char* op, const DeviceCheck& on_device, const TensorArg& param,
                      std::initializer_list<std::pair<const char*, const TensorArg*>> required,
                      std::initializer_list<OptionalState> optional) {
  check_param(op, on_device, param);
  std::vector<std::pair<const char*, const TensorArg*>> all{{"param", &param}};
  for (const auto& [name, t] : required) {
    check_like(op, on_device, param, *t, name);
    all.emplace_back(name, t);
  }
  for (const auto& o : optional) {
    if (o.wanted && !*o.t) fail_value(std::string(op) + ": " + o.name + " is required when " + o.when);
    if (!o.wanted && *o.t) fail_value(std::string(op) + ": " + o.name + " must be None unless " + o.when);
    if (*o.t) {
      check_like(op, on_device, param, **o.t, o.name);
      all.emplace_back(o.name, &**o.t);
    }
  }
  check_disjoint(op, all);
}

}  // namespace fastdl
