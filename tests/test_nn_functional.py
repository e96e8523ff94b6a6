"""fastdl.nn.functional: every op against a float64 NumPy reference (float32 and
float64), gradcheck of every differentiable input (weights and biases included),
parity with torch.nn.functional (outputs, gradients, in-place running statistics),
and the errors each op raises."""
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl.testing import gradcheck

try:
    import torch
    import torch.nn.functional as TF
except ImportError:  # parity tests skip cleanly without torch
    torch = TF = None

# torch warns that kl_div's 'mean' will change meaning; fastdl keeps PyTorch's current one
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")

_erf = np.vectorize(math.erf)


# ---- float64 NumPy references --------------------------------------------------------

def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def np_log_softmax(x, dim):
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def np_gelu(x, approximate="none"):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def np_softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


def _channel_view(x, v):
    return v.reshape([1, x.shape[1]] + [1] * (x.ndim - 2))


def np_batch_norm(x, rm, rv, w=None, b=None, training=False, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    mean, var = (x.mean(axis=axes), x.var(axis=axes)) if training else (rm, rv)
    y = (x - _channel_view(x, mean)) / np.sqrt(_channel_view(x, var) + eps)
    if w is not None:
        y = y * _channel_view(x, w)
    return y + _channel_view(x, b) if b is not None else y


def np_layer_norm(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    if w is not None:
        y = y * w
    return y + b if b is not None else y


def np_reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def np_bce(x, t, w=None, reduction="mean"):
    loss = -(t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log(1 - x), -100))
    return np_reduce(loss * (1 if w is None else w), reduction)


def np_bce_logits(x, t, w=None, reduction="mean", pos_weight=None):
    p = np_sigmoid(x)
    pw = 1 if pos_weight is None else pos_weight
    loss = -(pw * t * np.log(p) + (1 - t) * np.log(1 - p))
    return np_reduce(loss * (1 if w is None else w), reduction)


def np_nll(x, t, w=None, ignore_index=-100, reduction="mean"):
    """Loop over samples: -w[c] * x[n, c], skipping ignore_index."""
    C = x.shape[0] if x.ndim == 1 else x.shape[1]
    rows = x[None] if x.ndim == 1 else np.moveaxis(x, 1, -1).reshape(-1, C)
    targets = np.asarray(t).reshape(-1)
    losses, total = np.zeros(len(targets)), 0.0
    for i, c in enumerate(targets):
        if c == ignore_index:
            continue
        wc = 1.0 if w is None else w[c]
        losses[i] = -wc * rows[i, c]
        total += wc
    if reduction == "none":
        return losses.reshape(np.shape(t))
    return losses.sum() if reduction == "sum" else losses.sum() / total


def np_kl_div(x, t, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        loss = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0) - t * x
    if reduction == "batchmean":
        return loss.sum() / x.shape[0]
    return np_reduce(loss, reduction)


def np_smooth_l1(x, t, reduction="mean", beta=1.0):
    d = np.abs(x - t)
    loss = d if beta == 0 else np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return np_reduce(loss, reduction)


# ---- the table -----------------------------------------------------------------------

@dataclass
class Case:
    name: str
    call: Callable      # call(F, *tensors): the same spelling in fastdl and torch.nn.functional
    ref: Callable       # ref(*float64 arrays)
    inputs: Callable    # rng -> list of arrays (int arrays become int64 index tensors)
    diff: tuple = None  # indices of inputs to differentiate (default: every float input)
    tol32: float = 2e-5
    calculus: bool = True  # False: the gradient is zeroed by definition somewhere (padding_idx)


def R(rng, *shape):
    return rng.standard_normal(shape)


def P(rng, *shape):  # probabilities away from 0 and 1
    return rng.uniform(0.05, 0.95, shape)


def _log_probs(rng, *shape):
    return np_log_softmax(R(rng, *shape), 1 if len(shape) > 1 else 0)


def _targets(rng, C, *shape):
    return rng.integers(0, C, shape)


CASES = [
    Case("linear", lambda F, x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
         lambda g: [R(g, 5, 4), R(g, 3, 4), R(g, 3)]),
    Case("linear-batch1-nobias", lambda F, x, w: F.linear(x, w), lambda x, w: x @ w.T, lambda g: [R(g, 1, 4), R(g, 3, 4)]),
    Case("linear-3d", lambda F, x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
         lambda g: [R(g, 2, 3, 4), R(g, 5, 4), R(g, 5)]),
    Case("linear-1d", lambda F, x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
         lambda g: [R(g, 4), R(g, 2, 4), R(g, 2)]),
    Case("linear-transposed-input", lambda F, x, w, b: F.linear(x.t(), w, b), lambda x, w, b: x.T @ w.T + b,
         lambda g: [R(g, 4, 6), R(g, 3, 4), R(g, 3)]),
    Case("relu", lambda F, x: F.relu(x), lambda x: np.maximum(x, 0), lambda g: [R(g, 4, 5)]),
    Case("leaky_relu", lambda F, x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), lambda g: [R(g, 4, 5)]),
    Case("leaky_relu-default", lambda F, x: F.leaky_relu(x), lambda x: np.where(x > 0, x, 0.01 * x),
         lambda g: [R(g, 1, 6)]),
    Case("gelu", lambda F, x: F.gelu(x), np_gelu, lambda g: [R(g, 3, 7) * 2]),
    Case("gelu-tanh", lambda F, x: F.gelu(x, approximate="tanh"), lambda x: np_gelu(x, "tanh"),
         lambda g: [R(g, 3, 7) * 2]),
    Case("softplus", lambda F, x: F.softplus(x), np_softplus, lambda g: [R(g, 4, 5) * 3]),
    Case("softplus-beta-threshold", lambda F, x: F.softplus(x, beta=2.0, threshold=1.5),
         lambda x: np_softplus(x, 2.0, 1.5), lambda g: [R(g, 4, 5) * 2]),
    Case("sigmoid", lambda F, x: F.sigmoid(x), np_sigmoid, lambda g: [R(g, 4, 5)]),
    Case("tanh", lambda F, x: F.tanh(x), np.tanh, lambda g: [R(g, 4, 5)]),
    Case("softmax", lambda F, x: F.softmax(x, dim=1), lambda x: np_softmax(x, 1), lambda g: [R(g, 3, 5, 2)]),
    Case("softmax-batch1", lambda F, x: F.softmax(x, dim=-1), lambda x: np_softmax(x, -1), lambda g: [R(g, 1, 6)]),
    Case("log_softmax", lambda F, x: F.log_softmax(x, dim=-1), lambda x: np_log_softmax(x, -1), lambda g: [R(g, 4, 6)]),
    Case("silu", lambda F, x: F.silu(x), lambda x: x * np_sigmoid(x), lambda g: [R(g, 4, 5) * 3]),
    Case("elu", lambda F, x: F.elu(x), np_elu, lambda g: [R(g, 4, 5)]),
    Case("elu-alpha", lambda F, x: F.elu(x, alpha=0.5), lambda x: np_elu(x, 0.5), lambda g: [R(g, 2, 3, 4)]),
    Case("batch_norm-train-NC", lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         lambda x, w, b: np_batch_norm(x, None, None, w, b, True), lambda g: [R(g, 6, 4) * 2 + 1, R(g, 4), R(g, 4)]),
    Case("batch_norm-train-NCHW-running",
         lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.3),
         lambda x, w, b, rm, rv: np_batch_norm(x, rm, rv, w, b, True),
         lambda g: [R(g, 3, 2, 4, 5) + 3, R(g, 2), R(g, 2), R(g, 2), g.uniform(0.5, 2, 2)], diff=(0, 1, 2)),
    Case("batch_norm-train-batch1-NCL", lambda F, x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         lambda x, w, b: np_batch_norm(x, None, None, w, b, True), lambda g: [R(g, 1, 3, 5), R(g, 3), R(g, 3)]),
    Case("batch_norm-train-noaffine", lambda F, x: F.batch_norm(x, None, None, training=True, eps=1e-3),
         lambda x: np_batch_norm(x, None, None, training=True, eps=1e-3), lambda g: [R(g, 5, 3, 2)]),
    Case("batch_norm-eval-NCL", lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b),
         lambda x, w, b, rm, rv: np_batch_norm(x, rm, rv, w, b),
         lambda g: [R(g, 4, 3, 5), R(g, 3), R(g, 3), R(g, 3), g.uniform(0.5, 2, 3)], diff=(0, 1, 2)),
    Case("batch_norm-eval-NCHW-batch1", lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, False),
         lambda x, w, b, rm, rv: np_batch_norm(x, rm, rv, w, b),
         lambda g: [R(g, 1, 2, 3, 3), R(g, 2), R(g, 2), R(g, 2), g.uniform(0.5, 2, 2)], diff=(0, 1, 2)),
    # sizes past the kernels' threading grain, several channel blocks, strided inputs
    Case("linear-large-transposed-weight", lambda F, x, w, b: F.linear(x, w.t(), b), lambda x, w, b: x @ w + b,
         lambda g: [R(g, 70, 90), R(g, 90, 60), R(g, 60)], tol32=1e-4),
    Case("batch_norm-train-wide-NC", lambda F, x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, True),
         lambda x, w, b, rm, rv: np_batch_norm(x, rm, rv, w, b, True),
         lambda g: [R(g, 300, 130), R(g, 130), R(g, 130), R(g, 130), g.uniform(0.5, 2, 130)], diff=(0, 1, 2),
         tol32=1e-4),
    Case("batch_norm-train-large-NCHW", lambda F, x, w, b: F.batch_norm(x, None, None, w, b, True),
         lambda x, w, b: np_batch_norm(x, None, None, w, b, True), lambda g: [R(g, 8, 3, 40, 40), R(g, 3), R(g, 3)],
         tol32=1e-4),
    Case("batch_norm-train-transposed", lambda F, x, w, b: F.batch_norm(x.t(), None, None, w, b, True),
         lambda x, w, b: np_batch_norm(x.T, None, None, w, b, True), lambda g: [R(g, 4, 6), R(g, 4), R(g, 4)]),
    Case("layer_norm-large", lambda F, x, w, b: F.layer_norm(x, (160,), w, b),
         lambda x, w, b: np_layer_norm(x, 1, w, b), lambda g: [R(g, 256, 160), R(g, 160), R(g, 160)], tol32=1e-4),
    Case("layer_norm-wide-row", lambda F, x, w, b: F.layer_norm(x, (600,), w, b),
         lambda x, w, b: np_layer_norm(x, 1, w, b), lambda g: [R(g, 3, 600) + 5, R(g, 600), R(g, 600)], tol32=1e-4),
    Case("layer_norm-transposed", lambda F, x, w, b: F.layer_norm(x.transpose(0, 1), (3,), w, b),
         lambda x, w, b: np_layer_norm(x.swapaxes(0, 1), 1, w, b), lambda g: [R(g, 4, 2, 3), R(g, 3), R(g, 3)]),
    Case("layer_norm", lambda F, x, w, b: F.layer_norm(x, (5,), w, b), lambda x, w, b: np_layer_norm(x, 1, w, b),
         lambda g: [R(g, 4, 5) * 3 + 2, R(g, 5), R(g, 5)]),
    Case("layer_norm-2d-shape", lambda F, x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3),
         lambda x, w, b: np_layer_norm(x, 2, w, b, eps=1e-3), lambda g: [R(g, 2, 3, 4), R(g, 3, 4), R(g, 3, 4)]),
    Case("layer_norm-batch1-noaffine", lambda F, x: F.layer_norm(x, [6]), lambda x: np_layer_norm(x, 1),
         lambda g: [R(g, 1, 6)]),
    Case("layer_norm-weight-only", lambda F, x, w: F.layer_norm(x, (4,), w), lambda x, w: np_layer_norm(x, 1, w),
         lambda g: [R(g, 3, 2, 4), R(g, 4)]),
    Case("embedding", lambda F, i, w: F.embedding(i, w), lambda i, w: w[i],
         lambda g: [g.integers(0, 6, (3, 4)), R(g, 6, 5)]),
    Case("embedding-padding", lambda F, i, w: F.embedding(i, w, padding_idx=0), lambda i, w: w[i],
         lambda g: [np.array([[0, 2, 0], [5, 1, 2]]), R(g, 6, 3)], calculus=False),
    Case("embedding-padding-negative", lambda F, i, w: F.embedding(i, w, padding_idx=-1), lambda i, w: w[i],
         lambda g: [np.array([4, 3, 4, 0]), R(g, 5, 2)], calculus=False),
    Case("binary_cross_entropy", lambda F, x, t: F.binary_cross_entropy(x, t), np_bce,
         lambda g: [P(g, 4, 3), g.uniform(0, 1, (4, 3))]),
    Case("binary_cross_entropy-weight-sum", lambda F, x, t, w: F.binary_cross_entropy(x, t, w, reduction="sum"),
         lambda x, t, w: np_bce(x, t, w, "sum"), lambda g: [P(g, 4, 3), g.uniform(0, 1, (4, 3)), g.uniform(0.5, 2, 3)],
         diff=(0, 1)),
    Case("binary_cross_entropy-none-batch1", lambda F, x, t: F.binary_cross_entropy(x, t, reduction="none"),
         lambda x, t: np_bce(x, t, reduction="none"), lambda g: [P(g, 1, 5), g.uniform(0, 1, (1, 5))]),
    Case("bce_with_logits", lambda F, x, t: F.binary_cross_entropy_with_logits(x, t), np_bce_logits,
         lambda g: [R(g, 4, 3) * 3, g.uniform(0, 1, (4, 3))]),
    Case("bce_with_logits-pos_weight-weight",
         lambda F, x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, w, reduction="sum", pos_weight=pw),
         lambda x, t, w, pw: np_bce_logits(x, t, w, "sum", pw),
         lambda g: [R(g, 5, 3) * 3, g.uniform(0, 1, (5, 3)), g.uniform(0.5, 2, (5, 1)), g.uniform(0.5, 3, 3)],
         diff=(0, 1)),
    Case("bce_with_logits-none", lambda F, x, t: F.binary_cross_entropy_with_logits(x, t, reduction="none"),
         lambda x, t: np_bce_logits(x, t, reduction="none"), lambda g: [R(g, 6) * 4, g.uniform(0, 1, 6)]),
    Case("nll_loss", lambda F, x, t: F.nll_loss(x, t), np_nll, lambda g: [_log_probs(g, 5, 4), _targets(g, 4, 5)]),
    Case("nll_loss-weight-ignore", lambda F, x, t, w: F.nll_loss(x, t, w, ignore_index=1),
         lambda x, t, w: np_nll(x, t, w, ignore_index=1),
         lambda g: [_log_probs(g, 6, 3), np.array([0, 1, 2, 1, 2, 0]), g.uniform(0.5, 2, 3)], diff=(0,)),
    Case("nll_loss-NCd-sum", lambda F, x, t: F.nll_loss(x, t, reduction="sum"),
         lambda x, t: np_nll(x, t, reduction="sum"), lambda g: [_log_probs(g, 2, 3, 4), _targets(g, 3, 2, 4)]),
    Case("nll_loss-none-batch1", lambda F, x, t: F.nll_loss(x, t, reduction="none"),
         lambda x, t: np_nll(x, t, reduction="none"), lambda g: [_log_probs(g, 1, 5), _targets(g, 5, 1)]),
    Case("nll_loss-1d", lambda F, x, t: F.nll_loss(x, t), np_nll, lambda g: [_log_probs(g, 5), np.array(3)]),
    Case("kl_div-batchmean", lambda F, x, t: F.kl_div(x, t, reduction="batchmean"),
         lambda x, t: np_kl_div(x, t, "batchmean"), lambda g: [_log_probs(g, 4, 5), np_softmax(R(g, 4, 5), 1)]),
    Case("kl_div-zero-targets-sum", lambda F, x, t: F.kl_div(x, t, reduction="sum"),
         lambda x, t: np_kl_div(x, t, "sum"),
         lambda g: [_log_probs(g, 3, 4), np.array([[0.5, 0, 0.5, 0], [0.1, 0.2, 0.3, 0.4], [0, 0, 1.0, 0]])],
         diff=(0,)),
    Case("kl_div-mean-log_target", lambda F, x, t: F.kl_div(x, t, log_target=True),
         lambda x, t: np_kl_div(x, t, "mean", True), lambda g: [_log_probs(g, 3, 4), _log_probs(g, 3, 4)]),
    Case("kl_div-none", lambda F, x, t: F.kl_div(x, t, reduction="none"), lambda x, t: np_kl_div(x, t, "none"),
         lambda g: [_log_probs(g, 1, 4), np_softmax(R(g, 1, 4), 1)]),
    Case("smooth_l1_loss", lambda F, x, t: F.smooth_l1_loss(x, t), np_smooth_l1, lambda g: [R(g, 4, 5), R(g, 4, 5)]),
    Case("smooth_l1_loss-beta-none", lambda F, x, t: F.smooth_l1_loss(x, t, reduction="none", beta=0.5),
         lambda x, t: np_smooth_l1(x, t, "none", 0.5), lambda g: [R(g, 3, 4), R(g, 3, 4)]),
    Case("smooth_l1_loss-beta0-sum", lambda F, x, t: F.smooth_l1_loss(x, t, reduction="sum", beta=0.0),
         lambda x, t: np_smooth_l1(x, t, "sum", 0.0), lambda g: [R(g, 6), R(g, 6)]),
    Case("l1_loss", lambda F, x, t: F.l1_loss(x, t), lambda x, t: np.abs(x - t).mean(), lambda g: [R(g, 4, 5), R(g, 4, 5)]),
    Case("l1_loss-none", lambda F, x, t: F.l1_loss(x, t, reduction="none"), lambda x, t: np.abs(x - t),
         lambda g: [R(g, 1, 3), R(g, 1, 3)]),
    Case("mse_loss-sum", lambda F, x, t: F.mse_loss(x, t, reduction="sum"), lambda x, t: ((x - t) ** 2).sum(),
         lambda g: [R(g, 4, 5), R(g, 4, 5)]),
    Case("cross_entropy", lambda F, x, t: F.cross_entropy(x, t), lambda x, t: np_nll(np_log_softmax(x, 1), t),
         lambda g: [R(g, 5, 4), _targets(g, 4, 5)]),
]
IDS = [c.name for c in CASES]


