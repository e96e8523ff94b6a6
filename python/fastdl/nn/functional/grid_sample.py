"""affine_grid and grid_sample (torch.nn.functional semantics), composed from differentiable
ops so they run on every device and differentiate w.r.t. both input and grid:
- affine_grid: a fixed base grid of normalised (x, y[, z], 1) positions times theta^T;
- grid_sample: each grid point's source coordinate (unnormalised, then clipped or
  reflected as padding_mode asks, torch's formulas), then per corner of its cell one
  gather of the flattened input (4 corners bilinear / 8 trilinear, 16 taps bicubic,
  1 nearest), weighted by the fractional offsets; taps outside the input read zero.
  The gradient w.r.t. input is the gathers' scatter-add; w.r.t. grid it flows through the
  weights (the integer corner positions are constants, as in torch's kernel).
Memory: one (N, C, *grid) temporary per tap."""
import itertools
import warnings

import numpy as np

from ... import dtypes as _dt
from ...autograd import no_grad
from ...ops._util import check_tensor, desc, same_device
from ...ops.elementwise import where
from ...ops.indexing import gather
from ...amp import autocast_mode as _amp

__all__ = ["affine_grid", "grid_sample"]

_DEFAULT_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                    "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                    "grid_sample for details.")


def _linspace(n, align_corners):
    """torch's linspace_from_neg_one: n points over [-1, 1] (pixel centres unless align_corners)."""
    if n <= 1:
        return np.zeros(max(n, 1))
    r = np.linspace(-1.0, 1.0, n)
    return r if align_corners else r * (n - 1) / n


def affine_grid(theta, size, align_corners=None):
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps theta
    (N, 2, 3) (or (N, 3, 4)) for an output of size (N, C, H, W) (or (N, C, D, H, W))."""
    op = "affine_grid"
    check_tensor(op, theta, "theta")
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"{op}: expected theta to have floating point type, but got {desc(theta)}")
    size = [int(s) for s in size]
    if len(size) not in (4, 5):
        raise NotImplementedError(f"{op}: only 4D and 5D sizes are supported, for 2D and 3D affine transforms "
                                  f"respectively; got size {size}")
    n = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (n, n + 1):
        raise ValueError(f"{op}: expected a batch of {n}D affine matrices of shape Nx{n}x{n + 1} for size {size}, "
                         f"got theta {desc(theta)}")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"{op}: expected non-zero, positive output size, got {size}")
    if theta.shape[0] != size[0]:
        raise ValueError(f"{op}: theta {desc(theta)} has {theta.shape[0]} matrices but size {size} asks for a "
                         f"batch of {size[0]}")
    from ...tensor import tensor
    spatial = size[2:]  # (H, W) or (D, H, W); the grid's last dim is (x, y[, z], 1)
    axes = [_linspace(m, align_corners) for m in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")
    base = np.stack([mesh[i] for i in reversed(range(n))] + [np.ones(spatial)], axis=-1).reshape(1, -1, n + 1)
    T = np.float32 if theta.dtype is not _dt.float64 else np.float64
    base = tensor(base.astype(T), dtype=theta.dtype, device=theta.device)
    return base.matmul(theta.transpose(1, 2)).reshape([size[0]] + spatial + [n])


# ------------------------------------------------------------------ grid_sample


def _reflect(c, twice_low, twice_high):
    """torch's reflect_coordinates: c folded into [twice_low/2, twice_high/2]."""
    if twice_low == twice_high:
        return c * 0
    lo, span = twice_low / 2, (twice_high - twice_low) / 2
    c = (c - lo).abs()
    flips = (c / span).floor().detach()
    extra = c - flips * span  # fmod(c, span) for c >= 0
    odd = (flips.remainder(2) == 1)
    return where(odd, span - extra + lo, extra + lo)


def _padded(c, size, padding_mode, align_corners):
    if padding_mode == "border":
        return c.clamp(0, size - 1)
    if padding_mode == "reflection":
        c = _reflect(c, 0, 2 * (size - 1)) if align_corners else _reflect(c, -1, 2 * size - 1)
        return c.clamp(0, size - 1)
    return c


def _unnormalize(g, size, align_corners):
    return (g + 1) / 2 * (size - 1) if align_corners else ((g + 1) * size - 1) / 2


class _Taps:
    """Reads input values at integer positions (one int64 tensor (N, *grid) per
    coordinate, x first); positions outside the input read zero."""

    def __init__(self, x, grid_shape):
        self.N, self.C = x.shape[:2]
        self.flat = x.reshape(self.N, self.C, -1)
        self.sizes = tuple(reversed(x.shape[2:]))  # (W, H[, D]), the grid's coordinate order
        self.strides = [int(np.prod(self.sizes[:i])) for i in range(len(self.sizes))]
        self.out = tuple(grid_shape)

    def read(self, pos):
        valid, lin = None, None
        with no_grad():
            for p, m, s in zip(pos, self.sizes, self.strides):
                ok = (p >= 0) & (p < m)
                valid = ok if valid is None else valid & ok
                term = p.clamp(0, m - 1) * s
                lin = term if lin is None else lin + term
            lin = lin.reshape(self.N, 1, -1).expand(self.N, self.C, lin[0].numel())
        val = gather(self.flat, 2, lin).reshape((self.N, self.C) + self.out)
        return val, valid.unsqueeze(1)


