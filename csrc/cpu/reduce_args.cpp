#include "reduce_args.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "../common/strided_index.h"

namespace fastdl {

namespace {

ReduceKind parse_op(const std::string& op) {
  static const std::pair<const char*, ReduceKind> table[] = {
      {"sum", ReduceKind::Sum},       {"prod", ReduceKind::Prod},     {"max", ReduceKind::Max},
      {"min", ReduceKind::Min},       {"argmax", ReduceKind::ArgMax}, {"argmin", ReduceKind::ArgMin},
      {"any", ReduceKind::Any},       {"all", ReduceKind::All}};
  for (auto& e : table)
    if (op == e.first) return e.second;
  fail_value("reduce: unknown op '" + op + "' (expected sum, prod, max, min, argmax, argmin, any or all)");
}

std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

ReduceArgs check_reduce_args(const std::string& op, const TensorArg& x, const TensorArg& out,
                             const std::vector<int64_t>& dims) {
  const ReduceKind kind = parse_op(op);
  const char* name = op.c_str();
  const int nd = x.ndim();
  if (nd > kMaxDims) fail_value(op + ": more than 16 dimensions in " + describe(x));
  std::vector<bool> reduced(nd, false);
  std::vector<int64_t> want = x.shape;
  int64_t prev = -1;
  for (int64_t d : dims) {
    if (d <= prev || d >= nd)
      fail_value(op + ": invalid dims " + list_str(dims) + " for " + describe(x) +
                 " (expected sorted, unique dims in [0, " + std::to_string(nd) + "))");
    reduced[d] = true;
    want[d] = 1;
    prev = d;
  }
  if (out.shape != want)
    fail_value(op + ": output " + describe(out) + " does not match the keepdim shape " + list_str(want) +
               " of reducing " + describe(x) + " over dims " + list_str(dims));
  if (out.numel() != 0 && !out.is_contiguous()) fail_value(op + ": output must be contiguous, got " + describe(out));
  const bool is_arg = kind == ReduceKind::ArgMax || kind == ReduceKind::ArgMin;
  if (kind == ReduceKind::Any || kind == ReduceKind::All) {
    check_dtype(name, out, DType::Bool);
  } else {
    if (x.dtype == DType::Bool) fail_type(op + ": unsupported dtype bool in " + describe(x) + " (cast to int64 first)");
    check_dtype(name, out, is_arg ? DType::Int64 : x.dtype);
  }
  if (is_arg && dims.size() != 1)
    fail_value(op + ": expected exactly one reduced dim, got " + list_str(dims) + " for " + describe(x));
  int64_t red_numel = 1;
  for (int64_t d : dims) red_numel *= x.shape[d];
  const bool has_identity = kind == ReduceKind::Sum || kind == ReduceKind::Prod || kind == ReduceKind::Any ||
                            kind == ReduceKind::All;
  if (red_numel == 0 && !has_identity) fail_value(op + ": cannot reduce over an empty dimension of " + describe(x));
  return {kind, std::move(reduced), is_arg};
}

namespace {

int collapse(int n, int64_t* shape, int64_t* stride) {
  int64_t s[1][kMaxDims];
  std::copy(stride, stride + n, s[0]);
  int m = collapse_dims(n, shape, 1, s);
  std::copy(s[0], s[0] + m, stride);
  return m;
}

}  // namespace

ReduceLayout make_reduce_layout(const TensorArg& x, const std::vector<bool>& reduced, bool keep_order) {
  ReduceLayout L;
  std::vector<std::pair<int64_t, int64_t>> rd;  // (size, stride)
  for (int d = 0; d < x.ndim(); ++d) {
    if (reduced[d]) {
      rd.push_back({x.shape[d], x.strides[d]});
      L.red_numel *= x.shape[d];
    } else {
      L.kshape[L.nk] = x.shape[d];
      L.kstride[L.nk++] = x.strides[d];
      L.out_numel *= x.shape[d];
    }
  }
  if (!keep_order)
    std::stable_sort(rd.begin(), rd.end(), [](const auto& a, const auto& b) {
      return std::llabs(a.second) > std::llabs(b.second);
    });
  L.nr = static_cast<int>(rd.size());
  for (int i = 0; i < L.nr; ++i) {
    L.rshape[i] = rd[i].first;
    L.rstride[i] = rd[i].second;
  }
  L.nk = collapse(L.nk, L.kshape, L.kstride);
  L.nr = collapse(L.nr, L.rshape, L.rstride);
  return L;
}

}  // namespace fastdl
