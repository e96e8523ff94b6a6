"""Random tensors from a counter-based generator (Philox4x32-10, csrc/common/philox.h).

The global generator is (seed, offset): each draw uses counters starting at `offset`
and advances it, so `manual_seed(s)` makes every random op reproducible, on any device.
"""
import math
import numbers
import time

from .. import dtypes as _dt
from ..tensor import Tensor, _lay_out, _shape_arg, zeros
from ._util import backend, check_tensor, desc, empty
from .cumulative import cumsum
from .elementwise import _minimum, ceil, floor, isfinite, log, where
from .indexing import gather
from .reduce import amax
from .shape import narrow


class Generator:
    def __init__(self, device="cpu", seed=None):
        if isinstance(device, int) and not isinstance(device, bool) and seed is None:
            device, seed = "cpu", device  # fastdl's older Generator(seed) spelling
        from ..device import device as _device
        self.device = _device(device)  # torch.Generator(device=...): the device whose draws it makes
        self.manual_seed(int(time.time_ns()) & 0xFFFFFFFFFFFF if seed is None else seed)

    def manual_seed(self, seed):
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
        self.seed = seed & 0xFFFFFFFFFFFFFFFF
        self.offset = 0
        return self

    def initial_seed(self):
        return self.seed

    def get_state(self):
        return (self.seed, self.offset)

    def set_state(self, state):
        self.seed, self.offset = int(state[0]), int(state[1])

    def _draw(self, kernel, out, *args):
        if out.dtype in _dt.HALF:
            return self._draw_half(kernel, out, *args)
        if out.dtype in _dt.NARROW_INT:  # randint into int32 / int16 / int8 / uint8: drawn as int64
            wide = empty(out.shape, _dt.int64, out.device)
            self.offset = kernel(wide, self.seed, self.offset, *args)
            backend(out, "to").copy(wide, out)
            return out
        self.offset = kernel(out, self.seed, self.offset, *args)
        return out

    def _draw_half(self, kernel, out, *args):
        """float16 / bfloat16: drawn in float32 and rounded once. A uniform draw is cut to
        the half type's mantissa first (torch's rule), so rand never rounds up to 1."""
        from ..autograd import no_grad
        wide = empty(out.shape, _dt.float32, out.device)
        with no_grad():
            if getattr(kernel, "__name__", "") == "random_uniform":
                a, b = args
                self.offset = kernel(wide, self.seed, self.offset, 0.0, 1.0)
                step = 2.0 ** -(11 if out.dtype is _dt.float16 else 8)
                wide = floor(wide * (1.0 / step)) * (step * (b - a)) + a
            else:
                self.offset = kernel(wide, self.seed, self.offset, *args)
            backend(out, "to").copy(wide, out)
        return out


default_generator = Generator(0x5EED)
# The default generator of CUDA tensors (torch keeps one per device; fastdl's CUDA
# devices share this one): CUDA draws do not shift the CPU's streams.
cuda_default_generator = Generator(0x5EED)


class _DeviceDefault:
    """What `generator=None` draws from: the default generator of the drawn tensor's device."""

    @staticmethod
    def _draw(kernel, out, *args):
        gen = cuda_default_generator if out.device.type == "cuda" else default_generator
        return gen._draw(kernel, out, *args)


_DEVICE_DEFAULT = _DeviceDefault()


def manual_seed(seed):
    """Seeds the global generators, CPU and CUDA (used by nn init, dropout and data
    shuffling too), as torch.manual_seed does."""
    default_generator.manual_seed(int(seed))
    cuda_default_generator.manual_seed(int(seed))
    return default_generator


def seed():
    s = int(time.time_ns()) & 0xFFFFFFFFFFFF
    default_generator.manual_seed(s)
    cuda_default_generator.manual_seed(s)
    return default_generator.seed


def _all_states():
    """Both default generators' states (fork_rng and checkpoint's RNG replay)."""
    return default_generator.get_state(), cuda_default_generator.get_state()


def _set_all_states(states):
    default_generator.set_state(states[0])
    cuda_default_generator.set_state(states[1])


def initial_seed():
    return default_generator.seed


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def _gen(generator):
    if generator is None:
        return _DEVICE_DEFAULT
    if not hasattr(generator, "_draw"):  # a tensor or number passed positionally where the generator goes
        raise TypeError(f"expected generator to be a fastdl.Generator, got {type(generator).__name__}")
    return generator


def _float_dtype(op, dtype):
    d = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if not d.is_floating_point:
        raise TypeError(f"{op}: expected a floating dtype, got {d}")
    return d


def _finish(t, requires_grad):
    return t.requires_grad_(True) if requires_grad else t


def rand(*size, dtype=None, device=None, generator=None, requires_grad=False):
    out = empty(_shape_arg("rand", size), _float_dtype("rand", dtype), device)
    _gen(generator)._draw(backend(out, "rand").random_uniform, out, 0.0, 1.0)
    return _finish(out, requires_grad)


