"""OpInfo-style table: one row per op, driving forward, gradcheck and torch-parity tests.

A row names the op, how to call it in fastdl (and torch), a float64 NumPy reference,
the sample inputs, and whether it is differentiable. Adding an op is adding a row.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import fastdl
import fastdl.nn.functional as F


@dataclass
class Sample:
    args: tuple            # NumPy arrays (become tensors) or plain Python values
    kwargs: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class OpInfo:
    name: str
    fn: Callable                    # fn(*tensors_and_values, **kwargs) in fastdl
    ref: Callable                   # the same on float64 NumPy arrays
    samples: Callable               # rng -> list[Sample]
    torch_fn: Callable = None       # fn in torch, when it differs from fastdl's spelling
    grad: bool = True
    dtypes: tuple = ("float32", "float64")
    positive: bool = False          # inputs must be > 0 (log, sqrt, ...)
    away_from_kinks: bool = False   # keep inputs away from 0 (abs, relu: nondifferentiable there)
    rtol32: float = 2e-5
    atol32: float = 2e-5


def _pos(a):
    return np.abs(a) + 0.5


def _kink(a):
    return np.where(np.abs(a) < 0.2, a + np.sign(a + 1e-9) * 0.3, a)


def unary_samples(rng):
    return [Sample((rng.standard_normal((3, 4)),), name="3x4"),
            Sample((rng.standard_normal((2, 3, 5)),), name="2x3x5"),
            Sample((np.asarray(rng.standard_normal(())),), name="scalar"),
            Sample((rng.standard_normal((0, 3)),), name="empty"),
            Sample((rng.standard_normal((1, 7)),), name="size1")]


def binary_samples(rng):
    return [Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 4))), name="same"),
            Sample((rng.standard_normal((3, 1)), rng.standard_normal((1, 4))), name="outer-broadcast"),
            Sample((rng.standard_normal((2, 3, 4)), rng.standard_normal((4,))), name="trailing-broadcast"),
            Sample((rng.standard_normal((5,)), rng.standard_normal(())), name="tensor-0d"),
            Sample((rng.standard_normal((3, 4)), 1.7), name="tensor-scalar"),
            Sample((rng.standard_normal((0, 4)), rng.standard_normal((1, 4))), name="empty")]


def reduce_samples(rng, dims=True):
    x = rng.standard_normal((3, 4, 5))
    out = [Sample((x,), {}, "all"), Sample((rng.standard_normal((6,)),), {}, "vector")]
    if dims:
        out += [Sample((x,), {"dim": 1}, "dim1"), Sample((x,), {"dim": -1, "keepdim": True}, "dim-1-keep"),
                Sample((x,), {"dim": (0, 2)}, "dims02"), Sample((rng.standard_normal((1, 5)),), {"dim": 0}, "size1")]
    return out


def _np_axis(kw):
    d = kw.get("dim")
    return tuple(d) if isinstance(d, (tuple, list)) else d


def np_reduce(f):
    return lambda x, **kw: f(x, axis=_np_axis(kw), keepdims=kw.get("keepdim", False))


def np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def np_log_softmax(x, dim):
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def np_logsumexp(x, dim, keepdim=False):
    axis = _np_axis({"dim": dim})
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=axis)


def np_cross_entropy(x, t, reduction="mean"):
    lp = np_log_softmax(x, 1)
    losses = -lp[np.arange(len(t)), t]
    return {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]


def matmul_samples(rng):
    r = rng.standard_normal
    return [Sample((r((3, 4)), r((4, 5))), name="2d"), Sample((r((2, 3, 4)), r((2, 4, 5))), name="batched"),
            Sample((r((2, 1, 3, 4)), r((5, 4, 2))), name="broadcast-batch"), Sample((r((4,)), r((4, 3))), name="vec-mat"),
            Sample((r((3, 4)), r((4,))), name="mat-vec"), Sample((r((4,)), r((4,))), name="dot"),
            Sample((r((2, 3, 4)), r((4,))), name="batched-vec"), Sample((r((1, 7)), r((7, 1))), name="k7"),
            Sample((r((0, 3)), r((3, 2))), name="empty-m")]


UNARY_ROWS = [
    ("neg", np.negative, {}), ("abs", np.abs, {"away_from_kinks": True}), ("exp", np.exp, {}),
    ("log", np.log, {"positive": True}), ("sqrt", np.sqrt, {"positive": True}), ("tanh", np.tanh, {}),
    ("sigmoid", lambda a: 1 / (1 + np.exp(-a)), {}), ("relu", lambda a: np.maximum(a, 0), {"away_from_kinks": True}),
    ("sin", np.sin, {}), ("cos", np.cos, {}), ("log1p", np.log1p, {"positive": True}), ("expm1", np.expm1, {}),
    ("rsqrt", lambda a: 1 / np.sqrt(a), {"positive": True}), ("reciprocal", lambda a: 1 / a, {"positive": True}),
    ("square", np.square, {}),
]

OPS = [OpInfo(n, getattr(fastdl, n), ref, unary_samples, **kw) for n, ref, kw in UNARY_ROWS]

OPS += [
    OpInfo("add", fastdl.add, np.add, binary_samples), OpInfo("sub", fastdl.sub, np.subtract, binary_samples),
    OpInfo("mul", fastdl.mul, np.multiply, binary_samples),
    OpInfo("div", fastdl.div, np.divide, lambda rng: [Sample((s.args[0], _pos(s.args[1]) if isinstance(s.args[1], np.ndarray) else s.args[1]), name=s.name) for s in binary_samples(rng)]),
    OpInfo("pow", fastdl.pow, np.power, lambda rng: [Sample((_pos(rng.standard_normal((3, 4))), rng.standard_normal((3, 4))), name="tt"),
                                                     Sample((_pos(rng.standard_normal((3, 4))), 2.5), name="ts"),
                                                     Sample((_pos(rng.standard_normal((3, 4))), 3), name="int-exp"),
                                                     Sample((_pos(rng.standard_normal((2, 3))), rng.standard_normal((3,))), name="broadcast")]),
    OpInfo("maximum", fastdl.maximum, np.maximum, lambda rng: [s for s in binary_samples(rng) if not isinstance(s.args[1], float)]),
    OpInfo("minimum", fastdl.minimum, np.minimum, lambda rng: [s for s in binary_samples(rng) if not isinstance(s.args[1], float)]),
    OpInfo("clamp", lambda x, **kw: fastdl.clamp(x, **kw), lambda x, min=None, max=None: np.clip(x, min, max),
           lambda rng: [Sample((rng.standard_normal((4, 5)),), {"min": -0.5, "max": 0.5}),
                        Sample((rng.standard_normal((4, 5)),), {"min": -0.3}), Sample((rng.standard_normal((6,)),), {"max": 0.1})],
           away_from_kinks=True),
    OpInfo("where", lambda c, a, b: fastdl.where(c > 0, a, b), lambda c, a, b: np.where(c > 0, a, b),
           lambda rng: [Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))),
                        Sample((rng.standard_normal((3, 1)), rng.standard_normal((1, 4)), rng.standard_normal((4,))), name="bcast")],
           torch_fn=lambda torch, c, a, b: torch.where(c > 0, a, b)),
    OpInfo("sum", fastdl.sum, np_reduce(np.sum), reduce_samples),
    OpInfo("mean", fastdl.mean, np_reduce(np.mean), reduce_samples),
    OpInfo("amax", fastdl.amax, np_reduce(np.max), reduce_samples),
    OpInfo("amin", fastdl.amin, np_reduce(np.min), reduce_samples),
    OpInfo("max_dim", lambda x, dim, keepdim=False: fastdl.max(x, dim, keepdim).values,
           lambda x, dim, keepdim=False: np.max(x, axis=dim, keepdims=keepdim),
           lambda rng: [s for s in reduce_samples(rng) if isinstance(s.kwargs.get("dim"), int)],
           torch_fn=lambda torch, x, dim, keepdim=False: torch.max(x, dim, keepdim).values),
    OpInfo("min_dim", lambda x, dim, keepdim=False: fastdl.min(x, dim, keepdim).values,
           lambda x, dim, keepdim=False: np.min(x, axis=dim, keepdims=keepdim),
           lambda rng: [s for s in reduce_samples(rng) if isinstance(s.kwargs.get("dim"), int)],
           torch_fn=lambda torch, x, dim, keepdim=False: torch.min(x, dim, keepdim).values),
    OpInfo("var", fastdl.var, lambda x, **kw: np.var(x, axis=_np_axis(kw), keepdims=kw.get("keepdim", False), ddof=1),
           lambda rng: [s for s in reduce_samples(rng) if s.name != "size1"]),
    OpInfo("std", fastdl.std, lambda x, **kw: np.std(x, axis=_np_axis(kw), keepdims=kw.get("keepdim", False), ddof=1),
           lambda rng: [s for s in reduce_samples(rng) if s.name != "size1"]),
    OpInfo("logsumexp", fastdl.logsumexp, np_logsumexp,
           lambda rng: [s for s in reduce_samples(rng) if "dim" in s.kwargs] + [Sample((rng.standard_normal((3, 4)) * 300,), {"dim": 1}, "large")]),
    OpInfo("softmax", fastdl.softmax, np_softmax,
           lambda rng: [Sample((rng.standard_normal((3, 4, 5)),), {"dim": d}, f"dim{d}") for d in (0, 1, 2, -1)]
           + [Sample((rng.standard_normal((2, 6)) * 500,), {"dim": 1}, "large")]),
    OpInfo("log_softmax", fastdl.log_softmax, np_log_softmax,
           lambda rng: [Sample((rng.standard_normal((3, 4, 5)),), {"dim": d}, f"dim{d}") for d in (0, 1, 2)]
           + [Sample((rng.standard_normal((2, 6)) * 500,), {"dim": 1}, "large")]),
    OpInfo("matmul", fastdl.matmul, np.matmul, matmul_samples, rtol32=1e-4, atol32=1e-4),
    OpInfo("cross_entropy", lambda x, t, **kw: fastdl.cross_entropy(x, t, **kw),
           lambda x, t, reduction="mean": np_cross_entropy(x, t, reduction),
           lambda rng: [Sample((rng.standard_normal((5, 4)), rng.integers(0, 4, 5)), {"reduction": r}, r)
                        for r in ("mean", "sum", "none")],
           torch_fn=lambda torch, x, t, **kw: torch.nn.functional.cross_entropy(x, t, **kw)),
    OpInfo("mse_loss", lambda a, b, **kw: fastdl.mse_loss(a, b, **kw),
           lambda a, b, reduction="mean": {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]((a - b) ** 2),
           lambda rng: [Sample((rng.standard_normal((4, 3)), rng.standard_normal((4, 3))), {"reduction": r}, r)
                        for r in ("mean", "sum", "none")],
           torch_fn=lambda torch, a, b, **kw: torch.nn.functional.mse_loss(a, b, **kw)),
    OpInfo("cat", lambda a, b: fastdl.cat([a, b], 1), lambda a, b: np.concatenate([a, b], 1),
           lambda rng: [Sample((rng.standard_normal((3, 2)), rng.standard_normal((3, 4))))],
           torch_fn=lambda torch, a, b: torch.cat([a, b], 1)),
    OpInfo("stack", lambda a, b: fastdl.stack([a, b], 1), lambda a, b: np.stack([a, b], 1),
           lambda rng: [Sample((rng.standard_normal((3, 2)), rng.standard_normal((3, 2))))],
           torch_fn=lambda torch, a, b: torch.stack([a, b], 1)),
    OpInfo("gather", lambda x, i: fastdl.gather(x, 1, i), lambda x, i: np.take_along_axis(x, i, 1),
           lambda rng: [Sample((rng.standard_normal((3, 5)), rng.integers(0, 5, (3, 4))))],
           torch_fn=lambda torch, x, i: torch.gather(x, 1, i)),
    OpInfo("getitem_basic", lambda x: x[1:, None, ::2], lambda x: x[1:, None, ::2],
           lambda rng: [Sample((rng.standard_normal((4, 5)),))], torch_fn=lambda torch, x: x[1:, None, ::2]),
    OpInfo("getitem_advanced", lambda x, i: x[1:, None, i], lambda x, i: x[1:, None, i],
           lambda rng: [Sample((rng.standard_normal((4, 5)), rng.integers(-5, 5, (2, 3))))],
           torch_fn=lambda torch, x, i: x[1:, None, i]),
    OpInfo("getitem_two_adv", lambda x, i, j: x[i, :, j], lambda x, i, j: x[i, :, j],
           lambda rng: [Sample((rng.standard_normal((4, 3, 5)), rng.integers(0, 4, (2,)), rng.integers(0, 5, (2,))))],
           torch_fn=lambda torch, x, i, j: x[i, :, j]),
    OpInfo("getitem_mask", lambda x, m: x[m > 0], lambda x, m: x[m > 0],
           lambda rng: [Sample((rng.standard_normal((4, 5)), rng.standard_normal((4, 5))))],
           torch_fn=lambda torch, x, m: x[m > 0]),
    OpInfo("reshape_transpose", lambda x: x.transpose(0, 1).reshape(-1, 2), lambda x: x.swapaxes(0, 1).reshape(-1, 2),
           lambda rng: [Sample((rng.standard_normal((4, 3)),))], torch_fn=lambda torch, x: x.transpose(0, 1).reshape(-1, 2)),
    OpInfo("permute_expand", lambda x: x.permute(1, 0).unsqueeze(0).expand(2, 3, 4),
           lambda x: np.broadcast_to(x.T[None], (2, 3, 4)), lambda rng: [Sample((rng.standard_normal((4, 3)),))],
           torch_fn=lambda torch, x: x.permute(1, 0).unsqueeze(0).expand(2, 3, 4)),
]

# ---- flip, cumsum / cumprod, tril / triu, pad, normalize (composed ops) ------------------

def flip_samples(rng):
    r = rng.standard_normal
    return [Sample((r((3, 4)), (0,)), name="dim0"), Sample((r((2, 3, 5)), (0, 2)), name="dims02"),
            Sample((r((2, 3, 5)), (-1, -2)), name="negative"), Sample((r((2, 3)), ()), name="no-dims"),
            Sample((np.asarray(r(())), ()), name="scalar"), Sample((r((0, 3)), (0, 1)), name="empty"),
            Sample((r((1, 7)), (0, 1)), name="size1")]


def scan_samples(rng):
    r = rng.standard_normal
    return [Sample((r((3, 4)), 1), name="dim1"), Sample((r((2, 3, 5)), 0), name="dim0"),
            Sample((r((2, 3, 5)), -1), name="dim-1"), Sample((r((37,)) * 0.5 + 1.0, 0), name="n37"),
            Sample((np.asarray(r(())), 0), name="scalar"), Sample((r((0, 3)), 0), name="empty"),
            Sample((r((1, 7)), 0), name="size1"), Sample((r((1, 7)), 1), name="size1-row")]


def np_scan(f):
    return lambda x, dim: f(x, axis=dim) if x.ndim else x.copy()


def cumprod_samples(rng):
    x = rng.standard_normal((3, 6))
    x[0, 2] = 0.0  # one zero, and two in a row: the gradient must not divide by them
    x[2, 1] = x[2, 4] = 0.0
    return scan_samples(rng) + [Sample((x, 1), name="zeros")]


def tri_samples(rng):
    r = rng.standard_normal
    return [Sample((r((4, 5)),), name="default"), Sample((r((4, 5)),), {"diagonal": 1}, "diag1"),
            Sample((r((5, 3)),), {"diagonal": -2}, "diag-2"), Sample((r((2, 3, 4)),), {}, "batched"),
            Sample((r((2, 2, 3, 3)),), {"diagonal": -1}, "batched4d"), Sample((r((3, 4)),), {"diagonal": 9}, "diag9"),
            Sample((r((3, 4)),), {"diagonal": -9}, "diag-9"), Sample((r((0, 3)),), {}, "empty"),
            Sample((r((1, 1)),), {}, "1x1")]


_NP_PAD_MODE = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def np_pad(x, pad, mode="constant", value=None):
    """F.pad on NumPy: torch's pad tuple starts at the last dim; negative amounts crop
    first (for circular, torch then wraps around what is left)."""
    width = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        width[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    x = x[tuple(slice(max(-lo, 0), x.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(width))]
    width = [(max(lo, 0), max(hi, 0)) for lo, hi in width]
    kw = {"constant_values": 0.0 if value is None else value} if mode == "constant" else {}
    return np.pad(x, width, mode=_NP_PAD_MODE[mode], **kw)


def pad_samples(mode):
    def samples(rng):
        r = rng.standard_normal
        out = [Sample((r((2, 5)), (2, 3)), name="2d-last"), Sample((r((2, 3, 4)), (1, 2, 2, 1)), name="3d-last2"),
               Sample((r((2, 3, 4, 5)), (2, 0, 1, 3)), name="4d-last2"),
               Sample((r((2, 2, 3, 4, 5)), (1, 1, 2, 1, 1, 2)), name="5d-last3"),
               Sample((r((1, 3, 3, 4)), (0, 0, 0, 0, 1, 2)), name="4d-last3"),
               Sample((r((0, 2, 5)), (1, 2)), name="empty-batch")]
        if mode == "constant":
            out += [Sample((r((3, 4)), (1, 1, 1, 1)), {"value": 0.5}, "all-dims-value"),
                    Sample((r((2, 3, 4)), (1, 0, 0, 1, 2, 0)), name="3d-all"), Sample((r((6,)), (3, 1)), name="1d"),
                    Sample((r((2, 5)), (-1, 2)), name="crop-left"), Sample((r((3, 4)), (-1, -1, 1, -2)), name="crops"),
                    Sample((r((2, 3)), (-3, 0)), name="crop-all"), Sample((r((0, 3)), (1, 1, 2, 0)), name="empty"),
                    Sample((r((1, 1)), (0, 2, 1, 0)), name="size1")]
        elif mode in ("replicate", "circular"):
            out += [Sample((r((2, 1)), (1, 1)), name="size1"), Sample((r((3, 2, 4)), (4 if mode == "circular" else 6, 1)),
                                                                     name="wide")]
        return out
    return samples


def normalize_samples(rng):
    r = rng.standard_normal
    return [Sample((r((3, 4)),), name="default"), Sample((r((2, 3, 5)),), {"p": 1, "dim": -1}, "p1"),
            Sample((r((4, 3)),), {"p": 3, "dim": 0}, "p3-dim0"), Sample((r((3, 4)),), {"p": float("inf")}, "pinf"),
            Sample((r((2, 3, 4)),), {"dim": (1, 2)}, "dims12"), Sample((r((5,)),), {"dim": 0}, "1d"),
            Sample((r((4, 3)) * 0.1,), {"eps": 1.0}, "below-eps"), Sample((r((0, 3)),), {}, "empty"),
            Sample((r((2, 1)),), {}, "size1")]


def np_normalize(x, p=2.0, dim=1, eps=1e-12):
    axis = tuple(dim) if isinstance(dim, (tuple, list)) else dim
    a = np.abs(x)
    n = a.max(axis=axis, keepdims=True) if p == np.inf else (a ** p).sum(axis=axis, keepdims=True) ** (1.0 / p)
    return x / np.maximum(n, eps)


OPS += [
    OpInfo("flip", fastdl.flip, lambda x, dims: np.flip(x, dims).copy(), flip_samples),
    OpInfo("cumsum", fastdl.cumsum, np_scan(np.cumsum), scan_samples),
    OpInfo("cumprod", fastdl.cumprod, np_scan(np.cumprod), cumprod_samples, rtol32=1e-4, atol32=1e-5),
    OpInfo("tril", fastdl.tril, lambda x, diagonal=0: np.tril(x, diagonal), tri_samples),
    OpInfo("triu", fastdl.triu, lambda x, diagonal=0: np.triu(x, diagonal), tri_samples),
    OpInfo("normalize", F.normalize, np_normalize, normalize_samples,
           torch_fn=lambda torch, x, **kw: torch.nn.functional.normalize(x, **kw)),
]
OPS += [OpInfo(f"pad_{mode}", lambda x, pad, mode=mode, **kw: F.pad(x, pad, mode, **kw),
               lambda x, pad, mode=mode, **kw: np_pad(x, pad, mode, **kw), pad_samples(mode),
               torch_fn=lambda torch, x, pad, mode=mode, **kw: torch.nn.functional.pad(x, pad, mode, **kw))
        for mode in ("constant", "reflect", "replicate", "circular")]

# ---- activations of nn.functional composed from elementwise ops ------------------------

def _away(a, kinks):
    """a with every value within 0.05 of a kink moved 0.1 further off it (the gradient
    jumps there; a central difference straddling it would disagree with either side)."""
    for k in kinks:
        near = np.abs(a - k) < 0.05
        a = np.where(near, a + np.where(a >= k, 0.1, -0.1), a)
    return np.asarray(a)


def activation_samples(kinks=(), wide=1.0, extra=()):
    """unary_samples (scaled by wide) kept off the kinks, plus (kwargs, kinks) variants."""
    def samples(rng):
        out = [Sample((_away(s.args[0] * wide, kinks),), name=s.name) for s in unary_samples(rng)]
        for i, (kw, kw_kinks) in enumerate(extra):
            out.append(Sample((_away(rng.standard_normal((4, 5)) * wide, kw_kinks),), kw, f"kw{i}"))
        return out
    return samples


_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _np_celu(a, alpha=1.0):
    return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0) / alpha))


ACTIVATION_ROWS = [
    ("hardtanh", lambda a, min_val=-1.0, max_val=1.0: np.clip(a, min_val, max_val),
     activation_samples((-1, 1), 1.5, [({"min_val": -0.5, "max_val": 2.0}, (-0.5, 2.0))])),
    ("relu6", lambda a: np.clip(a, 0, 6), activation_samples((0, 6), 4.0)),
    ("hardsigmoid", lambda a: np.clip(a / 6 + 0.5, 0, 1), activation_samples((-3, 3), 3.0)),
    ("hardswish", lambda a: a * np.clip(a + 3, 0, 6) / 6, activation_samples((-3, 3), 3.0)),
    ("mish", lambda a: a * np.tanh(np.log1p(np.exp(a))), activation_samples((), 3.0)),
    ("selu", lambda a: _SELU_SCALE * np.where(a > 0, a, _SELU_ALPHA * np.expm1(np.minimum(a, 0))),
     activation_samples((0,), 2.0)),
    ("celu", _np_celu, activation_samples((0,), 2.0, [({"alpha": 2.0}, (0,)), ({"alpha": 0.5}, (0,))])),
    ("logsigmoid", lambda a: np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a))), activation_samples((), 5.0)),
    ("softsign", lambda a: a / (1 + np.abs(a)), activation_samples((), 2.0)),
    ("tanhshrink", lambda a: a - np.tanh(a), activation_samples()),
    ("softshrink", lambda a, lambd=0.5: np.where(a > lambd, a - lambd, np.where(a < -lambd, a + lambd, 0.0)),
     activation_samples((-0.5, 0.5), 1.0, [({"lambd": 1.2}, (-1.2, 1.2)), ({"lambd": 0.0}, (0,))])),
    ("hardshrink", lambda a, lambd=0.5: np.where(np.abs(a) > lambd, a, 0.0),
     activation_samples((-0.5, 0.5), 1.0, [({"lambd": 1.2}, (-1.2, 1.2))])),
    ("threshold", lambda a, threshold=0.1, value=-2.0: np.where(a > threshold, a, value),
     lambda rng: [Sample(s.args, {"threshold": 0.1, "value": -2.0}, s.name)
                  for s in activation_samples((0.1,))(rng)]),
]


# torch's hardsigmoid backward multiplies by the float32 constant 1.0f / 6.0f even in
# float64 (3e-8 off 1/6); parity runs against the same function spelled relu6(x + 3) / 6,
# whose gradient is exactly 1/6 (test_activations_extra compares with torch's own at 1e-7)
_TORCH_SPELLING = {"hardsigmoid": lambda torch, x: torch.nn.functional.relu6(x + 3) / 6}


def _activation_row(name, ref, samples):
    fn = getattr(F, name)
    return OpInfo(f"F.{name}", lambda x, **kw: fn(x, **kw), ref, samples,
                  torch_fn=_TORCH_SPELLING.get(name,
                                               lambda torch, x, **kw: getattr(torch.nn.functional, name)(x, **kw)))


OPS += [_activation_row(*row) for row in ACTIVATION_ROWS]

OPS_BY_NAME = {op.name: op for op in OPS}


# ---- elementwise_extra / indexing_extra ---------------------------------------------------

def _no_float_scalar(rng):
    return [s for s in binary_samples(rng) if not isinstance(s.args[1], float)]


def _np_diag_embed(x, offset=0):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n))
    i = np.arange(x.shape[-1])
    out[..., i + max(0, -offset), i + max(0, offset)] = x
    return out


def _np_scatter(x, s, i):
    out = x.copy()
    np.put_along_axis(out, i, s[tuple(slice(0, k) for k in i.shape)], axis=0)
    return out


def _np_index_fill(x, i):
    out = x.copy()
    out[:, i] = -2.0
    return out


def _perm_index(rng, n, k, cols):
    return np.stack([rng.permutation(n)[:k] for _ in range(cols)], axis=1).astype(np.int64)


EXTRA_UNARY_ROWS = [
    ("sinh", np.sinh, {}), ("cosh", np.cosh, {}), ("asinh", np.arcsinh, {}),
    ("trunc", np.trunc, {"away_from_kinks": True}), ("frac", lambda a: a - np.trunc(a), {"away_from_kinks": True}),
    ("deg2rad", np.deg2rad, {}), ("rad2deg", np.rad2deg, {}),
    ("nan_to_num", np.nan_to_num, {}),
]

OPS += [OpInfo(n, getattr(fastdl, n), ref, unary_samples, **kw) for n, ref, kw in EXTRA_UNARY_ROWS]

OPS += [
    OpInfo("acosh", fastdl.acosh, np.arccosh,
           lambda rng: [Sample((np.asarray(np.abs(s.args[0]) + 1.1),), name=s.name) for s in unary_samples(rng)]),
    OpInfo("atanh", fastdl.atanh, np.arctanh,
           lambda rng: [Sample((np.asarray(np.tanh(s.args[0]) * 0.9),), name=s.name) for s in unary_samples(rng)]),
    OpInfo("logit", fastdl.logit, lambda a, eps=None: np.log(np.clip(a, eps, 1 - eps) / (1 - np.clip(a, eps, 1 - eps)))
           if eps is not None else np.log(a / (1 - a)),
           lambda rng: [Sample((np.asarray(1 / (1 + np.exp(-s.args[0]))),), name=s.name) for s in unary_samples(rng)]
           + [Sample((np.array([0.01, 0.02, 0.3, 0.5, 0.97, 0.99]),), {"eps": 0.05}, "eps")]),
    OpInfo("fmod", fastdl.fmod, np.fmod,
           lambda rng: [Sample((s.args[0] * 3, _kink(s.args[1]) if isinstance(s.args[1], np.ndarray) else s.args[1]),
                               name=s.name) for s in binary_samples(rng)]),
    OpInfo("hypot", fastdl.hypot, np.hypot, _no_float_scalar),
    OpInfo("logaddexp", fastdl.logaddexp, np.logaddexp,
           lambda rng: _no_float_scalar(rng) + [Sample((rng.standard_normal((3, 4)) * 300, rng.standard_normal((3, 4)) * 300), name="large")]),
    OpInfo("logaddexp2", fastdl.logaddexp2, np.logaddexp2, _no_float_scalar),
    OpInfo("xlogy", fastdl.xlogy, lambda x, y: np.where(x == 0, 0.0, x * np.log(y)),
           lambda rng: [Sample((s.args[0], _pos(s.args[1]) if isinstance(s.args[1], np.ndarray) else s.args[1]), name=s.name)
                        for s in binary_samples(rng)]
           + [Sample((np.array([0.0, 1.5, 0.0, -2.0]), np.array([0.5, 2.0, 3.0, 0.25])), name="zeros")]),
    OpInfo("addcmul", fastdl.addcmul, lambda a, b, c, value=1: a + value * b * c,
           lambda rng: [Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))),
                        Sample((rng.standard_normal((3, 1)), rng.standard_normal((1, 4)), rng.standard_normal((4,))),
                               {"value": 0.5}, "bcast-value")]),
    OpInfo("addcdiv", fastdl.addcdiv, lambda a, b, c, value=1: a + value * b / c,
           lambda rng: [Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), _pos(rng.standard_normal((3, 4))))),
                        Sample((rng.standard_normal((3, 1)), rng.standard_normal((1, 4)), _pos(rng.standard_normal((4,)))),
                               {"value": -2.0}, "bcast-value")]),
    OpInfo("diagonal", fastdl.diagonal,
           lambda x, offset=0, dim1=0, dim2=1: np.diagonal(x, offset, dim1, dim2),
           lambda rng: [Sample((rng.standard_normal((3, 4)),), name="2d"),
                        Sample((rng.standard_normal((3, 4)),), {"offset": 1}, "offset1"),
                        Sample((rng.standard_normal((4, 3)),), {"offset": -2}, "offset-2"),
                        Sample((rng.standard_normal((2, 3, 4)),), {"offset": 1, "dim1": 2, "dim2": 0}, "3d"),
                        Sample((rng.standard_normal((3, 4)),), {"offset": 5}, "empty")]),
    OpInfo("trace", fastdl.trace, np.trace,
           lambda rng: [Sample((rng.standard_normal((3, 4)),), name="3x4"), Sample((rng.standard_normal((4, 4)),), name="4x4")]),
    OpInfo("diag", fastdl.diag, lambda x, diagonal=0: np.diag(x, diagonal),
           lambda rng: [Sample((rng.standard_normal((4,)),), name="1d"), Sample((rng.standard_normal((3,)),), {"diagonal": -2}, "1d-k"),
                        Sample((rng.standard_normal((3, 4)),), name="2d"), Sample((rng.standard_normal((3, 4)),), {"diagonal": 2}, "2d-k")]),
    OpInfo("diag_embed", fastdl.diag_embed, _np_diag_embed,
           lambda rng: [Sample((rng.standard_normal((2, 3)),), name="2x3"), Sample((rng.standard_normal((4,)),), {"offset": 1}, "off1"),
                        Sample((rng.standard_normal((2, 3)),), {"offset": -2}, "off-2")]),
    OpInfo("diff", fastdl.diff, lambda x, n=1, dim=-1: np.diff(x, n, dim),
           lambda rng: [Sample((rng.standard_normal((3, 5)),), name="last"), Sample((rng.standard_normal((4, 3)),), {"n": 2, "dim": 0}, "n2-dim0"),
                        Sample((rng.standard_normal((2, 3, 4)),), {"n": 3, "dim": 1}, "n-exceeds")]),
    OpInfo("diff_prepend_append", lambda x, p, a: fastdl.diff(x, dim=1, prepend=p, append=a),
           lambda x, p, a: np.diff(x, axis=1, prepend=p, append=a),
           lambda rng: [Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 2)), rng.standard_normal((3, 1))))],
           torch_fn=lambda torch, x, p, a: torch.diff(x, dim=1, prepend=p, append=a)),
    OpInfo("take_along_dim", lambda x, i: fastdl.take_along_dim(x, i, 1), lambda x, i: np.take_along_axis(x, i, 1),
           lambda rng: [Sample((rng.standard_normal((3, 5)), rng.integers(0, 5, (3, 4))), name="same"),
                        Sample((rng.standard_normal((3, 5)), rng.integers(0, 5, (1, 2))), name="bcast")],
           torch_fn=lambda torch, x, i: torch.take_along_dim(x, i, 1)),
    OpInfo("take_along_dim_flat", lambda x, i: fastdl.take_along_dim(x, i), lambda x, i: np.take(x.reshape(-1), i),
           lambda rng: [Sample((rng.standard_normal((3, 5)), rng.integers(0, 15, (7,))))],
           torch_fn=lambda torch, x, i: torch.take_along_dim(x, i)),
    OpInfo("scatter", lambda x, s, i: fastdl.scatter(x, 0, i, s), _np_scatter,
           lambda rng: [Sample((rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), _perm_index(rng, 4, 2, 3)), name="same")],
           torch_fn=lambda torch, x, s, i: torch.scatter(x, 0, i, s)),
    OpInfo("index_fill", lambda x, i: fastdl.index_fill(x, 1, i, -2.0), _np_index_fill,
           lambda rng: [Sample((rng.standard_normal((3, 5)), np.array([0, 3])), name="2d"),
                        Sample((rng.standard_normal((2, 4, 3)), np.array([1])), name="3d")],
           torch_fn=lambda torch, x, i: torch.index_fill(x, 1, i, -2.0)),
]

OPS_BY_NAME = {op.name: op for op in OPS}


# ---- special functions (ops/elementwise.py table rows, ops/special_ops.py, fastdl.special) ----------
# References in float64 from Python's math module and, where it has none, mpmath (a torch
# dependency; the rows that need it are left out without it).
import math  # noqa: E402

import fastdl.special  # noqa: E402,F401

try:
    import mpmath
except ImportError:  # pragma: no cover
    mpmath = None


def _vec(f):
    return lambda a: np.vectorize(lambda v: float(f(float(v))), otypes=[np.float64])(a)


def _mp(name, *pre):
    """mpmath's function `name` (or a callable) at 40 digits, the input taken exactly."""
    def f(v):
        with mpmath.workdps(40):
            return (name if callable(name) else getattr(mpmath, name))(*pre, mpmath.mpf(v))
    return _vec(f)


