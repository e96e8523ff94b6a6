"""Installs the op methods and operators on Tensor (Tensor.exp is fastdl.ops.exp, ...)."""
import numbers
import warnings
from . import _C
from . import dtypes as _dt
from . import ops
from .ops import elementwise as _ew
from .ops import indexing_extra as _indexing_extra
from .ops._util import backend as _backend
from .ops.elementwise import Add as _Add, Div as _Div, Mul as _Mul, Sub as _Sub
from .ops import random as _rnd
from .autograd import is_grad_enabled as _grad_enabled
from .tensor import Tensor

# methods whose first argument is the tensor itself
_METHODS = """abs add allclose argmax argmin atan2 ceil clamp clip cos div eq equal exp expm1 floor floor_divide ge gt
isclose isfinite isinf isnan le lerp log log1p log2 log10 logical_and logical_not logical_or logical_xor lt maximum
minimum mul ne neg pow reciprocal relu remainder round rsqrt sigmoid sign sin sqrt square sub tanh gather
index_select masked_fill nonzero addmm matmul mm bmm dot outer all amax amin any count_nonzero log_softmax logsumexp max mean
min softmax std sum var chunk clone contiguous expand expand_as flatten movedim narrow permute repeat reshape split
squeeze t transpose unbind unflatten unsqueeze view cumsum cumprod tril triu multinomial""".split()

for _name in _METHODS:
    setattr(Tensor, _name, getattr(ops, _name))

Tensor.leaky_relu = _ew.leaky_relu
Tensor.sort, Tensor.argsort, Tensor.topk = ops.sort, ops.argsort, ops.topk
Tensor.norm = lambda self, p="fro", dim=None, keepdim=False, dtype=None: ops.norm(self, p, dim, keepdim, dtype=dtype)
Tensor.swapaxes = Tensor.transpose
Tensor.multiply = Tensor.mul
Tensor.subtract = Tensor.sub
Tensor.divide = Tensor.div
Tensor.absolute = Tensor.abs
Tensor.negative = Tensor.neg
Tensor.greater = Tensor.gt
Tensor.less = Tensor.lt


def _where(self, cond, other):
    return ops.where(cond, self, other)


Tensor.where = _where


def _flip(self, *dims_args, dims=None):
    # x.flip(0, 1), x.flip([0, 1]) and x.flip(dims=[0, 1]), as torch's method takes
    if dims is None:
        if not dims_args:
            raise TypeError('flip() missing 1 required positional arguments: "dims"')
        dims = dims_args[0] if len(dims_args) == 1 and isinstance(dims_args[0], (list, tuple)) else dims_args
    elif dims_args:
        raise TypeError("flip: pass dims either positionally or as dims=, not both")
    return ops.flip(self, dims)


Tensor.flip = _flip
Tensor.T = property(lambda self: self.permute(tuple(reversed(range(self.ndim)))))
Tensor.mT = property(lambda self: self.transpose(-2, -1))


def _view_as(self, other):
    _check_other("view_as", other)
    return self.view(other.shape)