def _as_index(c, size):
    """A float position as int64 (clamped first, so huge or infinite positions convert safely)."""
    return c.detach().clamp(-2, size + 1).to(_dt.int64)


def _cubic(t):
    """torch's bicubic coefficients (A = -0.75) for the 4 taps around fractional offset t."""
    A = -0.75

    def near(x):
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _check(op, input, grid, mode, padding_mode):
    check_tensor(op, input)
    check_tensor(op, grid, "grid")
    same_device(op, input, grid)
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"{op}: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"{op}: expected padding_mode to be 'zeros', 'border', or 'reflection', but got: "
                         f"{padding_mode!r}")
    if not input.dtype.is_floating_point or grid.dtype is not input.dtype:
        raise RuntimeError(f"{op}: expected input and grid to have the same floating point dtype, got input "
                           f"{desc(input)} and grid {desc(grid)}")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"{op}: expected 4D or 5D input and grid with the same number of dimensions, got input "
                           f"{desc(input)} and grid {desc(grid)}")
    n = input.ndim - 2
    if grid.shape[-1] != n:
        raise RuntimeError(f"{op}: expected grid to have size {n} in last dimension, but got grid {desc(grid)}")
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"{op}: expected grid and input to have same batch size, but got input {desc(input)} "
                           f"and grid {desc(grid)}")
    if min(input.shape[2:]) < 1:
        raise RuntimeError(f"{op}: expected input to have non-empty spatial dimensions, got {desc(input)}")
    if mode == "bicubic" and n == 3:
        raise RuntimeError(f"{op}: bicubic interpolation only supports 4D input, got {desc(input)}")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Samples input (N, C, H, W) (or (N, C, D, H, W)) at the normalised positions of
    grid (N, Ho, Wo, 2) (or (N, Do, Ho, Wo, 3); x first, -1 and 1 the edges); output
    (N, C, Ho, Wo) (or (N, C, Do, Ho, Wo))."""
    if _amp.on and _amp.here(): return _amp.run("grid_sample", grid_sample, input, grid, mode, padding_mode, align_corners)  # autocast
    op = "grid_sample"
    _check(op, input, grid, mode, padding_mode)
    if align_corners is None:
        warnings.warn(_DEFAULT_WARNING, stacklevel=2)
        align_corners = False
    if input.dtype in _dt.HALF:
        return grid_sample(input.to(_dt.float32), grid.to(_dt.float32), mode, padding_mode,
                           align_corners).to(input.dtype)
    n = input.ndim - 2
    taps = _Taps(input, grid.shape[1:-1])
    raw = [_unnormalize(grid[..., i], m, align_corners) for i, m in enumerate(taps.sizes)]
    if mode == "bicubic":
        return _bicubic(taps, raw, padding_mode, align_corners)
    coords = [_padded(c, m, padding_mode, align_corners) for c, m in zip(raw, taps.sizes)]
    if mode == "nearest":
        val, valid = taps.read([_as_index(c.detach().round(), m) for c, m in zip(coords, taps.sizes)])
        return where(valid, val, 0.0)
    lo = [c.detach().floor() for c in coords]
    frac = [c - f for c, f in zip(coords, lo)]
    lo = [_as_index(f, m) for f, m in zip(lo, taps.sizes)]
    out = None
    for corner in itertools.product((0, 1), repeat=n):
        w = None
        for bit, f in zip(corner, frac):
            wi = f if bit else 1 - f
            w = wi if w is None else w * wi
        val, valid = taps.read([p + bit for p, bit in zip(lo, corner)])
        term = where(valid, val * w.unsqueeze(1), 0.0)
        out = term if out is None else out + term
    return out


def _bicubic(taps, raw, padding_mode, align_corners):
    """torch's bicubic: 4x4 taps around floor(position) of the unpadded coordinate; each
    tap's integer position gets padding_mode's clipping / reflection."""
    (ix, iy), (W, H) = raw, taps.sizes
    fx, fy = ix.detach().floor(), iy.detach().floor()
    cx, cy = _cubic(ix - fx), _cubic(iy - fy)
    out = None
    for j in range(4):
        row = None
        for i in range(4):
            px = _padded(fx + (i - 1), W, padding_mode, align_corners)
            py = _padded(fy + (j - 1), H, padding_mode, align_corners)
            # torch truncates the (possibly reflected) tap position toward zero
            val, valid = taps.read([_as_index(px.trunc(), W), _as_index(py.trunc(), H)])
            term = where(valid, val * cx[i].unsqueeze(1), 0.0)
            row = term if row is None else row + term
        term = row * cy[j].unsqueeze(1)
        out = term if out is None else out + term
    return out