def _arrays(case):
    return case.inputs(np.random.default_rng(sum(map(ord, case.name))))


def _diff(case, arrays):
    if case.diff is not None:
        return set(case.diff)
    return {i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f"}


def _fastdl_inputs(case, arrays, dtype=fastdl.float64, grad=False):
    diff = _diff(case, arrays)
    return [fastdl.tensor(np.array(a), dtype=dtype, requires_grad=grad and i in diff) if np.asarray(a).dtype.kind == "f"
            else fastdl.tensor(np.asarray(a, dtype=np.int64)) for i, a in enumerate(arrays)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward_matches_numpy(case, dtype):
    arrays = _arrays(case)
    expected = case.ref(*[np.array(a) for a in arrays])
    out = case.call(F, *_fastdl_inputs(case, arrays, getattr(fastdl, dtype)))
    got = out.numpy()
    assert got.shape == np.shape(expected)
    assert out.dtype is getattr(fastdl, dtype)
    tol = case.tol32 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", [c for c in CASES if c.calculus], ids=[c.name for c in CASES if c.calculus])
def test_gradcheck(case):
    inputs = _fastdl_inputs(case, _arrays(case), grad=True)
    assert gradcheck(lambda *xs: case.call(F, *xs), inputs)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_torch_parity(case):
    """Same outputs and input gradients as torch.nn.functional, and the same in-place
    effects on the inputs (batch_norm's running statistics)."""
    arrays = _arrays(case)
    ours = _fastdl_inputs(case, arrays, grad=True)
    diff = _diff(case, arrays)
    theirs = [torch.tensor(np.array(a), dtype=torch.float64, requires_grad=i in diff) if np.asarray(a).dtype.kind == "f"
              else torch.tensor(np.asarray(a, dtype=np.int64)) for i, a in enumerate(arrays)]
    out, ref = case.call(F, *ours), case.call(TF, *theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(3).standard_normal(tuple(out.shape))
    (out * fastdl.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if i in diff:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"input {i}")
        else:
            np.testing.assert_allclose(np.array(a), b.detach().numpy(), rtol=1e-14, err_msg=f"input {i} after the call")


def test_gradcheck_loss_weights():
    """torch does not differentiate the class / element weights; fastdl does, correctly."""
    rng = np.random.default_rng(0)

    def t(a, grad=True):
        return fastdl.tensor(a, dtype=fastdl.float64, requires_grad=grad)
    x, y = t(P(rng, 4, 3)), t(rng.uniform(0, 1, (4, 3)), False)
    assert gradcheck(lambda x, w: F.binary_cross_entropy(x, y, w), [x, t(rng.uniform(0.5, 2, 3))])
    z = t(R(rng, 4, 3) * 3)
    assert gradcheck(lambda z, w, pw: F.binary_cross_entropy_with_logits(z, y, w, pos_weight=pw),
                     [z, t(rng.uniform(0.5, 2, (4, 1))), t(rng.uniform(0.5, 3, 3))])
    lp = t(_log_probs(rng, 6, 3))
    target = fastdl.tensor([0, 1, 2, 1, 2, 0])
    assert gradcheck(lambda lp, w: F.nll_loss(lp, target, w, ignore_index=2), [lp, t(rng.uniform(0.5, 2, 3))])


# ---- batch_norm running statistics, dropout, in-place forms ---------------------------

@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_updates_running_stats_with_unbiased_variance(shape):
    rng = np.random.default_rng(0)
    rm0, rv0 = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    rm, rv = fastdl.tensor(rm0), fastdl.tensor(rv0)
    x = rng.standard_normal(shape) * 2 + 1
    for step in range(3):
        F.batch_norm(fastdl.tensor(x + step), rm, rv, training=True, momentum=0.2)
        axes = (0,) + tuple(range(2, len(shape)))
        n = x.size / 3
        rm0 = 0.8 * rm0 + 0.2 * (x + step).mean(axis=axes)
        rv0 = 0.8 * rv0 + 0.2 * x.var(axis=axes) * n / (n - 1)
    np.testing.assert_allclose(rm.numpy(), rm0, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), rv0, rtol=1e-12)


def test_batch_norm_eval_leaves_running_stats_and_float32_large_mean():
    rm, rv = fastdl.tensor([1.0, -2.0], dtype=fastdl.float64), fastdl.tensor([4.0, 0.25], dtype=fastdl.float64)
    x = np.random.default_rng(1).standard_normal((5, 2, 3))
    F.batch_norm(fastdl.tensor(x), rm, rv, training=False)
    assert rm.tolist() == [1.0, -2.0] and rv.tolist() == [4.0, 0.25]
    # a mean far from 0 must not cancel the float32 variance away (what is left is
    # half a float32 ulp of 1e4 in x - mean)
    big = (np.random.default_rng(2).standard_normal((64, 2)) + 1e4).astype(np.float32)
    out = F.batch_norm(fastdl.tensor(big), None, None, training=True).numpy()
    np.testing.assert_allclose(out, np_batch_norm(big.astype(np.float64), None, None, training=True), atol=1e-3)
    out = F.layer_norm(fastdl.tensor(big.T.copy()), (64,)).numpy()
    np.testing.assert_allclose(out, np_layer_norm(big.T.astype(np.float64), 1), atol=1e-3)


def test_batch_norm_empty_batch_returns_empty_and_keeps_stats():
    rm, rv = fastdl.zeros(3), fastdl.ones(3)
    out = F.batch_norm(fastdl.zeros(0, 3), rm, rv, training=True)
    assert tuple(out.shape) == (0, 3)
    assert rm.tolist() == [0, 0, 0] and rv.tolist() == [1, 1, 1]


def test_dropout_mask_scale_and_gradient():
    x = fastdl.ones(200, 50, dtype=fastdl.float64, requires_grad=True)
    fastdl.manual_seed(3)
    y = F.dropout(x, p=0.3)
    vals = y.detach().numpy()
    assert set(np.unique(vals).round(12)) == {0.0, round(1 / 0.7, 12)}
    assert abs((vals == 0).mean() - 0.3) < 0.02  # 10,000 draws: 5 sigma is 0.023
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), vals)  # d/dx of x * mask / (1 - p)
    fastdl.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, p=0.3).detach().numpy(), vals)  # seeded: reproducible