def _check_other(op, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{op}: expected other to be a Tensor, got {type(other).__name__}")


def _reshape_as(self, other):
    _check_other("reshape_as", other)
    return self.reshape(other.shape)


Tensor.view_as = _view_as
Tensor.reshape_as = _reshape_as

# operators
# the arithmetic operators, and the methods that are one Function's apply, are that apply
# itself (_C.function_method, csrc/bind/bind_autograd_apply.cpp): they run for every line
# of model code, and a Python front costs a frame per call
for _op, _fn in [("add", _Add), ("sub", _Sub), ("mul", _Mul), ("truediv", _Div)]:
    setattr(Tensor, f"__{_op}__", _C.function_method(_fn, 2))
    setattr(Tensor, f"__r{_op}__", _C.function_method(_fn, 2, True))
# tutorial ports: 2 * t and 2 + t record the tensor as the first input, as torch's graph does
# (grad_fn.next_functions[0] is the tensor's producer); both ops commute, values are the same
Tensor.__radd__, Tensor.__rmul__ = Tensor.__add__, Tensor.__mul__
for _name in _ew.UNARY_METHODS:
    setattr(Tensor, _name, _C.function_method(_ew._UNARY_FN[_name], 1))
for _name in _ew.SPECIAL_METHODS:  # erf erfc erfinv lgamma digamma i0 sinc
    setattr(Tensor, _name, _C.function_method(_ew._UNARY_FN[_name], 1))
Tensor.__floordiv__ = lambda a, b: ops.floor_divide(a, b)
Tensor.__rfloordiv__ = lambda a, b: ops.floor_divide(b, a)
Tensor.__mod__ = lambda a, b: ops.remainder(a, b)
Tensor.__rmod__ = lambda a, b: ops.remainder(b, a)
Tensor.__pow__ = lambda a, b: ops.pow(a, b)
Tensor.__rpow__ = lambda a, b: ops.pow(b, a)
Tensor.__matmul__ = ops.matmul
Tensor.__rmatmul__ = lambda a, b: ops.matmul(b, a)
Tensor.__neg__ = Tensor.neg
Tensor.__pos__ = lambda a: a
Tensor.__abs__ = Tensor.abs
Tensor.__eq__ = lambda a, b: ops.eq(a, b)
Tensor.__ne__ = lambda a, b: ops.ne(a, b)
Tensor.__lt__ = lambda a, b: ops.lt(a, b)
Tensor.__le__ = lambda a, b: ops.le(a, b)
Tensor.__gt__ = lambda a, b: ops.gt(a, b)
Tensor.__ge__ = lambda a, b: ops.ge(a, b)
Tensor.__and__ = lambda a, b: _ew._logical_and(a, b) if _is_bool(a, b) else NotImplemented
Tensor.__or__ = lambda a, b: _ew._logical_or(a, b) if _is_bool(a, b) else NotImplemented
Tensor.__xor__ = lambda a, b: _ew._logical_xor(a, b) if _is_bool(a, b) else NotImplemented
Tensor.__invert__ = lambda a: ops.logical_not(a) if a.dtype.name == "bool" else NotImplemented
Tensor.__getitem__ = ops.getitem
Tensor.__setitem__ = ops.setitem


def _is_bool(a, b):
    return a.dtype.name == "bool" and (isinstance(b, bool) or (isinstance(b, Tensor) and b.dtype.name == "bool"))


# in-place ops
# in-place ops whose gradient reads only their result (or nothing): no copy of the input
_RESULT_ONLY = frozenset(("relu_", "sigmoid_", "tanh_", "exp_", "sqrt_", "neg_", "floor_", "round_", "sign_",
                          "ceil_", "reciprocal_", "rsqrt_", "exp2_", "negative_", "positive_"))


def _inplace(op_name, fn):
    copy_input = op_name not in _RESULT_ONLY
    kernel = op_name[:-1] if op_name[:-1] in _UNARY_KERNELS else None

    def method(self, *args, **kwargs):
        if kernel and not args and not kwargs and self._dtype.category == 2 and self._dtype not in _HALF and \
                self._device.type == "cpu" and not (self._requires_grad and _grad_enabled()) and \
                self.is_contiguous():  # no graph: the op's own kernel, writing over its input
            _C.cpu.unary(kernel, self, self, 0.0, 0.0)
            self._buf.version += 1
            return self
        # when recording, the op reads a copy: a backward that needs the input (sin, clamp)
        # must not see the value assign_ writes over it (torch saves the original too)
        # (a complex op's backward re-runs its composition on the input: always a copy)
        copy = copy_input or self._dtype.category == 3
        src = self.clone() if copy and self._requires_grad and _grad_enabled() else self
        return _ew.assign_(self, fn(src, *args, **kwargs), op_name)
    method.__name__ = op_name
    return method


def _inplace_arith(op_name, fn):
    """add_ / sub_ / mul_ / div_: one kernel into self where _ew.binary_ allows (optimizer
    and clipping updates), else the op and assign_."""
    kernel_op = op_name[:-1]

    def method(self, other, *args, **kwargs):
        if not args and not kwargs and _ew.binary_(self, kernel_op, other) is not None:
            return self
        if len(args) == 1 and not kwargs and op_name in ("add_", "sub_") and isinstance(args[0], Tensor) \
                and isinstance(other, numbers.Number):  # ex1: torch's deprecated add_(alpha, other)
            warnings.warn(f"This overload of {op_name} is deprecated:\n\t{op_name}(Number alpha, Tensor other)\n"
                          f"Consider using one of the following signatures instead:\n\t{op_name}(Tensor other, "
                          f"*, Number alpha = 1)", UserWarning, stacklevel=2)
            other, args, kwargs = args[0], (), {"alpha": other}
        src = self.clone() if self._dtype.category == 3 and self._requires_grad and _grad_enabled() else self
        return _ew.assign_(self, fn(src, other, *args, **kwargs), op_name)
    method.__name__ = op_name
    return method


# the in-place ops whose float kernel is the unary op of their name, without parameters
_UNARY_KERNELS = frozenset(("exp", "log", "sqrt", "neg", "abs", "relu", "sigmoid", "tanh", "floor", "round", "sign"))
_HALF = (_dt.float16, _dt.bfloat16)
for _name, _fn in [("pow_", ops.pow),
                   ("clamp_", ops.clamp), ("clip_", ops.clamp), ("exp_", ops.exp), ("log_", ops.log),
                   ("sqrt_", ops.sqrt), ("neg_", ops.neg), ("abs_", ops.abs), ("relu_", ops.relu),
                   ("sigmoid_", ops.sigmoid), ("tanh_", ops.tanh), ("maximum_", ops.maximum),
                   ("minimum_", ops.minimum), ("masked_fill_", ops.masked_fill),
                   ("floor_", ops.floor), ("round_", ops.round), ("sign_", ops.sign), ("square_", ops.square)]:
    setattr(Tensor, _name, _inplace(_name, _fn))
for _name, _fn in [("add_", ops.add), ("sub_", ops.sub), ("mul_", ops.mul), ("div_", ops.div)]:
    setattr(Tensor, _name, _inplace_arith(_name, _fn))

Tensor.__iadd__ = Tensor.add_
Tensor.__isub__ = Tensor.sub_
Tensor.__imul__ = Tensor.mul_
Tensor.__itruediv__ = Tensor.div_


def _addcmul_(self, t1, t2, value=1):
    return _ew.assign_(self, self + t1 * t2 * value, "addcmul_")


def _addcdiv_(self, t1, t2, value=1):
    return _ew.assign_(self, self + t1 / t2 * value, "addcdiv_")


def _copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        if not isinstance(src, (bool, int, float)):  # a Python number is a 0-d source (torch's wrapped number)
            raise TypeError(f"copy_: expected a Tensor, got {type(src).__name__}")
        src = _scalar_source(src, self)
    if non_blocking is not False and non_blocking is not True:
        raise TypeError(f"copy_(): argument 'non_blocking' must be bool, not {type(non_blocking).__name__}")
    if src.device != self.device:
        src = src.to(self.device)
    if src.dtype.category > self.dtype.category:  # copy_ converts down too (float -> int truncates, as torch)
        src = src.detach().to(self.dtype)
    return _ew.assign_(self, src, "copy_")


def _scalar_source(v, self):
    from .tensor import tensor
    return tensor(v, device=self.device)


def _fill_(self, value):
    if self._requires_grad and _grad_enabled():  # (check_write refuses only then)
        _ew.check_write(self, "fill_", overlap_ok=True)
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, complex) or self._dtype.category == 3:  # (re, im) through the real view
        from .ops.complex_views import fill_complex
        fill_complex(self, value)
    else:
        _backend(self, "fill_").fill(self, float(value))
    self._buf.version += 1
    if self._grad_fn is not None:
        self._grad_fn, self._requires_grad = None, False  # a constant now: no gradient flows back
    return self


