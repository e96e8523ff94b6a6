// fp16 / bf16 GEMM for sm_90a (H100 / H200): TMA loads into 128B-swizzled shared
// memory, warpgroup MMA (wgmma.mma_async m64n256k16, fp32 accumulators), the result
// rounded once to the input dtype, as gemm_half.cu.
//
// EXPERIMENTAL, UNVERIFIED: this file has only been compiled (nvcc 13.0, no GPU); it
// has never run. It is opt-in: matmul takes it only with FASTDL_CUDA_WGMMA=1 at import
// or set_wgmma(true) (fastdl.backends.cuda.matmul.allow_wgmma), on a compute 9.0
// device; otherwise matmul runs gemm_half's mma.sync kernel as before.
//
// Built by its own CMake target for sm_90a only (wgmma and setmaxnreg exist only
// there); the kernel body is empty in any other device pass.
//
// One 384-thread block per 128 x 256 tile of C, warp-specialised: warpgroup 0 is the
// producer (one thread issues the TMA copies; its registers are given up with
// setmaxnreg), warpgroups 1 and 2 each multiply 64 rows of the tile. K goes 64 at a
// time through kStages shared-memory stages, each guarded by two mbarriers: `full`
// (the producer's expect_tx; TMA's bytes complete it) and `empty` (one arrival per
// consumer warp once its wgmmas reading the stage are done). A consumer keeps one
// stage's wgmma group in flight while it waits for the next. TMA zero-fills boxes past
// M, N and K, so ragged edges multiply zeros; the epilogue writes only inside C (any
// strides, alpha, beta). The layout math is common/wgmma_layout.h (checked on the CPU).
#include <cuda.h>          // CUtensorMap and the encode enums (types only: libcuda is not linked)
#include <cudaTypedefs.h>  // PFN_cuTensorMapEncodeTiled

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "common/wgmma_layout.h"
#include "cuda_api.h"
#include "gemm_wgmma.cuh"

