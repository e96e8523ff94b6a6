// The optimizers' loops (optim_loops.h) compiled with AVX2: 8 floats per operation
// instead of SSE2's 4. CMakeLists.txt adds -ffp-contract=off for this file, so the
// bits equal the portable copy's (tests/test_optim.py compares them).
#include "optim_loops.h"

namespace fastdl {
namespace cpu {

template <typename T>
void sgd_rows_avx2(T* p, const T* g, T* buf, int64_t b, int64_t e, SgdScalars<T> s, SgdFlags f) {
  sgd_rows<T>(p, g, buf, b, e, s, f);
}

template <typename T>
void adam_rows_avx2(T* p, const T* g, T* m, T* v, T* vmax, int64_t b, int64_t e, AdamScalars<T> s, AdamFlags f) {
  adam_rows<T>(p, g, m, v, vmax, b, e, s, f);
}

template <typename T>
void rmsprop_rows_avx2(T* p, const T* g, T* sq, T* ga, T* buf, int64_t b, int64_t e, RmspropScalars<T> s,
                       RmspropFlags f) {
  rmsprop_rows<T>(p, g, sq, ga, buf, b, e, s, f);
}

#define FASTDL_OPTIM_AVX2(T)                                                                                     \
  template void sgd_rows_avx2<T>(T*, const T*, T*, int64_t, int64_t, SgdScalars<T>, SgdFlags);                  \
  template void adam_rows_avx2<T>(T*, const T*, T*, T*, T*, int64_t, int64_t, AdamScalars<T>, AdamFlags);       \
  template void rmsprop_rows_avx2<T>(T*, const T*, T*, T*, T*, int64_t, int64_t, RmspropScalars<T>, RmspropFlags);
FASTDL_OPTIM_AVX2(float)
FASTDL_OPTIM_AVX2(double)
#undef FASTDL_OPTIM_AVX2

}  // namespace cpu
}  // namespace fastdl
