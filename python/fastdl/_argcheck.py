"""torch's argument-parser rules for the Python types of op arguments, for the op fronts
that take them. torch raises TypeError when a Tensor argument gets a number, a scalar
argument (float / int / Number) gets a tensor with more than one element's worth of
dimensions, a bool flag gets an int, or a size gets a bare int where a tuple is required.
Only slow fronts call these (never the C++ fast paths of elementwise ops / matmul)."""
from .tensor import Tensor


def _what(v):
    if isinstance(v, Tensor):
        return f"Tensor ({v.dtype.name}{list(v.shape)})"
    return type(v).__name__


def tensor(op, name, v):
    """A Tensor-only argument (torch.maximum's `other`, ...): a Python number is refused."""
    if not isinstance(v, Tensor):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {_what(v)} ({v!r})")
    return v


def number(op, name, v, kind="float"):
    """A float / Number / int argument: Python numbers (bool counts, as in torch) and 0-d tensors
    (their value; an int argument needs an integer 0-d tensor and refuses bool)."""
    if isinstance(v, Tensor):
        if v.ndim != 0 or (kind == "int" and (v.dtype.is_floating_point or v.dtype.name == "bool")):
            raise TypeError(f"{op}(): argument '{name}' must be {kind}, not {_what(v)}")
        return v.item()
    if kind == "int":
        if isinstance(v, bool) or not hasattr(v, "__index__"):
            raise TypeError(f"{op}(): argument '{name}' must be int, not {_what(v)} ({v!r})")
        return v
    if isinstance(v, (int, float)) or hasattr(v, "__float__") or (kind == "Number" and isinstance(v, complex)):
        return v
    raise TypeError(f"{op}(): argument '{name}' must be {kind}, not {_what(v)} ({v!r})")


def flag(op, name, v):
    """A bool argument: exactly True or False (torch refuses 0 / 1 and tensors)."""
    if v is True or v is False:
        return v
    raise TypeError(f"{op}(): argument '{name}' must be bool, not {_what(v)} ({v!r})")


def int_tuple(op, name, v):
    """A `tuple of ints` argument of a top-level function (torch.flip's dims, torch.reshape's
    shape, ...): a list / tuple / Size of ints; a bare int or a tensor is refused."""
    if isinstance(v, (tuple, list)):
        for d in v:
            if isinstance(d, bool) or not hasattr(d, "__index__") or (
                    isinstance(d, Tensor) and (d.ndim != 0 or d.dtype.is_floating_point)):
                raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found element of type "
                                f"{_what(d)} in {v!r}")
        return v
    raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {_what(v)}")


def no_extra(op, args, allowed):
    """Refuse positional arguments past the `allowed` ones (torch's keyword-only arguments)."""
    if len(args) > allowed:
        raise TypeError(f"{op}() takes {allowed} positional argument{'s' if allowed != 1 else ''} but "
                        f"{len(args)} were given (the others are keyword-only)")