namespace fastdl {
namespace cuda {

namespace {

using namespace ::fastdl::wgmma;

// 1024 bytes of slack to align the stages (the 128B swizzle repeats every 1024 bytes),
// then the stages, then 2 * kStages mbarriers.
constexpr size_t kSmemBytes = 1024 + size_t{kStages} * kStageBytes + 2 * kStages * sizeof(uint64_t);

// What the epilogue needs (the operands travel as tensor maps).
struct Epilogue {
  int64_t M, N;
  void* C;
  int64_t rsc, csc;
  float alpha, beta;
};

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ void mbar_init(uint64_t* bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect_tx(uint64_t* bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(bytes)
               : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint64_t* bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_addr(bar)) : "memory");
}
// Spins until the barrier's phase with this parity has completed.
__device__ __forceinline__ void mbar_wait(uint64_t* bar, uint32_t parity) {
  uint32_t done = 0;
  do {
    asm volatile(
        "{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n selp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(smem_addr(bar)), "r"(parity)
        : "memory");
  } while (!done);
}

// One 64 x 64 box of `map` at {inner, outer} into shared memory; its bytes count
// towards `bar`'s transaction.
__device__ __forceinline__ void tma_load(void* dst, const CUtensorMap* map, BoxCoord at, uint64_t* bar) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(
          smem_addr(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(at.inner), "r"(at.outer), "r"(smem_addr(bar))
      : "memory");
}

// Keeps the compiler from moving accumulator reads / writes across the asynchronous wgmma.
__device__ __forceinline__ void fence_acc(float (&d)[kAcc]) {
#pragma unroll
  for (int i = 0; i < kAcc; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

#define FASTDL_ACC8(i) \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
#define FASTDL_ACC32(i) FASTDL_ACC8(i), FASTDL_ACC8(i + 8), FASTDL_ACC8(i + 16), FASTDL_ACC8(i + 24)
#define FASTDL_WGMMA_M64N256K16(TYPE)                                                                        \
  asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, %130, 0;\n"                                               \
               "wgmma.mma_async.sync.aligned.m64n256k16.f32." TYPE "." TYPE " {"                            \
               "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                      \
               "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "            \
               "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "            \
               "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "            \
               "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "            \
               "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "            \
               "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, " \
               "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127" \
               "}, %128, %129, p, 1, 1, %131, %132;\n"                                                       \
               "}\n"                                                                                         \
               : FASTDL_ACC32(0), FASTDL_ACC32(32), FASTDL_ACC32(64), FASTDL_ACC32(96)                       \
               : "l"(desc_a), "l"(desc_b), "r"(accumulate), "n"(TRANS_A), "n"(TRANS_B))

// d += A (64 x 16, by desc_a) @ B (16 x 256, by desc_b), issued asynchronously by the
// whole warpgroup. TRANS_A: A is M-major; TRANS_B: B is N-major (16-bit types only).
// accumulate == 0 overwrites d (the first product of a tile: d needs no zeroing).
template <bool BF16, int TRANS_A, int TRANS_B>
__device__ __forceinline__ void wgmma_m64n256k16(float (&d)[kAcc], uint64_t desc_a, uint64_t desc_b,
                                                 uint32_t accumulate) {
  if constexpr (BF16) FASTDL_WGMMA_M64N256K16("bf16");
  else FASTDL_WGMMA_M64N256K16("f16");
}
#undef FASTDL_WGMMA_M64N256K16
#undef FASTDL_ACC32
#undef FASTDL_ACC8

__device__ __forceinline__ uint64_t operand_desc(const unsigned char* tile, bool k_major, int mn0, int k0) {
  return smem_desc(smem_addr(tile) + desc_start(k_major, mn0, k0), desc_lbo(k_major), desc_sbo(k_major),
                   kSwizzle128B);
}

template <typename Elem>
__device__ __forceinline__ float to_float(Elem x);
template <>
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
template <>
__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }
template <typename Elem>
__device__ __forceinline__ Elem from_float(float x);  // round to nearest even, as half_convert.h
template <>
__device__ __forceinline__ __nv_bfloat16 from_float(float x) { return __float2bfloat16_rn(x); }
template <>
__device__ __forceinline__ __half from_float(float x) { return __float2half_rn(x); }

#endif

// A_K: A is contiguous along K (else M); B_K: B is contiguous along K (else N).
template <bool BF16, bool A_K, bool B_K>
__global__ void __launch_bounds__(kThreads, 1)
    wgmma_gemm_kernel(const __grid_constant__ CUtensorMap map_a, const __grid_constant__ CUtensorMap map_b,
                      int64_t K, Epilogue e) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
  extern __shared__ unsigned char smem_raw[];
  unsigned char* stages = reinterpret_cast<unsigned char*>((reinterpret_cast<uintptr_t>(smem_raw) + 1023) & ~uintptr_t{1023});
  uint64_t* full = reinterpret_cast<uint64_t*>(stages + kStages * kStageBytes);
  uint64_t* empty = full + kStages;
  auto a_tile = [&](int s) { return stages + s * kStageBytes; };
  auto b_tile = [&](int s) { return stages + s * kStageBytes + kABytes; };

  constexpr int kConsumerWarps = kConsumers * 4;
  if (threadIdx.x == 0) {
    for (int s = 0; s < kStages; ++s) {
      mbar_init(&full[s], 1);
      mbar_init(&empty[s], kConsumerWarps);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");  // visible to TMA (the async proxy)
  }
  __syncthreads();

  const int wg = threadIdx.x / 128, t = threadIdx.x % 128;
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kBM, n0 = static_cast<int64_t>(blockIdx.x) * kBN;
  const int64_t ktiles = (K + kBK - 1) / kBK;

  if (wg == 0) {  // producer
    asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n");
    if (t == 0) {
      for (int64_t kt = 0; kt < ktiles; ++kt) {
        const int s = static_cast<int>(kt % kStages);
        if (kt >= kStages) mbar_wait(&empty[s], static_cast<uint32_t>((kt / kStages - 1) & 1));
        mbar_expect_tx(&full[s], kStageBytes);  // out-of-bounds zeros count too: always full boxes
#pragma unroll
        for (int j = 0; j < kBM / kBox; ++j)
          tma_load(a_tile(s) + j * kBoxBytes, &map_a, box_coord(A_K, m0, kt * kBK, j), &full[s]);
#pragma unroll
        for (int j = 0; j < kBN / kBox; ++j)
          tma_load(b_tile(s) + j * kBoxBytes, &map_b, box_coord(B_K, n0, kt * kBK, j), &full[s]);
      }
    }
    return;
  }

  // consumers: warpgroup wg multiplies rows (wg - 1) * 64 .. + 63 of the tile
  asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n");
  const int row0 = (wg - 1) * kInstrM;
  float d[kAcc];  // written by the first wgmma (accumulate = 0)

  for (int64_t kt = 0; kt < ktiles; ++kt) {
    const int s = static_cast<int>(kt % kStages);
    mbar_wait(&full[s], static_cast<uint32_t>((kt / kStages) & 1));
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#pragma unroll
    for (int k0 = 0; k0 < kBK; k0 += kInstrK)
      wgmma_m64n256k16<BF16, A_K ? 0 : 1, B_K ? 0 : 1>(d, operand_desc(a_tile(s), A_K, row0, k0),
                                                       operand_desc(b_tile(s), B_K, 0, k0), kt > 0 || k0 > 0);
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    // The previous stage's group is done once at most this one is pending: free its stage.
    asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
    if (kt > 0 && t % 32 == 0) mbar_arrive(&empty[(kt - 1) % kStages]);
  }
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
  fence_acc(d);

  // Epilogue: alpha * d (+ beta * C) in fp32, rounded once. Accumulators i, i + 1 are
  // adjacent columns: one 4-byte store where C's rows are contiguous and the pair aligned.
  using Elem = std::conditional_t<BF16, __nv_bfloat16, __half>;
  using Elem2 = std::conditional_t<BF16, __nv_bfloat162, __half2>;
  Elem* C = static_cast<Elem*>(e.C);
  auto value = [&](float acc, const Elem* c) {
    return from_float<Elem>(e.beta == 0.f ? e.alpha * acc : e.alpha * acc + e.beta * to_float(*c));
  };
#pragma unroll
  for (int i = 0; i < kAcc; i += 2) {
    const RowCol rc = acc_coord(t, i);
    const int64_t m = m0 + row0 + rc.row, n = n0 + rc.col;
    if (m >= e.M || n >= e.N) continue;
    Elem* c = C + m * e.rsc + n * e.csc;
    if (e.csc == 1 && n + 1 < e.N && reinterpret_cast<uintptr_t>(c) % sizeof(Elem2) == 0) {
      Elem2 pair;
      pair.x = value(d[i], c);
      pair.y = value(d[i + 1], c + 1);
      *reinterpret_cast<Elem2*>(c) = pair;
    } else {
      *c = value(d[i], c);
      if (n + 1 < e.N) c[e.csc] = value(d[i + 1], c + e.csc);
    }
  }
#endif
}

// The switch: FASTDL_CUDA_WGMMA=1 in the environment at import turns it on.
std::atomic<bool> g_enabled{[] {
  const char* v = std::getenv("FASTDL_CUDA_WGMMA");
  return v != nullptr && std::strcmp(v, "1") == 0;
}()};
std::atomic<int64_t> g_launches{0};

// cuTensorMapEncodeTiled from the driver, looked up at first use (null without a
// driver that has it), so the module never links libcuda.
PFN_cuTensorMapEncodeTiled_v12000 encode_tiled() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult found{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &found) !=
            cudaSuccess ||
        found != cudaDriverEntryPointSuccess) {
      cudaGetLastError();
      return static_cast<PFN_cuTensorMapEncodeTiled_v12000>(nullptr);
    }
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(p);
  }();
  return fn;
}

