// Array loops over vec_math_simd.h's functions at 16 AVX-512 lanes (compiled with
// -mavx512f). Like gemm_avx512.cpp this file includes no header with portable inline code,
// so no AVX-512 copy of a shared inline function can reach portable callers.
#include "vec_math.h"

#include "avx512_vec.h"
#include "vec_math_simd.h"

namespace fastdl {
namespace vec {

FASTDL_VEC_MATH_GENERIC_LOOPS(avx512, avx512::Vec<float>)

}  // namespace vec
}  // namespace fastdl
