"""misc branch: testing.make_tensor / assert_allclose, the ATen RNN functions, histogramdd,
nuclear_norm, frobenius_norm, segment_reduce, embedding_renorm_, binomial, empty_permuted,
to_dlpack, nn.Buffer, SyncBatchNorm, DataParallel, CrossMapLRN2d, linear_cross_entropy."""
import warnings

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import assert_allclose, gradcheck, make_tensor

f64 = fastdl.float64


def T(a, **kw):
    return fastdl.tensor(np.asarray(a), dtype=kw.pop("dtype", f64), **kw)


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------- testing
def test_make_tensor_ranges_and_flags():
    fastdl.manual_seed(0)
    x = make_tensor(200, dtype=fastdl.float32, device="cpu", low=-2, high=3)
    v = x.numpy()
    assert x.shape == (200,) and x.dtype is fastdl.float32 and v.min() >= -2 and v.max() < 3
    i = make_tensor((4, 50), dtype=fastdl.int64, device="cpu")
    assert i.dtype is fastdl.int64 and i.numpy().min() >= -9 and i.numpy().max() <= 9
    b = make_tensor(3, 4, dtype=fastdl.bool, device="cpu")
    assert b.dtype is fastdl.bool and b.shape == (3, 4)
    n = make_tensor(3, 4, dtype=f64, device="cpu", noncontiguous=True, requires_grad=True)
    assert n.shape == (3, 4) and not n.is_contiguous() and n.requires_grad and n.is_leaf
    z = make_tensor(500, dtype=fastdl.int64, device="cpu", low=0, high=2, exclude_zero=True)
    assert (z.numpy() == 1).all()
    assert make_tensor(1, dtype=f64, device="cpu", noncontiguous=True).is_contiguous()  # < 2 elements: ignored


def test_make_tensor_errors():
    with pytest.raises(ValueError, match="requires_grad=True` is not supported"):
        make_tensor(2, dtype=fastdl.int64, device="cpu", requires_grad=True)
    with pytest.raises(ValueError, match="must be less than `high`"):
        make_tensor(2, dtype=fastdl.int64, device="cpu", low=3, high=1)
    with pytest.raises(ValueError, match="cannot be NaN"):
        make_tensor(2, dtype=f64, device="cpu", low=float("nan"))
    with pytest.raises(ValueError, match="mutually exclusive"):
        make_tensor(2, dtype=f64, device="cpu", noncontiguous=True, memory_format=object())