// One operand as a 2-D tensor map: dim 0 the contiguous one (`inner` elements), dim 1
// `outer` rows `ld` elements apart; 64 x 64 boxes, 128B swizzle, zeros out of bounds.
// False where TMA's rules fail: a 16-byte aligned start, a leading stride that is a
// multiple of 16 bytes below 2^40, dims that fit the int32 box coordinates.
bool encode_operand(CUtensorMap* map, const void* base, bool bf16, int64_t inner, int64_t outer, int64_t ld) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = encode_tiled();
  if (encode == nullptr) return false;
  if (outer == 1) ld = (inner + 7) / 8 * 8;  // a lone row's stride is never used
  if (reinterpret_cast<uintptr_t>(base) % 16 != 0 || ld % 8 != 0 || ld >= (int64_t{1} << 39) ||
      inner >= (int64_t{1} << 31) || outer >= (int64_t{1} << 31))
    return false;
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(inner), static_cast<cuuint64_t>(outer)};
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(ld) * kElemBytes};
  const cuuint32_t box[2] = {kBox, kBox}, element_strides[2] = {1, 1};
  return encode(map, bf16 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16 : CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 2,
                const_cast<void*>(base), dims, strides, box, element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE,
                CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

template <bool BF16, bool A_K, bool B_K>
void launch(const CUtensorMap& map_a, const CUtensorMap& map_b, int64_t K, const Epilogue& e, int device) {
  auto kernel = wgmma_gemm_kernel<BF16, A_K, B_K>;
  static std::atomic<uint64_t> raised{0};  // bit d: the shared memory limit is raised on device d (< 64)
  const uint64_t bit = device < 64 ? uint64_t{1} << device : 0;
  if (!(raised.load() & bit)) {
    FASTDL_CUDA_CHECK(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(kSmemBytes)));
    raised.fetch_or(bit);
  }
  const dim3 grid(static_cast<unsigned>((e.N + kBN - 1) / kBN), static_cast<unsigned>((e.M + kBM - 1) / kBM));
  kernel<<<grid, kThreads, kSmemBytes>>>(map_a, map_b, K, e);
  FASTDL_CUDA_CHECK(cudaGetLastError());
  g_launches.fetch_add(1);
}

}  // namespace

