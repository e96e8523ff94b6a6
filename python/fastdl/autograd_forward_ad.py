"""torch.autograd.forward_ad on fastdl's reverse mode: dual tensors whose tangents are
read as Jacobian-vector products.

torch propagates a tangent alongside every op. fastdl has no per-op forward rules;
instead `make_dual` records the primal in the autograd graph (a leaf that requires
grad, or an identity of a tensor that already does) and remembers its tangent, and
`unpack_dual(y)` computes y's tangent when asked, by the double-vjp trick: with a dummy
cotangent u, g_i = u^T dy/dx_i is linear in u, so d/du sum_i <g_i, t_i> = sum_i J_i t_i.
So every op with a double backward (all built-in ones) works, grad mode must be on
while the duals are used (the graph is what carries the tangents), and each
unpack_dual costs two backward passes over the graph between the duals and y.
"""
import contextlib
from collections import namedtuple

from . import autograd as _ag

__all__ = ["dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual",
           "UnpackedDualTensor"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

# one registry per open level: [(dual tensor, tangent)]; the innermost level is last
_levels = []


def enter_dual_level():
    """Opens a new forward-AD level and returns its index."""
    _levels.append([])
    return len(_levels) - 1


def exit_dual_level(*, level=None):
    """Closes the innermost level (the one given must be it); its duals lose their tangents."""
    if not _levels:
        raise RuntimeError("exit_dual_level: no forward AD level is open")
    if level is not None and level != len(_levels) - 1:
        raise RuntimeError(f"exit_dual_level: level {level} is not the innermost open level ({len(_levels) - 1})")
    _levels.pop()


class dual_level(contextlib.ContextDecorator):
    """Context manager (and decorator) for one forward-AD level, as torch's."""

    def __enter__(self):
        self._level = enter_dual_level()
        return self._level

    def __exit__(self, *exc):
        exit_dual_level(level=self._level)
        return False


def _level_registry(level, op):
    if not _levels:
        raise RuntimeError(f"{op}: no forward AD level is open; use `with fastdl.autograd.forward_ad.dual_level():`")
    if level is None:
        return _levels[-1]
    if not 0 <= level < len(_levels):
        raise RuntimeError(f"{op}: level {level} is not open (open levels: 0..{len(_levels) - 1})")
    return _levels[level]


def make_dual(tensor, tangent, *, level=None):
    """A tensor with tensor's values that carries `tangent` (same shape and dtype; a
    floating dtype) at the level; ops on it propagate the tangent (read with unpack_dual)."""
    from .tensor import Tensor
    reg = _level_registry(level, "make_dual")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError(f"make_dual: expected Tensors, got {type(tensor).__name__} and {type(tangent).__name__}")
    if not tensor.dtype.is_floating_point:
        raise ValueError(f"make_dual: expected a floating point primal, got {tensor.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"make_dual: trying to set a forward gradient of size {list(tangent.shape)} on a tensor of "
                           f"size {list(tensor.shape)}")
    if tangent.dtype is not tensor.dtype:
        if not tangent.dtype.is_floating_point:
            raise RuntimeError(f"make_dual: expected a floating point tangent, got {tangent.dtype}")
        tangent = tangent.detach().to(tensor.dtype)  # torch keeps a float32 tangent of a float64 primal; fastdl casts
    if tangent.device != tensor.device:
        raise RuntimeError(f"make_dual: the tangent is on {tangent.device}, the primal on {tensor.device}")
    if not _ag.is_grad_enabled():
        raise RuntimeError("make_dual: fastdl's forward AD runs on the autograd graph; grad mode must be enabled")
    dual = tensor * 1 if tensor.requires_grad else tensor.detach().requires_grad_(True)
    # torch's rule: a tangent with the primal's layout is used as-is (unpack_dual gives that
    # very tensor back); another layout is copied into one with the primal's strides
    if tuple(tangent.stride()) != tuple(tensor.stride()):
        from .tensor import empty_like
        with _ag.no_grad():
            tangent = empty_like(tensor).copy_(tangent)
    elif tangent.requires_grad:
        tangent = tangent.detach()
    reg.append((dual, tangent))
    return dual


def unpack_dual(tensor, *, level=None):
    """(primal, tangent): the tensor's values (detached from the tangent's computation)
    and its tangent, J t summed over the level's duals it depends on (None if none)."""
    from .tensor import Tensor, zeros_like
    if not isinstance(tensor, Tensor):
        raise TypeError(f"unpack_dual: expected a Tensor, got {type(tensor).__name__}")
    if not _levels:
        return UnpackedDualTensor(tensor, None)
    reg = _level_registry(level, "unpack_dual")
    for dual, tangent in reg:
        if dual is tensor:
            return UnpackedDualTensor(tensor.detach(), tangent)
    if not tensor.requires_grad or not reg or not tensor.dtype.is_floating_point:
        return UnpackedDualTensor(tensor, None)
    duals = [d for d, _ in reg]
    u = zeros_like(tensor).requires_grad_(True)
    with _ag.enable_grad():
        gs = _ag.grad(tensor, duals, u, retain_graph=True, create_graph=True, allow_unused=True)
        terms = [(g * t).sum() for g, (_, t) in zip(gs, reg) if g is not None]
        if not terms:
            return UnpackedDualTensor(tensor.detach(), None)
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        if not total.requires_grad:  # the output is affine in the duals with zero slope
            return UnpackedDualTensor(tensor.detach(), zeros_like(tensor))
        jv, = _ag.grad(total, u, retain_graph=True, allow_unused=True)  # the forward graph stays usable
    return UnpackedDualTensor(tensor.detach(), zeros_like(tensor) if jv is None else jv)


# ---- custom Functions that give a forward-mode formula (staticmethod jvp) -----------------

def function_apply_jvp(cls, *args):
    """Function.apply of a subclass that defines jvp but no backward. fastdl's forward AD
    differentiates the reverse graph, which such a Function lacks, so inside a level with a
    dual among the arguments its jvp runs eagerly: forward(ctx, ...) on the primals, then
    jvp(ctx, *tangents) (zeros for tensors without one), and the outputs come back as duals
    carrying those tangents. Elsewhere the ordinary apply runs."""
    from .tensor import Tensor, zeros_like
    from . import _C
    tangents = [unpack_dual(a).tangent if isinstance(a, Tensor) and _levels else None for a in args]
    if all(t is None for t in tangents):
        return _C.function_apply(cls, *args)
    ctx = _ag.Context()
    with _ag.no_grad():
        out = cls.forward(ctx, *[a.detach() if isinstance(a, Tensor) else a for a in args])
        tin = [t if t is not None else (zeros_like(a) if isinstance(a, Tensor) and a.dtype.is_floating_point else None)
               for a, t in zip(args, tangents)]
        tout = cls.jvp(ctx, *tin)
    outs, touts = (out, True) if isinstance(out, tuple) else ((out,), False)
    touts_t = tout if isinstance(tout, tuple) else (tout,)
    if len(touts_t) != len(outs):
        raise RuntimeError(f"{cls.__name__}.jvp returned {len(touts_t)} tangents for {len(outs)} outputs")
    res = tuple(make_dual(o, t) if isinstance(o, Tensor) and isinstance(t, Tensor) else o
                for o, t in zip(outs, touts_t))
    return res if touts else res[0]


def forward_ad_check(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """gradcheck(check_forward_ad=True, check_backward_ad=False): each input's jvp along a
    random direction against central differences (float64 inputs)."""
    import numpy as np
    from .tensor import Tensor, tensor as _tensor
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    rng = np.random.default_rng(seed)
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        v = _tensor(rng.standard_normal(tuple(x.shape)), dtype=x.dtype)
        with dual_level():
            args = list(inputs)
            args[i] = make_dual(x.detach(), v)
            out = fn(*args)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            jvps = [unpack_dual(o).tangent for o in outs]
        with _ag.no_grad():
            hi = list(inputs); hi[i] = x.detach() + eps * v
            lo = list(inputs); lo[i] = x.detach() - eps * v
            oh, ol = fn(*hi), fn(*lo)
            oh = oh if isinstance(oh, (tuple, list)) else (oh,)
            ol = ol if isinstance(ol, (tuple, list)) else (ol,)
        for j, (jv, a, b) in enumerate(zip(jvps, oh, ol)):
            fd = (a.double().numpy() - b.double().numpy()) / (2 * eps)
            got = np.zeros_like(fd) if jv is None else jv.double().numpy()
            if not np.allclose(got, fd, atol=atol, rtol=rtol):
                raise AssertionError(f"gradcheck (forward AD) failed for input {i}, output {j}: jvp {got.ravel()[:4]} "
                                     f"vs finite differences {fd.ravel()[:4]}")
    return True