def test_assert_allclose_deprecated():
    with pytest.warns(FutureWarning, match="assert_allclose\\(\\)` is deprecated"):
        assert_allclose(T([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AssertionError):
            assert_allclose(T([1.0, 2.0]), [1.0, 2.1])
        with pytest.raises(AssertionError):
            assert_allclose(T([float("nan")]), [float("nan")], equal_nan=False)
        assert_allclose(T([float("nan")]), [float("nan")])
        with pytest.raises(ValueError, match="both 'rtol' and 'atol'"):
            assert_allclose(T([1.0]), [1.0], rtol=1e-3)


# ---------------------------------------------------------------- RNN functions
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _params(rng, g, I, H, L, D, bias=True):
    ps = []
    for layer in range(L):
        for _ in range(D):
            ps += [rng.standard_normal((g * H, I if layer == 0 else H * D)) * 0.5,
                   rng.standard_normal((g * H, H)) * 0.5]
            if bias:
                ps += [rng.standard_normal(g * H) * 0.5, rng.standard_normal(g * H) * 0.5]
    return ps


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_rnn_functions_torch_parity(mode):
    torch = _torch()
    rng = np.random.default_rng(1)
    for bidir, bf, bias in [(False, False, True), (True, True, False), (True, False, True)]:
        L, D, H = 2, 2 if bidir else 1, 4
        ps = _params(rng, _GATES[mode], 3, H, L, D, bias)
        x = rng.standard_normal((2, 5, 3) if bf else (5, 2, 3))
        h, c = rng.standard_normal((L * D, 2, H)), rng.standard_normal((L * D, 2, H))
        hx_t = [torch.tensor(h), torch.tensor(c)] if mode == "lstm" else torch.tensor(h)
        hx_f = [T(h), T(c)] if mode == "lstm" else T(h)
        ref = getattr(torch, mode)(torch.tensor(x), hx_t, [torch.tensor(p) for p in ps], bias, L, 0.0, False,
                                   bidir, bf)
        got = getattr(fastdl, mode)(T(x), hx_f, [T(p) for p in ps], bias, L, 0.0, False, bidir, bf)
        assert len(got) == len(ref)
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
        # packed overload (data, batch_sizes, hx, params, ...)
        data = rng.standard_normal((5, 3))
        ref = getattr(torch, mode)(torch.tensor(data), torch.tensor([2, 2, 1]), hx_t, [torch.tensor(p) for p in ps],
                                   bias, L, 0.0, False, bidir)
        got = getattr(fastdl, mode)(T(data), fastdl.tensor([2, 2, 1]), hx_f, [T(p) for p in ps], bias, L, 0.0,
                                    False, bidir)
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_rnn_function_gradcheck_and_errors():
    rng = np.random.default_rng(2)
    ps = [T(p, requires_grad=True) for p in _params(rng, 3, 2, 3, 1, 1)]
    x = T(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h = T(rng.standard_normal((1, 2, 3)), requires_grad=True)
    gradcheck(lambda x, h, *ps: fastdl.gru(x, h, list(ps), True, 1, 0.0, False, False, False), (x, h, *ps))
    with pytest.raises(RuntimeError, match="incorrect number of RNN parameters"):
        fastdl.gru(x, h, ps[:3], True, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match="hidden state of shape"):
        fastdl.gru(x, h[:, :1], ps, True, 1, 0.0, False, False, False)
    with pytest.raises(RuntimeError, match="lstm: hx must be a list of two"):
        fastdl.lstm(x, h, ps, True, 1, 0.0, False, False, False)
    with pytest.raises(TypeError, match="takes"):
        fastdl.rnn_tanh(x, h, ps)


@pytest.mark.parametrize("name", ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"])
def test_cells_torch_parity(name):
    torch = _torch()
    rng = np.random.default_rng(3)
    g = _GATES[name.split("_cell")[0]]
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    w_ih, w_hh, b_ih, b_hh = (rng.standard_normal(s) for s in [(g * 4, 3), (g * 4, 4), (g * 4,), (g * 4,)])
    hx_t = [torch.tensor(h), torch.tensor(c)] if name == "lstm_cell" else torch.tensor(h)
    hx_f = [T(h), T(c)] if name == "lstm_cell" else T(h)
    for bias in (True, False):
        bt = (torch.tensor(b_ih), torch.tensor(b_hh)) if bias else (None, None)
        bf = (T(b_ih), T(b_hh)) if bias else (None, None)
        ref = getattr(torch, name)(torch.tensor(x), hx_t, torch.tensor(w_ih), torch.tensor(w_hh), *bt)
        got = getattr(fastdl, name)(T(x), hx_f, T(w_ih), T(w_hh), *bf)
        ref, got = (ref, got) if name == "lstm_cell" else ((ref,), (got,))
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match=f"{name}: expected a 2-D input"):
        getattr(fastdl, name)(T(x[0]), hx_f, T(w_ih), T(w_hh))
    with pytest.raises(RuntimeError, match=f"{name}: weights"):
        getattr(fastdl, name)(T(x), hx_f, T(w_ih[:, :2]), T(w_hh))


# ---------------------------------------------------------------- histogramdd
def test_histogramdd_exact_and_numpy():
    x = T([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0], [2.0, 3.0]])
    hist, edges = fastdl.histogramdd(x, bins=[2, 3])
    np.testing.assert_array_equal(hist.numpy(), [[1, 0, 0], [0, 2, 1]])
    np.testing.assert_array_equal(edges[0].numpy(), [0, 1, 2])
    np.testing.assert_array_equal(edges[1].numpy(), [0, 1, 2, 3])
    rng = np.random.default_rng(4)
    pts, w = rng.standard_normal((50, 3)), rng.random(50)
    rngs = [-1.0, 1.0, -2.0, 2.0, -1.5, 0.5]
    for density in (False, True):
        h, e = fastdl.histogramdd(T(pts), bins=[3, 2, 4], range=rngs, weight=T(w), density=density)
        ref, ref_e = np.histogramdd(pts, bins=[3, 2, 4], range=[rngs[0:2], rngs[2:4], rngs[4:6]], weights=w,
                                    density=density)
        np.testing.assert_allclose(h.numpy(), ref, rtol=1e-12)
        for a, b in zip(e, ref_e):
            np.testing.assert_allclose(a.numpy(), b)
    edges_in = [T([-1.0, 0.0, 2.0]), T([-3.0, 3.0]), T([0.0, 1.0])]
    h, _ = fastdl.histogramdd(T(pts), bins=edges_in)
    ref, _ = np.histogramdd(pts, bins=[e.numpy() for e in edges_in])
    np.testing.assert_array_equal(h.numpy(), ref)


def test_histogramdd_torch_parity_and_errors():
    torch = _torch()
    x = np.array([[1.0, 1.0], [1.0, 1.0], [0.5, 2.0]], dtype=np.float32)
    a = torch.histogramdd(torch.tensor(x), bins=2)
    b = fastdl.histogramdd(fastdl.tensor(x), bins=2)
    np.testing.assert_allclose(b.hist.numpy(), a.hist.numpy())
    for p, q in zip(b.bin_edges, a.bin_edges):
        np.testing.assert_allclose(p.numpy(), q.numpy())
    with pytest.raises(RuntimeError, match="expected 2 sequences"):
        fastdl.histogramdd(fastdl.tensor(x), bins=[2, 2, 2])
    with pytest.raises(RuntimeError, match="floating-point"):
        fastdl.histogramdd(fastdl.tensor([[1, 2]]), bins=2)
    with pytest.raises(RuntimeError, match="expected 4 values for range"):
        fastdl.histogramdd(fastdl.tensor(x), bins=2, range=[0.0, 1.0])


# ---------------------------------------------------------------- norms
def test_nuclear_frobenius_norm():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 4, 5))
    np.testing.assert_allclose(fastdl.nuclear_norm(T(a[0])).numpy(), np.linalg.norm(a[0], "nuc"), rtol=1e-12)
    np.testing.assert_allclose(fastdl.nuclear_norm(T(a), [1, 2]).numpy(),
                               [np.linalg.norm(m, "nuc") for m in a], rtol=1e-12)
    assert fastdl.nuclear_norm(T(a[0]), True).shape == (1, 1)
    np.testing.assert_allclose(fastdl.frobenius_norm(T(a), [0, 2], keepdim=True).numpy(),
                               np.sqrt((a ** 2).sum((0, 2), keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(fastdl.frobenius_norm(T(a), 1).numpy(), np.sqrt((a ** 2).sum(1)), rtol=1e-12)
    gradcheck(lambda x: fastdl.frobenius_norm(x, (0, 1)), (T(a[0], requires_grad=True),))
    gradcheck(lambda x: fastdl.nuclear_norm(x), (T(a[0], requires_grad=True),))
    with pytest.raises(RuntimeError, match="nuclear_norm: expected a 2-D"):
        fastdl.nuclear_norm(T(a))
    with pytest.raises(RuntimeError, match="at most 2 dims"):
        fastdl.frobenius_norm(T(a), [0, 1, 2])
    torch = _torch()
    np.testing.assert_allclose(fastdl.nuclear_norm(T(a), [0, 2], keepdim=True).numpy(),
                               torch.nuclear_norm(torch.tensor(a), [0, 2], keepdim=True).numpy(), rtol=1e-12)


# ---------------------------------------------------------------- segment_reduce
def _segment_ref(d, lengths, reduce, initial):
    out, start = [], 0
    for n in lengths:
        seg = list(d[start:start + n]) + ([] if initial is None else [initial])
        start += n
        if reduce == "mean":
            out.append(sum(seg) / n if n else (np.nan if initial is None else initial))
        elif not seg:
            out.append({"sum": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}[reduce])
        else:
            out.append({"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}[reduce](seg))
    return out


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod"])
def test_segment_reduce_values_grad_torch(reduce):
    d, lengths = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 0, 3, 1]
    for initial in (None, 10.0):
        got = fastdl.segment_reduce(T(d), reduce, lengths=fastdl.tensor(lengths), initial=initial)
        np.testing.assert_allclose(got.numpy(), _segment_ref(d, lengths, reduce, initial), rtol=1e-12)
        off = fastdl.segment_reduce(T(d), reduce, offsets=fastdl.tensor([0, 2, 2, 5, 6]), initial=initial)
        np.testing.assert_array_equal(off.numpy(), got.numpy())
    rng = np.random.default_rng(6)
    x = T(rng.standard_normal((2, 6, 3)), requires_grad=True)
    L = fastdl.tensor([[2, 4], [3, 3]])
    gradcheck(lambda x: fastdl.segment_reduce(x, reduce, lengths=L, axis=1, initial=0.5), (x,))
    torch = _torch()
    ref = torch.segment_reduce(torch.tensor(x.detach().numpy()), reduce, lengths=torch.tensor(L.numpy()), axis=1)
    got = fastdl.segment_reduce(x, reduce, lengths=L, axis=1)
    np.testing.assert_allclose(got.detach().numpy(), ref.numpy(), rtol=1e-12)


def test_segment_reduce_errors():
    d = T([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="sum to data.size"):
        fastdl.segment_reduce(d, "sum", lengths=fastdl.tensor([1, 1]))
    with pytest.raises(RuntimeError, match="unsupported reduction 'median'"):
        fastdl.segment_reduce(d, "median", lengths=fastdl.tensor([3]))
    with pytest.raises(RuntimeError, match="exactly one of lengths or offsets"):
        fastdl.segment_reduce(d, "sum")
    with pytest.raises(RuntimeError, match="expected lengths of shape"):
        fastdl.segment_reduce(d, "sum", lengths=fastdl.tensor([[3]]))


# ---------------------------------------------------------------- embedding_renorm_, binomial, empty_permuted
def test_embedding_renorm_():
    w = np.arange(15.0).reshape(5, 3) - 4
    t = T(w)
    out = fastdl.embedding_renorm_(t, fastdl.tensor([0, 3, 3]), 2.0, 2.0)
    assert out is t
    ref = w.copy()
    for i in (0, 3):
        n = np.linalg.norm(w[i])
        if n > 2.0:
            ref[i] = w[i] * (2.0 / (n + 1e-7))
    np.testing.assert_allclose(t.numpy(), ref, rtol=1e-12)
    torch = _torch()
    tw = torch.tensor(w)
    torch.embedding_renorm_(tw, torch.tensor([0, 3, 3]), 2.0, 2.0)
    np.testing.assert_allclose(t.numpy(), tw.numpy(), rtol=1e-12)
    with pytest.raises(IndexError, match="out of range"):
        fastdl.embedding_renorm_(T(w), fastdl.tensor([7]), 1.0, 2.0)


def test_binomial():
    fastdl.manual_seed(0)
    count = T([0.0, 5.0, 10.0, 300.0] * 500)
    prob = T([0.3, 1.0, 0.0, 0.25] * 500)
    s = fastdl.binomial(count, prob).numpy().reshape(500, 4)
    assert s.dtype == np.float64 and (s == np.floor(s)).all()
    assert (s[:, 0] == 0).all() and (s[:, 1] == 5).all() and (s[:, 2] == 0).all()
    assert abs(s[:, 3].mean() - 75.0) < 1.5 and abs(s[:, 3].var() - 56.25) < 12  # mean np, var np(1-p)
    with pytest.raises(RuntimeError, match="floating-point dtypes for count"):
        fastdl.binomial(fastdl.tensor([3]), T([0.5]))
    with pytest.raises(RuntimeError, match="prob in"):
        fastdl.binomial(T([3.0]), T([1.5]))


def test_empty_permuted_and_to_dlpack():
    e = fastdl.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1), dtype=f64)
    assert e.shape == (2, 3, 4, 5) and e.stride() == (60, 1, 15, 3) and e.dtype is f64
    torch = _torch()
    assert e.stride() == torch.empty_permuted((2, 3, 4, 5), (0, 2, 3, 1)).stride()
    with pytest.raises(RuntimeError, match="not a permutation"):
        fastdl.empty_permuted((2, 3), (0, 0))
    x = T([1.0, 2.0])
    np.testing.assert_array_equal(torch.from_dlpack(fastdl.to_dlpack(x)).numpy(), [1.0, 2.0])


# ---------------------------------------------------------------- nn
def test_buffer_registration():
    m = nn.Module()
    m.a = nn.Buffer(fastdl.ones(2))
    m.b = nn.Buffer(fastdl.zeros(3), persistent=False)
    m.c = fastdl.ones(1)  # a plain tensor is not registered
    assert [n for n, _ in m.named_buffers()] == ["a", "b"]
    assert list(m.state_dict()) == ["a"]
    assert isinstance(m.a, nn.Buffer) and isinstance(m.a, fastdl.Tensor) and m.a.persistent and not m.b.persistent
    assert nn.parameter.Buffer is nn.Buffer
    p = nn.Parameter(fastdl.ones(2))
    bp = nn.Buffer(p)
    assert bp.requires_grad and bp.is_leaf  # torch keeps requires_grad
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.Buffer([1.0])
    torch = _torch()
    tm = torch.nn.Module()
    tm.a, tm.b = torch.nn.Buffer(torch.ones(2)), torch.nn.Buffer(torch.zeros(3), persistent=False)
    assert list(tm.state_dict()) == list(m.state_dict())


def test_sync_batchnorm_is_batchnorm():
    rng = np.random.default_rng(7)
    x = T(rng.standard_normal((4, 3, 5)))
    bn, sbn = nn.BatchNorm1d(3).double(), nn.SyncBatchNorm(3).double()
    np.testing.assert_allclose(sbn(x).detach().numpy(), bn(x).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(sbn.running_var.numpy(), bn.running_var.numpy(), rtol=1e-12)
    assert sbn(T(rng.standard_normal((2, 3, 2, 2, 2)))).shape == (2, 3, 2, 2, 2)
    with pytest.raises(ValueError, match="at least 2D"):
        sbn(T([1.0, 2.0]))
    model = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3), nn.Sequential(nn.BatchNorm1d(3)))
    w = model[1].weight
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert conv is model and type(conv[1]) is nn.SyncBatchNorm and type(conv[2][0]) is nn.SyncBatchNorm
    assert conv[1].weight is w
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm2d(2).eval())
    assert type(single) is nn.SyncBatchNorm and not single.training


def test_data_parallel():
    lin = nn.Linear(2, 3)
    dp = nn.DataParallel(lin)
    assert dp.module is lin and list(dp.state_dict()) == ["module.weight", "module.bias"]
    x = fastdl.ones(4, 2)
    np.testing.assert_array_equal(dp(x).detach().numpy(), lin(x).detach().numpy())
    with pytest.raises(TypeError, match="expected an nn.Module"):
        nn.DataParallel(3)
    torch = _torch()
    assert list(torch.nn.DataParallel(torch.nn.Linear(2, 3)).state_dict()) == list(dp.state_dict())


def test_cross_map_lrn2d_torch_parity_and_grad():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 7, 3, 2))
    for size in (2, 3, 5):
        got = nn.CrossMapLRN2d(size, 0.1, 0.75, 2)(T(x))
        if size == 3:  # two channels: both windows hold both (exact value)
            x2 = x[:, :2]
            ref = x2 * (2 + 0.1 / 3 * (x2 ** 2).sum(1, keepdims=True)) ** -0.75
            np.testing.assert_allclose(nn.CrossMapLRN2d(3, 0.1, 0.75, 2)(T(x2)).numpy(), ref, rtol=1e-12)
        try:
            import torch
        except ImportError:
            continue
        ref = torch.nn.CrossMapLRN2d(size, 0.1, 0.75, 2)(torch.tensor(x))
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)
    gradcheck(nn.CrossMapLRN2d(3, 0.1, 0.75, 2), (T(x, requires_grad=True),))
    with pytest.raises(ValueError, match="Expected input to be 4D"):
        nn.CrossMapLRN2d(3)(T(x[0]))