def test_dropout_identity_cases():
    x = fastdl.randn(4, 5)
    assert F.dropout(x, p=0.5, training=False) is x
    assert F.dropout(x, p=0.0) is x
    assert np.all(F.dropout(x, p=1.0).numpy() == 0)
    x64 = fastdl.randn(3, 4, dtype=fastdl.float64, requires_grad=True)
    assert gradcheck(lambda t: (fastdl.manual_seed(5), F.dropout(t, 0.4))[1], [x64])


def test_dropout_inplace_writes_into_input():
    x = fastdl.ones(10, 10)
    fastdl.manual_seed(0)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("fn,ref", [(F.relu, lambda a: np.maximum(a, 0)),
                                    (lambda t, inplace: F.leaky_relu(t, 0.1, inplace), lambda a: np.where(a > 0, a, 0.1 * a)),
                                    (F.elu, np_elu), (F.silu, lambda a: a * np_sigmoid(a))])
def test_activation_inplace(fn, ref):
    a = np.random.default_rng(0).standard_normal((3, 4))
    x = fastdl.tensor(a)
    assert fn(x, inplace=True) is x
    np.testing.assert_allclose(x.numpy(), ref(a), rtol=1e-12)


def test_softplus_large_inputs_do_not_overflow():
    x = fastdl.tensor([-800.0, -30.0, 30.0, 800.0], dtype=fastdl.float64)
    np.testing.assert_allclose(F.softplus(x).numpy(), [0.0, math.exp(-30), 30.0, 800.0], rtol=1e-12)


