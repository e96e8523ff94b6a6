// The micro-kernels' epilogue, once for every vector width: C tile = alpha * acc (+ beta *
// C). A template only, over avx2::Vec / avx512::Vec (avx2_vec.h / avx512_vec.h), so each
// ISA's kernel file instantiates its own copy with its own vector type.
#pragma once
#include <cstdint>

namespace fastdl {
namespace cpu {
namespace gemm_ukr {

// Rows 0..5 of C (rsc apart), each two vectors wide: acc[i][0] at c, acc[i][1] at c + V::L.
// beta == 0 writes C without reading it (C may hold NaN or garbage).
template <typename V, typename T>
inline void store_tile_6x2(const typename V::R (&acc)[6][2], T* C, int64_t rsc, T alpha, T beta) {
  const typename V::R va = V::set1(alpha), vb = V::set1(beta);
  for (int i = 0; i < 6; ++i) {
    T* c = C + i * rsc;
    typename V::R r0 = V::mul(va, acc[i][0]), r1 = V::mul(va, acc[i][1]);
    if (beta != T(0)) {
      r0 = V::fma(vb, V::load(c), r0);
      r1 = V::fma(vb, V::load(c + V::L), r1);
    }
    V::store(c, r0);
    V::store(c + V::L, r1);
  }
}

}  // namespace gemm_ukr
}  // namespace cpu
}  // namespace fastdl
