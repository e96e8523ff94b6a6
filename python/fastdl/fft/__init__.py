"""fastdl.fft (torch.fft): discrete Fourier transforms with torch's n / s, dim and norm.

Every transform is built from one differentiable complex-to-complex transform along one
dim (`_C2C`): on the CPU the kernel csrc/cpu/fft.cpp (radix-2 Cooley-Tukey, Bluestein's
chirp-z for other lengths: O(n log n) for any n); on CUDA a product with the DFT matrix,
O(n^2) per row, so device tensors work without a kernel of their own. The real and
Hermitian variants compose it with padding, trimming, conjugation and the Hermitian
extension, so their gradients are those of the compositions, which are torch's (the
factor 2 torch's rfft / irfft backward applies to the doubled bins falls out of the
Hermitian extension here).

norm: "backward" (default) leaves the forward transforms unscaled and scales the
inverse ones by 1/n, "ortho" scales both by 1/sqrt(n), "forward" the forward by 1/n.
"""
import math as _math

from .. import dtypes as _dt
from ..autograd import Function, no_grad
from ..tensor import Tensor, arange as _arange
from ..ops._util import backend, check_tensor, desc, empty, norm_dim
from ..ops.complex_views import view_as_complex, view_as_real
from ..ops.complex_math import conj as _conj

__all__ = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2",
           "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = ("backward", "ortho", "forward")


# ---- the one transform ---------------------------------------------------------------------

def _dft_matrix(n, inverse, dtype, device):
    """exp(-+2 pi i jk / n) as an (n, n) complex tensor (jk reduced mod n: exact angles)."""
    j = _arange(n, dtype=_dt.int64)
    jk = (j.reshape(n, 1) * j.reshape(1, n)).remainder(n).to(_dt.float64)
    ang = jk * ((2.0 if inverse else -2.0) * _math.pi / n)
    from ..ops.complex_views import complex as _complex
    return _complex(ang.cos(), ang.sin()).to(dtype).to(device)


class _C2C(Function):
    """The unnormalised DFT of complex x along dim (inverse: the + sign). Its adjoint is
    the transform of the other sign, so that is its backward."""

    @staticmethod
    def forward(ctx, x, dim, inverse):
        ctx.meta = (dim, inverse)
        moved = x.movedim(dim, -1)
        if x.device.type == "cpu":
            src = moved.contiguous()
            out = empty(src.shape, x.dtype, x.device)
            backend(out, "fft").fft_c2c(src, out, bool(inverse))
        else:  # CUDA: the (O(n^2)) product with the DFT matrix
            out = (moved @ _dft_matrix(x.shape[dim], inverse, x.dtype, x.device)).contiguous()
        return out.movedim(-1, dim)

    @staticmethod
    def backward(ctx, g):
        dim, inverse = ctx.meta
        return _C2C.apply(g, dim, not inverse), None, None


# ---- argument handling --------------------------------------------------------------------------

def _check_norm(op, norm):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise ValueError(f"{op}: Invalid normalization mode: {norm!r} (expected None, 'backward', 'ortho' or 'forward')")
    return norm


def _scale(x, n, norm, inverse):
    """The normalisation of a transform of length n."""
    if norm == "ortho":
        return x * (1.0 / _math.sqrt(n))
    if (norm == "backward") == bool(inverse):  # backward scales the inverse, forward the forward
        return x * (1.0 / n)
    return x


def _swap(norm):
    return {"backward": "forward", "forward": "backward", "ortho": "ortho"}[norm]


def _as_complex(op, x):
    check_tensor(op, x)
    if x.dtype.category == 3:
        return x
    if x.dtype.category < 2:
        x = x.to(_dt.get_default_dtype())
    elif x.dtype in _dt.HALF:
        x = x.to(_dt.float32)
    return x.to(_dt.to_complex(x.dtype))


def _as_real(op, x):
    check_tensor(op, x)
    if x.dtype.category == 3:
        raise RuntimeError(f"{op} expects a real input tensor, but got {desc(x)}")
    if x.dtype.category < 2:
        return x.to(_dt.get_default_dtype())
    return x.to(_dt.float32) if x.dtype in _dt.HALF else x


def _check_n(op, n, what="n"):
    if isinstance(n, bool) or not isinstance(n, int) and not hasattr(n, "__index__"):
        raise TypeError(f"{op}: {what} must be an int, got {n!r}")
    n = int(n)
    if n < 1:
        raise RuntimeError(f"{op}: Invalid number of data points ({n}) specified")
    return n


def _resize(x, dim, n):
    """x trimmed or zero-padded along dim to length n (torch's n / s)."""
    size = x.shape[dim]
    if size == n:
        return x
    if size > n:
        return x.narrow(dim, 0, n)
    from ..ops.shape import cat
    from ..tensor import zeros
    shape = list(x.shape)
    shape[dim] = n - size
    return cat([x, zeros(shape, dtype=x.dtype, device=x.device)], dim)