def test_bce_clamps_log_at_minus_100_and_keeps_gradients_finite():
    x = fastdl.tensor([0.0, 1.0, 0.5], dtype=fastdl.float64, requires_grad=True)
    t = fastdl.tensor([1.0, 0.0, 1.0], dtype=fastdl.float64)
    loss = F.binary_cross_entropy(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, math.log(2)], rtol=1e-12)
    loss.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_bce_with_logits_is_stable_for_large_logits():
    x = fastdl.tensor([-1000.0, 1000.0, 0.0], dtype=fastdl.float64, requires_grad=True)
    t = fastdl.tensor([1.0, 0.0, 1.0], dtype=fastdl.float64)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [1000.0, 1000.0, math.log(2)], rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, 1.0, -0.5], rtol=1e-12)


def test_nll_loss_all_ignored_mean_is_nan():
    out = F.nll_loss(fastdl.randn(2, 3), fastdl.tensor([-100, -100]))
    assert math.isnan(out.item())


def test_embedding_gradient_skips_padding_row():
    w = fastdl.randn(5, 3, dtype=fastdl.float64, requires_grad=True)
    F.embedding(fastdl.tensor([[2, 2], [0, 4]]), w, padding_idx=2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.array([[1.0] * 3, [0] * 3, [0] * 3, [0] * 3, [1.0] * 3]))


