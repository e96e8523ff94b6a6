"""conv2d / conv_transpose2d build columns a few samples at a time: results must not
depend on the chunk size (one sample per chunk vs the whole batch in one)."""
import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl.nn.functional import conv as conv_mod

CASES = [  # x shape, weight shape, kwargs
    ((5, 4, 9, 8), (6, 2, 3, 3), dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2)),
    ((3, 3, 7, 7), (4, 3, 1, 1), dict()),  # pointwise: reads x itself
    ((4, 2, 6, 5), (3, 2, 2, 3), dict(padding="same")),
]


def _run(fn, x, w, b, kwargs):
    xs, ws, bs = (fastdl.tensor(a).requires_grad_(True) for a in (x, w, b))
    y = fn(xs, ws, bs, **kwargs)
    g = np.random.default_rng(1).standard_normal(tuple(y.shape))
    y.backward(fastdl.tensor(g))
    return [t.detach().numpy() for t in (y, xs.grad, ws.grad, bs.grad)]


@pytest.mark.parametrize("xshape,wshape,kwargs", CASES)
def test_conv2d_same_result_for_any_chunk_size(monkeypatch, xshape, wshape, kwargs):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal(xshape), rng.standard_normal(wshape), rng.standard_normal(wshape[0])
    whole = _run(F.conv2d, x, w, b, kwargs)
    monkeypatch.setattr(conv_mod, "_COLS_BYTES", 1)
    for a, e in zip(_run(F.conv2d, x, w, b, kwargs), whole):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)


def test_conv_transpose2d_same_result_for_any_chunk_size(monkeypatch):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 4, 5, 5)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(6)
    kwargs = dict(stride=2, padding=1, output_padding=1, groups=2)
    whole = _run(F.conv_transpose2d, x, w, b, kwargs)
    monkeypatch.setattr(conv_mod, "_COLS_BYTES", 1)
    for a, e in zip(_run(F.conv_transpose2d, x, w, b, kwargs), whole):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-12)
