// The LSTM / GRU cell rows of rnn_cells_simd.h at 16 AVX-512 lanes (compiled with
// -mavx512f). Like gemm_avx512.cpp this file includes no header with portable inline code.
#include "avx512_vec.h"
#include "rnn_cells_simd.h"
#include "rnn_cells_vec.h"

namespace fastdl {
namespace cpu {
namespace rnn_avx512 {

FASTDL_RNN_CELL_ROWS(avx512::Vec<float>)

}  // namespace rnn_avx512
}  // namespace cpu
}  // namespace fastdl
