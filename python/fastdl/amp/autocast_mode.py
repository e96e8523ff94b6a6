"""torch.autocast for fastdl: the per-thread state, torch's op lists and the casts.

An op on the lists starts with one line,
    if _amp.on and _amp.here(): return _amp.run("op", op, *args, **kwargs)
`on` is a module global (the number of (thread, device) pairs with autocast enabled), so
outside autocast the line costs one attribute read. run() casts the floating tensor
arguments as the op's list says for the device of its first tensor (torch's
"Autocast Op Reference"), then calls the op again with autocast suspended on this
thread, as torch runs the op below its Autocast key (ops inside it are not cast again).
The casts are `.to(dtype)`, a differentiable op: gradients reach float32 parameters in
float32. The C++ fronts of `a @ b`, matmul and mm (and the unary Tensor methods) compute
before any Python runs, so while `on` is set their Python fronts stand in (_swap_fronts).
"""
import functools
import sys
import threading
import warnings

from .. import dtypes as _dt

on = 0  # (thread, device) pairs with autocast enabled, all threads together
_lock = threading.Lock()
_DEVICES = ("cpu", "cuda")
_DEFAULT_DTYPE = {"cpu": _dt.bfloat16, "cuda": _dt.float16}

# ---- the op lists (torch's Autocast Op Reference; fastdl's names) ----
_LOWER_COMMON = {"matmul", "mm", "bmm", "addmm", "addbmm", "baddbmm", "linear", "linear_activation", "conv1d",
                 "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu",
                 "scaled_dot_product_attention"}
LOWER = {"cpu": _LOWER_COMMON,
         "cuda": _LOWER_COMMON | {"addmv", "addr", "chain_matmul", "multi_dot", "mv"}}
FLOAT32 = {
    "cpu": {"avg_pool3d", "binary_cross_entropy", "grid_sample", "prod", "quantile", "nanquantile", "cdist", "trace",
            "cholesky", "cholesky_inverse", "cholesky_solve", "inverse", "lu_solve", "orgqr", "ormqr", "pinverse",
            "max_pool3d", "max_unpool2d", "max_unpool3d", "adaptive_avg_pool3d", "mse_loss",
            "cosine_embedding_loss", "nll_loss", "hinge_embedding_loss", "poisson_nll_loss", "smooth_l1_loss",
            "cross_entropy", "l1_loss", "huber_loss", "margin_ranking_loss", "soft_margin_loss",
            "triplet_margin_loss", "multi_margin_loss", "ctc_loss", "kl_div", "multilabel_margin_loss",
            "binary_cross_entropy_with_logits", "geqrf", "triangular_solve", "fractional_max_pool2d",
            "fractional_max_pool3d", "adaptive_max_pool3d"},
    "cuda": {"pow", "acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal",
             "rsqrt", "sinh", "tan", "softplus", "layer_norm", "group_norm", "norm", "normalize", "cosine_similarity",
             "poisson_nll_loss", "cosine_embedding_loss", "nll_loss", "hinge_embedding_loss", "kl_div", "l1_loss",
             "smooth_l1_loss", "huber_loss", "mse_loss", "margin_ranking_loss", "multilabel_margin_loss",
             "soft_margin_loss", "triplet_margin_loss", "multi_margin_loss", "binary_cross_entropy_with_logits",
             "dist", "pdist", "cdist", "renorm", "logsumexp", "cross_entropy", "cumprod", "cumsum", "prod", "sum",
             "softmax", "log_softmax", "softmin"},
}
PROMOTE = {"cpu": {"stack", "cat", "index_copy"},
           "cuda": {"addcdiv", "addcmul", "atan2", "bilinear", "cross", "dot", "grid_sample", "index_put",
                    "scatter_add", "tensordot", "stack", "cat", "index_copy"}}
# CUDA ops that run in float32 only when no dtype= is given (torch's fp32_set_opt_dtype)
_OPT_DTYPE = {"softmax", "log_softmax", "softmin", "cumprod", "cumsum", "prod", "sum"}


