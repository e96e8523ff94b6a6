// Per-element math of the fused LSTM / GRU cell kernels, shared by the CPU loops
// (csrc/cpu/rnn.cpp) and the CUDA kernels: one definition of the equations.
//
// Gate layout follows PyTorch. A row of the LSTM gate matrix is [i | f | g | o] and a
// row of the GRU gate matrices is [r | z | n], each block H wide, so gate k of hidden
// unit j sits at column k*H + j. Every function below handles one (b, j) element,
// given pointers to the start of row b of each operand; it reads all its inputs
// before writing, so an output may alias the same-shaped input it replaces (e.g.
// LSTM act_out == gates) without changing the result.
#pragma once
#include <cmath>
#include <cstdint>
#include "hd.h"

namespace fastdl {
namespace rnn {

enum LstmGate : int { kLstmI = 0, kLstmF = 1, kLstmG = 2, kLstmO = 3, kLstmGates = 4 };
enum GruGate : int { kGruR = 0, kGruZ = 1, kGruN = 2, kGruGates = 3 };
// The GRU forward also saves gh_n (the hidden-side candidate pre-activation), which
// the backward needs for dL/dr: saved row = [r | z | n | gh_n].
constexpr int kGruSaved = 4;

FASTDL_HD int64_t gate_col(int gate, int64_t H, int64_t j) { return gate * H + j; }

// 1/(1+exp(-x)) is accurate for every x: for very negative x exp(-x) overflows to
// inf and the result is the correct limit 0, never NaN.
template <typename T> FASTDL_HD T sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }

// ---- LSTM ------------------------------------------------------------------------
// i=σ(a_i) f=σ(a_f) g=tanh(a_g) o=σ(a_o); c' = f*c + i*g; h' = o*tanh(c').
template <typename T>
FASTDL_HD void lstm_forward_elem(const T* gates, const T* c_prev, T* h_out, T* c_out, T* act,
                                 int64_t H, int64_t j) {
  const int64_t ci = gate_col(kLstmI, H, j), cf = gate_col(kLstmF, H, j);
  const int64_t cg = gate_col(kLstmG, H, j), co = gate_col(kLstmO, H, j);
  const T i = sigmoid(gates[ci]), f = sigmoid(gates[cf]);
  const T g = std::tanh(gates[cg]), o = sigmoid(gates[co]);
  const T c = f * c_prev[j] + i * g;
  act[ci] = i;
  act[cf] = f;
  act[cg] = g;
  act[co] = o;
  c_out[j] = c;
  h_out[j] = o * std::tanh(c);
}

// grad_h, grad_c: dL/dh', dL/dc' from above. The total gradient reaching c' is
// grad_c + grad_h*o*(1-tanh²c'); the gate derivatives use the saved activations
// (σ' = s(1-s), tanh' = 1-t²), so no pre-activation needs to be kept.
template <typename T>
FASTDL_HD void lstm_backward_elem(const T* act, const T* c_prev, const T* c, const T* grad_h,
                                  const T* grad_c, T* grad_gates, T* grad_c_prev, int64_t H,
                                  int64_t j) {
  const int64_t ci = gate_col(kLstmI, H, j), cf = gate_col(kLstmF, H, j);
  const int64_t cg = gate_col(kLstmG, H, j), co = gate_col(kLstmO, H, j);
  const T i = act[ci], f = act[cf], g = act[cg], o = act[co];
  const T cp = c_prev[j], dh = grad_h[j];
  const T tc = std::tanh(c[j]);
  const T dc = grad_c[j] + dh * o * (T(1) - tc * tc);
  grad_gates[ci] = dc * g * i * (T(1) - i);
  grad_gates[cf] = dc * cp * f * (T(1) - f);
  grad_gates[cg] = dc * i * (T(1) - g * g);
  grad_gates[co] = dh * tc * o * (T(1) - o);
  grad_c_prev[j] = dc * f;
}

// ---- GRU -------------------------------------------------------------------------
// r=σ(gi_r+gh_r) z=σ(gi_z+gh_z) n=tanh(gi_n + r*gh_n); h' = (1-z)*n + z*h.
template <typename T>
FASTDL_HD void gru_forward_elem(const T* gi, const T* gh, const T* h_prev, T* h_out, T* saved,
                                int64_t H, int64_t j) {
  const int64_t cr = gate_col(kGruR, H, j), cz = gate_col(kGruZ, H, j);
  const int64_t cn = gate_col(kGruN, H, j);
  const T ghn = gh[cn], h = h_prev[j];
  const T r = sigmoid(gi[cr] + gh[cr]);
  const T z = sigmoid(gi[cz] + gh[cz]);
  const T n = std::tanh(gi[cn] + r * ghn);
  saved[cr] = r;
  saved[cz] = z;
  saved[cn] = n;
  saved[gate_col(kGruGates, H, j)] = ghn;
  h_out[j] = (T(1) - z) * n + z * h;
}

// grad_h_prev is only the direct path through z*h; the path through gh = h W_hh^T
// is a GEMM with grad_gh done by the caller. gi and gh share the r and z gradients.
template <typename T>
FASTDL_HD void gru_backward_elem(const T* saved, const T* h_prev, const T* grad_h, T* grad_gi,
                                 T* grad_gh, T* grad_h_prev, int64_t H, int64_t j) {
  const int64_t cr = gate_col(kGruR, H, j), cz = gate_col(kGruZ, H, j);
  const int64_t cn = gate_col(kGruN, H, j);
  const T r = saved[cr], z = saved[cz], n = saved[cn];
  const T ghn = saved[gate_col(kGruGates, H, j)];
  const T h = h_prev[j], dh = grad_h[j];
  const T dan = dh * (T(1) - z) * (T(1) - n * n);  // dL/d(gi_n + r*gh_n)
  const T daz = dh * (h - n) * z * (T(1) - z);
  const T dar = dan * ghn * r * (T(1) - r);
  grad_gi[cr] = dar;
  grad_gh[cr] = dar;
  grad_gi[cz] = daz;
  grad_gh[cz] = daz;
  grad_gi[cn] = dan;
  grad_gh[cn] = dan * r;
  grad_h_prev[j] = dh * z;
}

}  // namespace rnn
}  // namespace fastdl