def _mapped(f, extra=()):
    """unary_samples with their values mapped by f, plus the extra samples."""
    return lambda rng: [Sample((np.asarray(f(s.args[0])),), name=s.name) for s in unary_samples(rng)] + list(extra)


def _off_poles(a):
    """Negative values at least 0.15 from the integers (poles of lgamma, digamma, polygamma)."""
    return -np.abs(a) * 3 - 0.15 - 0.7 * (np.abs(a) % 1)


_SPECIAL_NEG = Sample((np.array([-0.5, -1.3, -2.6, -3.4, -0.85, -4.2]),), name="negative")


def _np_mvlgamma(x, p):
    return sum(_vec(math.lgamma)(x - i / 2) for i in range(p)) + p * (p - 1) / 4 * math.log(math.pi)


def _np_ndtr(x):
    return 0.5 * _vec(math.erfc)(-x / math.sqrt(2))


def _np_log_ndtr(x):
    return _vec(lambda v: math.log(0.5 * math.erfc(-v / math.sqrt(2))))(x)


def _np_entr(x):
    return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), np.where(x == 0, 0.0, -np.inf))


OPS += [
    OpInfo("erf", fastdl.erf, _vec(math.erf), _mapped(lambda a: a * 1.5)),
    OpInfo("erfc", fastdl.erfc, _vec(math.erfc), _mapped(lambda a: a * 1.5)),
    OpInfo("lgamma", fastdl.lgamma, _vec(math.lgamma), _mapped(lambda a: np.abs(a) * 4 + 0.05, [_SPECIAL_NEG])),
    OpInfo("sinc", fastdl.sinc, lambda a: np.sinc(a), _mapped(lambda a: a * 2,
           [Sample((np.array([0.0, 0.5, -1.5, 2.25, 0.01]),), name="zero")])),  # (tiny x: test_special.py)
    OpInfo("mvlgamma", lambda x, p: fastdl.mvlgamma(x, p), _np_mvlgamma,
           lambda rng: [Sample((np.asarray(np.abs(s.args[0]) * 3 + 1.05),), {"p": 3}, s.name)
                        for s in unary_samples(rng)]
           + [Sample((np.abs(rng.standard_normal((3, 2))) + 0.1,), {"p": 1}, "p1")],
           torch_fn=lambda torch, x, p: torch.mvlgamma(x, p)),
    OpInfo("xlog1py", fastdl.xlog1py, lambda x, y: np.where(x == 0, 0.0, x * np.log1p(y)),
           lambda rng: [Sample((s.args[0], _pos(s.args[1]) - 0.9 if isinstance(s.args[1], np.ndarray) else s.args[1]),
                               name=s.name) for s in binary_samples(rng)]
           + [Sample((np.array([0.0, 1.5, 0.0, -2.0]), np.array([-0.5, 2.0, 3.0, 0.25])), name="zeros")],
           torch_fn=lambda torch, x, y: torch.special.xlog1py(x, y)),
    OpInfo("special.ndtr", fastdl.special.ndtr, _np_ndtr, _mapped(lambda a: a * 3),
           torch_fn=lambda torch, x: torch.special.ndtr(x)),
    OpInfo("special.log_ndtr", fastdl.special.log_ndtr, _np_log_ndtr,
           _mapped(lambda a: a * 4, [Sample((np.array([-9.0, -11.0, -19.0, -21.0, -30.0, 3.0, 8.0]),), name="tails")]),
           torch_fn=lambda torch, x: torch.special.log_ndtr(x)),
    OpInfo("special.entr", fastdl.special.entr, _np_entr, _mapped(lambda a: np.abs(a) + 0.1),
           torch_fn=lambda torch, x: torch.special.entr(x)),
    OpInfo("special.exp2", fastdl.special.exp2, np.exp2, unary_samples,
           torch_fn=lambda torch, x: torch.special.exp2(x)),
]

