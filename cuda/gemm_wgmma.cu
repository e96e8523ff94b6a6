// fp16 / bf16 / TF32 GEMM for sm_90a (H100 / H200): TMA loads into 128B-swizzled shared
// memory, warpgroup MMA (wgmma.mma_async m64n256k16 for 16-bit inputs, m64n256k8.tf32
// for float32 ones; fp32 accumulators), the result rounded once to the input dtype, as
// gemm_half.cu. Batched (strided) operands run through the same kernel: the batch is
// the tensor maps' third dim and grid.z.
//
// EXPERIMENTAL, UNVERIFIED: this file has only been compiled (nvcc 13.0, no GPU); it
// has never run. It is opt-in: matmul takes it only with FASTDL_CUDA_WGMMA=1 at import
// or set_wgmma(true) (fastdl.backends.cuda.matmul.allow_wgmma), on a compute 9.0
// device, and for float32 only with allow_tf32 on as well; otherwise matmul runs
// gemm_half's / gemm_tf32's mma.sync kernels as before.
//
// TF32: wgmma reads the float32 bits TMA copied and uses their top 19 (the low 13
// mantissa bits are ignored: the inputs are truncated to TF32, where gemm_tf32.cu
// rounds them to nearest; expected from the ISA, to be confirmed on a GPU by
// test_tf32_truncates_the_inputs). wgmma has no transpose for 32-bit types, so float32 runs
// here only when both operands are K-major (A row-major, B column-major: x @ W^T);
// other layouts fall back to gemm_tf32's mma.sync kernel.
//
// Built by its own CMake target for sm_90a only (wgmma and setmaxnreg exist only
// there); the kernel body is empty in any other device pass.
//
// One 384-thread block per 128 x 256 tile of C of one batch entry (grid.z),
// warp-specialised: warpgroup 0 is the producer (one thread issues the TMA copies; its
// registers are given up with setmaxnreg), warpgroups 1 and 2 each multiply 64 rows of
// the tile. K goes 128 bytes per row at a time (64 16-bit or 32 tf32 elements) through
// kStages shared-memory stages, each guarded by two mbarriers: `full` (the producer's
// expect_tx; TMA's bytes complete it) and `empty` (one arrival per consumer warp once
// its wgmmas reading the stage are done). A consumer keeps one stage's wgmma group in
// flight while it waits for the next. TMA zero-fills boxes past M, N and K (the batch
// is a dim of its own, so an edge box never reads the next entry), so ragged edges
// multiply zeros; the epilogue writes only inside C (any strides, alpha, beta). The
// layout and tensor-map math is common/wgmma_layout.h (checked on the CPU).
#include <cuda.h>          // CUtensorMap and the encode enums (types only: libcuda is not linked)
#include <cudaTypedefs.h>  // PFN_cuTensorMapEncodeTiled

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
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

// What the kernel needs besides the operands' tensor maps: the batch origin of this
// launch (grid.z splits past 65535 entries), each operand's batch step (tma_operand's
// z_step) and the epilogue's C.
struct Args {
  int64_t M, N, K;
  int64_t z0;
  int za, zb;
  void* C;
  int64_t rsc, csc, bsc;  // C's row, column and batch strides
  float alpha, beta;
};

// The storage types the kernel takes: the paired store of its epilogue, its TMA data
// type, and kTrans: wgmma has transpose operands for it (16-bit types only).
template <typename Elem>
struct ElemTraits;
template <>
struct ElemTraits<__nv_bfloat16> {
  using Pair = __nv_bfloat162;
  static constexpr bool kTrans = true;
  static constexpr CUtensorMapDataType kTma = CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
};
template <>
struct ElemTraits<__half> {
  using Pair = __half2;
  static constexpr bool kTrans = true;
  static constexpr CUtensorMapDataType kTma = CU_TENSOR_MAP_DATA_TYPE_FLOAT16;
};
template <>
struct ElemTraits<float> {  // tf32: wgmma truncates the float32 bits
  using Pair = float2;
  static constexpr bool kTrans = false;
  static constexpr CUtensorMapDataType kTma = CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
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

// One box of `map` at {inner, outer, batch} into shared memory; its bytes count
// towards `bar`'s transaction.
__device__ __forceinline__ void tma_load(void* dst, const CUtensorMap* map, BoxCoord at, uint64_t* bar) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], "
      "[%5];\n" ::"r"(smem_addr(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(at.inner), "r"(at.outer), "r"(at.batch), "r"(smem_addr(bar))
      : "memory");
}