def randn(*size, dtype=None, device=None, generator=None, requires_grad=False):
    if dtype is not None and _dt.to_dtype(dtype).category == 3:  # torch: re and im each N(0, 1/2)
        from .complex_views import view_as_complex
        rd = _dt.to_real(_dt.to_dtype(dtype))
        r = randn(*(_shape_arg("randn", size) + (2,)), dtype=rd, device=device, generator=generator) * 0.5 ** 0.5
        return _finish(view_as_complex(r), requires_grad)
    out = empty(_shape_arg("randn", size), _float_dtype("randn", dtype), device)
    _gen(generator)._draw(backend(out, "randn").random_normal, out, 0.0, 1.0)
    return _finish(out, requires_grad)


def randint(low, high=None, size=None, dtype=None, device=None, generator=None):
    if size is None and not isinstance(high, (numbers.Number, Tensor, type(None))):
        low, high, size = 0, low, high  # torch's randint(high, size) overload: randint(10, (64,))
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: missing the size argument, e.g. randint(0, 10, (3,))")
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    out = empty(_shape_arg("randint", (size,) if isinstance(size, int) else tuple(size)),
                _dt.int64 if dtype is None else _dt.to_dtype(dtype), device)
    _gen(generator)._draw(backend(out, "randint").random_int, out, int(low), int(high))
    return out


def randperm(n, dtype=None, device=None, generator=None):
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    out = empty((n,), _dt.int64, device)
    _gen(generator)._draw(backend(out, "randperm").randperm, out)
    return out if dtype is None else out.to(dtype)


def rand_like(t, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    out = rand(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)
    return _lay_out("rand_like", t, out, memory_format)


def randn_like(t, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    out = randn(t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)
    return _lay_out("randn_like", t, out, memory_format)


def randint_like(t, low, high=None, *, dtype=None, device=None, memory_format=None):
    from .. import _argcheck
    low = _argcheck.number("randint_like", "low", low, "int")
    high = high if high is None else _argcheck.number("randint_like", "high", high, "int")
    out = randint(low, high, t.shape, dtype=dtype or t.dtype, device=device or t.device)
    return _lay_out("randint_like", t, out, memory_format)


def bernoulli(p_or_input, p=None, generator=None):
    """bernoulli(probs) samples each element; bernoulli(t, p) uses scalar p with t's shape."""
    if p is None:
        probs = p_or_input
        if not isinstance(probs, Tensor):
            raise TypeError(f"bernoulli: expected input to be a Tensor of probabilities, got {type(probs).__name__}")
        # one reduction read back, as torch's check: values outside [0, 1] (or NaN) are no probabilities
        if probs.numel() and not bool(((probs >= 0) & (probs <= 1)).all()):
            raise RuntimeError(f"bernoulli: expected all probabilities in [0, 1], got values outside it in "
                               f"{desc(probs)}")
        u = rand(probs.shape, dtype=probs.dtype, device=probs.device, generator=generator)
        return (u < probs).to(probs.dtype)
    t = p_or_input
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"bernoulli: p must be in [0, 1], got {p}")
    out = empty(t.shape, t.dtype, t.device)
    _gen(generator)._draw(backend(out, "bernoulli").bernoulli, out, float(p))
    return out


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None):
    from ..tensor import Tensor
    if size is None and (isinstance(mean, Tensor) or isinstance(std, Tensor)):
        return _normal_tensors(mean, std, generator)
    if size is None:
        raise TypeError("normal: pass size=, e.g. normal(0, 1, size=(3,))")
    _check_std(std)
    return randn(size, dtype=dtype, device=device, generator=generator) * std + mean


def _check_std(std):
    """torch's check: std >= 0 (so a NaN std fails too)."""
    from ..tensor import Tensor
    if isinstance(std, Tensor):
        if std.numel() and not bool((std >= 0).all()):
            raise RuntimeError("normal: expects all elements of std >= 0.0")
    elif not std >= 0:
        raise RuntimeError(f"normal: expects std >= 0.0, but found std {std}")


def _normal_tensors(mean, std, generator):
    """torch.normal(mean, std) with a Tensor mean and / or std: one draw per element of their
    broadcast shape, in mean's dtype (std's when mean is a number); no gradient (torch's is zero)."""
    from ..autograd import no_grad
    from ._util import broadcast_shapes
    t = mean if isinstance(mean, Tensor) else std
    if not t.dtype.is_floating_point:
        raise TypeError(f"normal: expected a floating point mean / std, got {desc(t)}")
    _check_std(std)
    shapes = [tuple(v.shape) for v in (mean, std) if isinstance(v, Tensor)]
    with no_grad():
        z = randn(broadcast_shapes("normal", *shapes), dtype=t.dtype, device=t.device, generator=generator)
        return (z * std + mean).to(t.dtype)


def uniform_(t, a=0.0, b=1.0, generator=None):
    _inplace_check(t, "uniform_")
    if not t.dtype.is_floating_point:
        raise TypeError(f"uniform_: expected a floating tensor, got {desc(t)}")
    _fill_random(t, lambda out: _gen(generator)._draw(backend(out, "uniform_").random_uniform, out, float(a), float(b)))
    return t


