// float32 <-> float16 with the F16C instructions (half_convert_avx2.cpp), 8 values a step:
// bit for bit common/half_convert.h's conversions (checked in C++ over every float32 and
// every float16 once, session 20; tests/test_half_convert_fast.py against NumPy). Call
// only when use_avx2() and cpu_has_f16c() are true.
#pragma once
#include <cstdint>

#include "binary_arith.h"

namespace fastdl {
namespace cpu {
namespace f16c {

void float_to_half(const float* x, uint16_t* out, int64_t n);
void half_to_float(const uint16_t* x, float* out, int64_t n);

// out[i] = x[i * x_step] op y[i * y_step] on float16 bits (steps 1 or 0, a broadcast
// scalar; not both 0): each value widened, one float32 op, one rounding back, 16 values a
// step in registers. The same bits as widening exactly, the op and narrowing: vcvtph2ps
// quiets a signalling NaN, which the float op would have quieted anyway.
void half_arith(vec::Arith op, const uint16_t* x, int64_t x_step, const uint16_t* y, int64_t y_step, uint16_t* out,
                int64_t n);

}  // namespace f16c
}  // namespace cpu
}  // namespace fastdl