if mpmath is not None:
    OPS += [
        OpInfo("erfinv", fastdl.erfinv, _mp("erfinv"), _mapped(lambda a: np.tanh(a) * 0.95,
               [Sample((np.array([0.999, -0.9999, 0.5, -0.5, 0.49, 1e-7]),), name="tails")])),
        OpInfo("digamma", fastdl.digamma, _mp("digamma"), _mapped(lambda a: np.abs(a) * 4 + 0.05, [_SPECIAL_NEG])),
        OpInfo("i0", fastdl.i0, _vec(lambda v: mpmath.besseli(0, v)),
               _mapped(lambda a: a * 3, [Sample((np.array([-45.0, 29.5, 30.5, 60.0, 0.0]),), name="large")])),
        OpInfo("special.i1", fastdl.special.i1, _vec(lambda v: mpmath.besseli(1, v)),
               _mapped(lambda a: a * 3, [Sample((np.array([-45.0, 29.5, 30.5, 60.0, 0.0]),), name="large")]),
               torch_fn=lambda torch, x: torch.special.i1(x)),
        OpInfo("special.ndtri", fastdl.special.ndtri,
               _mp(lambda p: mpmath.sqrt(2) * mpmath.erfinv(2 * p - 1)),
               _mapped(lambda a: 1 / (1 + np.exp(-2 * a)),
                       [Sample((np.array([2.0 ** -10, 2.0 ** -7, 0.02, 0.5, 0.98, 1 - 2.0 ** -10]),), name="tails")]),
               torch_fn=lambda torch, x: torch.special.ndtri(x)),
    ]
    # torch's polygamma(1, x) (its trigamma) is good to ~1e-10 only: parity for n = 1 is
    # with zeta(2, x), which is the same function, accurate, and differentiable in x
    for _n in (1, 2, 3):
        OPS.append(OpInfo(f"polygamma_n{_n}", (lambda n: lambda x: fastdl.polygamma(n, x))(_n), _mp("polygamma", _n),
                          _mapped(lambda a: np.abs(a) * 4 + 0.05, [_SPECIAL_NEG]),
                          torch_fn=(lambda n: lambda torch, x: torch.polygamma(n, x) if n > 1
                                    else torch.special.zeta(torch.tensor(2.0, dtype=x.dtype), x))(_n)))

