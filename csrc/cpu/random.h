// CPU random kernels driven by Philox4x32-10 (see common/philox.h for the stream
// contract). Element i of `out` depends only on (seed, offset + i), so results do
// not depend on thread count and the CUDA kernels reproduce them. Each random_*
// function returns the new offset (offset + counters consumed). `out` must be
// contiguous; offsets must be non-negative.
#pragma once
#include <array>
#include <cstdint>
#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

// out (float32/float64) in [low, high); low <= high (low == high fills low).
int64_t random_uniform(const TensorArg& out, uint64_t seed, int64_t offset, double low, double high);
// out (float32/float64) ~ N(mean, std^2); std >= 0.
int64_t random_normal(const TensorArg& out, uint64_t seed, int64_t offset, double mean, double std);
// out (int64/float32/float64) uniform integers in [low, high); low < high.
int64_t random_int(const TensorArg& out, uint64_t seed, int64_t offset, int64_t low, int64_t high);
// out (any dtype) = 1 with probability p in [0, 1], else 0.
int64_t bernoulli(const TensorArg& out, uint64_t seed, int64_t offset, double p);
// out int64 (n,): a uniformly random permutation of 0..n-1 (Fisher-Yates, serial).
int64_t randperm(const TensorArg& out, uint64_t seed, int64_t offset);
// out (1-D float32/float64/int64, any stride)[i] = start + i * step; float outs and
// non-integral start/step computed in double then cast (truncation for int64).
void arange(const TensorArg& out, double start, double step);

// Raw Philox4x32-10 block, exposed for the known-answer test.
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

}  // namespace cpu
}  // namespace fastdl