def test_linear_cross_entropy():
    rng = np.random.default_rng(9)
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((3, 5)), rng.standard_normal(3)
    t = fastdl.tensor([0, 2, 1, 2])
    ref = F.cross_entropy(F.linear(T(x), T(W), T(b)), t)
    got = F.linear_cross_entropy(T(x), T(W), t, linear_bias=T(b))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)
    gradcheck(lambda x, W: F.linear_cross_entropy(x, W, t, reduction="sum", label_smoothing=0.1),
              (T(x, requires_grad=True), T(W, requires_grad=True)))
    with pytest.raises(RuntimeError, match="in_features"):
        F.linear_cross_entropy(T(x), T(W[:, :4]), t)
    with pytest.raises(RuntimeError, match="linear_bias shape"):
        F.linear_cross_entropy(T(x), T(W), t, linear_bias=T(b[:2]))
    with pytest.raises(RuntimeError, match="requires batched input"):
        F.linear_cross_entropy(T(x[0]), T(rng.standard_normal((3, 2, 5))), fastdl.tensor([0, 1]))
    torch = _torch()
    W2, b2 = rng.standard_normal((3, 2, 5)), rng.standard_normal((3, 2))
    t2 = np.array([[0, 1], [2, 2], [1, 0], [0, 0]])
    for kw in ({}, {"ignore_index": 1, "reduction": "none"}, {"reduction": "sum", "label_smoothing": 0.2}):
        ref = torch.nn.functional.linear_cross_entropy(torch.tensor(x), torch.tensor(W2), torch.tensor(t2),
                                                       linear_bias=torch.tensor(b2), **kw)
        got = F.linear_cross_entropy(T(x), T(W2), fastdl.tensor(t2), linear_bias=T(b2), **kw)
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-12)
    loss = nn.LinearCrossEntropyLoss(5, 3, out_features=(2,), bias=True).double()
    ref_mod = torch.nn.LinearCrossEntropyLoss(5, 3, out_features=(2,), bias=True).double()
    with torch.no_grad():
        ref_mod.linear.weight.copy_(torch.tensor(loss.linear.weight.detach().numpy()))
        ref_mod.linear.bias.copy_(torch.tensor(loss.linear.bias.detach().numpy()))
    np.testing.assert_allclose(loss(T(x), fastdl.tensor(t2)).detach().numpy(),
                               ref_mod(torch.tensor(x), torch.tensor(t2)).detach().numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="label_smoothing"):
        nn.LinearCrossEntropyLoss(5, 3, label_smoothing=2.0)


def test_convert_weight_memory_format_checks_only_converted_weights():
    # the conversion itself: tests/test_memory_format.py
    m = nn.Sequential(nn.Linear(2, 2))
    assert nn.utils.convert_conv2d_weight_memory_format(m, object()) is m  # no conv: nothing checked, as torch
    with pytest.raises(TypeError, match="memory_format"):
        nn.utils.convert_conv2d_weight_memory_format(nn.Conv2d(1, 2, 3), object())