# ---- factorizations and solves (ops/linalg_factor.py; edge cases in test_linalg_factor.py) ----
def _wc(rng, shape):  # well-conditioned: a dominant diagonal
    return rng.standard_normal(shape) + shape[-1] * np.eye(shape[-1])


def _sym(x):  # cholesky / eigh read one triangle: differentiate through a symmetric input
    return (x + x.swapaxes(-1, -2)) * 0.5


def square_samples(rng):
    return [Sample((_wc(rng, (4, 4)),), name="4x4"), Sample((_wc(rng, (2, 3, 3)),), name="batch"),
            Sample((_wc(rng, (1, 1)),), name="1x1")]


def spd_samples(rng):
    return [Sample((_wc(rng, (4, 4)) + _wc(rng, (4, 4)).T,), name="4x4"),
            Sample((np.stack([_wc(rng, (3, 3)) + _wc(rng, (3, 3)).T for _ in range(2)]),), name="batch")]


def solve_samples(rng):
    return [Sample((_wc(rng, (4, 4)), rng.standard_normal((4, 2))), name="matrix"),
            Sample((_wc(rng, (2, 1, 3, 3)), rng.standard_normal((3, 3, 1))), name="broadcast"),
            Sample((_wc(rng, (3, 3)), rng.standard_normal((3,))), name="vector")]


def _np_tri(x, b, upper):
    return np.linalg.solve(np.triu(x) if upper else np.tril(x), b)


OPS += [
    OpInfo("linalg_solve", fastdl.linalg.solve,
           lambda a, b: np.linalg.solve(a, b[..., None])[..., 0] if b.ndim == 1 else np.linalg.solve(a, b),
           solve_samples, torch_fn=lambda torch, a, b: torch.linalg.solve(a, b), rtol32=1e-4, atol32=1e-4),
    OpInfo("linalg_inv", fastdl.linalg.inv, np.linalg.inv, square_samples,
           torch_fn=lambda torch, a: torch.linalg.inv(a), rtol32=1e-4, atol32=1e-4),
    OpInfo("linalg_det", fastdl.linalg.det, np.linalg.det, square_samples,
           torch_fn=lambda torch, a: torch.linalg.det(a), rtol32=1e-4, atol32=1e-4),
    OpInfo("logdet", fastdl.logdet, lambda a: np.linalg.slogdet(a)[1], spd_samples, rtol32=1e-4, atol32=1e-4),
    OpInfo("linalg_cholesky", lambda a: fastdl.linalg.cholesky((a + a.mT) * 0.5),
           lambda a: np.linalg.cholesky(_sym(a)), spd_samples,
           torch_fn=lambda torch, a: torch.linalg.cholesky((a + a.mT) * 0.5), rtol32=1e-4, atol32=1e-4),
    OpInfo("linalg_solve_triangular", lambda a, b: fastdl.linalg.solve_triangular(a, b, upper=True),
           lambda a, b: _np_tri(a, b, True), lambda rng: solve_samples(rng)[:2],
           torch_fn=lambda torch, a, b: torch.linalg.solve_triangular(a, b, upper=True), rtol32=1e-4, atol32=1e-4),
    OpInfo("linalg_qr_r", lambda a: fastdl.linalg.qr(a).R, lambda a: np.linalg.qr(a)[1],
           lambda rng: [Sample((rng.standard_normal((5, 3)),), name="tall"),
                        Sample((rng.standard_normal((2, 3, 4)),), name="wide")],
           torch_fn=lambda torch, a: torch.linalg.qr(a).R, rtol32=1e-4, atol32=1e-4),
    OpInfo("linalg_eigvalsh", lambda a: fastdl.linalg.eigh((a + a.mT) * 0.5).eigenvalues,
           lambda a: np.linalg.eigvalsh(_sym(a)), spd_samples,
           torch_fn=lambda torch, a: torch.linalg.eigvalsh((a + a.mT) * 0.5), rtol32=1e-4, atol32=1e-4),
]


