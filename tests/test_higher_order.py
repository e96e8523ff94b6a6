"""Higher-order gradients (create_graph=True): every op of op_table.py differentiates twice
correctly (float64 gradgradcheck: the create_graph gradient checked against central
differences); the nn layers with
dedicated backward kernels (linear, conv2d / conv_transpose2d, pooling, norms, embedding,
LSTM / GRU, softmax, cross_entropy) by gradgradcheck and against torch (WGAN-GP, MAML,
HVP, recurrent gradient penalties); the autograd API (create_graph, non-leaf inputs of
grad, once_differentiable)."""
import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl.testing import gradgradcheck
from op_table import OPS
from test_ops import _differentiable, grad_inputs

try:
    import torch
except ImportError:  # the parity tests skip cleanly without torch
    torch = None

# the first differentiable sample of each op keeps the sweep fast
FIRST = {}
for op in OPS:
    for i in range(len(op.samples(np.random.default_rng(0)))):
        if _differentiable(op, i):
            FIRST.setdefault(op.name, (op, i))
            break


@pytest.mark.parametrize("name", sorted(FIRST))
def test_gradgradcheck_op_table(name):
    op, idx = FIRST[name]
    inputs, kw = grad_inputs(op, idx)
    assert gradgradcheck(lambda *xs: op.fn(*xs, **kw), inputs)


def _t(a, grad=True):
    return fastdl.tensor(np.asarray(a, dtype=np.float64), dtype=fastdl.float64, requires_grad=grad)


def test_second_derivative_values():
    x = _t([0.3, -0.7, 1.5])
    for f, d2 in [(fastdl.tanh, lambda v: -2 * np.tanh(v) * (1 - np.tanh(v) ** 2)),
                  (fastdl.sigmoid, lambda v: (s := 1 / (1 + np.exp(-v))) * (1 - s) * (1 - 2 * s)),
                  (fastdl.exp, np.exp), (fastdl.sin, lambda v: -np.sin(v))]:
        g, = fastdl.autograd.grad(f(x).sum(), x, create_graph=True)
        assert g.requires_grad
        h, = fastdl.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(h.numpy(), d2(np.array([0.3, -0.7, 1.5])), rtol=1e-12)


def test_relu_second_derivative_is_zero_not_an_error():
    x = _t([0.3, -0.7, 1.5])
    g, = fastdl.autograd.grad(F.relu(x).sum(), x, create_graph=True)
    h, = fastdl.autograd.grad(g.sum(), x)
    assert np.all(h.numpy() == 0)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_twice(approximate):
    x = _t(np.linspace(-3, 3, 11))
    assert gradgradcheck(lambda v: F.gelu(v, approximate=approximate), [x])


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid"])
def test_linear_activation_twice(act):
    from fastdl.nn.functional.linear import linear_activation
    rng = np.random.default_rng(0)
    x, w, b = _t(rng.standard_normal((2, 3, 4))), _t(rng.standard_normal((5, 4))), _t(rng.standard_normal(5))
    assert gradgradcheck(lambda x, w, b: linear_activation(x, w, b, act), [x, w, b])
    assert gradgradcheck(lambda x, w, b: F.linear(x, w, b), [x, w, b])


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, groups=2)])
def test_conv2d_twice(kw):
    rng = np.random.default_rng(1)
    x, w, b = _t(rng.standard_normal((2, 4, 7, 6))), _t(rng.standard_normal((6, 4 // kw.get("groups", 1), 3, 3))), \
        _t(rng.standard_normal(6))
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, **kw), [x, w, b], atol=1e-4)


@pytest.mark.parametrize("kw", [dict(), dict(label_smoothing=0.2), dict(ignore_index=1, reduction="sum"),
                                dict(weight=True, label_smoothing=0.1)])
def test_cross_entropy_twice(kw):
    rng = np.random.default_rng(2)
    x = _t(rng.standard_normal((5, 4)))
    t = fastdl.tensor([0, 1, 3, 1, 2])
    kw = dict(kw)
    if kw.pop("weight", False):
        kw["weight"] = fastdl.tensor([0.5, 1.0, 2.0, 1.5], dtype=fastdl.float64)
    assert gradgradcheck(lambda v: F.cross_entropy(v, t, **kw), [x])


@pytest.mark.parametrize("fn", [lambda v: F.softmax(v, 1), lambda v: F.log_softmax(v, 0),
                                lambda v: v[1:, ::2] * 2, lambda v: v.index_select(1, fastdl.tensor([2, 0, 2])),
                                lambda v: v.cumsum(1), lambda v: v.narrow(1, 1, 2).sum(0)],
                         ids=["softmax", "log_softmax", "getitem", "index_select", "cumsum", "narrow-sum"])
def test_views_and_softmax_twice(fn):
    x = _t(np.random.default_rng(3).standard_normal((3, 4)))
    assert gradgradcheck(lambda v: fn(v) ** 2, [x])


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True)],
                         ids=["1layer", "2layers-bi-batchfirst"])