def _zero_(self):
    return _fill_(self, 0)


Tensor.addcmul_ = _addcmul_
Tensor.addcdiv_ = _addcdiv_
Tensor.copy_ = _copy_
Tensor.fill_ = _fill_
Tensor.zero_ = _zero_
Tensor.uniform_ = _rnd.uniform_
Tensor.normal_ = _rnd.normal_
Tensor.bernoulli = lambda self, p=None: _rnd.bernoulli(self) if p is None else _rnd.bernoulli(self, p)


def _bernoulli_(self, p=0.5):
    return _ew.assign_(self, _rnd.bernoulli(self.detach(), p), "bernoulli_")


Tensor.bernoulli_ = _bernoulli_


# special functions (ops/elementwise.py SPECIAL_METHODS, ops/special_ops.py)
Tensor.polygamma = lambda self, n: ops.polygamma(n, self)
Tensor.mvlgamma = lambda self, p: ops.mvlgamma(self, p)
for _name in _ew.SPECIAL_METHODS:
    setattr(Tensor, _name + "_", _inplace(_name + "_", getattr(ops, _name)))
Tensor.polygamma_ = _inplace("polygamma_", Tensor.polygamma)
Tensor.mvlgamma_ = _inplace("mvlgamma_", Tensor.mvlgamma)