# ---- elementwise_more (ops/elementwise_more.py): trig kernels, binary and misc ops ----
def _mapped_unary(f):
    return lambda rng: [Sample((np.asarray(f(s.args[0])),), name=s.name) for s in unary_samples(rng)]


def _tensor_binary(rng):  # the binary samples whose second operand is a tensor (torch.fmax & co. need one)
    return [s for s in binary_samples(rng) if isinstance(s.args[1], np.ndarray)]


OPS += [
    OpInfo("tan", fastdl.tan, np.tan, _mapped_unary(lambda a: np.tanh(a) * 1.2)),
    OpInfo("asin", fastdl.asin, np.arcsin, _mapped_unary(lambda a: np.tanh(a) * 0.9)),
    OpInfo("acos", fastdl.acos, np.arccos, _mapped_unary(lambda a: np.tanh(a) * 0.9)),
    OpInfo("atan", fastdl.atan, np.arctan, unary_samples),
    OpInfo("exp2", fastdl.exp2, np.exp2, unary_samples),
    OpInfo("sgn", fastdl.sgn, np.sign, unary_samples, grad=False),  # torch's zero gradient is a ZeroTensor
    # torch.atan2's other is a Tensor: the scalar sample goes in as a 0-d float64 tensor, as torch_fn does
    OpInfo("atan2", lambda a, b: fastdl.atan2(a, b if isinstance(b, fastdl.Tensor) else fastdl.tensor(b, dtype=fastdl.float64)),
           np.arctan2, binary_samples,
           torch_fn=lambda torch, a, b: torch.atan2(a, torch.as_tensor(b, dtype=torch.float64))),
    OpInfo("copysign", fastdl.copysign, np.copysign, binary_samples, away_from_kinks=True),
    OpInfo("fmax", fastdl.fmax, np.fmax, _tensor_binary),
    OpInfo("fmin", fastdl.fmin, np.fmin, _tensor_binary),
    OpInfo("float_power", fastdl.float_power, np.power,
           lambda rng: [Sample((_pos(rng.standard_normal((3, 4))), rng.standard_normal((3, 4))), name="tt"),
                        Sample((_pos(rng.standard_normal((2, 3))), 2.5), name="ts"),
                        Sample((_pos(rng.standard_normal((2, 3))), rng.standard_normal((3,))), name="broadcast")]),
    # torch.ldexp's own backward gives 0 for a negative exponent (it uses the integer 2**e): compare with x * 2.0**e
    OpInfo("ldexp", fastdl.ldexp, lambda x, e: x * 2.0 ** e, torch_fn=lambda torch, x, e: x * torch.pow(2.0, e),
           samples=lambda rng: [Sample((rng.standard_normal((3, 4)), rng.integers(-4, 5, (3, 4))), name="same"),
                                Sample((rng.standard_normal((2, 3)), rng.integers(-4, 5, (3,))), name="broadcast")]),
    OpInfo("clamp_min", fastdl.clamp_min, np.maximum,
           lambda rng: [Sample((rng.standard_normal((3, 4)), 0.1), name="scalar"),
                        Sample((rng.standard_normal((3, 4)), rng.standard_normal((4,))), name="tensor")]),
    OpInfo("clamp_max", fastdl.clamp_max, np.minimum,
           lambda rng: [Sample((rng.standard_normal((3, 4)), 0.1), name="scalar"),
                        Sample((rng.standard_normal((3, 4)), rng.standard_normal((4,))), name="tensor")]),
    OpInfo("frexp_mantissa", lambda x: fastdl.frexp(x).mantissa, lambda x: np.frexp(x)[0],
           _mapped_unary(lambda a: a * 5.0), torch_fn=lambda torch, x: torch.frexp(x).mantissa),
]

OPS_BY_NAME = {op.name: op for op in OPS}

# ---- shape_more / scatter_more (ops/shape_more.py, ops/scatter_more.py; the rest in test_shape_more.py) ----

def _np_scatter_reduce(x, dim, idx, src, reduce, include_self=True):
    groups = {}
    for pos in np.ndindex(idx.shape):
        tgt = list(pos)
        tgt[dim] = idx[pos]
        groups.setdefault(tuple(tgt), []).append(src[pos])
    out = x.copy()
    fn = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max, "amin": np.min}[reduce]
    for t, vs in groups.items():
        out[t] = fn(([x[t]] if include_self else []) + vs)
    return out


def _np_index_reduce(x, dim, idx, src, reduce, include_self=True):
    full = np.broadcast_to(np.expand_dims(idx, [i for i in range(src.ndim) if i != dim]), src.shape)
    return _np_scatter_reduce(x, dim, np.ascontiguousarray(full), src, reduce, include_self)


def _np_index_copy(x, dim, idx, src):
    out = np.moveaxis(x.copy(), dim, 0)
    out[idx] = np.moveaxis(src, dim, 0)
    return np.moveaxis(out, 0, dim)


def _np_index_add(x, dim, idx, src, alpha=1):
    out = np.moveaxis(x.copy(), dim, 0)
    np.add.at(out, idx, np.moveaxis(src, dim, 0) * alpha)
    return np.moveaxis(out, 0, dim)


def _np_put(x, idx, src, accumulate=False):
    out = x.copy().reshape(-1)
    if accumulate:
        np.add.at(out, idx.reshape(-1), src.reshape(-1))
    else:
        out[idx.reshape(-1)] = src.reshape(-1)
    return out.reshape(x.shape)


def _np_masked_scatter(x, m, s):
    out = x.copy()
    out[m] = s.reshape(-1)[:int(m.sum())]
    return out


def _np_unfold(x, dim, size, step):
    n = (x.shape[dim] - size) // step + 1
    w = [np.take(x, np.arange(i * step, i * step + size), axis=dim) for i in range(n)]
    return np.moveaxis(np.stack(w, axis=dim), dim + 1, -1)


def _np_block_diag(*ms):
    ms = [np.atleast_2d(m) for m in ms]
    out = np.zeros((sum(m.shape[0] for m in ms), sum(m.shape[1] for m in ms)))
    r = c = 0
    for m in ms:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _sr_samples(rng):
    x = rng.standard_normal((3, 4))
    src = rng.standard_normal((2, 4))
    src[0, 1] = 0.0  # a zero for prod's gradient
    return [Sample((x, src, np.array([[0, 2, 0, 1], [2, 2, 0, 1]])), name="dups"),
            Sample((x, src, np.array([[1, 1, 1, 1], [1, 1, 1, 1]])), name="one-row")]


def _srow(red, inc):
    return OpInfo(f"scatter_reduce_{red}{'' if inc else '_noself'}",
                  lambda x, s, i: fastdl.scatter_reduce(x, 0, i, s, red, include_self=inc),
                  lambda x, s, i: _np_scatter_reduce(x, 0, i, s, red, inc), _sr_samples,
                  torch_fn=lambda torch, x, s, i: torch.scatter_reduce(x, 0, i, s, red, include_self=inc))


def _irow(red, inc):
    return OpInfo(f"index_reduce_{red}{'' if inc else '_noself'}",
                  lambda x, s, i: fastdl.index_reduce(x, 1, i, s, red, include_self=inc),
                  lambda x, s, i: _np_index_reduce(x, 1, i, s, red, inc),
                  lambda rng: [Sample((rng.standard_normal((2, 4)), rng.standard_normal((2, 3)), np.array([3, 0, 3])))],
                  torch_fn=lambda torch, x, s, i: torch.index_reduce(x, 1, i, s, red, include_self=inc))


def _x(rng, *shape):
    return rng.standard_normal(shape)