def test_recurrent_layers_twice(kind, kw):
    """The fused LSTM / GRU kernels' recorded backward differentiates the same layer written
    in ops (autograd.backward_by_reforward); the Elman RNN is ops already."""
    fastdl.manual_seed(0)
    m = getattr(fastdl.nn, kind)(3, 2, **kw).double()
    x = _t(np.random.default_rng(12).standard_normal((2, 3, 3) if kw.get("batch_first") else (3, 2, 3)))
    params = list(m.parameters())
    # gradgradcheck over the input, and the parameters' second derivatives through a penalty
    assert gradgradcheck(lambda x: m(x)[0] ** 2, [x], atol=1e-4)
    g, = fastdl.autograd.grad((m(x)[0] ** 2).sum(), x, create_graph=True)
    pg = fastdl.autograd.grad((g * g).sum(), params, allow_unused=True)
    assert all(p is not None for p in pg)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_gradient_penalty_matches_torch(kind):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((4, 2, 3))

    torch.manual_seed(0)
    theirs_m = getattr(torch.nn, kind)(3, 5, num_layers=2, bidirectional=True).double()
    ours_m = getattr(fastdl.nn, kind)(3, 5, num_layers=2, bidirectional=True).double()
    ours_m.load_state_dict({k: fastdl.tensor(v.detach().numpy(), dtype=fastdl.float64)
                            for k, v in theirs_m.state_dict().items()})

    def penalty(lib, m, mk):
        xs = mk(x)
        out, _ = m(xs)
        g, = lib.autograd.grad((lib.tanh(out) * out).sum(), xs, create_graph=True)
        pen = (g * g).sum()
        return [p.detach().numpy() for p in lib.autograd.grad(pen, list(m.parameters()))]

    ours = penalty(fastdl, ours_m, lambda a: fastdl.tensor(a, dtype=fastdl.float64, requires_grad=True))
    theirs = penalty(torch, theirs_m, lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", ["max_pool2d", "max_pool1d_pad", "avg_pool2d", "avg_pool2d_nopad", "adaptive_avg",
                                  "batch_norm_train", "batch_norm_eval", "batch_norm_noaffine", "layer_norm",
                                  "layer_norm_noaffine", "group_norm"])