def normal_(t, mean=0.0, std=1.0, generator=None):
    _inplace_check(t, "normal_")
    if not t.dtype.is_floating_point:
        raise TypeError(f"normal_: expected a floating tensor, got {desc(t)}")
    _fill_random(t, lambda out: _gen(generator)._draw(backend(out, "normal_").random_normal, out, float(mean), float(std)))
    return t


def _inplace_check(t, op):
    from .elementwise import check_write
    check_write(t, op)


def _fill_random(t, draw):
    if t.is_contiguous():
        draw(t)
    else:
        tmp = empty(t.shape, t.dtype, t.device)
        draw(tmp)
        backend(t, "copy").copy(tmp, t)
    t._buf.version += 1


# multinomial: inverse-CDF sampling, composed from tensor ops so it runs on any device.
# The weights are rounded up to integers q (a positive weight to at least 1) that sum to
# about 2**50: float64 sums of such integers (< 2**53) are exact in any order, so the
# scan's CDF is exactly monotone and a zero weight (or a category already drawn) spans
# no interval, whatever the rounding of the weights themselves.
_CDF_SCALE = 2.0 ** 50


def _multinomial_check(op, w, num_samples, replacement):
    if w.ndim not in (1, 2):
        raise RuntimeError(f"{op}: prob_dist must be 1 or 2 dim, got {desc(w)}")
    if not w.dtype.is_floating_point:
        raise TypeError(f"{op}: only floating-point weights are supported, got {desc(w)}")
    if not isinstance(num_samples, numbers.Integral) or isinstance(num_samples, bool) or num_samples <= 0:
        raise RuntimeError(f"{op}: cannot sample num_samples = {num_samples!r} samples (need a positive int)")
    k = w.shape[-1]
    if k == 0:
        raise RuntimeError(f"{op}: prob_dist {desc(w)} has no categories")
    if not replacement and num_samples > k:
        raise RuntimeError(f"{op}: cannot sample num_samples = {num_samples} > {k} categories of {desc(w)} "
                           f"without replacement")
    if w.numel() == 0:
        return
    if bool(((w < 0) | ~isfinite(w)).any()):
        raise RuntimeError(f"{op}: probability tensor {desc(w)} contains either `inf`, `nan` or element < 0")
    positive = (w > 0).sum(dim=-1)
    if bool((positive == 0).any()):
        raise RuntimeError(f"{op}: invalid multinomial distribution (sum of probabilities <= 0) in {desc(w)}")
    if not replacement and bool((positive < num_samples).any()):
        raise RuntimeError(f"{op}: invalid multinomial distribution (with replacement=False, not enough "
                           f"non-zero categories to draw {num_samples} samples) in {desc(w)}")


def _draw_categories(w, n, generator):
    """n categories per row of w (m, k) float64, with replacement: int64 (m, n)."""
    r = w / amax(w, -1, keepdim=True)  # in (0, 1]: the row's sum below cannot overflow
    q = where(w > 0, ceil(r / r.sum(dim=-1, keepdim=True) * _CDF_SCALE).clamp(min=1.0), 0.0)
    cdf = cumsum(q, -1)
    m, k = w.shape
    total = narrow(cdf, 1, k - 1, 1)
    # u in {0, ..., total - 1}; the category is the first i with cdf[i] > u (a positive q[i])
    u = _minimum(floor(rand((m, n), dtype=_dt.float64, device=w.device, generator=generator) * total), total - 1)
    lo = zeros((m, n), dtype=_dt.int64, device=w.device)
    hi = lo + (k - 1)
    for _ in range((k - 1).bit_length()):  # binary search: log2(k) gathers of (m, n)
        mid = (lo + hi) // 2
        right = gather(cdf, 1, mid) <= u
        lo, hi = where(right, mid + 1, lo), where(right, hi, mid)
    return lo


def multinomial(input, num_samples, replacement=False, generator=None):
    """num_samples category indices per row of the non-negative weights input (k) or
    (m, k), drawn in proportion to the weights (need not sum to 1): int64 (num_samples,)
    or (m, num_samples). Without replacement the draws are distinct, distributed as sequential draws that
    each remove the category drawn."""
    op = "multinomial"
    check_tensor(op, input)
    _multinomial_check(op, input, num_samples, replacement)
    num_samples = int(num_samples)
    w = input.detach().to(_dt.float64)
    w = w.reshape(1, -1) if input.ndim == 1 else w
    if w.shape[0] == 0:
        out = empty((0, num_samples), _dt.int64, input.device)
    elif replacement:
        out = _draw_categories(w, num_samples, _gen(generator))
    else:
        out = _draw_distinct(w, num_samples, _gen(generator))
    return out.reshape(-1) if input.ndim == 1 else out


def _draw_distinct(w, n, generator):
    """n distinct categories per row of w (m, k) float64 with at least n positive weights:
    the n largest of log w + Gumbel noise (the Gumbel-top-k trick), which are distributed
    as n sequential draws that each remove the category drawn. One topk, not n draws."""
    from .sorting import topk
    u = rand(w.shape, dtype=_dt.float64, device=w.device, generator=generator)
    keys = where(w > 0, log(w) - log(-log(u)), -math.inf)  # a zero weight is never among the top n
    return topk(keys, n, dim=-1).indices