OPS += [
    OpInfo("roll", fastdl.roll, lambda x, shifts, dims=None: np.roll(x, shifts, dims),
           lambda rng: [Sample((_x(rng, 3, 4), 1), name="flat"), Sample((_x(rng, 3, 4), (1, -5), (0, 1)), name="dims"),
                        Sample((_x(rng, 2, 3, 4), 2, 2), name="3d")]),
    OpInfo("tile", fastdl.tile, lambda x, d: np.tile(x, d),
           lambda rng: [Sample((_x(rng, 2, 3), (2,)), name="short"), Sample((_x(rng, 2, 3), (2, 1, 2)), name="long")]),
    OpInfo("repeat_interleave", fastdl.repeat_interleave,
           lambda x, r, dim=None: np.repeat(x, r, axis=dim),
           lambda rng: [Sample((_x(rng, 2, 3), 2), name="flat"), Sample((_x(rng, 2, 3), 3), {"dim": 1}, "dim1"),
                        Sample((_x(rng, 2, 3), np.array([1, 0, 3])), {"dim": 1}, "tensor")]),
    OpInfo("broadcast_to", fastdl.broadcast_to, lambda x, s: np.broadcast_to(x, s),
           lambda rng: [Sample((_x(rng, 3, 1), (2, 3, 4)), name="3x1")]),
    OpInfo("hstack", lambda a, b: fastdl.hstack([a, b]), lambda a, b: np.hstack([a, b]),
           lambda rng: [Sample((_x(rng, 3), _x(rng, 2)), name="1d"), Sample((_x(rng, 2, 3), _x(rng, 2, 1)), name="2d")],
           torch_fn=lambda torch, a, b: torch.hstack([a, b])),
    OpInfo("vstack", lambda a, b: fastdl.vstack([a, b]), lambda a, b: np.vstack([a, b]),
           lambda rng: [Sample((_x(rng, 3), _x(rng, 3)), name="1d"), Sample((_x(rng, 2, 3), _x(rng, 1, 3)), name="2d")],
           torch_fn=lambda torch, a, b: torch.vstack([a, b])),
    OpInfo("dstack", lambda a, b: fastdl.dstack([a, b]), lambda a, b: np.dstack([a, b]),
           lambda rng: [Sample((_x(rng, 3), _x(rng, 3)), name="1d"), Sample((_x(rng, 2, 3), _x(rng, 2, 3, 2)), name="2d-3d")],
           torch_fn=lambda torch, a, b: torch.dstack([a, b])),
    OpInfo("column_stack", lambda a, b: fastdl.column_stack([a, b]), lambda a, b: np.column_stack([a, b]),
           lambda rng: [Sample((_x(rng, 3), _x(rng, 3, 2)), name="1d-2d")],
           torch_fn=lambda torch, a, b: torch.column_stack([a, b])),
    OpInfo("ravel", fastdl.ravel, np.ravel, lambda rng: [Sample((_x(rng, 2, 3, 4),))]),
    OpInfo("select", fastdl.select, lambda x, d, i: np.take(x, i, axis=d),
           lambda rng: [Sample((_x(rng, 2, 3, 4), 1, -1), name="neg"), Sample((_x(rng, 3, 4), 0, 2), name="row")]),
    OpInfo("narrow_copy", fastdl.narrow_copy, lambda x, d, s, n: np.take(x, np.arange(s, s + n), axis=d),
           lambda rng: [Sample((_x(rng, 3, 5), 1, 1, 3))]),
    OpInfo("fliplr", fastdl.fliplr, np.fliplr, lambda rng: [Sample((_x(rng, 3, 4),)), Sample((_x(rng, 2, 3, 2),), name="3d")]),
    OpInfo("flipud", fastdl.flipud, np.flipud, lambda rng: [Sample((_x(rng, 3, 4),)), Sample((_x(rng, 5),), name="1d")]),
    OpInfo("rot90", fastdl.rot90, lambda x, k=1, dims=(0, 1): np.rot90(x, k, dims),
           lambda rng: [Sample((_x(rng, 3, 4),), name="k1"), Sample((_x(rng, 3, 4), 2), name="k2"),
                        Sample((_x(rng, 2, 3, 4), -1, [2, 0]), name="k-1-dims")]),
    OpInfo("msort", fastdl.msort, lambda x: np.sort(x, axis=0), lambda rng: [Sample((_x(rng, 4, 3),))]),
    OpInfo("unfold", lambda x, d, s, st: x.unfold(d, s, st), _np_unfold,
           lambda rng: [Sample((_x(rng, 3, 7), 1, 3, 2), name="step2"), Sample((_x(rng, 5, 2), 0, 2, 1), name="overlap")],
           torch_fn=lambda torch, x, d, s, st: x.unfold(d, s, st)),
    OpInfo("sum_to_size", lambda x, s: x.sum_to_size(s), lambda x, s: x.sum(axis=0, keepdims=True).sum(axis=2, keepdims=True),
           lambda rng: [Sample((_x(rng, 2, 3, 4), (1, 3, 1)))], torch_fn=lambda torch, x, s: x.sum_to_size(s)),
    OpInfo("moveaxis", fastdl.moveaxis, np.moveaxis, lambda rng: [Sample((_x(rng, 2, 3, 4), (0, 1), (2, 0)))]),
    OpInfo("swapdims", fastdl.swapdims, np.swapaxes, lambda rng: [Sample((_x(rng, 2, 3, 4), 0, 2))]),
    OpInfo("masked_select", fastdl.masked_select, lambda x, m: np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape))[
               np.broadcast_to(m, np.broadcast_shapes(x.shape, m.shape))],
           lambda rng: [Sample((_x(rng, 3, 4), _x(rng, 3, 4) > 0), name="same"), Sample((_x(rng, 4), _x(rng, 3, 1) > 0), name="bcast")]),
    OpInfo("masked_scatter", fastdl.masked_scatter, _np_masked_scatter,
           lambda rng: [Sample((_x(rng, 3, 4), _x(rng, 3, 4) > 0, _x(rng, 4, 4)))]),
    OpInfo("scatter_add", lambda x, s, i: fastdl.scatter_add(x, 0, i, s), lambda x, s, i: _np_scatter_reduce(x, 0, i, s, "sum"),
           _sr_samples, torch_fn=lambda torch, x, s, i: torch.scatter_add(x, 0, i, s)),
    *[_srow(red, inc) for red in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    *[_irow(red, inc) for red in ("prod", "mean", "amax", "amin") for inc in (True, False)],
    OpInfo("index_add", lambda x, s, i: fastdl.index_add(x, 1, i, s, alpha=2.0), lambda x, s, i: _np_index_add(x, 1, i, s, 2.0),
           lambda rng: [Sample((_x(rng, 2, 4), _x(rng, 2, 3), np.array([3, 0, 3])))],
           torch_fn=lambda torch, x, s, i: torch.index_add(x, 1, i, s, alpha=2.0)),
    OpInfo("index_copy", lambda x, s, i: fastdl.index_copy(x, 0, i, s), lambda x, s, i: _np_index_copy(x, 0, i, s),
           lambda rng: [Sample((_x(rng, 4, 3), _x(rng, 2, 3), np.array([3, 1])))],
           torch_fn=lambda torch, x, s, i: torch.index_copy(x, 0, i, s)),
    OpInfo("index_put", lambda x, v, i, j: fastdl.index_put(x, (i, j), v),
           lambda x, v, i, j: (lambda o: (o.__setitem__((i, j), v), o)[1])(x.copy()),
           lambda rng: [Sample((_x(rng, 3, 4), _x(rng, 2), np.array([0, 2]), np.array([1, 3])))],
           torch_fn=lambda torch, x, v, i, j: torch.index_put(x, (i, j), v)),
    OpInfo("index_put_acc", lambda x, v, i: fastdl.index_put(x, (i,), v, accumulate=True),
           lambda x, v, i: (lambda o: (np.add.at(o, i, v), o)[1])(x.copy()),
           lambda rng: [Sample((_x(rng, 3, 4), _x(rng, 4), np.array([0, 2, 0])))],
           torch_fn=lambda torch, x, v, i: torch.index_put(x, (i,), v, accumulate=True)),
    OpInfo("take", fastdl.take, lambda x, i: np.take(x, i),
           lambda rng: [Sample((_x(rng, 3, 4), np.array([[0, -1], [5, 5]])))]),
    OpInfo("put", lambda x, i, s: fastdl.put(x, i, s), _np_put,
           lambda rng: [Sample((_x(rng, 3, 4), np.array([1, 11, 4]), _x(rng, 3)))],
           torch_fn=lambda torch, x, i, s: torch.put(x, i, s)),
    OpInfo("put_acc", lambda x, i, s: fastdl.put(x, i, s, accumulate=True), lambda x, i, s: _np_put(x, i, s, True),
           lambda rng: [Sample((_x(rng, 3, 4), np.array([1, 11, 1]), _x(rng, 3)))],
           torch_fn=lambda torch, x, i, s: torch.put(x, i, s, accumulate=True)),
    OpInfo("select_scatter", lambda x, s: fastdl.select_scatter(x, s, 1, 2),
           lambda x, s: (lambda o: (o.__setitem__((slice(None), 2), s), o)[1])(x.copy()),
           lambda rng: [Sample((_x(rng, 3, 4), _x(rng, 3)))], torch_fn=lambda torch, x, s: torch.select_scatter(x, s, 1, 2)),
    OpInfo("slice_scatter", lambda x, s: fastdl.slice_scatter(x, s, 1, 0, None, 2),
           lambda x, s: (lambda o: (o.__setitem__((slice(None), slice(0, None, 2)), s), o)[1])(x.copy()),
           lambda rng: [Sample((_x(rng, 3, 4), _x(rng, 3, 2)))],
           torch_fn=lambda torch, x, s: torch.slice_scatter(x, s, 1, 0, None, 2)),
    OpInfo("diagonal_scatter", lambda x, s: fastdl.diagonal_scatter(x, s, -1),
           lambda x, s: (lambda o: (o.__setitem__((np.arange(1, 3), np.arange(2)), s), o)[1])(x.copy()),
           lambda rng: [Sample((_x(rng, 3, 4), _x(rng, 2)))], torch_fn=lambda torch, x, s: torch.diagonal_scatter(x, s, -1)),
    OpInfo("diagflat", fastdl.diagflat, lambda x, offset=0: np.diagflat(x, offset),
           lambda rng: [Sample((_x(rng, 2, 2),), name="2d"), Sample((_x(rng, 3),), {"offset": -1}, "off")]),
    OpInfo("block_diag", fastdl.block_diag, _np_block_diag,
           lambda rng: [Sample((_x(rng, 2, 3), _x(rng, 3), np.asarray(_x(rng))), name="mixed")]),
    OpInfo("cartesian_prod", fastdl.cartesian_prod,
           lambda a, b: np.stack([g.reshape(-1) for g in np.meshgrid(a, b, indexing="ij")], 1),
           lambda rng: [Sample((_x(rng, 2), _x(rng, 3)))]),
    OpInfo("combinations", fastdl.combinations,
           lambda x, r=2, with_replacement=False: np.array(list(
               (__import__("itertools").combinations_with_replacement if with_replacement
                else __import__("itertools").combinations)(x, r))),
           lambda rng: [Sample((_x(rng, 4),), name="r2"), Sample((_x(rng, 4), 3, True), name="r3-repl")]),
]
# ---- reduce_linalg_more: reductions, products, statistics and LU (math branch; more in
# test_reduce_linalg_more.py: zeros in prod's gradient, int dtypes, info outputs, errors) ----
def _rml_prod_samples(rng):
    x = rng.standard_normal((3, 4, 5))
    z = rng.standard_normal((3, 4))
    z[0, 1] = 0.0  # one zero in row 0, two in row 1, none in row 2
    z[1, 0] = z[1, 3] = 0.0
    return [Sample((x,), {}, "all"), Sample((x,), {"dim": 1}, "dim1"), Sample((x,), {"dim": -1, "keepdim": True}, "keep"),
            Sample((z,), {"dim": 1}, "zeros"), Sample((z,), {}, "zeros-all"), Sample((rng.standard_normal((2, 0)),),
                                                                                    {"dim": 1}, "empty")]


def _rml_nan_samples(rng):
    x = rng.standard_normal((3, 4))
    x[0, 1] = x[2, 2] = np.nan
    return [Sample((x,), {}, "all"), Sample((x,), {"dim": 1}, "dim1"), Sample((x,), {"dim": 0, "keepdim": True}, "keep")]


def _np_expm(a):  # scaling and squaring with a long Taylor series, float64
    s = max(0, int(np.ceil(np.log2(max(np.abs(a).sum(-2).max(), 1e-300) / 0.25))))
    x = a / 2.0 ** s
    out, term = np.broadcast_to(np.eye(a.shape[-1]), a.shape).copy(), np.broadcast_to(np.eye(a.shape[-1]), a.shape)
    for k in range(1, 30):
        term = term @ x / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _np_lu(a):  # partial pivoting, LAPACK's choice (the largest |pivot|); P A = L U
    a = a.copy()
    n = a.shape[-1]
    perm = np.arange(n)
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        a[[k, p]], perm[[k, p]] = a[[p, k]], perm[[p, k]]
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return np.eye(n)[perm].T, np.tril(a, -1) + np.eye(n), np.triu(a)


def _np_cdist(a, b, p=2.0, **kw):
    return np.linalg.norm(a[..., :, None, :] - b[..., None, :, :], ord=p, axis=-1)


def _np_pdist(a, p=2.0):
    i, j = np.triu_indices(a.shape[0], 1)
    return np.linalg.norm(a[i] - a[j], ord=p, axis=-1)


