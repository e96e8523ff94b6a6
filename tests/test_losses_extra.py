"""The losses added to fastdl.nn.functional / fastdl.nn beyond the spine (huber, poisson /
gaussian NLL, the margin and embedding losses, multi-margin) and the two distances
(cosine_similarity, pairwise_distance): every reduction against a float64 NumPy
reference (values, and input gradients against central differences of that reference),
gradcheck, parity with torch (values and gradients; skipped without torch), the modules'
reprs and buffers, and the errors, which name the op and the shapes."""
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # parity tests skip cleanly without torch
    torch = TF = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
REDUCTIONS = ("none", "mean", "sum")


# ---- float64 NumPy references --------------------------------------------------------

def np_reduce(loss, reduction):
    return {"none": loss, "mean": np.mean(loss), "sum": np.sum(loss)}[reduction]


def np_logsigmoid(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def np_norm(d, p, axis=-1, keepdims=False):
    a = np.abs(d)
    if p == np.inf:
        return a.max(axis=axis, keepdims=keepdims)
    if p == -np.inf:
        return a.min(axis=axis, keepdims=keepdims)
    if p == 0:
        return (a != 0).sum(axis=axis, keepdims=keepdims).astype(d.dtype)
    return (a ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


def np_huber(x, t, reduction="mean", delta=1.0, weight=None):
    d = x - t
    ad = np.abs(d)
    loss = np.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return np_reduce(loss if weight is None else loss * weight, reduction)


def np_poisson_nll(x, t, log_input=True, full=False, eps=1e-8, reduction="mean"):
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
    if full:
        ts = np.where(t > 1, t, 2.0)
        loss = loss + np.where(t > 1, ts * np.log(ts) - ts + 0.5 * np.log(2 * np.pi * ts), 0.0)
    return np_reduce(loss, reduction)


def np_gaussian_nll(x, t, var, full=False, eps=1e-6, reduction="mean"):
    var = np.asarray(var, dtype=np.float64)
    if var.shape != x.shape and var.shape == x.shape[:-1]:
        var = var[..., None]
    var = np.maximum(var, eps)
    loss = 0.5 * (np.log(var) + (x - t) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return np_reduce(loss, reduction)


def np_cosine_embedding(x1, x2, t, margin=0.0, reduction="mean"):
    cos = (x1 * x2).sum(-1) / np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    loss = np.where(t == 1, 1 - cos, 0.0) + np.where(t == -1, np.maximum(cos - margin, 0), 0.0)
    return np_reduce(loss, reduction)


def np_margin_ranking(x1, x2, t, margin=0.0, reduction="mean"):
    return np_reduce(np.maximum(-t * (x1 - x2) + margin, 0), reduction)


def np_hinge_embedding(x, t, margin=1.0, reduction="mean"):
    loss = np.where(t != 1, np.maximum(margin - x, 0), 0.0) + np.where(t != -1, x, 0.0)
    return np_reduce(loss, reduction)


def np_soft_margin(x, t, reduction="mean"):
    return np_reduce(np.logaddexp(0, -t * x), reduction)


def np_multilabel_soft_margin(x, t, weight=None, reduction="mean"):
    loss = -(t * np_logsigmoid(x) + (1 - t) * np_logsigmoid(-x))
    if weight is not None:
        loss = loss * weight
    return np_reduce(loss.mean(axis=-1), reduction)


def np_pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    return np_norm(x1 - x2 + eps, p, keepdims=keepdim)


def np_triplet(a, pos, neg, margin=1.0, p=2, eps=1e-6, swap=False, reduction="mean"):
    d_pos, d_neg = np_pairwise_distance(a, pos, p, eps), np_pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = np.minimum(d_neg, np_pairwise_distance(pos, neg, p, eps))
    return np_reduce(np.maximum(margin + d_pos - d_neg, 0), reduction)


def np_multi_margin(x, y, p=1, margin=1.0, weight=None, reduction="mean"):
    x2 = x.reshape(-1, x.shape[-1] if x.ndim else 1)
    y1 = np.asarray(y).reshape(-1)
    N, C = x2.shape
    loss = np.zeros(N)
    for n in range(N):
        for i in range(C):
            if i != y1[n]:
                z = max(margin - x2[n, y1[n]] + x2[n, i], 0.0) ** p
                loss[n] += z * (1.0 if weight is None else weight[y1[n]])
    loss /= C
    if reduction == "none":
        return loss if np.ndim(y) else loss.reshape(())
    return np_reduce(loss, reduction)


def np_cosine_similarity(x1, x2, dim=1, eps=1e-8):
    x1, x2 = np.broadcast_arrays(x1, x2)
    n1 = np.maximum(np.sqrt((x1 * x1).sum(dim, keepdims=True)), eps)
    n2 = np.maximum(np.sqrt((x2 * x2).sum(dim, keepdims=True)), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


# ---- the cases -------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    call: Callable       # call(lib, *tensors, **kw) with lib = fastdl.nn.functional or torch.nn.functional
    ref: Callable        # the same on float64 NumPy arrays
    make: Callable       # rng -> list of NumPy arrays (float: differentiable candidates)
    kw: dict = field(default_factory=dict)
    grad: tuple = (0,)   # the arguments whose gradients are checked (torch differentiates them too)
    reduces: bool = True
    fd: bool = True      # False: a clamp outside autograd (torch's) makes the gradient differ from finite differences


def _sign(rng, shape):
    return np.where(rng.standard_normal(shape) > 0, 1.0, -1.0)


def _pm1_or_0(rng, n):
    return rng.choice(np.array([1, -1, 0]), n)


def _away_from(a, b, gap=0.05):
    """b moved off a where |a - b| < gap (keeps differences away from a loss's kink)."""
    return np.where(np.abs(a - b) < gap, b + 2 * gap, b)


def _huber_pair(rng, shape=(4, 5), scale=2.0, delta=1.0):
    x, t = rng.standard_normal(shape) * scale, rng.standard_normal(shape)
    d = x - t
    x = np.where(np.abs(np.abs(d) - delta) < 0.05, x + 0.2, x)
    return [x, t]


def _multi_margin_inputs(rng, shape, margin=1.0):
    x = rng.standard_normal(shape)
    C = shape[-1]
    y = rng.integers(0, C, shape[:-1] if len(shape) > 1 else ())
    x2, y1 = x.reshape(-1, C), np.asarray(y).reshape(-1)
    for n in range(len(y1)):  # no term exactly at its kink
        for i in range(C):
            z = margin - x2[n, y1[n]] + x2[n, i]
            if i != y1[n] and abs(z) < 0.05:
                x2[n, i] += 0.2
    return [x2.reshape(shape), np.asarray(y, dtype=np.int64)]


def _triplet_inputs(rng, shape=(5, 4)):
    return [rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape) * 1.5]


CASES = [
    Case("huber", lambda L, x, t, **kw: L.huber_loss(x, t, **kw), np_huber, _huber_pair, grad=(0, 1)),
    Case("huber-delta", lambda L, x, t, **kw: L.huber_loss(x, t, **kw), np_huber,
         lambda rng: _huber_pair(rng, delta=0.4), {"delta": 0.4}, grad=(0, 1)),
    Case("huber-3d", lambda L, x, t, **kw: L.huber_loss(x, t, **kw), np_huber,
         lambda rng: _huber_pair(rng, (2, 3, 4)), grad=(0, 1)),
    Case("poisson", lambda L, x, t, **kw: L.poisson_nll_loss(x, t, **kw), np_poisson_nll,
         lambda rng: [rng.standard_normal((4, 5)), rng.random((4, 5)) * 4], grad=(0, 1)),
    Case("poisson-full", lambda L, x, t, **kw: L.poisson_nll_loss(x, t, **kw), np_poisson_nll,
         lambda rng: [rng.standard_normal((4, 5)), rng.random((4, 5)) * 4 + 0.05], {"full": True}, grad=(0, 1)),
    Case("poisson-rate", lambda L, x, t, **kw: L.poisson_nll_loss(x, t, **kw), np_poisson_nll,
         lambda rng: [rng.random((4, 5)) * 3 + 0.1, rng.random((4, 5)) * 4 + 0.05],
         {"log_input": False, "full": True, "eps": 1e-3}, grad=(0, 1)),
    Case("gaussian", lambda L, x, t, v, **kw: L.gaussian_nll_loss(x, t, v, **kw), np_gaussian_nll,
         lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal((4, 5)), rng.random((4, 5)) + 0.1],
         grad=(0, 1, 2)),
    Case("gaussian-full-short-var", lambda L, x, t, v, **kw: L.gaussian_nll_loss(x, t, v, **kw), np_gaussian_nll,
         lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal((4, 5)), rng.random(4) + 0.1],
         {"full": True}, grad=(0, 1, 2)),
    Case("gaussian-homoscedastic", lambda L, x, t, v, **kw: L.gaussian_nll_loss(x, t, v, **kw), np_gaussian_nll,
         lambda rng: [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4)), rng.random((2, 1, 4)) + 0.1],
         grad=(0, 1, 2)),
    Case("gaussian-eps-clamps", lambda L, x, t, v, **kw: L.gaussian_nll_loss(x, t, v, **kw), np_gaussian_nll,
         lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal((4, 5)),
                      np.where(rng.random((4, 5)) < 0.5, 0.05, 0.8) + rng.random((4, 5)) * 0.01],
         {"eps": 0.3}, grad=(0, 1, 2), fd=False),  # var's gradient where clamped: torch's straight-through
    Case("cosine-embedding", lambda L, a, b, t, **kw: L.cosine_embedding_loss(a, b, t, **kw), np_cosine_embedding,
         lambda rng: [rng.standard_normal((6, 4)), rng.standard_normal((6, 4)), _pm1_or_0(rng, 6)],
         {"margin": 0.2}, grad=(0, 1)),
    Case("cosine-embedding-0d", lambda L, a, b, t, **kw: L.cosine_embedding_loss(a, b, t, **kw),
         np_cosine_embedding, lambda rng: [rng.standard_normal(5), rng.standard_normal(5), np.array(-1)],
         {"margin": -0.5}, grad=(0, 1)),
    Case("margin-ranking", lambda L, a, b, t, **kw: L.margin_ranking_loss(a, b, t, **kw), np_margin_ranking,
         lambda rng: _margin_ranking_inputs(rng), {"margin": 0.3}, grad=(0, 1, 2)),
    Case("hinge-embedding", lambda L, x, t, **kw: L.hinge_embedding_loss(x, t, **kw), np_hinge_embedding,
         lambda rng: [_away_from(np.full((4, 5), 0.7), rng.standard_normal((4, 5))),
                      rng.choice(np.array([1.0, -1.0, 0.5]), (4, 5))], {"margin": 0.7}),
    Case("soft-margin", lambda L, x, t, **kw: L.soft_margin_loss(x, t, **kw), np_soft_margin,
         lambda rng: [rng.standard_normal((4, 5)) * 3, _sign(rng, (4, 5))]),
    Case("multilabel-soft-margin", lambda L, x, t, **kw: L.multilabel_soft_margin_loss(x, t, **kw),
         np_multilabel_soft_margin, lambda rng: [rng.standard_normal((4, 5)) * 2, rng.random((4, 5))], grad=(0, 1)),
    Case("multilabel-soft-margin-weight", lambda L, x, t, w, **kw: L.multilabel_soft_margin_loss(x, t, w, **kw),
         lambda x, t, w, **kw: np_multilabel_soft_margin(x, t, w, **kw),
         lambda rng: [rng.standard_normal((2, 3, 5)), (rng.random((2, 3, 5)) > 0.5) * 1.0, rng.random(5) + 0.5],
         grad=(0,)),
    Case("triplet", lambda L, a, pos, neg, **kw: L.triplet_margin_loss(a, pos, neg, **kw), np_triplet, _triplet_inputs,
         grad=(0, 1, 2)),
    Case("triplet-p1-swap", lambda L, a, pos, neg, **kw: L.triplet_margin_loss(a, pos, neg, **kw), np_triplet,
         _triplet_inputs, {"p": 1, "swap": True, "margin": 2.0}, grad=(0, 1, 2)),
    Case("triplet-p3-eps", lambda L, a, pos, neg, **kw: L.triplet_margin_loss(a, pos, neg, **kw), np_triplet,
         lambda rng: _triplet_inputs(rng, (2, 3, 4)), {"p": 3.0, "eps": 0.1, "margin": 1.5}, grad=(0, 1, 2)),
    Case("multi-margin", lambda L, x, y, **kw: L.multi_margin_loss(x, y, **kw), np_multi_margin,
         lambda rng: _multi_margin_inputs(rng, (6, 4))),
    Case("multi-margin-p2", lambda L, x, y, **kw: L.multi_margin_loss(x, y, **kw), np_multi_margin,
         lambda rng: _multi_margin_inputs(rng, (6, 4), 0.6), {"p": 2, "margin": 0.6}),
    Case("multi-margin-weight", lambda L, x, y, w, **kw: L.multi_margin_loss(x, y, weight=w, **kw),
         lambda x, y, w, **kw: np_multi_margin(x, y, weight=w, **kw),
         lambda rng: _multi_margin_inputs(rng, (6, 4)) + [rng.random(4) + 0.5]),
    Case("multi-margin-1d", lambda L, x, y, **kw: L.multi_margin_loss(x, y, **kw), np_multi_margin,
         lambda rng: _multi_margin_inputs(rng, (5,))),
    Case("cosine-similarity", lambda L, a, b, **kw: L.cosine_similarity(a, b, **kw), np_cosine_similarity,
         lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal((4, 5))], grad=(0, 1), reduces=False),
    Case("cosine-similarity-bcast", lambda L, a, b, **kw: L.cosine_similarity(a, b, **kw), np_cosine_similarity,
         lambda rng: [rng.standard_normal((2, 1, 5)), rng.standard_normal((3, 5))], {"dim": -1}, grad=(0, 1),
         reduces=False),
    Case("cosine-similarity-eps", lambda L, a, b, **kw: L.cosine_similarity(a, b, **kw), np_cosine_similarity,
         lambda rng: [rng.standard_normal((4, 3)) * 0.1, rng.standard_normal((4, 3))], {"dim": 0, "eps": 0.3},
         grad=(0, 1), reduces=False, fd=False),
    Case("pairwise-distance", lambda L, a, b, **kw: L.pairwise_distance(a, b, **kw), np_pairwise_distance,
         lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal((4, 5))], grad=(0, 1), reduces=False),
    Case("pairwise-distance-p1-keepdim", lambda L, a, b, **kw: L.pairwise_distance(a, b, **kw),
         np_pairwise_distance, lambda rng: [rng.standard_normal((2, 1, 5)), rng.standard_normal((3, 5))],
         {"p": 1, "keepdim": True}, grad=(0, 1), reduces=False),
    Case("pairwise-distance-pinf", lambda L, a, b, **kw: L.pairwise_distance(a, b, **kw), np_pairwise_distance,
         lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal(5)], {"p": math.inf}, grad=(0, 1),
         reduces=False),
    Case("pairwise-distance-p-neg", lambda L, a, b, **kw: L.pairwise_distance(a, b, **kw), np_pairwise_distance,
         lambda rng: [rng.standard_normal((4, 5)), rng.standard_normal((4, 5))], {"p": -1.5, "eps": 0.0},
         grad=(0, 1), reduces=False),
    Case("pairwise-distance-1d", lambda L, a, b, **kw: L.pairwise_distance(a, b, **kw), np_pairwise_distance,
         lambda rng: [rng.standard_normal(6), rng.standard_normal(6)], {"p": 2.5}, grad=(0, 1), reduces=False),
]