class _State(threading.local):
    """One thread's autocast state (threading.local: each thread starts from these)."""

    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = dict(_DEFAULT_DTYPE)
        self.cache_enabled = True
        self.suspended = 0  # > 0 while an autocast op's own body runs
        self.nesting = 0  # autocast regions entered (the weight cast cache lives until 0)
        self.cache = {}


_tls = _State()


def here():
    """Whether this thread casts at an op's entry now (only asked while `on`)."""
    s = _tls
    return not s.suspended and (s.enabled["cpu"] or s.enabled["cuda"])


def _check_device(device_type, op):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type not in _DEVICES:
        raise RuntimeError(f"{op}: unsupported autocast device_type {device_type!r} (expected 'cpu' or 'cuda')")
    return device_type


def _set_enabled(device_type, enabled):
    global on
    s = _tls
    if s.enabled[device_type] == enabled:
        return
    with _lock:
        s.enabled[device_type] = enabled
        on += 1 if enabled else -1
        if on == (1 if enabled else 0):  # the first region anywhere begins, or the last ends
            _swap_fronts(enabled)


def is_autocast_enabled(device_type=None):
    """torch.is_autocast_enabled(device_type=None): without a device type, CUDA's (as torch)."""
    return _tls.enabled[_check_device("cuda" if device_type is None else device_type, "is_autocast_enabled")]


def set_autocast_enabled(device_type, enabled=None):
    """torch.set_autocast_enabled(device_type, enabled), or the old (enabled) form for CUDA."""
    if enabled is None and isinstance(device_type, bool):
        device_type, enabled = "cuda", device_type
    _set_enabled(_check_device(device_type, "set_autocast_enabled"), bool(enabled))


def get_autocast_dtype(device_type):
    return _tls.dtype[_check_device(device_type, "get_autocast_dtype")]


def set_autocast_dtype(device_type, dtype):
    _tls.dtype[_check_device(device_type, "set_autocast_dtype")] = dtype


def is_autocast_cache_enabled():
    return _tls.cache_enabled


def set_autocast_cache_enabled(enabled):
    if enabled is not True and enabled is not False:
        raise TypeError(f"set_autocast_cache_enabled: enabled must be a bool (got {type(enabled).__name__})")
    _tls.cache_enabled = enabled


def clear_autocast_cache():
    _tls.cache.clear()


def is_autocast_available(device_type):
    return device_type in _DEVICES


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context
    manager and decorator. Ops of torch's lower-precision list run in `dtype` (default
    bfloat16 on the CPU, float16 on CUDA), those of its float32 list in float32, and those
    of its promote list in their widest input type."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        self.device = _check_device(device_type, "autocast")
        self.fast_dtype = _DEFAULT_DTYPE[self.device] if dtype is None else dtype
        self._enabled = bool(enabled)
        self._cache_enabled = _tls.cache_enabled if cache_enabled is None else bool(cache_enabled)
        if self._enabled and not isinstance(self.fast_dtype, _dt.DType):
            raise TypeError(f"autocast: dtype must be a fastdl dtype, got {self.fast_dtype!r}")
        if self._enabled and self.fast_dtype not in _dt.HALF:
            where = "CPU" if self.device == "cpu" else "CUDA"
            warnings.warn(f"In {where} autocast, but the target dtype is not supported. Disabling autocast.\n"
                          f"{where} Autocast only supports dtypes of fastdl.bfloat16, fastdl.float16 currently.")
            self._enabled = False
        if self._enabled and self.device == "cuda":
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("CUDA is not available. Disabling autocast.")
                self._enabled = False

    def __enter__(self):
        s = _tls
        self._prev = (s.enabled[self.device], s.dtype[self.device], s.cache_enabled)
        s.nesting += 1
        s.dtype[self.device], s.cache_enabled = self.fast_dtype, self._cache_enabled
        _set_enabled(self.device, self._enabled)
        return self

    def __exit__(self, *exc):
        s = _tls
        s.nesting -= 1
        if s.nesting == 0:  # the outermost region: its cached weight casts go
            s.cache.clear()
        enabled, s.dtype[self.device], s.cache_enabled = self._prev
        _set_enabled(self.device, enabled)
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)
        return decorated


# ---- the casts ----

