// CUDA fused LSTM / GRU cell kernels with the contracts of csrc/cpu/rnn.h: one thread
// per (b, j) cell running the per-element equations of csrc/common/rnn_cells.h, the
// same functions the CPU loops call.
#include "common.cuh"
#include "common/rnn_cells.h"
#include "cpu/rnn_args.h"
#include "cuda_api.h"
#include "layer_kernels.h"
#include "tensor_checks.h"

namespace fastdl {
namespace cuda {

namespace {

// Runs Cell::operator()(b, j) for every cell of the (B, H) grid.
template <typename Cell>
__global__ void cells_kernel(int64_t B, int64_t H, Cell cell) {
  FASTDL_GRID_STRIDE_LOOP(e, B * H) cell(e / H, e % H);
}

// One functor per kernel: row b of every operand starts at b * (its width).
template <typename T>
struct LstmForward {
  const T *a, *cp;
  T *h, *c, *act;
  int64_t H;
  __device__ void operator()(int64_t b, int64_t j) const {
    const int64_t G = rnn::kLstmGates * H;
    rnn::lstm_forward_elem(a + b * G, cp + b * H, h + b * H, c + b * H, act + b * G, H, j);
  }
};

template <typename T>
struct LstmBackward {
  const T *s, *cp, *cc, *dh, *dc;
  T *dg, *dcp;
  int64_t H;
  __device__ void operator()(int64_t b, int64_t j) const {
    const int64_t G = rnn::kLstmGates * H, r = b * H;
    rnn::lstm_backward_elem(s + b * G, cp + r, cc + r, dh + r, dc + r, dg + b * G, dcp + r, H, j);
  }
};

template <typename T>
struct GruForward {
  const T *xi, *xh, *hp;
  T *h, *sv;
  int64_t H;
  __device__ void operator()(int64_t b, int64_t j) const {
    const int64_t G = rnn::kGruGates * H, S = rnn::kGruSaved * H;
    rnn::gru_forward_elem(xi + b * G, xh + b * G, hp + b * H, h + b * H, sv + b * S, H, j);
  }
};

template <typename T>
struct GruBackward {
  const T *sv, *hp, *dh;
  T *dgi, *dgh, *dhp;
  int64_t H;
  __device__ void operator()(int64_t b, int64_t j) const {
    const int64_t G = rnn::kGruGates * H, S = rnn::kGruSaved * H;
    rnn::gru_backward_elem(sv + b * S, hp + b * H, dh + b * H, dgi + b * G, dgh + b * G, dhp + b * H, H, j);
  }
};

// make_cell(T()) returns the functor for element type T.
template <typename F>
void launch_cells(const char* op, const TensorArg& ref, int64_t H, F&& make_cell) {
  const int64_t B = ref.shape[0];
  if (B * H == 0) return;
  const int device = ref.buf->device_index();
  DeviceGuard guard(device);
  FASTDL_DISPATCH_FLOAT(ref.dtype, op, [&] {
    cells_kernel<<<grid_size(B * H, device), kBlockSize>>>(B, H, make_cell(scalar_t()));
  })
  FASTDL_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void lstm_cell_forward(const TensorArg& gates, const TensorArg& c_prev, const TensorArg& h_out,
                       const TensorArg& c_out, const TensorArg& act_out) {
  const char* op = "lstm_cell_forward";
  require_device(op);
  const CellOperand ref{"c_prev", &c_prev, 1};
  const int64_t H = check_cell_operands(op, on_cuda(op, c_prev), ref,
                                        {{"gates", &gates, rnn::kLstmGates}, ref, {"h_out", &h_out, 1},
                                         {"c_out", &c_out, 1}, {"act_out", &act_out, rnn::kLstmGates}});
  launch_cells(op, c_prev, H, [&](auto zero) {
    using T = decltype(zero);
    return LstmForward<T>{gates.data<T>(), c_prev.data<T>(), h_out.data<T>(), c_out.data<T>(), act_out.data<T>(), H};
  });
}

void lstm_cell_backward(const TensorArg& act, const TensorArg& c_prev, const TensorArg& c,
                        const TensorArg& grad_h, const TensorArg& grad_c, const TensorArg& grad_gates,
                        const TensorArg& grad_c_prev) {
  const char* op = "lstm_cell_backward";
  require_device(op);
  const CellOperand ref{"c_prev", &c_prev, 1};
  const int64_t H = check_cell_operands(
      op, on_cuda(op, c_prev), ref,
      {{"act", &act, rnn::kLstmGates}, ref, {"c", &c, 1}, {"grad_h", &grad_h, 1}, {"grad_c", &grad_c, 1},
       {"grad_gates", &grad_gates, rnn::kLstmGates}, {"grad_c_prev", &grad_c_prev, 1}});
  launch_cells(op, c_prev, H, [&](auto zero) {
    using T = decltype(zero);
    return LstmBackward<T>{act.data<T>(), c_prev.data<T>(), c.data<T>(), grad_h.data<T>(),
                           grad_c.data<T>(), grad_gates.data<T>(), grad_c_prev.data<T>(), H};
  });
}

void gru_cell_forward(const TensorArg& gi, const TensorArg& gh, const TensorArg& h_prev, const TensorArg& h_out,
                      const TensorArg& saved) {
  const char* op = "gru_cell_forward";
  require_device(op);
  const CellOperand ref{"h_prev", &h_prev, 1};
  const int64_t H = check_cell_operands(op, on_cuda(op, h_prev), ref,
                                        {{"gi", &gi, rnn::kGruGates}, {"gh", &gh, rnn::kGruGates}, ref,
                                         {"h_out", &h_out, 1}, {"saved", &saved, rnn::kGruSaved}});
  launch_cells(op, h_prev, H, [&](auto zero) {
    using T = decltype(zero);
    return GruForward<T>{gi.data<T>(), gh.data<T>(), h_prev.data<T>(), h_out.data<T>(), saved.data<T>(), H};
  });
}

void gru_cell_backward(const TensorArg& saved, const TensorArg& h_prev, const TensorArg& grad_h,
                       const TensorArg& grad_gi, const TensorArg& grad_gh, const TensorArg& grad_h_prev) {
  const char* op = "gru_cell_backward";
  require_device(op);
  const CellOperand ref{"h_prev", &h_prev, 1};
  const int64_t H = check_cell_operands(
      op, on_cuda(op, h_prev), ref,
      {{"saved", &saved, rnn::kGruSaved}, ref, {"grad_h", &grad_h, 1}, {"grad_gi", &grad_gi, rnn::kGruGates},
       {"grad_gh", &grad_gh, rnn::kGruGates}, {"grad_h_prev", &grad_h_prev, 1}});
  launch_cells(op, h_prev, H, [&](auto zero) {
    using T = decltype(zero);
    return GruBackward<T>{saved.data<T>(), h_prev.data<T>(), grad_h.data<T>(), grad_gi.data<T>(),
                          grad_gh.data<T>(), grad_h_prev.data<T>(), H};
  });
}

}  // namespace cuda
}  // namespace fastdl