void set_wgmma(bool enable) { g_enabled.store(enable); }
bool wgmma_enabled() { return g_enabled.load(); }
int64_t wgmma_launches() { return g_launches.load(); }

bool gemm_wgmma(const GemmArgs& g, int64_t batch, bool bf16, bool a_k, bool b_k) {
  if (!g_enabled.load() || batch != 1 || g.K == 0) return false;
  if ((g.N + kBN - 1) / kBN > 0x7fffffff || (g.M + kBM - 1) / kBM > 65535) return false;
  int device = 0, major = 0, minor = 0, smem_optin = 0;
  FASTDL_CUDA_CHECK(cudaGetDevice(&device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  // sm_90a code runs on compute 9.0 only.
  if (major != 9 || minor != 0 || smem_optin < static_cast<int>(kSmemBytes)) return false;

  // Element (mn, k) of A is at A[mn * ld + k] when contiguous along K, else A[k * ld + mn].
  CUtensorMap map_a, map_b;
  const int64_t lda = a_k ? g.rsa : g.csa, ldb = b_k ? g.csb : g.rsb;
  if (!encode_operand(&map_a, g.A, bf16, a_k ? g.K : g.M, a_k ? g.M : g.K, lda) ||
      !encode_operand(&map_b, g.B, bf16, b_k ? g.K : g.N, b_k ? g.N : g.K, ldb))
    return false;
  const Epilogue e{g.M, g.N, g.C, g.rsc, g.csc, static_cast<float>(g.alpha), static_cast<float>(g.beta)};
  if (bf16) {
    if (a_k && b_k) launch<true, true, true>(map_a, map_b, g.K, e, device);
    else if (a_k) launch<true, true, false>(map_a, map_b, g.K, e, device);
    else if (b_k) launch<true, false, true>(map_a, map_b, g.K, e, device);
    else launch<true, false, false>(map_a, map_b, g.K, e, device);
  } else {
    if (a_k && b_k) launch<false, true, true>(map_a, map_b, g.K, e, device);
    else if (a_k) launch<false, true, false>(map_a, map_b, g.K, e, device);
    else if (b_k) launch<false, false, true>(map_a, map_b, g.K, e, device);
    else launch<false, false, false>(map_a, map_b, g.K, e, device);
  }
  return true;
}

}  // namespace cuda
}  // namespace fastdl