def test_pool_and_norm_twice(case):
    rng = np.random.default_rng(7)
    x = _t(rng.standard_normal((2, 4, 5, 6)))
    w, b = _t(rng.standard_normal(4) + 1), _t(rng.standard_normal(4))
    rm, rv = fastdl.tensor(rng.standard_normal(4), dtype=fastdl.float64), \
        fastdl.tensor(rng.random(4) + 0.5, dtype=fastdl.float64)
    lw, lb = _t(rng.standard_normal((5, 6)) + 1), _t(rng.standard_normal((5, 6)))
    fns = {
        "max_pool2d": ([x], lambda x: F.max_pool2d(x, 2) ** 2),
        "max_pool1d_pad": ([x], lambda x: F.max_pool1d(x.reshape(2, 4, 30), 3, 2, 1) ** 2),
        "avg_pool2d": ([x], lambda x: F.avg_pool2d(x, 3, 2, 1) ** 2),
        "avg_pool2d_nopad": ([x], lambda x: F.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=False) ** 2),
        "adaptive_avg": ([x], lambda x: F.adaptive_avg_pool2d(x, (2, 4)) ** 2),
        "batch_norm_train": ([x, w, b], lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True) ** 2),
        "batch_norm_eval": ([x, w, b], lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False) ** 2),
        "batch_norm_noaffine": ([x], lambda x: F.batch_norm(x, None, None, training=True) ** 3),
        "layer_norm": ([x, lw, lb], lambda x, w, b: F.layer_norm(x, (5, 6), w, b) ** 2),
        "layer_norm_noaffine": ([x], lambda x: F.layer_norm(x, (6,)) ** 3),
        "group_norm": ([x, w, b], lambda x, w, b: F.group_norm(x, 2, w, b) ** 2),
    }
    inputs, fn = fns[case]
    assert gradgradcheck(fn, inputs, atol=1e-4)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_maml_step_matches_torch():
    """MAML's outer gradient through one inner SGD step of a conv + BatchNorm + ReLU +
    max-pool + linear classifier (the Omniglot network's block), against torch."""
    rng = np.random.default_rng(8)
    xs, xq = rng.standard_normal((4, 1, 8, 8)), rng.standard_normal((4, 1, 8, 8))
    ys, yq = rng.integers(0, 3, 4), rng.integers(0, 3, 4)
    params0 = [rng.standard_normal((4, 1, 3, 3)) * 0.5, rng.standard_normal(4) * 0.1, rng.random(4) + 0.5,
               rng.standard_normal(4) * 0.1, rng.standard_normal((3, 36)) * 0.3, rng.standard_normal(3) * 0.1]

    def run(lib, Fn, mk):
        p = [mk(a, True) for a in params0]

        def net(x, q):
            h = Fn.conv2d(x, q[0], q[1])
            h = Fn.relu(Fn.batch_norm(h, None, None, q[2], q[3], training=True))
            h = Fn.max_pool2d(h, 2)
            return Fn.linear(h.reshape(h.shape[0], -1), q[4], q[5])

        inner = Fn.cross_entropy(net(mk(xs, False), p), lib.tensor(ys))
        grads = lib.autograd.grad(inner, p, create_graph=True)
        fast = [a - 0.4 * g for a, g in zip(p, grads)]
        outer = Fn.cross_entropy(net(mk(xq, False), fast), lib.tensor(yq))
        return [g.detach().numpy() for g in lib.autograd.grad(outer, p)]

    ours = run(fastdl, F, lambda a, r: fastdl.tensor(a, dtype=fastdl.float64, requires_grad=r))
    theirs = run(torch, torch.nn.functional, lambda a, r: torch.tensor(a, dtype=torch.float64, requires_grad=r))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1), dict(stride=2, output_padding=1,
                                                                                       dilation=2, groups=2)])
def test_conv_transpose2d_twice(kw):
    rng = np.random.default_rng(9)
    x, w, b = _t(rng.standard_normal((2, 4, 4, 5))), _t(rng.standard_normal((4, 6 // kw.get("groups", 1), 3, 3))), \
        _t(rng.standard_normal(6))
    assert gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw) ** 2, [x, w, b], atol=1e-4)


def test_embedding_twice():
    w = _t(np.random.default_rng(10).standard_normal((6, 3)))
    idx = fastdl.tensor([0, 2, 2, 5, 1])
    assert gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=2) ** 3, [w])
    assert gradgradcheck(lambda w: F.embedding(idx, w) ** 2, [w])


def test_backward_create_graph_keeps_graph_in_grad():
    x = _t([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    np.testing.assert_allclose(x.grad.detach().numpy(), [3.0, 12.0])
    g = x.grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])


