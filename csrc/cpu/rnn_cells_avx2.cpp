// The LSTM / GRU cell rows of rnn_cells_simd.h at 8 AVX2 lanes (compiled with -mavx2
// -mfma). Like gemm_avx2.cpp this file includes no header with portable inline code.
#include "avx2_vec.h"
#include "rnn_cells_simd.h"
#include "rnn_cells_vec.h"

namespace fastdl {
namespace cpu {
namespace rnn_avx2 {

FASTDL_RNN_CELL_ROWS(avx2::Vec<float>)

}  // namespace rnn_avx2
}  // namespace cpu
}  // namespace fastdl