def _c2c(x, dim, n, norm, inverse):
    x = _resize(x, dim, n)
    return _scale(_C2C.apply(x, dim, inverse), n, norm, inverse)


def _flip_c(x, dim):
    """x reversed along dim (through the real view: the index kernels are real-only)."""
    return view_as_complex(view_as_real(x).flip([dim]).contiguous())


def _hermitian_full(x, dim, n):
    """The length-n spectrum whose first n // 2 + 1 bins are x (resized to that): the
    rest mirrored and conjugated, X[k] = conj(X[n - k])."""
    m = n // 2 + 1
    x = _resize(x, dim, m)
    rest = n - m
    if rest == 0:
        return x
    from ..ops.shape import cat
    tail = _conj(_flip_c(x.narrow(dim, 1, rest), dim))
    return cat([x, tail], dim)


# ---- one-dimensional ---------------------------------------------------------------------------

def _dim_n(op, x, n, dim, default):
    d = norm_dim(op, dim, x.ndim)
    n = default(x.shape[d]) if n is None else _check_n(op, n)
    if n < 1:
        raise RuntimeError(f"{op}: Invalid number of data points ({n}) specified")
    return d, n


def fft(input, n=None, dim=-1, norm=None):
    """The one-dimensional discrete Fourier transform (a real input is made complex)."""
    x = _as_complex("fft", input)
    d, n = _dim_n("fft", x, n, dim, lambda s: s)
    return _c2c(x, d, n, _check_norm("fft", norm), False)


def ifft(input, n=None, dim=-1, norm=None):
    x = _as_complex("ifft", input)
    d, n = _dim_n("ifft", x, n, dim, lambda s: s)
    return _c2c(x, d, n, _check_norm("ifft", norm), True)