# order statistics, searching and counting (ops/order_stats.py, search.py, counting.py)
for _name in ("median nanmedian kthvalue mode quantile nanquantile cummax cummin logcumsumexp bincount histc unique "
              "unique_consecutive").split():
    setattr(Tensor, _name, getattr(ops, _name))
Tensor.bucketize = lambda self, boundaries, out_int32=False, right=False: ops.bucketize(self, boundaries, out_int32, right)


# ---- elementwise_extra / indexing_extra methods ----
for _name in ("sinh cosh asinh acosh atanh trunc fix frac fmod hypot logaddexp logaddexp2 xlogy logit nan_to_num addcmul "
              "addcdiv deg2rad rad2deg diagonal trace diag diag_embed diff take_along_dim scatter index_fill").split():
    setattr(Tensor, _name, getattr(ops, _name))
for _name in "sinh cosh asinh acosh atanh trunc fix frac fmod hypot xlogy logit nan_to_num deg2rad rad2deg".split():
    setattr(Tensor, _name + "_", _inplace(_name + "_", getattr(ops, _name)))


def _index_fill_(self, dim, index, value):
    return _ew.assign_(self, ops.index_fill(self, dim, index, value), "index_fill_")


Tensor.scatter_, Tensor.index_fill_, Tensor.lerp_ = _indexing_extra.scatter_, _index_fill_, _ew.lerp_


# new_* (torch's Tensor.new_zeros & co.): dtype and device default to self's
def _new_size(op, size):
    from .tensor import _shape_arg
    if not size:  # torch: x.new_zeros() is a TypeError (x.new_zeros(()) is 0-d)
        raise TypeError(f'{op}() missing 1 required positional arguments: "size"')
    return _shape_arg(op, size)


def _new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    from .tensor import zeros
    return zeros(_new_size("new_zeros", size), dtype=dtype or self.dtype, device=device or self.device,
                 requires_grad=requires_grad)