def _np_renorm(x, p, dim, maxnorm):
    axes = tuple(i for i in range(x.ndim) if i != dim)
    n = np.sum(np.abs(x) ** p, axis=axes, keepdims=True) ** (1 / p)
    return x * np.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0)


def _np_cumtrap(y, x=None, dx=1.0, dim=-1):
    y = np.moveaxis(y, dim, -1)
    d = np.diff(x) if x is not None else dx
    return np.moveaxis(np.cumsum(d * (y[..., 1:] + y[..., :-1]) / 2, -1), -1, dim)


def _rml(name, fn, ref, samples, torch_fn, **kw):
    return OpInfo(name, fn, ref, samples, torch_fn=torch_fn, **kw)


def _rml_mats(rng, *shapes):
    return tuple(rng.standard_normal(s) for s in shapes)


_M4 = {"rtol32": 1e-4, "atol32": 1e-4}
OPS += [
    _rml("prod", fastdl.prod, lambda x, dim=None, keepdim=False: np.prod(x, axis=dim, keepdims=keepdim),
         _rml_prod_samples, None, rtol32=1e-4, atol32=1e-5),
    _rml("nansum", fastdl.nansum, np_reduce(np.nansum), _rml_nan_samples, None),
    _rml("nanmean", fastdl.nanmean, np_reduce(np.nanmean), _rml_nan_samples, None),
    _rml("std_mean", lambda x, **kw: sum(t * w for t, w in zip(fastdl.std_mean(x, **kw), (1.0, 2.0))),
         lambda x, dim=None, keepdim=False: np.std(x, axis=dim, ddof=1, keepdims=keepdim)
         + 2 * np.mean(x, axis=dim, keepdims=keepdim),
         lambda rng: reduce_samples(rng)[:4],
         lambda torch, x, **kw: sum(t * w for t, w in zip(torch.std_mean(x, **kw), (1.0, 2.0)))),
    _rml("aminmax", lambda x, **kw: fastdl.aminmax(x, **kw).max - fastdl.aminmax(x, **kw).min,
         lambda x, dim=None, keepdim=False: np.ptp(x, axis=dim, keepdims=keepdim),
         lambda rng: [Sample((rng.standard_normal((3, 4)),), {}, "all"),
                      Sample((rng.standard_normal((3, 4)),), {"dim": 1, "keepdim": True}, "dim1")],
         lambda torch, x, **kw: torch.aminmax(x, **kw).max - torch.aminmax(x, **kw).min),
    _rml("mv", fastdl.mv, np.matmul, lambda rng: [Sample(_rml_mats(rng, (3, 4), (4,)), name="3x4")], None, **_M4),
    _rml("addmv", lambda i, m, v: fastdl.addmv(i, m, v, beta=0.5, alpha=-2.0),
         lambda i, m, v: 0.5 * i - 2.0 * (m @ v), lambda rng: [Sample(_rml_mats(rng, (3,), (3, 4), (4,)), name="b")],
         lambda torch, i, m, v: torch.addmv(i, m, v, beta=0.5, alpha=-2.0), **_M4),
    _rml("addr", lambda i, a, b: fastdl.addr(i, a, b, alpha=3.0), lambda i, a, b: i + 3.0 * np.outer(a, b),
         lambda rng: [Sample(_rml_mats(rng, (3, 1), (3,), (4,)), name="broadcast")],
         lambda torch, i, a, b: torch.addr(i, a, b, alpha=3.0)),
    _rml("ger", fastdl.ger, np.outer, lambda rng: [Sample(_rml_mats(rng, (3,), (4,)), name="v")], None),
    _rml("inner", fastdl.inner, np.inner,
         lambda rng: [Sample(_rml_mats(rng, (2, 3, 4), (5, 4)), name="nd"), Sample(_rml_mats(rng, (), (2, 3)), name="0d")],
         None, **_M4),
    _rml("vdot", fastdl.vdot, np.vdot, lambda rng: [Sample(_rml_mats(rng, (5,), (5,)), name="v")], None, **_M4),
    _rml("tensordot", fastdl.tensordot, lambda a, b, dims=2: np.tensordot(a, b, dims),
         lambda rng: [Sample(_rml_mats(rng, (2, 3, 4), (3, 4, 5)), name="int"),
                      Sample(_rml_mats(rng, (2, 3, 4), (4, 5, 2)), {"dims": ([0, 2], [2, 0])}, "lists"),
                      Sample(_rml_mats(rng, (2, 3), (4,)), {"dims": 0}, "outer")], None, **_M4),
    _rml("kron", fastdl.kron, np.kron, lambda rng: [Sample(_rml_mats(rng, (2, 3), (4, 1, 2)), name="ranks")], None),
    _rml("cross", lambda a, b, dim=None: fastdl.cross(a, b, dim=dim), lambda a, b, dim=None: np.cross(a, b, axis=dim or 0),
         lambda rng: [Sample(_rml_mats(rng, (3, 4), (3, 4)), {"dim": 0}, "dim0")],
         lambda torch, a, b, dim=None: torch.cross(a, b, dim=dim)),
    _rml("linalg_cross", fastdl.linalg.cross, lambda a, b: np.cross(a, b),
         lambda rng: [Sample(_rml_mats(rng, (2, 4, 3), (1, 4, 3)), name="broadcast")],
         lambda torch, a, b: torch.linalg.cross(a, b)),
    _rml("baddbmm", lambda i, a, b: fastdl.baddbmm(i, a, b, beta=0.3, alpha=2.0),
         lambda i, a, b: 0.3 * i + 2.0 * (a @ b), lambda rng: [Sample(_rml_mats(rng, (3, 1), (2, 3, 4), (2, 4, 5)), name="b")],
         lambda torch, i, a, b: torch.baddbmm(i, a, b, beta=0.3, alpha=2.0), **_M4),
    _rml("addbmm", lambda i, a, b: fastdl.addbmm(i, a, b, alpha=-1.0), lambda i, a, b: i - (a @ b).sum(0),
         lambda rng: [Sample(_rml_mats(rng, (3, 5), (2, 3, 4), (2, 4, 5)), name="b")],
         lambda torch, i, a, b: torch.addbmm(i, a, b, alpha=-1.0), **_M4),
    _rml("chain_matmul", fastdl.chain_matmul, lambda *ms: np.linalg.multi_dot(ms),
         lambda rng: [Sample(_rml_mats(rng, (2, 3), (3, 4), (4, 2)), name="three")], None, **_M4),
    _rml("linalg_multi_dot", lambda *ms: fastdl.linalg.multi_dot(ms), lambda *ms: np.linalg.multi_dot(ms),
         lambda rng: [Sample(_rml_mats(rng, (3,), (3, 4), (4, 2), (2,)), name="vec-ends"),
                      Sample(_rml_mats(rng, (5, 3), (3, 4)), name="two")],
         lambda torch, *ms: torch.linalg.multi_dot(ms), **_M4),
    _rml("matrix_power", fastdl.matrix_power, np.linalg.matrix_power,
         lambda rng: [Sample((_wc(rng, (2, 3, 3)) / 3, n), name=f"n{n}") for n in (0, 1, 5, -2)], None, **_M4),
    _rml("linalg_matrix_exp", fastdl.linalg.matrix_exp, _np_expm,
         lambda rng: [Sample((rng.standard_normal((2, 3, 3)),), name="small"),
                      Sample((rng.standard_normal((4, 4)) * 4,), name="scaled")],
         lambda torch, a: torch.linalg.matrix_exp(a), rtol32=1e-4, atol32=1e-3),
    _rml("linalg_vecdot", fastdl.linalg.vecdot, lambda x, y, dim=-1: np.sum(x * y, axis=dim),
         lambda rng: [Sample(_rml_mats(rng, (2, 3), (3,)), name="broadcast"),
                      Sample(_rml_mats(rng, (4, 2), (4, 2)), {"dim": 0}, "dim0")],
         lambda torch, x, y, **kw: torch.linalg.vecdot(x, y, **kw)),
    _rml("linalg_diagonal", fastdl.linalg.diagonal, lambda a, offset=0: np.diagonal(a, offset, -2, -1),
         lambda rng: [Sample(_rml_mats(rng, (2, 3, 4)), {"offset": 1}, "offset1")],
         lambda torch, a, **kw: torch.linalg.diagonal(a, **kw)),
    _rml("linalg_vander", fastdl.linalg.vander, lambda x, N=None: np.vander(x, N, increasing=True) if x.ndim == 1
         else np.stack([np.vander(r, N, increasing=True) for r in x]),
         lambda rng: [Sample(_rml_mats(rng, (2, 3)), name="batch"), Sample(_rml_mats(rng, (3,)), {"N": 5}, "N5")],
         lambda torch, x, **kw: torch.linalg.vander(x, **kw)),
    _rml("vander", fastdl.vander, lambda x, N=None, increasing=False: np.vander(x, N, increasing),
         lambda rng: [Sample(_rml_mats(rng, (4,)), name="dec"), Sample(_rml_mats(rng, (3,)), {"N": 4, "increasing": True}, "inc")],
         # torch.vander's own backward trips over an in-place op: parity with the same matrix from linalg.vander
         lambda torch, x, N=None, increasing=False: torch.linalg.vander(x, N=N).flip(-1) if not increasing
         else torch.linalg.vander(x, N=N)),
    _rml("cdist", fastdl.cdist, _np_cdist,
         lambda rng: [Sample(_rml_mats(rng, (2, 4, 3), (5, 3)), name="p2")]
         + [Sample(_rml_mats(rng, (4, 3), (5, 3)), {"p": p}, f"p{p}") for p in (1.0, 0.5, 3.0, np.inf)]
         + [Sample(_rml_mats(rng, (3, 2), (30, 2)), name="mm-path")],
         None, **_M4),
    _rml("pdist", fastdl.pdist, _np_pdist,
         lambda rng: [Sample(_rml_mats(rng, (5, 3)), name="p2"), Sample(_rml_mats(rng, (4, 2)), {"p": 1.5}, "p1.5")], None),
    _rml("dist", fastdl.dist, lambda a, b, p=2: np.linalg.norm((a - b).ravel(), ord=p),
         lambda rng: [Sample(_rml_mats(rng, (3, 4), (4,)), name="p2"), Sample(_rml_mats(rng, (3,), (3,)), {"p": 3}, "p3")],
         None),
    _rml("cov", fastdl.cov, lambda x, correction=1: np.cov(x, ddof=correction),
         lambda rng: [Sample(_rml_mats(rng, (3, 6)), name="plain"), Sample(_rml_mats(rng, (6,)), name="1d")],
         None, **_M4),
    _rml("corrcoef", fastdl.corrcoef, np.corrcoef, lambda rng: [Sample(_rml_mats(rng, (3, 6)), name="3x6")], None, **_M4),
    _rml("trapezoid", fastdl.trapezoid, lambda y, x=None, dx=None, dim=-1: np.trapezoid(
             y, x, dx=1.0 if dx is None else dx, axis=dim),
         lambda rng: [Sample(_rml_mats(rng, (3, 5)), name="dx1"), Sample(_rml_mats(rng, (5, 3)), {"dx": 0.3, "dim": 0}, "dx"),
                      Sample((rng.standard_normal((3, 5)), np.sort(rng.standard_normal(5))), name="x")], None),
    _rml("cumulative_trapezoid", fastdl.cumulative_trapezoid, _np_cumtrap,
         lambda rng: [Sample(_rml_mats(rng, (3, 5)), {"dx": 0.5}, "dx"),
                      Sample((rng.standard_normal((3, 5)), np.sort(rng.standard_normal(5))), name="x")], None),
    _rml("renorm", fastdl.renorm, _np_renorm,
         lambda rng: [Sample((rng.standard_normal((3, 4, 2)), 2.0, 1, 1.0), name="p2"),
                      Sample((rng.standard_normal((3, 4)), 1.5, 0, 1.5), name="p1.5")], None),
    _rml("gradient", lambda x, **kw: fastdl.cat([g.reshape(-1) for g in fastdl.gradient(x, **kw)]),
         lambda x, spacing=1, dim=None, edge_order=1: np.concatenate([g.ravel() for g in np.atleast_1d(
             *[np.gradient(x, spacing, axis=d, edge_order=edge_order) for d in ([dim] if dim is not None
                                                                               else range(x.ndim))])]) if True else 0,
         lambda rng: [Sample(_rml_mats(rng, (4, 5)), name="all"),
                      Sample(_rml_mats(rng, (4, 5)), {"spacing": 0.5, "dim": 1, "edge_order": 2}, "order2")],
         lambda torch, x, **kw: torch.cat([g.reshape(-1) for g in torch.gradient(x, **kw)])),
    _rml("linalg_lu_L_U", lambda a: sum(fastdl.linalg.lu(a)[1:]), lambda a: sum(_np_lu(a)[1:]),
         lambda rng: [Sample((rng.standard_normal((4, 4)),), name="4x4")],
         lambda torch, a: sum(torch.linalg.lu(a)[1:]), **_M4),
    _rml("linalg_lu_solve", lambda a, b: fastdl.linalg.lu_solve(*fastdl.linalg.lu_factor(a), b),
         np.linalg.solve, lambda rng: [Sample((_wc(rng, (2, 3, 3)), rng.standard_normal((2, 3, 2))), name="batch")],
         lambda torch, a, b: torch.linalg.lu_solve(*torch.linalg.lu_factor(a), b), **_M4),
    _rml("cholesky_inverse", lambda a: fastdl.cholesky_inverse(fastdl.linalg.cholesky((a + a.mT) * 0.5)),
         lambda a: np.linalg.inv(_sym(a)), spd_samples,
         lambda torch, a: torch.cholesky_inverse(torch.linalg.cholesky((a + a.mT) * 0.5)), **_M4),
    _rml("triangular_solve", lambda b, a, **kw: fastdl.triangular_solve(b, a, **kw).solution,
         lambda b, a, upper=True, transpose=False: np.linalg.solve((np.triu(a) if upper else np.tril(a)).swapaxes(-1, -2)
                                                                   if transpose else (np.triu(a) if upper else np.tril(a)), b),
         lambda rng: [Sample((rng.standard_normal((4, 2)), _wc(rng, (4, 4))), name="upper"),
                      Sample((rng.standard_normal((2, 3, 2)), _wc(rng, (3, 3))), {"upper": False, "transpose": True},
                             "lower-t")],
         lambda torch, b, a, **kw: torch.triangular_solve(b, a, **kw).solution, **_M4),
    _rml("linalg_eigvalsh_fn", lambda a: fastdl.linalg.eigvalsh((a + a.mT) * 0.5), lambda a: np.linalg.eigvalsh(_sym(a)),
         spd_samples, lambda torch, a: torch.linalg.eigvalsh((a + a.mT) * 0.5), **_M4),
    _rml("linalg_cond", fastdl.linalg.cond, lambda a, p: np.linalg.cond(a, p),
         lambda rng: [Sample((_wc(rng, (2, 3, 3)), p), name=str(p)) for p in ("fro", 1, -np.inf)],
         # torch.linalg.cond's backward trips over an in-place op (torch 2.13): its definition instead
         lambda torch, a, p: torch.linalg.matrix_norm(a, p) * torch.linalg.matrix_norm(torch.linalg.inv(a), p), **_M4),
    _rml("linalg_inv_ex", lambda a: fastdl.linalg.inv_ex(a).inverse, np.linalg.inv, square_samples,
         lambda torch, a: torch.linalg.inv_ex(a).inverse, **_M4),
    _rml("linalg_solve_ex", lambda a, b: fastdl.linalg.solve_ex(a, b).result,
         lambda a, b: np.linalg.solve(a, b[..., None])[..., 0] if b.ndim == 1 else np.linalg.solve(a, b),
         solve_samples, lambda torch, a, b: torch.linalg.solve_ex(a, b).result, **_M4),
    _rml("linalg_cholesky_ex", lambda a: fastdl.linalg.cholesky_ex((a + a.mT) * 0.5).L,
         lambda a: np.linalg.cholesky(_sym(a)), spd_samples,
         lambda torch, a: torch.linalg.cholesky_ex((a + a.mT) * 0.5).L, **_M4),
    # the SVD family (ops/linalg_svd.py, the one-sided Jacobi kernel)
    _rml("linalg_svdvals", fastdl.linalg.svdvals, lambda a: np.linalg.svd(a, compute_uv=False),
         lambda rng: [Sample(_rml_mats(rng, (5, 3)), name="tall"), Sample(_rml_mats(rng, (2, 3, 4)), name="wide")],
         lambda torch, a: torch.linalg.svdvals(a), **_M4),
    _rml("linalg_svd_UVh", lambda a: (lambda r: r.U @ r.Vh)(fastdl.linalg.svd(a, full_matrices=False)),
         lambda a: (lambda u, s, vh: u @ vh)(*np.linalg.svd(a, full_matrices=False)),
         lambda rng: [Sample(_rml_mats(rng, (5, 3)), name="tall"), Sample(_rml_mats(rng, (3, 4)), name="wide")],
         lambda torch, a: (lambda r: r.U @ r.Vh)(torch.linalg.svd(a, full_matrices=False)), **_M4),
    _rml("linalg_pinv", fastdl.linalg.pinv, np.linalg.pinv,
         lambda rng: [Sample(_rml_mats(rng, (5, 3)), name="tall"), Sample(_rml_mats(rng, (2, 3, 4)), name="wide")],
         lambda torch, a: torch.linalg.pinv(a), **_M4),
    _rml("linalg_matrix_norm_svd", fastdl.linalg.matrix_norm, lambda a, ord: np.linalg.norm(a, ord, axis=(-2, -1)),
         lambda rng: [Sample((rng.standard_normal((2, 4, 3)), o), name=str(o)) for o in ("nuc", 2, -2)],
         lambda torch, a, ord: torch.linalg.matrix_norm(a, ord), **_M4),
    _rml("linalg_cond_svd", fastdl.linalg.cond, lambda a, p=None: np.linalg.cond(a, p),
         lambda rng: [Sample((_wc(rng, (2, 3, 3)),), name="None"), Sample((rng.standard_normal((4, 3)), -2), name="-2")],
         lambda torch, a, p=None: torch.linalg.cond(a, p), **_M4),
    _rml("linalg_tensorinv", fastdl.linalg.tensorinv, lambda a, ind=2: np.linalg.tensorinv(a, ind),
         lambda rng: [Sample(((rng.standard_normal((6, 6)) + 6 * np.eye(6)).reshape(2, 3, 6),), {"ind": 2}, "ind2")],
         lambda torch, a, **kw: torch.linalg.tensorinv(a, **kw), **_M4),
    _rml("linalg_tensorsolve", fastdl.linalg.tensorsolve, np.linalg.tensorsolve,
         lambda rng: [Sample(((rng.standard_normal((6, 6)) + 6 * np.eye(6)).reshape(2, 3, 6), rng.standard_normal((2, 3))),
                             name="2x3")],
         lambda torch, a, b: torch.linalg.tensorsolve(a, b), **_M4),
]
# ---- fastdl.fft (cplx branch): real in, real out (complex results through view_as_real) ----
def _fft_samples(rng):
    return [Sample((rng.standard_normal((3, 8)),), name="3x8"), Sample((rng.standard_normal((2, 3, 7)),), name="2x3x7"),
            Sample((rng.standard_normal((2, 1)),), name="len1")]  # (an empty batch: test_fft.py; torch's MKL refuses it)