def _eligible(t):
    from ..tensor import Tensor
    return isinstance(t, Tensor) and t._dtype.is_floating_point and t._dtype is not _dt.float64


def _cast(t, dtype, s):
    if not _eligible(t) or t._dtype is dtype:
        return t
    # torch's weight cast cache: a float32 leaf parameter is cast once per region
    if s.cache_enabled and t._requires_grad and t.grad_fn is None:
        hit = s.cache.get(id(t))
        if hit is not None and hit[0] is t and hit[1]._dtype is dtype:
            return hit[1]
        out = t.to(dtype)
        s.cache[id(t)] = (t, out)
        return out
    return t.to(dtype)


def _map(x, fn):
    if isinstance(x, (list, tuple)):
        return type(x)(fn(v) for v in x)
    return fn(x)


def _first_tensor(args, kwargs):
    from ..tensor import Tensor
    for a in (*args, *kwargs.values()):
        for v in (a if isinstance(a, (list, tuple)) else (a,)):
            if isinstance(v, Tensor):
                return v
    return None


def _widest(args, kwargs, start):
    """torch's promote_type: the autocast dtype promoted with every eligible argument."""
    from ..ops.promotion import promote_types
    widest = start
    for a in (*args, *kwargs.values()):
        for v in (a if isinstance(a, (list, tuple)) else (a,)):
            if _eligible(v):
                widest = promote_types(widest, v._dtype)
    return widest


def _target(op, device, args, kwargs, s):
    """The dtype the op's floating arguments are cast to on `device`, or None."""
    if op in LOWER[device]:
        return s.dtype[device]
    if op in FLOAT32[device]:
        if op in _OPT_DTYPE and kwargs.get("dtype") is not None:
            return None
        return _dt.float32
    if op in PROMOTE[device]:
        return _widest(args, kwargs, s.dtype[device])
    return None


def run(op, fn, *args, **kwargs):
    """Casts fn's floating tensor arguments for `op` and calls fn with autocast suspended."""
    s = _tls
    first = _first_tensor(args, kwargs)
    device = first.device.type if first is not None else None
    if device in s.enabled and s.enabled[device]:
        dtype = _target(op, device, args, kwargs, s)
        if dtype is not None:
            cast = functools.partial(_cast, dtype=dtype, s=s)
            args = tuple(_map(a, cast) for a in args)
            kwargs = {k: _map(v, cast) for k, v in kwargs.items()}
    s.suspended += 1
    try:
        return fn(*args, **kwargs)
    finally:
        s.suspended -= 1


# ---- the C++ fronts: their Python fronts stand in while any thread autocasts ----


def _fronts():
    """(C++ front, Python front) pairs: matmul / mm (FrontMethod, .fallback) and the unary
    Tensor methods that are their Function's apply (the module-level api calls it)."""
    from ..ops import linalg, elementwise as ew
    from ..tensor import Tensor
    pairs = [(linalg.matmul, linalg.matmul.fallback), (linalg.mm, linalg.mm.fallback)]
    for name in ew.UNARY_METHODS:
        if name in FLOAT32["cuda"] and name in Tensor.__dict__:
            pairs.append((Tensor.__dict__[name], getattr(ew, name)))
    return pairs


_places = [None, []]  # len(sys.modules) at the last search, [(owner, name, C++ front, Python front)]


def _front_places():
    """Where the C++ fronts are bound (Tensor, fastdl's modules); searched again only
    after a module was imported, so entering a region costs microseconds."""
    if _places[0] != len(sys.modules):
        from ..tensor import Tensor
        pairs = {id(c): (c, py) for c, py in _fronts()}
        owners = [Tensor] + [m for k, m in list(sys.modules.items()) if k.startswith("fastdl") and m is not None]
        found = []
        for owner in owners:
            for name, value in list(vars(owner).items()):
                hit = pairs.get(id(value))
                if hit is not None and hit[0] is value:
                    found.append((owner, name, value, hit[1]))
        _places[:] = [len(sys.modules), found]
    return _places[1]


def _swap_fronts(entering):
    for owner, name, front, py in _front_places():
        setattr(owner, name, py if entering else front)