def rfft(input, n=None, dim=-1, norm=None):
    """The first n // 2 + 1 bins of the transform of a real input."""
    x = _as_real("rfft", input)
    d, n = _dim_n("rfft", x, n, dim, lambda s: s)
    y = _c2c(_as_complex("rfft", x), d, n, _check_norm("rfft", norm), False)
    return y.narrow(d, 0, n // 2 + 1)


def irfft(input, n=None, dim=-1, norm=None):
    """The real signal of length n (default 2 (m - 1)) whose rfft is input."""
    x = _as_complex("irfft", input)
    d, n = _dim_n("irfft", x, n, dim, lambda s: 2 * (s - 1))
    y = _c2c(_hermitian_full(x, d, n), d, n, _check_norm("irfft", norm), True)
    return y.real.contiguous()


def hfft(input, n=None, dim=-1, norm=None):
    """The real transform of a Hermitian-symmetric signal given by its first half."""
    x = _as_complex("hfft", input)
    d, n = _dim_n("hfft", x, n, dim, lambda s: 2 * (s - 1))
    return irfft(_conj(x), n, d, _swap(_check_norm("hfft", norm)))


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse of hfft: the first half of the inverse transform of a real signal."""
    x = _as_real("ihfft", input)
    d, n = _dim_n("ihfft", x, n, dim, lambda s: s)
    return _conj(rfft(x, n, d, _swap(_check_norm("ihfft", norm))))


# ---- n-dimensional ---------------------------------------------------------------------------

def _dims_s(op, x, s, dim):
    """(dims, sizes) from torch's s and dim: dim defaults to the last len(s) dims, or all."""
    if s is not None:
        if isinstance(s, int) or not hasattr(s, "__len__"):
            raise TypeError(f"{op}: s must be a sequence of ints, got {s!r}")
        s = [int(v) for v in s]
    if dim is None:
        dims = list(range(x.ndim - len(s), x.ndim)) if s is not None else list(range(x.ndim))
        if s is not None and len(s) > x.ndim:
            raise RuntimeError(f"{op}: got shape {s} with {len(s)} dims but the input has {x.ndim} ({desc(x)})")
    else:
        dims = [dim] if isinstance(dim, int) else list(dim)
        dims = [norm_dim(op, d, x.ndim) for d in dims]
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: dims must be unique, got {list(dim)}")
        if s is not None and len(s) != len(dims):
            raise RuntimeError(f"{op}: when given, dim and shape arguments must have the same length, got s={s} "
                               f"and dim={list(dim)}")
    if s is not None:
        for v in s:
            if v < 1 and v != -1:
                raise RuntimeError(f"{op}: Invalid number of data points ({v}) specified")
    return dims, s


def _sizes(x, dims, s, last_default=None):
    sizes = [x.shape[d] if s is None or s[i] == -1 else s[i] for i, d in enumerate(dims)]
    if last_default is not None and dims and (s is None or s[-1] == -1):
        sizes[-1] = last_default(x.shape[dims[-1]])
    return sizes


def _c2c_n(op, input, s, dim, norm, inverse):
    """fftn / ifftn: the 1-D complex transform over each of dims in turn."""
    x = _as_complex(op, input)
    dims, s = _dims_s(op, x, s, dim)
    norm = _check_norm(op, norm)
    for d, n in zip(dims, _sizes(x, dims, s)):
        x = _c2c(x, d, n, norm, inverse)
    return x


def fftn(input, s=None, dim=None, norm=None):
    return _c2c_n("fftn", input, s, dim, norm, False)


def ifftn(input, s=None, dim=None, norm=None):
    return _c2c_n("ifftn", input, s, dim, norm, True)


def rfftn(input, s=None, dim=None, norm=None):
    """rfft over the last of dims, then fft over the others."""
    x = _as_real("rfftn", input)
    dims, s = _dims_s("rfftn", x, s, dim)
    norm = _check_norm("rfftn", norm)
    if not dims:
        return _as_complex("rfftn", x)
    sizes = _sizes(x, dims, s)
    x = rfft(x, sizes[-1], dims[-1], norm)
    for d, n in zip(dims[:-1], sizes[:-1]):
        x = _c2c(x, d, n, norm, False)
    return x


def irfftn(input, s=None, dim=None, norm=None):
    """ifft over all of dims but the last, then irfft over the last."""
    x = _as_complex("irfftn", input)
    dims, s = _dims_s("irfftn", x, s, dim)
    norm = _check_norm("irfftn", norm)
    if not dims:
        return x.real.contiguous()
    sizes = _sizes(x, dims, s, lambda m: 2 * (m - 1))
    for d, n in zip(dims[:-1], sizes[:-1]):
        x = _c2c(x, d, n, norm, True)
    return irfft(x, sizes[-1], dims[-1], norm)


def hfftn(input, s=None, dim=None, norm=None):
    x = _as_complex("hfftn", input)
    dims, s = _dims_s("hfftn", x, s, dim)
    return irfftn(_conj(x), s, dims, _swap(_check_norm("hfftn", norm)))


def ihfftn(input, s=None, dim=None, norm=None):
    x = _as_real("ihfftn", input)
    dims, s = _dims_s("ihfftn", x, s, dim)
    return _conj(rfftn(x, s, dims, _swap(_check_norm("ihfftn", norm))))


def fft2(input, s=None, dim=(-2, -1), norm=None):
    return fftn(input, s, dim, norm)


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    return ifftn(input, s, dim, norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return rfftn(input, s, dim, norm)


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return irfftn(input, s, dim, norm)


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return ihfftn(input, s, dim, norm)


# ---- helpers --------------------------------------------------------------------------------------

def _freq_tensor(op, vals, n, d, dtype, device, requires_grad):
    out = vals.to(dtype or _dt.get_default_dtype()) * (1.0 / (n * d))
    out = out.to(device) if device is not None else out
    return out.requires_grad_(True) if requires_grad else out


def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies [0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (d n)."""
    n = _check_n("fftfreq", n)
    with no_grad():
        k = _arange(n, dtype=_dt.int64)
        k = k - (k >= (n + 1) // 2).to(_dt.int64) * n
        return _freq_tensor("fftfreq", k, n, d, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of rfft: [0, 1, ..., n // 2] / (d n)."""
    n = _check_n("rfftfreq", n)
    with no_grad():
        return _freq_tensor("rfftfreq", _arange(n // 2 + 1, dtype=_dt.int64), n, d, dtype, device, requires_grad)


def _roll(x, shifts, dims):
    from ..ops.shape import cat
    for sh, d in zip(shifts, dims):
        n = x.shape[d]
        if n == 0:
            continue
        k = sh % n
        if k:
            x = cat([x.narrow(d, n - k, k), x.narrow(d, 0, n - k)], d)
    return x


def _shift_dims(op, x, dim):
    check_tensor(op, x)
    if dim is None:
        return list(range(x.ndim))
    return [norm_dim(op, d, x.ndim) for d in ([dim] if isinstance(dim, int) else dim)]


def fftshift(input, dim=None):
    """Moves the zero frequency to the middle (a roll by n // 2 along each of dim)."""
    dims = _shift_dims("fftshift", input, dim)
    return _roll(input, [input.shape[d] // 2 for d in dims], dims)


def ifftshift(input, dim=None):
    """The inverse of fftshift (a roll by -(n // 2))."""
    dims = _shift_dims("ifftshift", input, dim)
    return _roll(input, [-(input.shape[d] // 2) for d in dims], dims)


del Tensor
