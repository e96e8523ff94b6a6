#include "linalg_factor_args.h"

#include <algorithm>
#include <string>
#include <vector>

namespace fastdl {

namespace {

void check_dense(const std::string& op, const char* what, const TensorArg& t) {
  if (!t.is_contiguous()) fail_value(op + ": " + what + " must be contiguous, got " + describe(t));
}

// a: float (..., m, n) (square: m == n), contiguous; returns its batch dims.
std::vector<int64_t> check_matrices(const std::string& op, const DeviceCheck& on_device, const char* what,
                                    const TensorArg& a, bool square) {
  on_device(a);
  if (!is_floating(a.dtype)) fail_type(op + ": expected " + what + " to be float32 or float64, got " + describe(a));
  if (a.ndim() < 2 || (square && a.shape[a.ndim() - 1] != a.shape[a.ndim() - 2]))
    fail_value(op + ": " + what + " must be batches of " +
               (square ? "square matrices (..., n, n)" : "matrices (..., m, n)") + ", got " + describe(a));
  check_dense(op, what, a);
  return std::vector<int64_t>(a.shape.begin(), a.shape.end() - 2);
}

std::vector<int64_t> check_square(const std::string& op, const DeviceCheck& on_device, const char* what,
                                  const TensorArg& a) {
  return check_matrices(op, on_device, what, a, true);
}

// t: dtype dt, exactly `shape`, contiguous.
void check_exact(const std::string& op, const DeviceCheck& on_device, const char* what, const TensorArg& t,
                 DType dt, const std::vector<int64_t>& shape) {
  on_device(t);
  if (t.dtype != dt) fail_type(op + ": " + what + " must be " + dtype_name(dt) + ", got " + describe(t));
  if (t.shape != shape) {
    std::string want;
    for (size_t i = 0; i < shape.size(); ++i) want += (i ? ", " : "") + std::to_string(shape[i]);
    fail_value(op + ": " + what + " must have shape [" + want + "], got " + describe(t));
  }
  check_dense(op, what, t);
}

FactorDims dims_of(const std::vector<int64_t>& batch, int64_t n, int64_t nrhs) {
  FactorDims d;
  for (int64_t s : batch) d.batch *= s;
  d.n = n;
  d.nrhs = nrhs;
  return d;
}

std::vector<int64_t> with(std::vector<int64_t> v, int64_t n) {
  v.push_back(n);
  return v;
}

std::vector<int64_t> with(std::vector<int64_t> v, int64_t rows, int64_t cols) {
  v.push_back(rows);
  v.push_back(cols);
  return v;
}

}  // namespace

FactorDims check_factor_args(const char* op_name, const DeviceCheck& on_device, const TensorArg& a,
                             const TensorArg* pivots, const TensorArg& info) {
  const std::string op = op_name;
  const std::vector<int64_t> batch = check_square(op, on_device, "A", a);
  const int64_t n = a.shape.back();
  if (pivots) check_exact(op, on_device, "pivots", *pivots, DType::Int64, with(batch, n));
  check_exact(op, on_device, "info", info, DType::Int64, batch);
  return dims_of(batch, n, 0);
}

FactorDims check_solve_args(const char* op_name, const DeviceCheck& on_device, const TensorArg& a,
                            const TensorArg* pivots, const TensorArg& b) {
  const std::string op = op_name;
  const std::vector<int64_t> batch = check_square(op, on_device, "A", a);
  const int64_t n = a.shape.back();
  if (pivots) check_exact(op, on_device, "pivots", *pivots, DType::Int64, with(batch, n));
  on_device(b);
  if (b.dtype != a.dtype) fail_type(op + ": B must have A's dtype " + describe(a) + ", got " + describe(b));
  if (b.ndim() != a.ndim() || !std::equal(batch.begin(), batch.end(), b.shape.begin()) ||
      b.shape[b.ndim() - 2] != n)
    fail_value(op + ": B must be (..., n, k) with A's batch dims and n rows, got A " + describe(a) + " and B " +
               describe(b));
  check_dense(op, "B", b);
  return dims_of(batch, n, b.shape.back());
}

QrDims check_qr_args(const char* op_name, const DeviceCheck& on_device, const TensorArg& a, const TensorArg& tau,
                     const TensorArg& q) {
  const std::string op = op_name;
  const std::vector<int64_t> batch = check_matrices(op, on_device, "A", a, false);
  QrDims d;
  for (int64_t s : batch) d.batch *= s;
  d.m = a.shape[a.ndim() - 2];
  d.n = a.shape.back();
  d.k = d.m < d.n ? d.m : d.n;
  check_exact(op, on_device, "tau", tau, a.dtype, with(batch, d.k));
  d.c = q.ndim() == a.ndim() ? q.shape.back() : -1;
  if (d.c < 0 || d.c > d.m)
    fail_value(op + ": Q must be (..., m, c) with c <= m = " + std::to_string(d.m) + ", got " + describe(q));
  check_exact(op, on_device, "Q", q, a.dtype, with(batch, d.m, d.c));
  return d;
}

FactorDims check_eigh_args(const char* op_name, const DeviceCheck& on_device, const TensorArg& a, const TensorArg& w,
                           const TensorArg& v, const TensorArg& info) {
  const std::string op = op_name;
  const std::vector<int64_t> batch = check_square(op, on_device, "A", a);
  const int64_t n = a.shape.back();
  check_exact(op, on_device, "eigenvalues", w, a.dtype, with(batch, n));
  check_exact(op, on_device, "eigenvectors", v, a.dtype, with(batch, n, n));
  check_exact(op, on_device, "info", info, DType::Int64, batch);
  return dims_of(batch, n, n);
}

QrDims check_svd_args(const char* op_name, const DeviceCheck& on_device, const TensorArg& a, const TensorArg& s,
                      const TensorArg& v, const TensorArg& info) {
  const std::string op = op_name;
  const std::vector<int64_t> batch = check_matrices(op, on_device, "A", a, false);
  QrDims d;
  for (int64_t b : batch) d.batch *= b;
  d.m = a.shape[a.ndim() - 2];
  d.n = a.shape.back();
  d.k = d.n;
  if (d.m < d.n)
    fail_value(op + ": A must have at least as many rows as columns (transpose it first), got " + describe(a));
  check_exact(op, on_device, "S", s, a.dtype, with(batch, d.n));
  check_exact(op, on_device, "V", v, a.dtype, with(batch, d.n, d.n));
  check_exact(op, on_device, "info", info, DType::Int64, batch);
  return d;
}

}  // namespace fastdl