def _new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    from .tensor import ones
    return ones(_new_size("new_ones", size), dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


def _new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    from .tensor import empty
    return empty(_new_size("new_empty", size), dtype=dtype or self.dtype, device=device or self.device,
                 requires_grad=requires_grad)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    from .tensor import full
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A copy of data (a Tensor is copied and detached), with self's dtype and device
    unless given."""
    from .tensor import tensor
    if isinstance(data, Tensor):
        data = data.detach()
    t = tensor(data, dtype=dtype or self.dtype, device=device or self.device)
    return t.requires_grad_(True) if requires_grad else t


Tensor.new_zeros = _new_zeros
Tensor.new_ones = _new_ones
Tensor.new_empty = _new_empty
Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor


# retain_grad: the node that made a non-leaf fills its .grad in backward (autograd.py)
from .autograd import retain_grad as _retain_grad, retains_grad as _retains_grad  # noqa: E402

Tensor.retain_grad = _retain_grad
Tensor.retains_grad = property(_retains_grad)


# ---- factorizations (ops/linalg_factor.py) ----
Tensor.inverse, Tensor.det, Tensor.logdet, Tensor.slogdet = ops.inverse, ops.det, ops.logdet, ops.slogdet
Tensor.cholesky = lambda self, upper=False: ops.cholesky(self, upper)


# ---- elementwise_more: trig kernels, aliases, bitwise ops and operators (ops/elementwise_more.py) ----
from .ops import elementwise_more as _ewm  # noqa: E402

for _name in _ewm.TRIG_METHODS:  # tan asin acos atan exp2: the Function's apply, as the unary ops above
    setattr(Tensor, _name, _C.function_method(_ew._UNARY_FN[_name], 1))
for _name in _ewm.METHODS:
    setattr(Tensor, _name, getattr(_ewm, _name))
for _name, _fn in _ewm.INPLACE.items():
    setattr(Tensor, _name, _inplace(_name, _fn))
for _name in "cos sin ceil expm1 log1p log2 log10 rsqrt reciprocal remainder floor_divide".split():
    setattr(Tensor, _name + "_", _inplace(_name + "_", getattr(ops, _name)))
Tensor.multiply_, Tensor.subtract_, Tensor.divide_ = Tensor.mul_, Tensor.sub_, Tensor.div_  # the fast in-place arith
Tensor.__and__ = lambda a, b: _ewm.bitwise_and(a, b)
Tensor.__or__ = lambda a, b: _ewm.bitwise_or(a, b)
Tensor.__xor__ = lambda a, b: _ewm.bitwise_xor(a, b)
Tensor.__rand__ = lambda a, b: _ewm.bitwise_and(b, a)
Tensor.__ror__ = lambda a, b: _ewm.bitwise_or(b, a)
Tensor.__rxor__ = lambda a, b: _ewm.bitwise_xor(b, a)
Tensor.__invert__ = lambda a: _ewm.bitwise_not(a)
Tensor.__lshift__ = lambda a, b: _ewm.bitwise_left_shift(a, b)
Tensor.__rshift__ = lambda a, b: _ewm.bitwise_right_shift(a, b)
Tensor.__rlshift__ = lambda a, b: _ewm.bitwise_left_shift(b, a)
Tensor.__rrshift__ = lambda a, b: _ewm.bitwise_right_shift(b, a)
Tensor.__iand__, Tensor.__ior__, Tensor.__ixor__ = Tensor.bitwise_and_, Tensor.bitwise_or_, Tensor.bitwise_xor_
Tensor.__ilshift__, Tensor.__irshift__ = Tensor.bitwise_left_shift_, Tensor.bitwise_right_shift_
# ---- shape_more / scatter_more (shape, indexing and scatter ops) ----
from .ops import shape_more as _sm  # noqa: E402

for _name in ("roll tile repeat_interleave broadcast_to hsplit vsplit dsplit tensor_split split_with_sizes movedim "
              "moveaxis swapaxes swapdims ravel select narrow_copy fliplr flipud rot90 argwhere msort as_strided "
              "sum_to_size masked_select masked_scatter scatter_add scatter_reduce index_add index_copy index_reduce "
              "index_put take put select_scatter slice_scatter diagonal_scatter diagflat").split():
    setattr(Tensor, _name, getattr(ops, _name))
Tensor.unfold = _sm.unfold
for _name in "t_ transpose_ swapaxes_ swapdims_ squeeze_ unsqueeze_ tril_ triu_ fill_diagonal_".split():
    setattr(Tensor, _name, getattr(_sm, _name))
for _name in "masked_scatter_ scatter_reduce_ index_copy_ index_reduce_ put_ scatter_add_ index_add_".split():
    setattr(Tensor, _name, _inplace(_name, getattr(ops, _name[:-1])))  # the op written back, graph included
Tensor.index_put_ = ops.index_put_
Tensor.is_same_size = lambda self, other: _check_other("is_same_size", other) or tuple(self.shape) == tuple(other.shape)
Tensor.ndimension = Tensor.dim
Tensor.nbytes = property(lambda self: self.numel() * self.dtype.itemsize)
Tensor.itemsize = property(lambda self: self.dtype.itemsize)
Tensor.get_device = lambda self: -1 if self.device.type == "cpu" else (self.device.index or 0)
Tensor.is_cpu = property(lambda self: self.device.type == "cpu")
# ---- reductions, statistics, products and LU (math branch: ops/reduce_more.py, stats_more.py, linalg_more.py,
# linalg_factor_more.py) ----
for _name in ("prod nansum nanmean aminmax mv addmv addr ger inner vdot kron cross baddbmm addbmm matrix_power "
              "matrix_exp renorm histogram dist cov corrcoef lu lu_solve cholesky_inverse triangular_solve svd pinverse").split():
    setattr(Tensor, _name, getattr(ops, _name))
for _name in "addmv addr baddbmm addbmm renorm".split():
    setattr(Tensor, _name + "_", _inplace(_name + "_", getattr(ops, _name)))
# ---- random fills (ops/random_more.py; distributions area) ----
from .ops import random_more as _rndm  # noqa: E402

Tensor.random_, Tensor.exponential_, Tensor.geometric_ = _rndm.random_, _rndm.exponential_, _rndm.geometric_
Tensor.log_normal_, Tensor.cauchy_ = _rndm.log_normal_, _rndm.cauchy_


# ---- torch's complex API on real dtypes (no-ops; complex tensors: ops/complex_*.py replaces them),
# conjugate transposes, legacy / small methods ----
for _name in ("conj", "resolve_conj", "resolve_neg", "conj_physical"):
    setattr(Tensor, _name, lambda self: self)  # a real tensor: the tensor itself, as torch's
Tensor.is_conj = lambda self: False
Tensor.is_neg = lambda self: False
Tensor.real = property(lambda self: self)


def _imag(self):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


Tensor.imag = property(_imag)
Tensor.adjoint = lambda self: self.transpose(-2, -1)  # the conjugate transpose of a real matrix
Tensor.mH = property(lambda self: self.transpose(-2, -1))


def _H(self):
    if self.ndim not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.")
    return self if self.ndim == 0 else self.transpose(0, 1)


Tensor.H = property(_H)
Tensor.cumsum_ = _inplace("cumsum_", ops.cumsum)
Tensor.cumprod_ = _inplace("cumprod_", ops.cumprod)
Tensor.addmm_ = _inplace("addmm_", ops.addmm)
Tensor.is_inference = lambda self: False  # fastdl has no inference tensors (inference_mode is no_grad)
def _is_pinned(self, device=None):
    from .device import device as _device
    if device is not None and not isinstance(device, (str, int, _device)):
        raise TypeError(f"is_pinned(): argument 'device' must be a device, not {type(device).__name__}")
    return False


Tensor.is_pinned = _is_pinned


def _hardshrink(self, lambd=0.5):
    from .nn.functional import hardshrink
    return hardshrink(self, lambd)


def _prelu(self, weight):
    from .nn.functional import prelu
    return prelu(self, weight)


def _qr(self, some=True):
    from . import linalg
    if some is not True and some is not False:
        raise TypeError(f"qr(): argument 'some' must be bool, not {type(some).__name__}")
    return linalg.qr(self, mode="reduced" if some else "complete")


def _cholesky_solve(self, input2, upper=False):
    return ops.cholesky_solve(self, input2, upper)


Tensor.hardshrink, Tensor.prelu, Tensor.qr, Tensor.cholesky_solve = _hardshrink, _prelu, _qr, _cholesky_solve


def _new(self, *args, **kwargs):
    """The legacy constructor: x.new(sizes...) is uninitialised memory of x's dtype and
    device, x.new(data) a copy of the data (a sequence or a tensor), x.new() empty."""
    from .tensor import empty
    device = kwargs.pop("device", None) or self.device
    if kwargs:
        raise TypeError(f"new: unexpected keyword arguments {sorted(kwargs)}")
    if not args:
        return empty((0,), dtype=self.dtype, device=device)
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        return empty(args, dtype=self.dtype, device=device)
    if len(args) == 1 and isinstance(args[0], (tuple, list)) and all(isinstance(a, int) for a in args[0]) \
            and not args[0]:
        return empty((0,), dtype=self.dtype, device=device)
    if len(args) == 1:
        return _new_tensor(self, args[0], device=device)
    raise TypeError(f"new: expected sizes or one data argument, got {args!r}")


Tensor.new = _new


def _register_post_accumulate_grad_hook(self, hook):
    from .autograd import PostAccumulateGradHook
    if self._grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    handle = PostAccumulateGradHook(hook, self)
    self._hooks = (self._hooks or ()) + (handle,)
    return handle


Tensor.register_post_accumulate_grad_hook = _register_post_accumulate_grad_hook
# ---- long tail (tail branch): igamma / igammac (ops/igamma.py) ----
def _igamma_methods():
    # torch's Tensor.igamma / igammac take no out= (the top-level functions do)
    def igamma(self, other):
        return ops.igamma(self, other)

    def igammac(self, other):
        return ops.igammac(self, other)
    igamma.__qualname__, igammac.__qualname__ = "Tensor.igamma", "Tensor.igammac"
    return igamma, igammac


Tensor.igamma, Tensor.igammac = _igamma_methods()
Tensor.igamma_, Tensor.igammac_ = _inplace("igamma_", Tensor.igamma), _inplace("igammac_", Tensor.igammac)
# ---- special branch: round / round_ with decimals (ops/special_misc.py) ----
_round_apply = Tensor.round


def _round_methods():
    # decimals is keyword-only, as torch's (the names make a positional call's TypeError say round / round_)
    def round(self, *, decimals=0):
        return _round_apply(self) if decimals == 0 else ops.round(self, decimals=decimals)

    def round_(self, *, decimals=0):
        return ops.round(self, decimals=decimals)
    round.__qualname__, round_.__qualname__ = "Tensor.round", "Tensor.round_"
    return round, _inplace("round_", round_)


Tensor.round, Tensor.round_ = _round_methods()
# ---- Householder products (linalg/optim branch: ops/linalg_householder.py) ----
Tensor.geqrf, Tensor.orgqr, Tensor.ormqr = ops.geqrf, ops.orgqr, ops.ormqr
# ---- perm branch: softmax / log_softmax need dim, nonzero's as_tuple is keyword-only (ops/toplevel_strict.py) ----
from .ops import toplevel_strict as _strict  # noqa: E402
Tensor.softmax, Tensor.log_softmax, Tensor.nonzero = _strict.softmax, _strict.log_softmax, _strict.nonzero

# ---- complex dtypes (cplx branch): the Functions' complex routes and the complex API methods ----
from .ops import complex_routes as _complex_routes  # noqa: E402,F401

# ---- ex1: Tensor.to_sparse / to_dense (dense-backed, ops/sparse_dense.py) ----
from .ops import sparse_dense as _sparse_dense  # noqa: E402
Tensor.to_sparse = _sparse_dense.to_sparse
Tensor.to_dense = _sparse_dense.to_dense
