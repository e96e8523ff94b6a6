"""linear with a fused activation (the CPU GEMM's epilogue) and nn.Sequential's use of it.

The contract is bit-identity with linear followed by the activation op: the kernel
tests run every GEMM path that can produce the output (small unpacked, dot-product,
gemv, direct, blocked serial, threads split over M, N and K, K = 0) on the AVX2 and
portable kernels and compare bits; the op tests add the float64 reference, gradcheck,
and the Sequential fusion against running its modules one by one.
"""
import numpy as np
import pytest

import fastdl
from fastdl import _C, nn
from fastdl.nn import functional as F
from fastdl.testing import gradcheck
from kernel_views import kempty, kview
from test_gemm_kernel import gemm_isa, threads  # noqa: F401 (fixtures)

ACTS = ["relu", "tanh", "sigmoid"]

# (M, K, N, threads): which gemm path each one takes is noted (gemm.cpp's gemm_dispatch).
PATHS = {
    "small": (32, 64, 64, 1),          # unpacked row kernel (AVX2), blocked (portable)
    "dot": (33, 40, 3, 1),              # narrow C: dot products along K
    "gemv": (1, 50, 37, 1),             # one row of C, W^T with unit row stride
    "direct": (3, 5, 7, 1),             # tiny: direct loop (portable)
    "serial": (300, 300, 300, 1),       # blocked, one thread, partial tiles at the edges
    "split_m": (600, 300, 300, 2),      # threads share B panels, take row blocks
    "split_n": (100, 300, 400, 2),      # threads take column slabs
    "split_k": (64, 2048, 100, 2),      # threads take K ranges; epilogue after the sum
    "k_zero": (5, 0, 7, 1),             # C = bias, then the activation
}


def _operands(M, K, N, dtype, rng, w_transposed):
    x = rng.standard_normal((M, K)).astype(dtype)
    if w_transposed:  # weight as a transposed view: unit row stride of B = W^T differs
        wbase = rng.standard_normal((K, N)).astype(dtype)
        w = kview(wbase, wbase.T)
    else:
        w = kview(rng.standard_normal((N, K)).astype(dtype))
    b = kview(rng.standard_normal(N).astype(dtype))
    return kview(x), w, b


def _unary_numpy(act, y):
    out = kempty(y.shape, y.dtype)
    _C.cpu.unary(act, kview(y), out, 0.0, 0.0)
    return out.numpy()


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_bit_identical_to_linear_then_activation(path, act, dtype, gemm_isa, threads):  # noqa: F811
    M, K, N, nt = PATHS[path]
    threads(nt)
    rng = np.random.default_rng(hash((path, act)) % 2**32)
    for w_t in (False, True):
        x, w, b = _operands(M, K, N, dtype, rng, w_t)
        for bias in (b, None):
            fused, plain = kempty((M, N), dtype), kempty((M, N), dtype)
            _C.cpu.linear(x, w, bias, fused, act)
            _C.cpu.linear(x, w, bias, plain, "none")
            expected = _unary_numpy(act, plain.numpy())
            assert np.array_equal(fused.numpy(), expected, equal_nan=True), (path, act, w_t, bias is None)


@pytest.mark.parametrize("act", ACTS)
def test_kernel_against_float64(act):
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal(s) for s in [(70, 90), (50, 90), (50,)])
    z = x @ w.T + b
    ref = {"relu": np.maximum(z, 0), "tanh": np.tanh(z), "sigmoid": 1 / (1 + np.exp(-z))}[act]
    out = kempty((70, 50))
    _C.cpu.linear(kview(x.astype(np.float32)), kview(w.astype(np.float32)), kview(b.astype(np.float32)), out, act)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-5)


def test_kernel_rejects_unknown_activation():
    x, w, out = kempty((2, 3)), kempty((4, 3)), kempty((2, 4))
    with pytest.raises(ValueError, match="linear: unknown activation 'gelu'"):
        _C.cpu.linear(x, w, None, out, "gelu")
    with pytest.raises(ValueError, match="linear: unknown activation"):  # checked before the empty-output return
        _C.cpu.linear(kempty((0, 3)), w, None, kempty((0, 4)), "swish")


# ---- the op ---------------------------------------------------------------------------

