// Runtime CPU feature selection: AVX2+FMA kernels run only where the CPU has them,
// and tests can force the portable path (set_use_avx2(false) or FASTDL_DISABLE_AVX2=1).
#pragma once

namespace fastdl {

bool cpu_has_avx2_fma();   // what the hardware offers
bool cpu_has_f16c();       // float16 <-> float32 conversion instructions
bool use_avx2();           // what the kernels will use now
void set_use_avx2(bool on);  // clamps to what the hardware offers

}  // namespace fastdl