# ---- errors ------------------------------------------------------------------------------

def test_kernels_validate_their_arguments():
    """The C++ kernels' own checks (the last line of defence behind the Python ones)."""
    cpu = fastdl._C.cpu
    x, C = fastdl.randn(4, 3), 3
    stats = [fastdl.empty(C), fastdl.empty(C)]
    with pytest.raises(ValueError, match="batch_norm: out must match the input"):
        cpu.batch_norm(x, None, None, None, None, fastdl.empty(4, 4), *stats, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="batch_norm: weight must have 3 elements"):
        cpu.batch_norm(x, fastdl.ones(2), None, None, None, fastdl.empty(4, 3), *stats, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var are required in evaluation"):
        cpu.batch_norm(x, None, None, None, None, fastdl.empty(4, 3), *stats, False, 0.1, 1e-5)
    with pytest.raises(TypeError, match="batch_norm: expected a float32 or float64 input"):
        cpu.batch_norm(fastdl.tensor([[1, 2]]), None, None, None, None, fastdl.empty(1, 2), *stats, True, 0.1, 1e-5)
    with pytest.raises(ValueError, match="batch_norm_backward: grad_x must match the input"):
        cpu.batch_norm_backward(x, x, None, *stats, fastdl.empty(3, 4), None, None, True)
    with pytest.raises(ValueError, match="layer_norm: input must be contiguous"):
        cpu.layer_norm(x.t(), None, None, fastdl.empty(3, 4), fastdl.empty(3), fastdl.empty(3), 1, 1e-5)
    with pytest.raises(ValueError, match="layer_norm: axis 3 out of range"):
        cpu.layer_norm(x, None, None, fastdl.empty(4, 3), fastdl.empty(4), fastdl.empty(4), 3, 1e-5)
    with pytest.raises(ValueError, match="layer_norm_backward: mean must have 4 elements"):
        cpu.layer_norm_backward(x, x, fastdl.empty(3), fastdl.empty(4), None, None, None, None, 1)
    with pytest.raises(ValueError, match=r"linear: bias must be \[2\]"):
        cpu.linear(x, fastdl.randn(2, 3), fastdl.randn(3), fastdl.empty(4, 2))
    with pytest.raises(ValueError, match="linear: out must be contiguous"):
        cpu.linear(x, fastdl.randn(2, 3), None, fastdl.empty(2, 4).t())
    with pytest.raises(TypeError, match="linear: expected dtype float32"):
        cpu.linear(x, fastdl.randn(2, 3, dtype=fastdl.float64), None, fastdl.empty(4, 2))


def test_errors_name_the_op():
    x = fastdl.randn(4, 3)
    with pytest.raises(ValueError, match="linear: input .* has 3 features"):
        F.linear(x, fastdl.randn(2, 4))
    with pytest.raises(ValueError, match="linear: bias must have shape"):
        F.linear(x, fastdl.randn(2, 3), fastdl.randn(3))
    with pytest.raises(TypeError, match="linear: expected input, weight and bias of one dtype"):
        F.linear(x, fastdl.randn(2, 3, dtype=fastdl.float64))
    with pytest.raises(ValueError, match="dropout: probability has to be between 0 and 1"):
        F.dropout(x, p=1.5)
    with pytest.raises(ValueError, match="batch_norm: expected more than 1 value per channel"):
        F.batch_norm(fastdl.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var must be defined"):
        F.batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match="batch_norm: weight should contain 3 elements"):
        F.batch_norm(x, None, None, fastdl.ones(4), training=True)
    with pytest.raises(ValueError, match=r"layer_norm: given normalized_shape=\[4\]"):
        F.layer_norm(x, (4,))
    with pytest.raises(ValueError, match="layer_norm: weight must have shape"):
        F.layer_norm(x, 3, fastdl.ones(2))
    with pytest.raises(IndexError, match="embedding: index 7 is out of range for 5 embeddings"):
        F.embedding(fastdl.tensor([1, 7]), fastdl.randn(5, 2))
    with pytest.raises(TypeError, match="embedding: expected int64 indices"):
        F.embedding(fastdl.tensor([1.0]), fastdl.randn(5, 2))
    with pytest.raises(ValueError, match="gelu: approximate must be"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="binary_cross_entropy: all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(x, fastdl.zeros(4, 3))
    with pytest.raises(ValueError, match="binary_cross_entropy: using a target size"):
        F.binary_cross_entropy(fastdl.rand(4, 3), fastdl.zeros(4, 1))
    with pytest.raises(IndexError, match="nll_loss: target 3 is out of bounds for 3 classes"):
        F.nll_loss(x, fastdl.tensor([0, 1, 3, 2]))
    with pytest.raises(ValueError, match="nll_loss: expected target of shape"):
        F.nll_loss(x, fastdl.tensor([0, 1]))
    with pytest.raises(ValueError, match="kl_div: reduction must be one of"):
        F.kl_div(x, x, reduction="avg")
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="l1_loss: reduction must be one of"):
        F.l1_loss(x, x, reduction="batchmean")