@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5)])
def test_op_matches_unfused_forward_and_backward(act, shape, device):
    x = fastdl.randn(*shape, device=device, requires_grad=True)
    w = fastdl.randn(4, 5, device=device, requires_grad=True)
    b = fastdl.randn(4, device=device, requires_grad=True)
    g = fastdl.randn(*shape[:-1], 4, device=device)
    fused = F.linear_activation(x, w, b, act)
    fused.backward(g)
    grads = [t.grad.cpu().numpy().copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    plain = getattr(F, act)(F.linear(x, w, b))
    plain.backward(g)
    assert np.array_equal(fused.detach().cpu().numpy(), plain.detach().cpu().numpy())
    for got, t in zip(grads, (x, w, b)):
        assert np.array_equal(got, t.grad.cpu().numpy())


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("bias", [True, False])
def test_op_gradcheck(act, bias):
    x = fastdl.randn(7, 6, dtype=fastdl.float64, requires_grad=True)
    w = fastdl.randn(5, 6, dtype=fastdl.float64, requires_grad=True)
    b = fastdl.randn(5, dtype=fastdl.float64, requires_grad=True) if bias else None
    inputs = [x, w] + ([b] if bias else [])
    assert gradcheck(lambda x, w, *b: F.linear_activation(x, w, b[0] if b else None, act), inputs)


@pytest.mark.parametrize("dtype", [fastdl.bfloat16, fastdl.float16])
def test_op_half_matches_unfused(dtype):
    x, w, b = (fastdl.randn(*s).to(dtype) for s in [(9, 8), (3, 8), (3,)])
    for act in ACTS:
        fused = F.linear_activation(x, w, b, act)
        plain = getattr(F, act)(F.linear(x, w, b))
        assert fused.dtype is dtype
        assert np.array_equal(fused.float().numpy(), plain.float().numpy())


def test_op_errors_name_linear():
    x, w = fastdl.randn(2, 3), fastdl.randn(4, 3)
    with pytest.raises(ValueError, match="linear: unknown activation 'gelu'"):
        F.linear_activation(x, w, None, "gelu")
    with pytest.raises(ValueError, match="linear: input float32\\[2, 3\\] has 3 features"):
        F.linear_activation(x, fastdl.randn(4, 5), None, "relu")


def test_saved_output_modified_in_place_is_detected():
    x = fastdl.randn(3, 4, requires_grad=True)
    y = F.linear_activation(x, fastdl.randn(2, 4), None, "tanh")
    y.detach().mul_(2)  # shares y's buffer: the saved output is no longer what backward needs
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- nn.Sequential ----------------------------------------------------------------------

class _LinearSubclass(nn.Linear):
    def forward(self, input):
        return super().forward(input) * 2


def _one_by_one(model, x):
    for m in model:
        x = m(x)
    return x


@pytest.mark.parametrize("make", [
    lambda: nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3), nn.Sigmoid()),
    lambda: nn.Sequential(nn.Linear(4, 16), nn.ReLU(inplace=True), nn.Linear(16, 3)),
    lambda: nn.Sequential(nn.Linear(4, 16), nn.LeakyReLU(), nn.Linear(16, 16, bias=False), nn.ReLU()),
    lambda: nn.Sequential(_LinearSubclass(4, 16), nn.ReLU(), nn.Linear(16, 3)),
], ids=["relu-tanh-sigmoid", "inplace-relu", "unfusable-and-no-bias", "linear-subclass"])
def test_sequential_same_values_and_grads_as_one_by_one(make):
    model = make()
    x = fastdl.randn(8, 4)
    y = model(x)
    y.sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    y_ref = _one_by_one(model, x)
    y_ref.sum().backward()
    assert np.array_equal(y.detach().numpy(), y_ref.detach().numpy())
    for got, p in zip(grads, model.parameters()):
        assert np.array_equal(got, p.grad.numpy())


def test_sequential_fuses_exact_linear_activation_pairs():
    fused = nn.Sequential(nn.Linear(2, 3), nn.ReLU())(fastdl.randn(1, 2))
    assert fused.grad_fn.name() == "_LinearBackward"  # one op, not relu's
    subclass = nn.Sequential(_LinearSubclass(2, 3), nn.ReLU())(fastdl.randn(1, 2))
    assert subclass.grad_fn.name() != "_LinearBackward"
