"""torch's top-level in-place ops (torch.exp_(x), torch.clamp_(x, min=0), ...): each is
the Tensor method of the same name, called on its first argument."""
from ..tensor import Tensor

# torch's top-level X_ functions whose Tensor.X_ fastdl has (one list, one loop: no 60 defs)
NAMES = tuple("""abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_
atanh_ ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ erf_ erfc_ exp2_ exp_ expm1_ fix_ floor_ frac_
gcd_ i0_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ round_ rsqrt_
sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_""".split())


def _make_one(name):
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
        return method(input, *args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"fastdl.{name}(input, ...) is input.{name}(...): in place, returns input."
    return fn


def make():
    """{name: function} for the names above (Tensor's methods must be installed first)."""
    return {n: _make_one(n) for n in NAMES}
