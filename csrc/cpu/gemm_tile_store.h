// The micro-kernels' epilogue, once for every vector width: C tile = alpha * acc (+ beta *
// C). A template only, over avx2::Vec / avx512::Vec (avx2_vec.h / avx512_vec.h), so each
// ISA's kernel file instantiates its own copy with its own vector type.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
namespace gemm_ukr {

// Rows 0..MR-1 of C (rsc apart), each NV vectors wide: acc[i][v] at c + v * V::L.
// beta == 0 writes C without reading it (C may hold NaN or garbage).
template <typename V, int MR, int NV, typename T>
inline void store_tile(const typename V::R (&acc)[MR][NV], T* C, int64_t rsc, T alpha, T beta) {
  const typename V::R va = V::set1(alpha), vb = V::set1(beta);
  for (int i = 0; i < MR; ++i) {
    T* c = C + i * rsc;
    for (int v = 0; v < NV; ++v) {
      typename V::R r = V::mul(va, acc[i][v]);
      if (beta != T(0)) r = V::fma(vb, V::load(c + v * V::L), r);
      V::store(c + v * V::L, r);
    }
  }
}

}  // namespace gemm_ukr
}  // namespace cpu
}  // namespace fastdl
