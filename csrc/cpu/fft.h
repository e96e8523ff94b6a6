// The discrete Fourier transform along the last dim (fastdl.fft's kernel).
//   fft_c2c(x, out, inverse): out[..., k] = sum_j x[..., j] exp(-+2 pi i jk / n), the sign
//   + for inverse, unnormalised (Python applies "backward" / "ortho" / "forward" scaling
//   and builds the real / Hermitian variants from this one). x and out: contiguous, same
//   shape, complex64 or complex128. Lengths that are powers of two run an iterative
//   radix-2 Cooley-Tukey; any other length Bluestein's chirp-z through a radix-2
//   convolution, so every length is O(n log n). Rows are threaded above a size threshold.
// No CUDA twin: on a device fastdl.fft multiplies by the DFT matrix (python/fastdl/fft/).
#pragma once
#include <cstdint>

#include "../core/tensor_arg.h"

namespace fastdl {
namespace cpu {

void fft_c2c(const TensorArg& x, const TensorArg& out, bool inverse);

}  // namespace cpu
}  // namespace fastdl
