"""Wires complex tensors into the existing ops (imported once, by _methods.py): the
Functions that take complex operands compute them by complex_math's compositions
(complex_math.route), every other unary op of the table refuses them with a TypeError,
and the complex API methods go on Tensor."""
from .. import dtypes as _dt
from ..tensor import Tensor
from . import complex_math as cm
from . import complex_views as cv
from . import elementwise as _ew
from . import reduce as _red

# binary arithmetic: a * b, 2j * z, z / x ...
for _cls, _ref in ((_ew.Add, cm.add), (_ew.Sub, cm.sub), (_ew.Mul, cm.mul), (_ew.Div, cm.div), (_ew.Pow, cm.pow)):
    cm.route(_cls, _ref)

# the unary table: the ops with a complex meaning, the rest refused by name
_UNARY_REFS = {"neg": cm.neg, "exp": cm.exp, "log": cm.log, "sqrt": cm.sqrt, "rsqrt": cm.rsqrt,
               "reciprocal": cm.reciprocal, "abs": cm.abs, "pow_scalar": lambda x, p=0.0, *_: cm.pow(x, p)}


def _refusal(name):
    def ref(x, *_):
        if name == "sign":
            raise TypeError("sign: not supported for complex tensors (torch.sign is real-only); use sgn, got "
                            + cm.desc(x))
        cm.refuse(name, x)
    return ref


from . import complex_more as _cx  # noqa: E402
_UNARY_REFS.update(_cx.UNARY)  # sin, cos, tanh, sigmoid, expm1, log1p ... (the sweep's additions)

for _name, _fn in _ew._UNARY_FN.items():
    cm.route(_fn, _UNARY_REFS.get(_name) or _refusal(_name))

cm.route(_red._Sum, cm.real_reduce("sum"))


# ---- Tensor methods -----------------------------------------------------------------------

def _set_part(which):
    """z.real = v / z.imag = v: written into the part's view (torch's setters)."""
    def setter(self, value):
        part = which(self)
        part.copy_(value) if isinstance(value, Tensor) else part.fill_(value)
    return setter


Tensor.real = property(cv.real, _set_part(cv.real))
Tensor.imag = property(cv.imag, _set_part(cv.imag))
Tensor.conj = Tensor.conj_physical = cm.conj
Tensor.resolve_conj = lambda self: self  # conj() is a copy here, never a lazy flag
Tensor.is_conj = lambda self: False
Tensor.angle = cm.angle
Tensor.sgn = cm.sgn
Tensor.__complex__ = lambda self: complex(self.item())
Tensor.is_complex = lambda self: self._dtype.category == 3
Tensor.cfloat = lambda self: self.to(_dt.complex64)
Tensor.cdouble = lambda self: self.to(_dt.complex128)
Tensor.adjoint = lambda self: cm.conj(self.transpose(-2, -1))
Tensor.mH = property(Tensor.adjoint)
_real_H = Tensor.H.fget
Tensor.H = property(lambda self: cm.conj(_real_H(self)))


def _no_complex_inplace_abs(fn):
    """abs_ / absolute_: |z| is real, so torch refuses to write it into a complex tensor."""
    def abs_(self):
        if self._dtype.category == 3:
            raise RuntimeError(f"{fn.__name__}: in-place abs is not supported for complex tensors, got {cm.desc(self)}")
        return fn(self)
    abs_.__name__ = fn.__name__
    return abs_


Tensor.abs_ = _no_complex_inplace_abs(Tensor.abs_)
Tensor.absolute_ = _no_complex_inplace_abs(Tensor.absolute_)
