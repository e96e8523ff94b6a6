// Runtime CPU feature selection: AVX2+FMA kernels run only where the CPU has them,
// and tests can force the portable path (set_use_avx2(false) or FASTDL_DISABLE_AVX2=1).
// The AVX-512 kernels (the float GEMM) run where the CPU has AVX-512F and AVX2 is in
// use; set_use_avx512(false) or FASTDL_DISABLE_AVX512=1 keeps them to AVX2.
#pragma once

namespace fastdl {

bool cpu_has_avx2_fma();   // what the hardware offers
bool cpu_has_avx512f();    // AVX-512 Foundation, with the OS saving zmm state
bool cpu_has_f16c();       // float16 <-> float32 conversion instructions
long cpu_l2_cache_bytes();  // one core's L2 as the C library reports it; 0 if unknown
bool use_avx2();           // what the kernels will use now
void set_use_avx2(bool on);  // clamps to what the hardware offers
bool use_avx512();         // use_avx2() and AVX-512 chosen
void set_use_avx512(bool on);

}  // namespace fastdl
