"""The AVX-512 copies of float32 kernels that are written once for both widths give the
AVX2 kernels' bits (which their own tests hold to float64): vec_math_simd.h's functions
at 16 lanes (exp, log, tanh, sin, ... over the whole float32 range, libm's lanes past 2^16,
every tail length, in
place) -- all but the erfcx-based erf / erfc / GELU, whose AVX-512 reciprocal starts
closer, checked against float64 instead --, softmax.cpp's builds of softmax /
log_softmax / cross_entropy, forward and backward, and rnn_cells_simd.h's LSTM / GRU rows.
Skipped where the CPU has no AVX-512."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import select_isa
from vec_kernel_checks import run_unary, ulp_error

pytestmark = pytest.mark.skipif(not _C.cpu_has_avx512f(), reason="CPU has no AVX-512")
F = fastdl.nn.functional

SAME_BITS = [("exp", 0, 0), ("exp2", 0, 0), ("expm1", 0, 0), ("log", 0, 0), ("log1p", 0, 0), ("tanh", 0, 0),
             ("sigmoid", 0, 0), ("silu", 0, 0), ("elu", 1.0, 0), ("elu", 0.3, 0), ("softplus", 1.0, 20.0),
             ("softplus", 2.0, 5.0), ("sin", 0, 0), ("cos", 0, 0), ("tan", 0, 0)]


def whole_range():
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    grids = [np.linspace(-110, 100, 200_001), np.linspace(-3, 3, 60_001)]
    specials = [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, -1e-45, 88.72, 88.73, -103.97, -1.0, 20.0, 20.5,
                65536.0, 65536.01, -70000.0, 1.5707964, 3.1415927, 4.712389]
    return np.concatenate([bits] + [g.astype(np.float32) for g in grids] + [np.array(specials, np.float32)])


def both_widths(fn):
    """fn() on the AVX-512 copies, then on the AVX2 kernels."""
    select_isa("avx512")
    wide = fn()
    select_isa("avx2")
    return wide, fn()


@pytest.mark.parametrize("op,p0,p1", SAME_BITS)
def test_unary_copies_give_the_avx2_bits(op, p0, p1, restore_isa):
    x = whole_range()
    if op == "log1p":
        x = x[~(x < -1)]
    wide, narrow = both_widths(lambda: run_unary(op, x, p0, p1))
    bad = ~((wide.view(np.uint32) == narrow.view(np.uint32)) | (np.isnan(wide) & np.isnan(narrow)))
    assert not bad.any(), f"{op}: {bad.sum()} lanes differ, first at x = {x[bad][0]!r}"


@pytest.mark.parametrize("op", ["exp", "tanh", "gelu", "softplus"])
def test_every_tail_length_and_in_place(op, restore_isa):
    """Lengths 1..40 (whole vectors, then a masked one) and out = x: each element as in one
    long call (the masked-off lanes neither read nor written: the guard stays put)."""
    select_isa("avx512")
    p = (1.0, 20.0) if op == "softplus" else (0.0, 0.0)
    base = np.linspace(-9, 9, 41).astype(np.float32)
    full = run_unary(op, base, *p)
    for n in range(1, 41):
        buf = fastdl.tensor(np.append(base[:n], np.float32(123.0)))
        view = buf[:n]
        _C.cpu.unary(op, view, view, *p)  # in place
        got = buf.numpy()
        np.testing.assert_array_equal(got[:n], full[:n])
        assert got[n] == 123.0


@pytest.mark.parametrize("op,bound", [("erf", 3.0), ("erfc", 4.0), ("gelu", 8.0)])
def test_erfcx_based_copies_within_their_bounds(op, bound, restore_isa):
    """rcp14 where AVX2 has rcp: other bits in a few lanes, held to the AVX2 kernels' bounds
    against float64 (test_vec_erf_exp2_atan_asin_tan.py, test_vec_gelu.py)."""
    import math
    x = np.concatenate([np.linspace(-12, 12, 100_001), np.linspace(-1.5, 1.5, 30_001)]).astype(np.float32)
    f = {"erf": math.erf, "erfc": math.erfc, "gelu": lambda v: 0.5 * v * math.erfc(-v / math.sqrt(2))}[op]
    ref = np.vectorize(f)(x.astype(np.float64))
    wide, narrow = both_widths(lambda: run_unary(op, x))
    assert ulp_error(wide, ref).max() <= bound
    assert np.abs(wide.astype(np.float64) - narrow).max() <= 4 * np.spacing(np.abs(narrow)).max()


@pytest.mark.parametrize("shape,dim", [((64, 512), -1), ((37, 1003), -1), ((300, 70), 0), ((8, 33, 50), 1)])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_builds_give_the_avx2_bits(shape, dim, fn, restore_isa):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    g = fastdl.tensor(rng.standard_normal(shape).astype(np.float32))

    def forward_backward():
        t = fastdl.tensor(x, requires_grad=True)
        y = getattr(F, fn)(t, dim)
        y.backward(g)
        return y.detach().numpy(), t.grad.numpy()

    (y1, g1), (y2, g2) = both_widths(forward_backward)
    np.testing.assert_array_equal(y1.view(np.uint32), y2.view(np.uint32))
    np.testing.assert_array_equal(g1.view(np.uint32), g2.view(np.uint32))


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_builds_give_the_avx2_bits(smoothing, restore_isa):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((64, 1000)) * 3).astype(np.float32)
    target = fastdl.tensor(rng.integers(0, 1000, 64))

    def forward_backward():
        t = fastdl.tensor(x, requires_grad=True)
        loss = F.cross_entropy(t, target, label_smoothing=smoothing)
        loss.backward()
        return loss.detach().numpy(), t.grad.numpy()

    (l1, g1), (l2, g2) = both_widths(forward_backward)
    assert l1.tobytes() == l2.tobytes()
    np.testing.assert_array_equal(g1.view(np.uint32), g2.view(np.uint32))


@pytest.mark.parametrize("cell,H,batch", [("LSTM", 128, 9), ("LSTM", 37, 9), ("GRU", 64, 9), ("GRU", 21, 9),
                                          ("LSTM", 40, 32), ("GRU", 24, 100), ("LSTM", 16, 64)])
def test_rnn_cell_rows_give_the_avx2_bits(cell, H, batch, restore_isa, two_threads):
    """rnn_cells_simd.h's LSTM / GRU rows (16 hidden units a step, a masked tail for H % 16)
    against the AVX2 rows: outputs, input and parameter gradients of a 2-layer sequence. At
    2 threads the batch runs in blocks of 5 / 4, 8, 25 and 16 rows, so the per-step products
    with the packed weights (gemm_prepacked) take every route: the row kernel alone, a
    1-3 row remainder with the last full tile's rows (AVX2), whole in 8-row tiles (AVX-512)."""
    rng = np.random.default_rng(H)
    x = (rng.standard_normal((batch, 17, 13)) * 2).astype(np.float32)

    def forward_backward():
        fastdl.manual_seed(0)
        m = getattr(fastdl.nn, cell)(13, H, num_layers=2, batch_first=True)
        t = fastdl.tensor(x, requires_grad=True)
        y, _ = m(t)
        (y * y).sum().backward()
        return [y.detach().numpy(), t.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]

    for a, b in zip(*both_widths(forward_backward), strict=True):
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
