"""Parameter initialisers with PyTorch's names, formulas and gains (torch.nn.init).
All draw from fastdl's global generator, so `fastdl.manual_seed` fixes them."""
import math

from ..autograd import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_", "orthogonal_",
           "dirac_", "sparse_", "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]


def calculate_gain(nonlinearity, param=None):
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
              "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(t):
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
                         f"(shape {list(t.shape)})")
    receptive = math.prod(t.shape[2:]) if t.ndim > 2 else 1
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fan(t, mode):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported, expected 'fan_in' or 'fan_out'")
    return fan_in if mode == "fan_in" else fan_out


def uniform_(t, a=0.0, b=1.0, generator=None):
    with no_grad():
        return t.uniform_(a, b, generator=generator)


def normal_(t, mean=0.0, std=1.0, generator=None):
    with no_grad():
        return t.normal_(mean, std, generator=generator)


def constant_(t, val):
    with no_grad():
        return t.fill_(val)


def zeros_(t):
    return constant_(t, 0.0)


def ones_(t):
    return constant_(t, 1.0)


def eye_(t):
    if t.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape {list(t.shape)}")
    from ..tensor import eye
    with no_grad():
        return t.copy_(eye(t.shape[0], t.shape[1], dtype=t.dtype, device=t.device))


def xavier_uniform_(t, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(t, -a, a, generator)


def xavier_normal_(t, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(t, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    fan = _fan(t, mode)
    if fan == 0:
        return t
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(t, -bound, bound, generator)


def kaiming_normal_(t, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    fan = _fan(t, mode)
    if fan == 0:
        return t
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def trunc_normal_(t, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Normal(mean, std) truncated to [a, b] by inverse-CDF sampling (as PyTorch)."""
    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0
    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    with no_grad():
        u = t.uniform_(2 * lo - 1, 2 * hi - 1, generator=generator)
        # erfinv via Newton on erf, vectorised in NumPy on the host (initialisation only)
        import numpy as np
        arr = u.detach().cpu().numpy().astype(np.float64)
        x = np.zeros_like(arr)
        for _ in range(60):
            err = np.vectorize(math.erf)(x) - arr
            x -= err / (2 / math.sqrt(math.pi) * np.exp(-x * x))
        vals = np.clip(x * std * math.sqrt(2.0) + mean, a, b)
        from ..tensor import tensor
        return t.copy_(tensor(vals, dtype=t.dtype, device=t.device))


def orthogonal_(t, gain=1.0, generator=None):
    if t.ndim < 2:
        raise ValueError("orthogonal_: only tensors with 2 or more dimensions are supported")
    import numpy as np
    from ..tensor import tensor
    from ..ops.random import randn
    rows, cols = t.shape[0], t.numel() // t.shape[0]
    flat = randn(rows, cols, dtype="float64", generator=generator).numpy()
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    with no_grad():
        return t.copy_(tensor(gain * q.reshape(tuple(t.shape)), dtype=t.dtype, device=t.device))


# ---- nn.utils area: dirac_, sparse_ and torch's deprecated names without "_" ------------
def dirac_(tensor, groups=1):
    """Zeros with a 1 at the spatial centre of weight[g * out_per_group + d, d] (d below
    min(out_per_group, in_channels)), so a convolution starts as the identity per group."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got shape "
                         f"{list(tensor.shape)}")
    if groups < 1 or tensor.shape[0] % groups != 0:
        raise ValueError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups ({groups})")
    from ..tensor import tensor as _tensor
    per_group = tensor.shape[0] // groups
    d = min(per_group, tensor.shape[1])
    out_idx = [g * per_group + i for g in range(groups) for i in range(d)]
    in_idx = [i for _ in range(groups) for i in range(d)]
    with no_grad():
        tensor.zero_()
        if out_idx:
            dev = tensor.device
            centre = tuple(s // 2 for s in tensor.shape[2:])
            tensor[(_tensor(out_idx, device=dev), _tensor(in_idx, device=dev)) + centre] = 1
    return tensor


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Normal(0, std) values with ceil(sparsity * rows) entries of each column set to
    zero, the rows drawn at random per column (the stream is fastdl's, not torch's)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got shape {list(tensor.shape)}")
    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    from ..ops.random import rand
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        if num_zeros > 0 and cols > 0:
            # an independent random permutation per column: the ranks of random keys
            rank = rand(rows, cols, generator=generator, device=tensor.device).argsort(0).argsort(0)
            tensor.masked_fill_(rank < num_zeros, 0.0)
    return tensor


def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        import warnings
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.", FutureWarning,
                      stacklevel=2)
        return meth(*args, **kwargs)
    deprecated_init.__doc__ = f"{old_name}(...): deprecated alias of nn.init.{new_name}."
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