def _margin_ranking_inputs(rng, n=7, margin=0.3):
    a, b, t = rng.standard_normal(n), rng.standard_normal(n), _sign(rng, n)
    z = -t * (a - b) + margin
    return [np.where(np.abs(z) < 0.05, a + 0.2 * t, a), b, t]


PARAMS = [(c, r) for c in CASES for r in (REDUCTIONS if c.reduces else (None,))]
IDS = [c.name + ("" if r is None else f"-{r}") for c, r in PARAMS]


def _kw(case, reduction):
    return dict(case.kw, **({} if reduction is None else {"reduction": reduction}))


def _ours(arrays, case, dtype=fastdl.float64, device="cpu"):
    return [fastdl.tensor(a, dtype=dtype, device=device, requires_grad=i in case.grad) if a.dtype.kind == "f"
            else fastdl.tensor(a, device=device) for i, a in enumerate(arrays)]


def _np_num_grad(f, arrays, i, w, h=1e-6):
    """d/d arrays[i] of sum(w * f(*arrays)) by central differences (float64)."""
    a = arrays[i]
    g = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        vals = []
        for s in (h, -h):
            b = a.copy()
            b[idx] += s
            vals.append(np.sum(w * f(*arrays[:i], b, *arrays[i + 1:])))
        g[idx] = (vals[0] - vals[1]) / (2 * h)
    return g


