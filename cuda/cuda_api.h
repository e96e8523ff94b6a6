// Everything the CUDA backend (cuda/*.cu, compiled by nvcc) exports to the bindings
// (cuda/*.cpp, compiled by g++). Plain C++ only: no CUDA types or headers here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor_arg.h"

namespace fastdl {
namespace cuda {

// ---- devices (device.cu) ----
// Number of visible devices; 0 (never an exception) without a driver or a GPU.
int device_count();
// Throws std::runtime_error "<what>: no CUDA device is available (...)" when
// device_count() is 0, and ValueError when `device` is not a valid index.
// device = -1 checks only that some device exists.
void require_device(const char* what, int device = -1);
int current_device();
void set_device(int device);
std::string device_name(int device);
std::pair<int, int> capability(int device);
std::pair<size_t, size_t> mem_get_info(int device);  // (free, total) bytes
void synchronize();  // waits for the current device; raises pending kernel errors

// ---- events and device properties (events.cu) ----
// An event handle (a cudaEvent_t as an integer), recorded on the default stream, where
// every fastdl kernel runs. `timing` false: elapsed_ms is unavailable, recording is cheaper.
uintptr_t event_create(bool timing);
void event_destroy(uintptr_t e) noexcept;
void event_record(uintptr_t e);
void event_synchronize(uintptr_t e);
bool event_query(uintptr_t e);  // true once the work before the record has finished
float event_elapsed_ms(uintptr_t start, uintptr_t end);
struct DeviceProperties {
  std::string name;
  int major, minor;
  int64_t total_memory;
  int multi_processor_count, l2_cache_size, warp_size;
};
DeviceProperties device_properties(int device);
std::string runtime_version();  // the CUDA toolkit fastdl was compiled with, "13.0"

// ---- caching allocator (allocator.cu) ----
void* allocate(size_t nbytes, int device);  // throws "CUDA out of memory: ..."
void deallocate(void* ptr, size_t nbytes, int device) noexcept;
void install_allocator();  // points fastdl::cuda_allocator() at alloc/free
// Statistics of one device (-1: the current one). "allocated" counts the rounded
// sizes of live blocks, "reserved" adds the cached free blocks.
int64_t memory_allocated(int device);
int64_t max_memory_allocated(int device);
int64_t memory_reserved(int device);
void reset_peak_memory_stats(int device);
void empty_cache();  // returns every cached free block of every device to the driver

// ---- elementwise kernels (elementwise_*.cu); semantics of csrc/cpu/elementwise.h ----
void unary(const std::string& op, const TensorArg& x, const TensorArg& out, double p0, double p1);
void binary(const std::string& op, const TensorArg& a, const TensorArg& b, const TensorArg& out);
void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out);
void fill(const TensorArg& dst, double value);
void lerp_scalar(const TensorArg& a, const TensorArg& b, const TensorArg& out, double scale, bool small);

// ---- copies (copy.cu) ----
// dst = src for any pair of devices. cuda->cuda: any strides, any dtype conversion.
// cpu<->cuda: both contiguous with the same dtype (ValueError otherwise).
void copy(const TensorArg& src, const TensorArg& dst);

// ---- the spine's kernels: the contracts (arguments, errors, output rules) of the
// csrc/cpu/*.h function of the same name; every operand must be on one CUDA device ----
// gemm.cu (csrc/cpu/gemm.h): float32 / float64 / int64
void matmul(const TensorArg& a, const TensorArg& b, const TensorArg& out, double alpha, double beta);
// gemm_tf32.cu: whether float32 matmul may round its operands to TF32 and use tensor
// cores (fastdl.backends.cuda.matmul.allow_tf32; off by default, as in PyTorch).
void set_allow_tf32(bool allow);
bool allow_tf32();
// gemm_wgmma.cu: whether fp16 / bf16 matmul (and float32 with allow_tf32 on) may take
// the sm_90a wgmma + TMA kernel
// (EXPERIMENTAL, UNVERIFIED; off unless FASTDL_CUDA_WGMMA=1 at import), and how many
// times it has launched (tests check which path ran).
void set_wgmma(bool enable);
bool wgmma_enabled();
int64_t wgmma_launches();
// reduce.cu (csrc/cpu/reduce.h)
void reduce(const std::string& op, const TensorArg& x, const TensorArg& out,
            const std::vector<int64_t>& dims);
// scan.cu (csrc/cpu/scan.h)
void cumsum(const TensorArg& x, const TensorArg& out, int64_t dim, bool reverse);
void cum_extreme(const TensorArg& x, const TensorArg& values, const TensorArg& indices, int64_t dim, bool largest);
// flip.cu (csrc/cpu/flip.h)
void flip(const TensorArg& x, const TensorArg& out, const std::vector<int64_t>& dims);
// search.cu (csrc/cpu/search.h)
void searchsorted(const TensorArg& seq, const TensorArg& values, const TensorArg& out, bool right);
// linalg_factor.cu (csrc/cpu/linalg_factor.h): one thread per matrix
void lu_factor(const TensorArg& a, const TensorArg& pivots, const TensorArg& info);
void lu_solve(const TensorArg& lu, const TensorArg& pivots, const TensorArg& b);
void cholesky(const TensorArg& a, const TensorArg& info);
void solve_triangular(const TensorArg& a, const TensorArg& b, bool upper, bool unitriangular);
void qr(const TensorArg& a, const TensorArg& tau, const TensorArg& q);
void eigh(const TensorArg& a, const TensorArg& w, const TensorArg& v, const TensorArg& info);
void svd(const TensorArg& a, const TensorArg& s, const TensorArg& v, const TensorArg& info);

// softmax.cu (csrc/cpu/softmax.h)
void softmax(const TensorArg& x, const TensorArg& out, int64_t dim, bool log);
void softmax_backward(const TensorArg& y, const TensorArg& grad_y, const TensorArg& grad_x,
                      int64_t dim, bool log);
void cross_entropy(const TensorArg& logits, const TensorArg& target,
                   const std::optional<TensorArg>& weight, const TensorArg& loss_out,
                   const TensorArg& lse_out, int64_t ignore_index, double label_smoothing);
void cross_entropy_backward(const TensorArg& logits, const TensorArg& target,
                            const std::optional<TensorArg>& weight, const TensorArg& lse,
                            const TensorArg& grad_loss, const TensorArg& grad_logits,
                            int64_t ignore_index, double label_smoothing);
// nll_loss.cu (csrc/cpu/nll_loss.h)
double nll_loss(const TensorArg& x, const TensorArg& target, const std::optional<TensorArg>& weight,
                const TensorArg& out, int64_t ignore_index, int64_t reduction);
void nll_loss_backward(const TensorArg& target, const std::optional<TensorArg>& weight, const TensorArg& grad,
                       const TensorArg& grad_x, int64_t ignore_index, int64_t reduction, double total_weight);
// index.cu (csrc/cpu/index.h): indices are checked on the device before any write;
// a bad one raises IndexError on the host.
void index_select(const TensorArg& x, int64_t dim, const TensorArg& index, const TensorArg& out);
void index_add(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src);
void index_put(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src,
               bool accumulate);
void gather(const TensorArg& x, int64_t dim, const TensorArg& index, const TensorArg& out);
void scatter_add(const TensorArg& target, int64_t dim, const TensorArg& index, const TensorArg& src);
int64_t count_nonzero(const TensorArg& x);
void nonzero(const TensorArg& x, const TensorArg& out);
// random.cu (csrc/cpu/random.h): the same Philox streams as the CPU kernels.
int64_t random_uniform(const TensorArg& out, uint64_t seed, int64_t offset, double low, double high);
int64_t random_normal(const TensorArg& out, uint64_t seed, int64_t offset, double mean, double std);
int64_t random_int(const TensorArg& out, uint64_t seed, int64_t offset, int64_t low, int64_t high);
int64_t bernoulli(const TensorArg& out, uint64_t seed, int64_t offset, double p);
int64_t randperm(const TensorArg& out, uint64_t seed, int64_t offset);
void arange(const TensorArg& out, double start, double step);

}  // namespace cuda
}  // namespace fastdl