def test_grad_options():
    x, y = _t([1.0, 2.0]), _t([3.0])
    out = (x * x).sum()
    gx, gy = fastdl.autograd.grad(out, [x, y], materialize_grads=True)
    np.testing.assert_allclose(gy.numpy(), [0.0])
    with pytest.raises(RuntimeError, match="appears not to have been used"):
        fastdl.autograd.grad((x * x).sum(), [x, y])
    with pytest.raises(ValueError, match="materialize_grads"):
        fastdl.autograd.grad((x * x).sum(), [x, y], allow_unused=False, materialize_grads=True)
    out = (x * x).sum()
    g, = fastdl.autograd.grad(out, x, create_graph=True)  # retain_graph defaults to create_graph
    g2, = fastdl.autograd.grad(out, x)
    np.testing.assert_allclose(g2.numpy(), [2.0, 4.0])


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_gradient_penalty_matches_torch():
    """WGAN-GP: the gradient of ||d critic(x) / dx||^2 w.r.t. the critic's weights."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 6, 6))
    w1, b1 = rng.standard_normal((4, 2, 3, 3)) * 0.4, rng.standard_normal(4) * 0.1
    w2, b2 = rng.standard_normal((1, 64)) * 0.2, rng.standard_normal(1) * 0.1

    def run(lib, Fn, mk):
        xs = mk(x, True)
        p = [mk(a, True) for a in (w1, b1, w2, b2)]
        h = Fn.leaky_relu(Fn.conv2d(xs, p[0], p[1]), 0.2)
        h = lib.tanh(Fn.linear(h.reshape(3, -1), p[2], p[3]))
        g, = lib.autograd.grad(h.sum(), xs, create_graph=True)
        pen = ((g.reshape(3, -1).norm(dim=1) - 1) ** 2).mean()
        return [t.detach().numpy() for t in lib.autograd.grad(pen, p)]

    ours = run(fastdl, F, lambda a, r: fastdl.tensor(a, dtype=fastdl.float64, requires_grad=r))
    theirs = run(torch, torch.nn.functional, lambda a, r: torch.tensor(a, dtype=torch.float64, requires_grad=r))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(6)
    X, t, W, v = rng.standard_normal((6, 5)), rng.integers(0, 3, 6), rng.standard_normal((3, 5)), rng.standard_normal((3, 5))

    def hvp(lib, Fn, mk, idx):
        w = mk(W, True)
        loss = Fn.cross_entropy(Fn.linear(mk(X, False), w), idx(t), label_smoothing=0.1)
        g, = lib.autograd.grad(loss, w, create_graph=True)
        return lib.autograd.grad((g * mk(v, False)).sum(), w)[0].detach().numpy()

    ours = hvp(fastdl, F, lambda a, r: fastdl.tensor(a, dtype=fastdl.float64, requires_grad=r), fastdl.tensor)
    theirs = hvp(torch, torch.nn.functional, lambda a, r: torch.tensor(a, dtype=torch.float64, requires_grad=r),
                 torch.tensor)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_custom_function_once_differentiable():
    class Cube(fastdl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        @fastdl.autograd.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return fastdl.tensor(3 * x.detach().numpy() ** 2, dtype=fastdl.float64) * g

    x = _t([1.0, 2.0])
    g, = fastdl.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    with pytest.raises(RuntimeError, match="Cube: the gradient of this op is not differentiable"):
        fastdl.autograd.grad(g.sum(), x)


def test_grad_wrt_non_leaf_inputs():
    x = _t([0.5, 1.0, 2.0])
    h = x * x
    y = fastdl.tanh(h) * h
    z = (y * 3).sum() + h.sum()
    gh, gy = fastdl.autograd.grad(z, [h, y], retain_graph=True)
    th = np.tanh([0.25, 1.0, 4.0])
    hv = np.array([0.25, 1.0, 4.0])
    np.testing.assert_allclose(gh.numpy(), 3 * (th + hv * (1 - th * th)) + 1, rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), [3.0, 3.0, 3.0])
    assert x.grad is None and h._grad_fn.ctx._captures is None  # nothing left behind
    g, = fastdl.autograd.grad(z, h, create_graph=True)
    second, = fastdl.autograd.grad(g.sum(), x)  # d/dx sum(dz/dh) through h = x^2
    np.testing.assert_allclose(second.numpy(), 3 * (2 * (1 - th ** 2) - 2 * hv * th * (1 - th ** 2)) * 2 * x.detach().numpy(),
                               rtol=1e-12)
    h = x * x  # the graph above is freed by now: a fresh one
    unused = x * 2
    with pytest.raises(RuntimeError, match="appears not to have been used"):
        fastdl.autograd.grad(h.sum(), [h, unused])


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_gradient_penalty_on_non_detached_interpolates_matches_torch():
    """The common WGAN-GP spelling: the interpolates depend on the generator's output
    (not detached), so they are a non-leaf input of autograd.grad."""
    rng = np.random.default_rng(11)
    real, z, eps = rng.standard_normal((4, 3)), rng.standard_normal((4, 2)), rng.random((4, 1))
    wg, wd = rng.standard_normal((3, 2)), rng.standard_normal((1, 3))

    def run(lib, Fn, mk):
        g_w, d_w = mk(wg, True), mk(wd, True)
        fake = lib.tanh(Fn.linear(mk(z, False), g_w))
        inter = mk(eps, False) * mk(real, False) + (1 - mk(eps, False)) * fake
        score = Fn.linear(Fn.leaky_relu(inter, 0.2), d_w)
        grad, = lib.autograd.grad(score.sum(), inter, create_graph=True)
        pen = ((grad.norm(dim=1) - 1) ** 2).mean()
        return [t.detach().numpy() for t in lib.autograd.grad(pen, [g_w, d_w])]

    ours = run(fastdl, F, lambda a, r: fastdl.tensor(a, dtype=fastdl.float64, requires_grad=r))
    theirs = run(torch, torch.nn.functional, lambda a, r: torch.tensor(a, dtype=torch.float64, requires_grad=r))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_packed_sequence_lstm_twice():
    from fastdl.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    fastdl.manual_seed(1)
    m = fastdl.nn.LSTM(2, 3, bidirectional=True).double()
    x = _t(np.random.default_rng(14).standard_normal((4, 3, 2)))

    def f(x):
        packed = pack_padded_sequence(x, [4, 3, 1])
        out, _ = pad_packed_sequence(m(packed)[0])
        return out ** 2

    assert gradgradcheck(f, [x], atol=1e-4)


def test_backward_inputs_limits_accumulation():
    a, b = _t([1.0, 2.0]), _t([3.0, 4.0])
    h = a * b
    (h * h).sum().backward(inputs=[b, h], retain_graph=True)
    assert a.grad is None
    np.testing.assert_allclose(b.grad.numpy(), 2 * (a * b * a).detach().numpy())
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())  # a non-leaf input gets .grad too
    (h * h).sum().backward(inputs=b)
    np.testing.assert_allclose(b.grad.numpy(), 4 * (a * b * a).detach().numpy())
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (a * 2).sum().backward(inputs=[])


# ---- grad(is_grads_batched=True) -----------------------------------------------------

def test_grads_batched_rows_of_the_jacobian():
    # identity grad_outputs batched: each entry's vector-Jacobian product is one row
    rng = np.random.default_rng(3)
    x = fastdl.tensor(rng.standard_normal((3,)), requires_grad=True)
    w = fastdl.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    y = fastdl.tanh(w @ x)
    eye = fastdl.tensor(np.eye(4))
    jx, jw = fastdl.autograd.grad(y, (x, w), eye, is_grads_batched=True)
    assert tuple(jx.shape) == (4, 3) and tuple(jw.shape) == (4, 4, 3)
    xn, wn = x.detach().numpy(), w.detach().numpy()
    t = 1 - np.tanh(wn @ xn) ** 2
    np.testing.assert_allclose(jx.numpy(), t[:, None] * wn, rtol=1e-12)
    ref_w = np.zeros((4, 4, 3))
    for i in range(4):
        ref_w[i, i] = t[i] * xn
    np.testing.assert_allclose(jw.numpy(), ref_w, rtol=1e-12, atol=1e-15)
    with pytest.raises(RuntimeError, match="second time"):  # freed after the last entry, as torch
        y.sum().backward()


def test_grads_batched_create_graph_and_torch_parity():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    xv, gv = rng.standard_normal((5,)), rng.standard_normal((2, 5))
    x = fastdl.tensor(xv, requires_grad=True)
    (g,) = fastdl.autograd.grad(x.sin() * x, x, fastdl.tensor(gv), is_grads_batched=True, create_graph=True)
    (h,) = fastdl.autograd.grad(g.sum(), x)
    tx = torch.tensor(xv, requires_grad=True)
    (tg,) = torch.autograd.grad(tx.sin() * tx, tx, torch.tensor(gv), is_grads_batched=True, create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12)


def test_grads_batched_bad_shapes():
    x = fastdl.tensor(np.ones(3), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"is_grads_batched.*\(2, 4\)"):
        fastdl.autograd.grad(y, x, fastdl.ones((2, 4), dtype=fastdl.float64), is_grads_batched=True)
    with pytest.raises(RuntimeError, match="is_grads_batched"):
        fastdl.autograd.grad(y, x, is_grads_batched=True)
    (e,) = fastdl.autograd.grad(y, x, fastdl.ones((0, 3), dtype=fastdl.float64), is_grads_batched=True)
    assert tuple(e.shape) == (0, 3)
