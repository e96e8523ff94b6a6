"""float32 layer norm's AVX2 row loops (csrc/cpu/layer_norm_rows_avx2.cpp) against the
portable loops of norm.cpp, bit for bit: forward values, saved statistics and every
gradient, with and without weight / bias, for row lengths around the 8-float step, and
against float64 NumPy."""
import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl import _C
from isa_switch import vector_and_portable

LENGTHS = [1, 3, 7, 8, 9, 16, 31, 64, 100, 1000]


def run(x, w, b, g):
    """(y, dx, dw, db) of F.layer_norm over the last dim, as NumPy arrays (None where absent)."""
    xt = fastdl.tensor(x, requires_grad=True)
    wt = fastdl.tensor(w, requires_grad=True) if w is not None else None
    bt = fastdl.tensor(b, requires_grad=True) if b is not None else None
    y = F.layer_norm(xt, (x.shape[-1],), wt, bt, eps=1e-5)
    y.backward(fastdl.tensor(g))
    return [y.detach().numpy(), xt.grad.numpy()] + [t.grad.numpy() if t is not None else None for t in (wt, bt)]


def operands(d, seed, rows=13):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((rows, d)) * 3 + 100 * rng.standard_normal((rows, 1))).astype(np.float32)
    w = rng.standard_normal(d).astype(np.float32)
    b = rng.standard_normal(d).astype(np.float32)
    g = rng.standard_normal((rows, d)).astype(np.float32)
    return x, w, b, g


@pytest.mark.skipif(not _C.cpu_has_avx2_fma(), reason="CPU has no AVX2+FMA")
@pytest.mark.parametrize("affine", ["weight+bias", "weight", "bias", "none"])
@pytest.mark.parametrize("d", LENGTHS)
def test_avx2_rows_match_portable_rows(d, affine):
    x, w, b, g = operands(d, seed=d)
    w = w if "weight" in affine else None
    b = b if "bias" in affine else None
    fast, portable = vector_and_portable(run, x, w, b, g)
    for got, want in zip(fast, portable):
        if want is None:
            assert got is None
        else:
            np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("d", [9, 64, 1000])
def test_against_float64(d):
    x, w, b, g = operands(d, seed=100 + d)
    y, dx, dw, db = run(x, w, b, g)
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    mu = x64.mean(-1, keepdims=True)
    rstd = 1 / np.sqrt(x64.var(-1, keepdims=True) + 1e-5)
    xhat = (x64 - mu) * rstd
    np.testing.assert_allclose(y, xhat * w64 + b, rtol=1e-5, atol=1e-5)
    gw = g64 * w64
    want_dx = rstd * (gw - gw.mean(-1, keepdims=True) - xhat * (gw * xhat).mean(-1, keepdims=True))
    np.testing.assert_allclose(dx, want_dx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dw, (g64 * xhat).sum(0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, g64.sum(0), rtol=1e-5, atol=1e-5)
