"""With the AVX-512 GEMM in use, float32 conv forwards with many taps per group, 64+ output
channels per group and 256+ output positions take im2col + the GEMM instead of the AVX2
direct kernels (conv_driver.cpp, direct_forward_wins), where the AVX-512 direct kernel
does not take the plane (rows under 16 wide here). Both routes against a float64 NumPy
reference, with bias and groups; the two routes sum in different orders, so differing bits
show the route really changed."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from fastdl.nn import functional as F
from isa_switch import with_isa

needs_avx512 = pytest.mark.skipif(not _C.cpu_has_avx512f(), reason="CPU has no AVX-512F")


def conv_ref(x, w, b, pad, groups):
    x = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # n, c, oh, ow, kh, kw
    og = o // groups
    out = np.concatenate([np.einsum("ncyxij,ocij->noyx", win[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og].astype(np.float64))
                          for g in range(groups)], axis=1)
    return out + b.astype(np.float64)[None, :, None, None]


@needs_avx512
@pytest.mark.parametrize("n,c,o,hw,pad,groups", [(2, 16, 64, (40, 12), 1, 1), (3, 8, 128, (30, 14), 0, 1),
                                                  (2, 32, 128, (20, 13), 1, 2)])
def test_gemm_route_and_direct_route_match_float64(n, c, o, hw, pad, groups):
    rng = np.random.default_rng(n * 100 + c + o)
    x = rng.standard_normal((n, c) + hw).astype(np.float32)
    w = (rng.standard_normal((o, c // groups, 3, 3)) * 0.2).astype(np.float32)
    b = rng.standard_normal(o).astype(np.float32)
    ref = conv_ref(x, w, b, pad, groups)
    outs = {on: with_isa(on, lambda: F.conv2d(fastdl.tensor(x), fastdl.tensor(w), fastdl.tensor(b), padding=pad,
                                              groups=groups).numpy())
            for on in (True, False)}
    bound = conv_ref(np.abs(x), np.abs(w), np.abs(b), pad, groups)
    for got in outs.values():
        assert np.all(np.abs(got - ref) <= 4e-6 * bound + 1e-30)
    assert not np.array_equal(outs[True], outs[False])  # the routes differ
