// Activations applied in place to a contiguous run of values: the GEMM epilogue of a
// fused linear + activation (gemm.h) calls one on each tile of C while the tile is
// still in L1. Each uses exactly the arithmetic of the matching unary kernel
// (elementwise.cpp: the same AVX2 array kernels for float32 tanh / sigmoid, the same
// scalar functors otherwise), so a fused layer is bit-identical to linear followed by
// the activation op.
#pragma once
#include <cstdint>
#include <string>

namespace fastdl {
namespace cpu {

template <typename T>
using RowActivation = void (*)(T* values, int64_t n);

// "none" -> nullptr; "relu", "tanh", "sigmoid" -> the in-place row function (callers
// validate the name with the op's own message first; anything else is a ValueError).
template <typename T>
RowActivation<T> row_activation(const std::string& activation);

}  // namespace cpu
}  // namespace fastdl