// Keeps the compiler from moving accumulator reads / writes across the asynchronous wgmma.
__device__ __forceinline__ void fence_acc(float (&d)[kAcc]) {
#pragma unroll
  for (int i = 0; i < kAcc; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// INSTR: shape and types; TAIL: the 16-bit types' transpose immediates (%131, %132), or
// nothing for tf32 (the operands are listed either way; unused ones are allowed).
#define FASTDL_ACC8(i) \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])
#define FASTDL_ACC32(i) FASTDL_ACC8(i), FASTDL_ACC8(i + 8), FASTDL_ACC8(i + 16), FASTDL_ACC8(i + 24)
#define FASTDL_WGMMA_M64N256(INSTR, TAIL)                                                                    \
  asm volatile("{\n .reg .pred p;\n setp.ne.b32 p, %130, 0;\n"                                               \
               "wgmma.mma_async.sync.aligned." INSTR " {"                                                    \
               "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "                      \
               "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "            \
               "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "            \
               "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "            \
               "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "            \
               "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "            \
               "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, " \
               "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127" \
               "}, %128, %129, p, 1, 1" TAIL ";\n"                                                           \
               "}\n"                                                                                         \
               : FASTDL_ACC32(0), FASTDL_ACC32(32), FASTDL_ACC32(64), FASTDL_ACC32(96)                       \
               : "l"(desc_a), "l"(desc_b), "r"(accumulate), "n"(TRANS_A), "n"(TRANS_B))

// d += A (64 x k, by desc_a) @ B (k x 256, by desc_b), k = 32 bytes of Elem (16 or 8),
// issued asynchronously by the whole warpgroup. TRANS_A: A is M-major; TRANS_B: B is
// N-major (16-bit types only). accumulate == 0 overwrites d (the first product of a
// tile: d needs no zeroing).
template <typename Elem, int TRANS_A, int TRANS_B>
__device__ __forceinline__ void wgmma_m64n256(float (&d)[kAcc], uint64_t desc_a, uint64_t desc_b,
                                              uint32_t accumulate) {
  if constexpr (std::is_same_v<Elem, __nv_bfloat16>) FASTDL_WGMMA_M64N256("m64n256k16.f32.bf16.bf16", ", %131, %132");
  else if constexpr (std::is_same_v<Elem, __half>) FASTDL_WGMMA_M64N256("m64n256k16.f32.f16.f16", ", %131, %132");
  else FASTDL_WGMMA_M64N256("m64n256k8.f32.tf32.tf32", "");
}
#undef FASTDL_WGMMA_M64N256
#undef FASTDL_ACC32
#undef FASTDL_ACC8

template <int ElemBytes>
__device__ __forceinline__ uint64_t operand_desc(const unsigned char* tile, bool k_major, int mn0, int k0) {
  return smem_desc(smem_addr(tile) + desc_start(k_major, mn0, k0, ElemBytes), desc_lbo(k_major), desc_sbo(k_major),
                   kSwizzle128B);
}

__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ __forceinline__ float to_float(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_float(float x) { return x; }
template <typename Elem>
__device__ __forceinline__ Elem from_float(float x);  // round to nearest even, as half_convert.h
template <>
__device__ __forceinline__ __nv_bfloat16 from_float(float x) { return __float2bfloat16_rn(x); }
template <>
__device__ __forceinline__ __half from_float(float x) { return __float2half_rn(x); }
template <>
__device__ __forceinline__ float from_float(float x) { return x; }

#endif

// A_K: A is contiguous along K (else M); B_K: B is contiguous along K (else N).
template <typename Elem, bool A_K, bool B_K>
__global__ void __launch_bounds__(kThreads, 1)
    wgmma_gemm_kernel(const __grid_constant__ CUtensorMap map_a, const __grid_constant__ CUtensorMap map_b, Args e) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
  static_assert(ElemTraits<Elem>::kTrans || (A_K && B_K), "wgmma takes 32-bit operands K-major only");
  constexpr int kStageK = stage_k(sizeof(Elem)), kInstrK = instr_k(sizeof(Elem));
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
  const int64_t z = e.z0 + blockIdx.z;
  const int64_t ktiles = (e.K + kStageK - 1) / kStageK;

  if (wg == 0) {  // producer
    asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n");
    if (t == 0) {
      for (int64_t kt = 0; kt < ktiles; ++kt) {
        const int s = static_cast<int>(kt % kStages);
        if (kt >= kStages) mbar_wait(&empty[s], static_cast<uint32_t>((kt / kStages - 1) & 1));
        mbar_expect_tx(&full[s], kStageBytes);  // out-of-bounds zeros count too: always full boxes
#pragma unroll
        for (int j = 0; j < kBM / kBox; ++j)
          tma_load(a_tile(s) + j * kBoxBytes, &map_a, box_coord(A_K, m0, kt * kStageK, j, z, e.za), &full[s]);
#pragma unroll
        for (int j = 0; j < kBN / kBox; ++j)
          tma_load(b_tile(s) + j * kBoxBytes, &map_b, box_coord(B_K, n0, kt * kStageK, j, z, e.zb), &full[s]);
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
    for (int k0 = 0; k0 < kStageK; k0 += kInstrK)
      wgmma_m64n256<Elem, A_K ? 0 : 1, B_K ? 0 : 1>(d, operand_desc<sizeof(Elem)>(a_tile(s), A_K, row0, k0),
                                                    operand_desc<sizeof(Elem)>(b_tile(s), B_K, 0, k0),
                                                    kt > 0 || k0 > 0);
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
    // The previous stage's group is done once at most this one is pending: free its stage.
    asm volatile("wgmma.wait_group.sync.aligned 1;\n" ::: "memory");
    if (kt > 0 && t % 32 == 0) mbar_arrive(&empty[(kt - 1) % kStages]);
  }
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
  fence_acc(d);

  // Epilogue: alpha * d (+ beta * C) in fp32, rounded once. Accumulators i, i + 1 are
  // adjacent columns: one paired store where C's rows are contiguous and the pair aligned.
  using Pair = typename ElemTraits<Elem>::Pair;
  Elem* C = static_cast<Elem*>(e.C) + z * e.bsc;
  auto value = [&](float acc, const Elem* c) {
    return from_float<Elem>(e.beta == 0.f ? e.alpha * acc : e.alpha * acc + e.beta * to_float(*c));
  };
#pragma unroll
  for (int i = 0; i < kAcc; i += 2) {
    const RowCol rc = acc_coord(t, i);
    const int64_t m = m0 + row0 + rc.row, n = n0 + rc.col;
    if (m >= e.M || n >= e.N) continue;
    Elem* c = C + m * e.rsc + n * e.csc;
    if (e.csc == 1 && n + 1 < e.N && reinterpret_cast<uintptr_t>(c) % sizeof(Pair) == 0) {
      Pair pair;
      pair.x = value(d[i], c);
      pair.y = value(d[i + 1], c + 1);
      *reinterpret_cast<Pair*>(c) = pair;
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

// One operand's 3-D tensor map (tma_operand's geometry; 128B swizzle, zeros out of
// bounds); false, with *z_step unset, where TMA's rules or the driver refuse it.
bool encode_operand(CUtensorMap* map, int* z_step, const void* base, CUtensorMapDataType type, int elem_bytes,
                    int64_t inner, int64_t outer, int64_t ld, int64_t batch, int64_t batch_stride) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = encode_tiled();
  if (encode == nullptr) return false;
  const TmaOperand t =
      tma_operand(reinterpret_cast<uintptr_t>(base), elem_bytes, inner, outer, ld, batch, batch_stride);
  if (!t.ok) return false;
  const cuuint64_t dims[3] = {t.dims[0], t.dims[1], t.dims[2]}, strides[2] = {t.strides[0], t.strides[1]};
  const cuuint32_t box[3] = {t.box[0], t.box[1], t.box[2]}, element_strides[3] = {1, 1, 1};
  if (encode(map, type, 3, const_cast<void*>(base), dims, strides, box, element_strides,
             CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
             CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) != CUDA_SUCCESS)
    return false;
  *z_step = t.z_step;
  return true;
}

template <typename Elem, bool A_K, bool B_K>
void launch(const CUtensorMap& map_a, const CUtensorMap& map_b, Args e, int64_t batch, int device) {
  auto kernel = wgmma_gemm_kernel<Elem, A_K, B_K>;
  static std::atomic<uint64_t> raised{0};  // bit d: the shared memory limit is raised on device d (< 64)
  const uint64_t bit = device < 64 ? uint64_t{1} << device : 0;
  if (!(raised.load() & bit)) {
    FASTDL_CUDA_CHECK(
        cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(kSmemBytes)));
    raised.fetch_or(bit);
  }
  constexpr int64_t kMaxZ = 65535;
  for (e.z0 = 0; e.z0 < batch; e.z0 += kMaxZ) {
    const dim3 grid(static_cast<unsigned>((e.N + kBN - 1) / kBN), static_cast<unsigned>((e.M + kBM - 1) / kBM),
                    static_cast<unsigned>(std::min(kMaxZ, batch - e.z0)));
    kernel<<<grid, kThreads, kSmemBytes>>>(map_a, map_b, e);
    FASTDL_CUDA_CHECK(cudaGetLastError());
  }
  g_launches.fetch_add(1);
}

// The four layout instances of one element type.
template <typename Elem>
void launch_layout(bool a_k, bool b_k, const CUtensorMap& map_a, const CUtensorMap& map_b, const Args& e,
                   int64_t batch, int device) {
  if constexpr (ElemTraits<Elem>::kTrans) {
    if (a_k && b_k) launch<Elem, true, true>(map_a, map_b, e, batch, device);
    else if (a_k) launch<Elem, true, false>(map_a, map_b, e, batch, device);
    else if (b_k) launch<Elem, false, true>(map_a, map_b, e, batch, device);
    else launch<Elem, false, false>(map_a, map_b, e, batch, device);
  } else {
    launch<Elem, true, true>(map_a, map_b, e, batch, device);  // gemm_wgmma checked a_k && b_k
  }
}

template <typename Elem>
bool run(const GemmArgs& g, int64_t batch, bool a_k, bool b_k, int device) {
  int64_t count = 1, bs[3] = {0, 0, 0};
  if (batch > 1 && !flat_batch(g.batch.nb, g.batch.shape, g.batch.stride, &count, bs)) return false;
  // Element (mn, k) of A is at A[mn * ld + k] when contiguous along K, else A[k * ld + mn].
  CUtensorMap map_a, map_b;
  Args e{g.M, g.N, g.K, 0, 0, 0, g.C, g.rsc, g.csc, bs[2], static_cast<float>(g.alpha), static_cast<float>(g.beta)};
  constexpr CUtensorMapDataType type = ElemTraits<Elem>::kTma;
  constexpr int eb = sizeof(Elem);
  if (!encode_operand(&map_a, &e.za, g.A, type, eb, a_k ? g.K : g.M, a_k ? g.M : g.K, a_k ? g.rsa : g.csa, count,
                      bs[0]) ||
      !encode_operand(&map_b, &e.zb, g.B, type, eb, b_k ? g.K : g.N, b_k ? g.N : g.K, b_k ? g.csb : g.rsb, count,
                      bs[1]))
    return false;
  launch_layout<Elem>(a_k, b_k, map_a, map_b, e, count, device);
  return true;
}

}  // namespace

void set_wgmma(bool enable) { g_enabled.store(enable); }
bool wgmma_enabled() { return g_enabled.load(); }
int64_t wgmma_launches() { return g_launches.load(); }

bool gemm_wgmma(const GemmArgs& g, int64_t batch, WgmmaType type, bool a_k, bool b_k) {
  if (!g_enabled.load() || g.K == 0) return false;
  if (type == WgmmaType::TF32 && !(a_k && b_k)) return false;  // no transposed 32-bit operands: gemm_tf32 runs
  if ((g.N + kBN - 1) / kBN > 0x7fffffff || (g.M + kBM - 1) / kBM > 65535) return false;
  int device = 0, major = 0, minor = 0, smem_optin = 0;
  FASTDL_CUDA_CHECK(cudaGetDevice(&device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  FASTDL_CUDA_CHECK(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  // sm_90a code runs on compute 9.0 only.
  if (major != 9 || minor != 0 || smem_optin < static_cast<int>(kSmemBytes)) return false;
  switch (type) {
    case WgmmaType::BF16: return run<__nv_bfloat16>(g, batch, a_k, b_k, device);
    case WgmmaType::F16: return run<__half>(g, batch, a_k, b_k, device);
    case WgmmaType::TF32: return run<float>(g, batch, a_k, b_k, device);
  }
  return false;
}

}  // namespace cuda
}  // namespace fastdl
