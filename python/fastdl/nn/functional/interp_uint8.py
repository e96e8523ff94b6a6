"""interpolate(mode='bilinear') on uint8 (N, C, H, W) images, as torch's CPU kernel does it:
separable passes (width first, then height; an unchanged size skipped), each with its
weights quantized to int16 fixed point and its result rounded and clamped to 0..255 before
the next pass. Integer arithmetic on int64 copies, so the pixels are torch's bit for bit."""
import numpy as np

from ... import dtypes as _dt
from ...ops.indexing import index_select


def _precision(wmax):
    """The most fractional bits that keep 2 * wmax below 2**15 (torch's weights_precision)."""
    p = 0
    while p < 22 and int(0.5 + wmax * (1 << (p + 1))) < (1 << 15):
        p += 1
    return p


def _quantize(w, p):
    v = w * (1 << p)
    return np.where(v < 0, np.trunc(v - 0.5), np.trunc(v + 0.5)).astype(np.int64)


def bilinear_uint8(x, sizes, scales, align_corners):
    from ...tensor import tensor
    from .interpolation import _linear_weights
    out = x.to(_dt.int64)
    for d in (3, 2):
        n_in, n_out = x.shape[d], sizes[d - 2]
        if n_in == n_out:
            continue
        i0, i1, w0, w1 = _linear_weights(np.float64, n_in, n_out, scales[d - 2], align_corners)
        p = _precision(max(float(w0.max()), float(w1.max())))
        shape = (-1,) + (1,) * (3 - d)
        a, b = (tensor(_quantize(w, p).reshape(shape), device=x.device) for w in (w0, w1))
        lo = index_select(out, d, tensor(i0, device=x.device))
        hi = index_select(out, d, tensor(i1, device=x.device))
        out = ((lo * a + hi * b + (1 << (p - 1))) >> p).clamp(0, 255)
    return out.to(_dt.uint8)