@pytest.mark.parametrize("case,reduction", PARAMS, ids=IDS)
def test_matches_numpy(case, reduction):
    arrays = case.make(np.random.default_rng(0))
    kw = _kw(case, reduction)
    expected = case.ref(*arrays, **kw)
    # float64: values, and the input gradients against central differences of the reference
    xs = _ours(arrays, case)
    out = case.call(F, *xs, **kw)
    assert tuple(out.shape) == np.shape(expected)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(np.shape(expected))
    (out * fastdl.tensor(w)).sum().backward()
    for i in (case.grad if case.fd else ()):
        ref = _np_num_grad(lambda *a: case.ref(*a, **kw), arrays, i, w)
        np.testing.assert_allclose(xs[i].grad.numpy(), ref, rtol=1e-5, atol=1e-7, err_msg=f"gradient of arg {i}")
    # float32: values
    out32 = case.call(F, *_ours(arrays, case, fastdl.float32), **kw)
    assert out32.dtype is fastdl.float32
    np.testing.assert_allclose(out32.detach().numpy(), expected, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case,reduction", PARAMS, ids=IDS)
def test_gradcheck(case, reduction):
    if not case.fd:
        pytest.skip("the gradient is torch's straight-through one where a value is clamped (parity tests it)")
    arrays = case.make(np.random.default_rng(0))
    xs = _ours(arrays, case)
    kw = _kw(case, reduction)
    assert gradcheck(lambda *a: case.call(F, *a, **kw), xs)


@needs_torch
@pytest.mark.parametrize("case,reduction", PARAMS, ids=IDS)
def test_torch_parity(case, reduction):
    arrays = case.make(np.random.default_rng(0))
    kw = _kw(case, reduction)
    ours = _ours(arrays, case)
    theirs = [torch.tensor(a, requires_grad=i in case.grad) if a.dtype.kind == "f" else torch.tensor(a)
              for i, a in enumerate(arrays)]
    out, ref = case.call(F, *ours, **kw), case.call(TF, *theirs, **kw)
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(2).standard_normal(tuple(ref.shape))
    (out * fastdl.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for i in case.grad:
        np.testing.assert_allclose(ours[i].grad.numpy(), theirs[i].grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"gradient of arg {i}")


# ---- gradients at the kinks: torch's subgradients ---------------------------------------

def _grads(fn, *arrays):
    xs = [fastdl.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    fn(*xs).sum().backward()
    return [x.grad.numpy() for x in xs]


def test_kink_gradients():
    # huber: continuous gradient d at |d| = delta
    gx, gt = _grads(lambda x, t: F.huber_loss(x, t, reduction="none"), [1.0, -1.0, 0.0, 2.0], [0.0] * 4)
    np.testing.assert_array_equal(gx, [1, -1, 0, 1])
    np.testing.assert_array_equal(gt, [-1, 1, 0, -1])
    # margin_ranking / hinge / cosine_embedding / triplet: clamp at 0 passes the gradient (clamp_min's >=)
    g1, g2 = _grads(lambda a, b: F.margin_ranking_loss(a, b, fastdl.tensor([1.0, 1.0]), margin=0.5,
                                                       reduction="none"), [1.0, 0.0], [0.5, 0.0])
    np.testing.assert_array_equal(g1, [-1, -1])
    gx, = _grads(lambda x: F.hinge_embedding_loss(x, fastdl.tensor([-1.0, 1.0, 0.0, 3.0]), reduction="none"),
                 [1.0, 1.0, 0.5, 2.0])
    np.testing.assert_array_equal(gx, [-1, 1, 0, 1])
    ga, _ = _grads(lambda a, b: F.cosine_embedding_loss(a, b, fastdl.tensor([-1, -1]), reduction="none"),
                   [[1.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(ga[0], [0.0, 1.0], atol=1e-11)
    _, gp, gn = _grads(lambda a, p, n: F.triplet_margin_loss(a, p, n, eps=0.0, reduction="none"),
                       [[0.0, 0.0]], [[1.0, 0.0]], [[2.0, 0.0]])
    np.testing.assert_array_equal(gp, [[1, 0]])
    np.testing.assert_array_equal(gn, [[-1, 0]])
    # multi_margin: a term exactly at its kink passes nothing (torch's z > 0)
    gx, = _grads(lambda x: F.multi_margin_loss(x, fastdl.tensor([0, 1]), reduction="none"),
                 [[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(gx, [[-1 / 3, 0, 1 / 3], [0, 0, 0]])
    # pairwise_distance of equal vectors (eps=0): the zero vector's subgradient 0, p = 2 and p = 1
    for p in (2, 1):
        g1, g2 = _grads(lambda a, b: F.pairwise_distance(a, b, p=p, eps=0.0), [[1.0, 2.0]], [[1.0, 2.0]])
        np.testing.assert_array_equal(g1, [[0, 0]])
    # p = inf with a tie: shared evenly
    g1, _ = _grads(lambda a, b: F.pairwise_distance(a, b, p=math.inf, eps=0.0), [[1.0, 2.0]], [[0.0, 1.0]])
    np.testing.assert_array_equal(g1, [[0.5, 0.5]])


def test_clamped_norm_and_var_pass_gradients_straight_through():
    """cosine_similarity's norms and gaussian_nll_loss's var are clamped outside autograd (torch)."""
    g1, g2 = _grads(lambda a, b: F.cosine_similarity(a, b), [[0.0, 0.0]], [[1.0, 2.0]])
    np.testing.assert_allclose(g1, [[1e8 / math.sqrt(5), 2e8 / math.sqrt(5)]], rtol=1e-12)
    np.testing.assert_array_equal(g2, [[0, 0]])
    gx, gt, gv = _grads(lambda x, t, v: F.gaussian_nll_loss(x, t, v, eps=0.5, reduction="none"),
                        [1.0, 2.0], [0.0, 0.0], [0.1, 1.0])
    np.testing.assert_allclose(gv, [0.5 * (1 / 0.5 - 1 / 0.25), 0.5 * (1 - 4)])  # at the clamped 0.5, and at 1
    np.testing.assert_allclose(gx, [2.0, 2.0])


@needs_torch
def test_kink_gradients_match_torch():
    cases = [
        (lambda L, x, t: L.huber_loss(x, t, reduction="none", delta=0.5), [[0.5, -0.5, 0.0]], [[0.0, 0.0, 0.0]]),
        (lambda L, a, b: L.margin_ranking_loss(a, b, (a * 0 + 1).detach(), margin=0.5), [[1.0, 0.5, 0.0]],
         [[0.5, 1.0, 0.0]]),
        (lambda L, a, b: L.cosine_embedding_loss(a, b, (a[:, 0] * 0 - 1).long().detach()), [[1.0, 0.0], [1.0, 0.0]],
         [[0.0, 1.0], [1.0, 0.0]]),
        (lambda L, a, p: L.triplet_margin_loss(a, p, p * 2, eps=0.0, swap=True), [[0.0, 0.0], [1.0, 1.0]],
         [[1.0, 0.0], [1.0, 1.0]]),
        (lambda L, a, b: L.pairwise_distance(a, b, p=math.inf, eps=0.0), [[1.0, -2.0, 2.0]], [[0.0, 0.0, 1.0]]),
        (lambda L, a, b: L.cosine_similarity(a, b, eps=1.0), [[0.1, 0.2]], [[1.0, 2.0]]),
    ]
    for fn, *arrays in cases:
        ours = [fastdl.tensor(np.array(a), requires_grad=True) for a in arrays]
        theirs = [torch.tensor(np.array(a), requires_grad=True) for a in arrays]
        out, ref = fn(F, *ours), fn(TF, *theirs)
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
        out.sum().backward()
        ref.sum().backward()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-15)


# ---- more behaviour --------------------------------------------------------------------

def test_soft_margin_and_multilabel_are_finite_for_large_margins():
    x = fastdl.tensor([-800.0, 800.0, -50.0], requires_grad=True)
    t = fastdl.tensor([1.0, 1.0, 1.0])
    loss = F.soft_margin_loss(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [800.0, 0.0, 50.0], rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, 0.0, -1.0], atol=1e-15)
    x32 = fastdl.tensor(np.array([[-200.0, 200.0]], np.float32))
    out = F.multilabel_soft_margin_loss(x32, fastdl.tensor(np.array([[1.0, 0.0]], np.float32)))
    np.testing.assert_allclose(out.numpy(), 200.0, rtol=1e-6)


def test_huber_weight_and_broadcast_warning():
    rng = np.random.default_rng(3)
    x, t, w = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.random((3, 4))
    with pytest.warns(UserWarning, match=r"huber_loss: using a target size \(\[4\]\) that is different to the "
                                         r"input size \(\[3, 4\]\)"):
        out = F.huber_loss(fastdl.tensor(x), fastdl.tensor(t), reduction="sum", weight=fastdl.tensor(w))
    np.testing.assert_allclose(out.numpy(), np_huber(x, t, "sum", weight=w), rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same shapes: no warning
        F.huber_loss(fastdl.tensor(x), fastdl.tensor(x + 1))


def test_gaussian_var_forms():
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    X, Tt = fastdl.tensor(x), fastdl.tensor(t)
    np.testing.assert_allclose(F.gaussian_nll_loss(X, Tt, 2.0, reduction="none").numpy(),
                               np_gaussian_nll(x, t, np.full((3, 4), 2.0), reduction="none"), rtol=1e-12)
    for vshape in [(3,), (3, 1), (1, 4), (3, 4)]:
        v = rng.random(vshape) + 0.2
        vb = v[..., None] if vshape == (3,) else v
        np.testing.assert_allclose(F.gaussian_nll_loss(X, Tt, fastdl.tensor(v), reduction="none").numpy(),
                                   np_gaussian_nll(x, t, np.broadcast_to(vb, (3, 4)), reduction="none"), rtol=1e-12)
    # the target broadcasts silently (torch)
    out = F.gaussian_nll_loss(X, fastdl.tensor(t[:, :1]), fastdl.tensor(np.ones((3, 4))), reduction="none")
    assert tuple(out.shape) == (3, 4)


def test_legacy_size_average_and_reduce():
    rng = np.random.default_rng(5)
    x, t = rng.standard_normal((3, 4)), _sign(rng, (3, 4))
    X, Tt = fastdl.tensor(x), fastdl.tensor(t)
    np.testing.assert_allclose(F.soft_margin_loss(X, Tt, size_average=False).numpy(), np_soft_margin(x, t, "sum"))
    np.testing.assert_allclose(F.soft_margin_loss(X, Tt, reduce=False).numpy(), np_soft_margin(x, t, "none"))
    np.testing.assert_allclose(F.hinge_embedding_loss(X, Tt, size_average=True).numpy(),
                               np_hinge_embedding(x, t, reduction="mean"))
    assert nn.PoissonNLLLoss(reduce=False).reduction == "none"
    assert nn.TripletMarginLoss(size_average=False).reduction == "sum"


def test_multi_margin_none_shape_follows_target():
    x = fastdl.tensor(np.array([0.1, 0.9, -0.3, 0.2]))
    assert tuple(F.multi_margin_loss(x, fastdl.tensor(2), reduction="none").shape) == ()
    assert tuple(F.multi_margin_loss(x, fastdl.tensor([2]), reduction="none").shape) == (1,)
    empty = F.multi_margin_loss(fastdl.zeros(0, 4), fastdl.zeros(0, dtype=fastdl.int64), reduction="none")
    assert tuple(empty.shape) == (0,)


# ---- modules ----------------------------------------------------------------------------

MODULES = [
    ("HuberLoss", dict(delta=0.5), "huber_loss", 2), ("PoissonNLLLoss", dict(full=True), "poisson_nll_loss", 2),
    ("GaussianNLLLoss", dict(full=True, eps=1e-3), "gaussian_nll_loss", 3),
    ("CosineEmbeddingLoss", dict(margin=0.1), "cosine_embedding_loss", 3),
    ("MarginRankingLoss", dict(margin=0.2, reduction="sum"), "margin_ranking_loss", 3),
    ("HingeEmbeddingLoss", dict(margin=2.0), "hinge_embedding_loss", 2),
    ("SoftMarginLoss", dict(reduction="none"), "soft_margin_loss", 2),
    ("MultiLabelSoftMarginLoss", dict(), "multilabel_soft_margin_loss", 2),
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True), "triplet_margin_loss", 3),
    ("MultiMarginLoss", dict(p=2, margin=0.5), "multi_margin_loss", 2),
    ("PairwiseDistance", dict(p=3.0, keepdim=True), "pairwise_distance", 2),
    ("CosineSimilarity", dict(dim=0, eps=1e-3), "cosine_similarity", 2),
]


def _module_inputs(fname, rng):
    r = rng.standard_normal
    return {
        "huber_loss": [r((3, 4)), r((3, 4))], "poisson_nll_loss": [r((3, 4)), rng.random((3, 4)) * 3 + 0.5],
        "gaussian_nll_loss": [r((3, 4)), r((3, 4)), rng.random((3, 4)) + 0.1],
        "cosine_embedding_loss": [r((3, 4)), r((3, 4)), np.array([1, -1, 1])],
        "margin_ranking_loss": [r(5), r(5), _sign(rng, 5)], "hinge_embedding_loss": [r((3, 4)), _sign(rng, (3, 4))],
        "soft_margin_loss": [r((3, 4)), _sign(rng, (3, 4))],
        "multilabel_soft_margin_loss": [r((3, 4)), rng.random((3, 4))],
        "triplet_margin_loss": [r((3, 4)), r((3, 4)), r((3, 4))],
        "multi_margin_loss": [r((3, 4)), np.array([0, 3, 1])],
        "pairwise_distance": [r((3, 4)), r((3, 4))], "cosine_similarity": [r((3, 4)), r((3, 4))],
    }[fname]


@pytest.mark.parametrize("cls,kw,fname,n", MODULES, ids=[m[0] for m in MODULES])
def test_module_calls_functional(cls, kw, fname, n):
    arrays = _module_inputs(fname, np.random.default_rng(6))
    xs = [fastdl.tensor(a) for a in arrays]
    mod = getattr(nn, cls)(**kw)
    fkw = {k: v for k, v in kw.items()}
    out = mod(*xs)
    np.testing.assert_allclose(out.numpy(), getattr(F, fname)(*xs, **fkw).numpy(), rtol=1e-15)


@needs_torch
@pytest.mark.parametrize("cls,kw,fname,n", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch(cls, kw, fname, n):
    arrays = _module_inputs(fname, np.random.default_rng(6))
    ours, theirs = getattr(nn, cls)(**kw), getattr(torch.nn, cls)(**kw)
    assert repr(ours) == repr(theirs)
    out = ours(*[fastdl.tensor(a) for a in arrays])
    ref = theirs(*[torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("cls", ["MultiLabelSoftMarginLoss", "MultiMarginLoss"])
def test_weighted_module_state_dict_matches_torch(cls):
    w = np.array([0.5, 1.0, 2.0, 1.5])
    ours, theirs = getattr(nn, cls)(weight=fastdl.tensor(w)), getattr(torch.nn, cls)(weight=torch.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    np.testing.assert_array_equal(ours.state_dict()["weight"].numpy(), theirs.state_dict()["weight"].numpy())
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4))
    t = np.array([0, 3, 1]) if cls == "MultiMarginLoss" else rng.random((3, 4))
    np.testing.assert_allclose(ours(fastdl.tensor(x), fastdl.tensor(t)).numpy(),
                               theirs(torch.tensor(x), torch.tensor(t)).numpy(), rtol=1e-12)


def test_module_attributes():
    pd = nn.PairwiseDistance(p=1.5, eps=0.1, keepdim=True)
    assert (pd.norm, pd.eps, pd.keepdim) == (1.5, 0.1, True)
    cs = nn.CosineSimilarity()
    assert (cs.dim, cs.eps) == (1, 1e-8)
    tm = nn.TripletMarginLoss()
    assert (tm.margin, tm.p, tm.eps, tm.swap, tm.reduction) == (1.0, 2.0, 1e-6, False, "mean")
    mm = nn.MultiMarginLoss()
    assert (mm.p, mm.margin, mm.weight) == (1, 1.0, None)
    assert nn.HuberLoss().delta == 1.0 and nn.GaussianNLLLoss().eps == 1e-6
    assert (nn.PoissonNLLLoss().log_input, nn.PoissonNLLLoss().eps) == (True, 1e-8)


# ---- errors -------------------------------------------------------------------------------

T = fastdl.tensor


def _r(*shape):
    return fastdl.tensor(np.random.default_rng(8).standard_normal(shape))


@pytest.mark.parametrize("case", [c for c in CASES if c.reduces], ids=[c.name for c in CASES if c.reduces])
def test_bad_reduction(case):
    xs = _ours(case.make(np.random.default_rng(0)), case)
    op = {"huber": "huber_loss", "poisson": "poisson_nll_loss", "gaussian": "gaussian_nll_loss",
          "cosine": "cosine_embedding_loss", "margin": "margin_ranking_loss", "hinge": "hinge_embedding_loss",
          "soft": "soft_margin_loss", "multilabel": "multilabel_soft_margin_loss", "triplet": "triplet_margin_loss",
          "multi": "multi_margin_loss"}[case.name.split("-")[0]]
    with pytest.raises(ValueError, match=f"{op}: reduction must be one of 'none', 'mean', 'sum', got 'avg'"):
        case.call(F, *xs, **dict(case.kw, reduction="avg"))


def test_shape_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"huber_loss: shapes \[3, 4\] and \[5\] cannot be broadcast"):
        F.huber_loss(_r(3, 4), _r(5))
    with pytest.raises(ValueError, match=r"poisson_nll_loss: shapes \[3, 4\] and \[5\]"):
        F.poisson_nll_loss(_r(3, 4), _r(5))
    with pytest.raises(ValueError, match=r"huber_loss: weights and input must have the same size, got weight "
                                         r"float64\[4\] and input float64\[3, 4\]"):
        F.huber_loss(_r(3, 4), _r(3, 4), weight=_r(4))
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var is of incorrect size: float64\[4\] for input "
                                         r"float64\[3, 4\]"):
        F.gaussian_nll_loss(_r(3, 4), _r(3, 4), _r(4).abs())
    with pytest.raises(ValueError, match=r"gaussian_nll_loss: var is of incorrect size"):
        F.gaussian_nll_loss(_r(3, 4), _r(3, 4), _r(1, 1).abs())
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(_r(3, 4), _r(3, 4), -_r(3, 4).abs())
    with pytest.raises(ValueError, match="gaussian_nll_loss: var has negative entry"):
        F.gaussian_nll_loss(_r(3, 4), _r(3, 4), -1.0)
    with pytest.raises(RuntimeError, match=r"cosine_embedding_loss: 1D target tensor expects 2D input tensors, "
                                           r"but found inputs with sizes \[3, 4\] and \[4\]"):
        F.cosine_embedding_loss(_r(3, 4), _r(4), T([1, -1, 1]))
    with pytest.raises(RuntimeError, match=r"cosine_embedding_loss: 0D or 1D target tensor expected"):
        F.cosine_embedding_loss(_r(3, 4), _r(3, 4), T([[1, -1, 1]]))
    with pytest.raises(ValueError, match=r"cosine_embedding_loss: shapes \[3\] and \[2\] cannot be broadcast"):
        F.cosine_embedding_loss(_r(3, 4), _r(3, 4), T([1, -1]))
    with pytest.raises(RuntimeError, match=r"margin_ranking_loss: all input tensors should have the same number of "
                                           r"dimensions, got input1 float64\[3, 4\], input2 float64\[4\]"):
        F.margin_ranking_loss(_r(3, 4), _r(4), _r(4))
    with pytest.raises(ValueError, match=r"hinge_embedding_loss: shapes \[3, 4\] and \[5\]"):
        F.hinge_embedding_loss(_r(3, 4), _r(5))
    with pytest.raises(ValueError, match=r"soft_margin_loss: shapes \[3, 4\] and \[5\]"):
        F.soft_margin_loss(_r(3, 4), _r(5))
    with pytest.raises(IndexError, match=r"multilabel_soft_margin_loss: input must have a class dimension"):
        F.multilabel_soft_margin_loss(T(1.0), T(1.0))
    with pytest.raises(RuntimeError, match=r"triplet_margin_loss: the anchor, positive, and negative tensors are "
                                           r"expected to have the same number of dimensions, but got: anchor "
                                           r"float64\[3, 4\], positive float64\[4\]"):
        F.triplet_margin_loss(_r(3, 4), _r(4), _r(3, 4))
    with pytest.raises(ValueError, match=r"pairwise_distance: shapes \[3, 4\] and \[5\] cannot be broadcast"):
        F.pairwise_distance(_r(3, 4), _r(5))
    with pytest.raises(ValueError, match=r"cosine_similarity: shapes \[3, 4\] and \[5\] cannot be broadcast"):
        F.cosine_similarity(_r(3, 4), _r(5))
    with pytest.raises(IndexError, match=r"cosine_similarity: dimension out of range"):
        F.cosine_similarity(_r(4), _r(4))


def test_argument_errors():
    with pytest.raises(RuntimeError, match="huber_loss: delta must be positive"):
        F.huber_loss(_r(3), _r(3), delta=0.0)
    with pytest.raises(TypeError, match="HuberLoss: delta must be a float or int"):
        nn.HuberLoss(delta="1")
    with pytest.raises(ValueError, match="triplet_margin_loss: margin must be greater than 0, got 0"):
        F.triplet_margin_loss(_r(3, 4), _r(3, 4), _r(3, 4), margin=0)
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=-1.0)
    with pytest.raises(TypeError, match="pairwise_distance: p must be a real number, got 'fro'"):
        F.pairwise_distance(_r(3, 4), _r(3, 4), p="fro")
    with pytest.raises(TypeError, match=r"cosine_similarity: expected the common dtype of x1 and x2 to be floating "
                                        r"point, got int64\[3\] and int64\[3\]"):
        F.cosine_similarity(T([1, 2, 3]), T([1, 2, 3]), dim=0)
    with pytest.raises(TypeError, match="soft_margin_loss: expected input to be a Tensor, got list"):
        F.soft_margin_loss([1.0], _r(1))
    with pytest.raises(TypeError, match="triplet_margin_loss: expected negative to be a Tensor, got float"):
        F.triplet_margin_loss(_r(3), _r(3), 1.0)


def test_multi_margin_errors():
    x = _r(3, 4)
    with pytest.raises(ValueError, match=r"multi_margin_loss: only p == 1 and p == 2 supported, got p=3"):
        F.multi_margin_loss(x, T([0, 1, 2]), p=3)
    with pytest.raises(ValueError, match=r"MultiMarginLoss: only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=0)
    with pytest.raises(ValueError, match=r"multi_margin_loss: weight must be one-dimensional, got float64\[1, 4\]"):
        F.multi_margin_loss(x, T([0, 1, 2]), weight=_r(1, 4))
    with pytest.raises(RuntimeError, match=r"multi_margin_loss: inconsistent weight size, expected 4 but got \[3\]"):
        F.multi_margin_loss(x, T([0, 1, 2]), weight=_r(3))
    with pytest.raises(IndexError, match=r"multi_margin_loss: target 4 is out of range for 4 classes"):
        F.multi_margin_loss(x, T([0, 4, 1]))
    with pytest.raises(IndexError, match=r"multi_margin_loss: target -1 is out of range"):
        F.multi_margin_loss(x, T([0, -1, 1]))
    with pytest.raises(RuntimeError, match=r"multi_margin_loss: target should be 1-D with one class index per "
                                           r"sample: expected target size \[3\] for input float64\[3, 4\], got "
                                           r"int64\[2\]"):
        F.multi_margin_loss(x, T([0, 1]))
    with pytest.raises(RuntimeError, match=r"multi_margin_loss: expected a non-empty vector or matrix with optional "
                                           r"0-dim batch size, got input float64\[2, 3, 4\]"):
        F.multi_margin_loss(_r(2, 3, 4), T([0, 1]))
    with pytest.raises(TypeError, match=r"multi_margin_loss: expected int64 class indices as target, got "
                                        r"float64\[3\]"):
        F.multi_margin_loss(x, _r(3))


def test_import_without_torch_is_possible():
    """The modules under test never import torch themselves."""
    import importlib
    import sys
    for name in ("fastdl.nn.functional.loss", "fastdl.nn.functional.distance", "fastdl.nn.modules.loss",
                 "fastdl.nn.modules.distance"):
        mod = importlib.import_module(name)
        src = open(mod.__file__).read()
        assert "import torch" not in src, name
    assert "fastdl.nn.functional.distance" in sys.modules


# ---- CUDA ----------------------------------------------------------------------------------

@pytest.mark.cuda
def test_losses_on_cuda_match_numpy():
    """Every case on the GPU: values against NumPy, gradients against the CPU run."""
    for case in CASES:
        for reduction in (REDUCTIONS if case.reduces else (None,)):
            arrays = case.make(np.random.default_rng(0))
            kw = _kw(case, reduction)
            expected = case.ref(*arrays, **kw)
            outs, grads = [], []
            for dev in ("cpu", "cuda"):
                xs = _ours(arrays, case, device=dev)
                out = case.call(F, *xs, **kw)
                assert out.device.type == dev
                w = fastdl.tensor(np.random.default_rng(1).standard_normal(np.shape(expected)), device=dev)
                (out * w).sum().backward()
                outs.append(out.detach().cpu().numpy())
                grads.append([xs[i].grad.cpu().numpy() for i in case.grad])
            np.testing.assert_allclose(outs[1], expected, rtol=1e-9, atol=1e-11, err_msg=case.name)
            for gc, gg in zip(*grads):
                np.testing.assert_allclose(gg, gc, rtol=1e-9, atol=1e-11, err_msg=case.name)
