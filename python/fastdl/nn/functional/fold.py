"""unfold (im2col) and fold (col2im), torch.nn.functional semantics, on the same im2col /
col2im kernels the conv path uses (_C.cpu and _C.cuda): their column layout
(N, C*kh*kw, OH*OW), channel-major then kernel row then kernel column, is torch's. Each
is the other's adjoint, so each Function's backward is one call of the other kernel.
Half inputs run on a float32 copy (a copy-only op, so the result is exact)."""
from ... import dtypes as _dt
from ...autograd import Function
from ...ops._util import backend, check_tensor, desc, empty
from .conv import _pair

__all__ = ["unfold", "fold"]


def _out(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _kernel(kernel, op, src, dst, geo):
    """One call of the im2col or col2im kernel (`kernel`) on src's device, writing dst."""
    k, d, p, s = geo
    getattr(backend(src, op), kernel)(src, dst, k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1])
    return dst


class _Unfold(Function):
    @staticmethod
    def forward(ctx, x, geo):
        k, d, p, s = geo
        N, C, H, W = x.shape
        L = _out(H, k[0], s[0], p[0], d[0]) * _out(W, k[1], s[1], p[1], d[1])
        cols = _kernel("im2col", "unfold", x, empty((N, C * k[0] * k[1], L), x.dtype, x.device), geo)
        ctx.geo, ctx.in_shape = geo, x.shape
        return cols

    @staticmethod
    def backward(ctx, g):
        return _kernel("col2im", "unfold", g, empty(ctx.in_shape, g.dtype, g.device), ctx.geo), None


class _Fold(Function):
    @staticmethod
    def forward(ctx, cols, geo, out_shape):
        y = _kernel("col2im", "fold", cols, empty(out_shape, cols.dtype, cols.device), geo)
        ctx.geo, ctx.cols_shape = geo, cols.shape
        return y

    @staticmethod
    def backward(ctx, g):
        return _kernel("im2col", "fold", g, empty(ctx.cols_shape, g.dtype, g.device), ctx.geo), None, None


def _geometry(op, kernel_size, dilation, padding, stride):
    return (_pair(op, "kernel_size", kernel_size, 1), _pair(op, "dilation", dilation, 1),
            _pair(op, "padding", padding, 0), _pair(op, "stride", stride, 1))


def _check_dtype(op, x):
    if not x.dtype.is_floating_point:
        raise TypeError(f"{op}: expected a floating point input, got {desc(x)}")


def _half(x, fn):
    if x.dtype in _dt.HALF:
        return fn(x.to(_dt.float32)).to(x.dtype)
    return fn(x)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding local blocks of (N, C, H, W) or (C, H, W) input as columns:
    (N, C*kh*kw, L) or (C*kh*kw, L), L the number of block positions."""
    op = "unfold"
    check_tensor(op, input)
    geo = _geometry(op, kernel_size, dilation, padding, stride)
    if input.ndim not in (3, 4) or min(input.shape[-3:]) < 1:
        raise RuntimeError(f"{op}: expected 3D or 4D (batch mode) input with non-zero sizes other than the batch, "
                           f"got {desc(input)}")
    _check_dtype(op, input)
    k, d, p, s = geo
    out = [_out(n, *a) for n, a in zip(input.shape[-2:], zip(k, s, p, d))]
    if min(out) < 1:
        raise RuntimeError(f"{op}: given input {desc(input)} with kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, the calculated shape of the array of sliding blocks is {out}, "
                           f"but its components must be at least one")
    x = input if input.ndim == 4 else input.unsqueeze(0)
    cols = _half(x, lambda t: _Unfold.apply(t, geo))
    return cols if input.ndim == 4 else cols.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sums columns (N, C*kh*kw, L) or (C*kh*kw, L) back into an (N, C, *output_size)
    or (C, *output_size) image: the adjoint of unfold (overlaps add up)."""
    op = "fold"
    check_tensor(op, input)
    size = _pair(op, "output_size", output_size, 1)
    geo = _geometry(op, kernel_size, dilation, padding, stride)
    if input.ndim not in (2, 3) or min(input.shape[-2:]) < 1:
        raise RuntimeError(f"{op}: expected 2D or 3D (batch mode) input with non-zero sizes other than the batch, "
                           f"got {desc(input)}")
    _check_dtype(op, input)
    k, d, p, s = geo
    CK, L = input.shape[-2:]
    if CK % (k[0] * k[1]):
        raise RuntimeError(f"{op}: expected size of input's dimension {input.ndim - 2} to be divisible by the "
                           f"product of kernel_size, but got input.size({input.ndim - 2})={CK} and "
                           f"kernel_size={k} (input {desc(input)})")
    blocks = [_out(n, *a) for n, a in zip(size, zip(k, s, p, d))]
    if min(blocks) < 1 or blocks[0] * blocks[1] != L:
        raise RuntimeError(f"{op}: given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
                           f"stride={s}, expected size of input's dimension {input.ndim - 1} to match the "
                           f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, "
                           f"but got input.size({input.ndim - 1})={L} (input {desc(input)})")
    x = input if input.ndim == 3 else input.unsqueeze(0)
    shape = (x.shape[0], CK // (k[0] * k[1])) + size
    y = _half(x, lambda t: _Fold.apply(t, geo, shape))
    return y if input.ndim == 3 else y.squeeze(0)