def _np_as_real(y):
    return np.stack([y.real, y.imag], -1)


OPS += [
    OpInfo("fft_rfft", lambda x: fastdl.view_as_real(fastdl.fft.rfft(x)), lambda x: _np_as_real(np.fft.rfft(x)),
           _fft_samples, torch_fn=lambda torch, x: torch.view_as_real(torch.fft.rfft(x))),
    OpInfo("fft_fft_ortho_dim0", lambda x: fastdl.view_as_real(fastdl.fft.fft(x, n=4, dim=0, norm="ortho")),
           lambda x: _np_as_real(np.fft.fft(x, n=4, axis=0, norm="ortho")), _fft_samples,
           torch_fn=lambda torch, x: torch.view_as_real(torch.fft.fft(x, n=4, dim=0, norm="ortho"))),
    OpInfo("fft_irfft_of_fft", lambda x: fastdl.fft.irfft(fastdl.fft.fft(x), n=9),
           lambda x: np.fft.irfft(np.fft.fft(x), n=9), _fft_samples,
           torch_fn=lambda torch, x: torch.fft.irfft(torch.fft.fft(x), n=9)),
    OpInfo("fft_hfft_of_ihfft", lambda x: fastdl.fft.hfft(fastdl.fft.ihfft(x) * 2.0, n=6),
           lambda x: np.fft.hfft(np.fft.ihfft(x) * 2.0, n=6), _fft_samples,
           torch_fn=lambda torch, x: torch.fft.hfft(torch.fft.ihfft(x) * 2.0, n=6)),
    OpInfo("fft_rfft2", lambda x: fastdl.view_as_real(fastdl.fft.rfft2(x, norm="forward")),
           lambda x: _np_as_real(np.fft.rfft2(x, norm="forward")),
           lambda rng: [Sample((rng.standard_normal((3, 5)),), name="3x5"),
                        Sample((rng.standard_normal((2, 4, 6)),), name="2x4x6")],
           torch_fn=lambda torch, x: torch.view_as_real(torch.fft.rfft2(x, norm="forward"))),
    OpInfo("fft_fftshift", lambda x: fastdl.fft.fftshift(x), np.fft.fftshift, _fft_samples,
           torch_fn=lambda torch, x: torch.fft.fftshift(x)),
]
OPS_BY_NAME = {op.name: op for op in OPS}
