"""nn.RNN / nn.RNNCell (Elman, tanh or relu): forward against a float64 NumPy loop of
PyTorch's equations, torch parity of outputs, h_n and every gradient (input, h0 and each
parameter, weights copied by state_dict name) over layers / directions / layouts /
unbatched input / h0 given or not, gradcheck of rnn_layer / rnn_cell and of a tiny
module, init / repr / state_dict parity, dropout between layers, errors. (Backward twice
with retain_graph and dropout's seeding run for RNN with LSTM and GRU in test_nn_rnn.py.)"""
import math

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
from fastdl.nn.functional.rnn import rnn_cell, rnn_layer
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip

RNG = np.random.default_rng(21)
ACT = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0)}


def ref_rnn(params, x, h0, num_layers, bidirectional, nonlinearity):
    """Time-major x (T, B, I), h0 (L*D, B, H); params: name -> array. Returns output, h_n."""
    act, D = ACT[nonlinearity], 2 if bidirectional else 1
    finals = []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w_ih, w_hh = params[f"weight_ih{sfx}"], params[f"weight_hh{sfx}"]
            H = w_hh.shape[0]
            b_ih, b_hh = params.get(f"bias_ih{sfx}", np.zeros(H)), params.get(f"bias_hh{sfx}", np.zeros(H))
            h = h0[layer * D + d]
            out = np.zeros((x.shape[0], x.shape[1], H))
            for t in (range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])):
                h = act(x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
                out[t] = h
            outs.append(out)
            finals.append(h)
        x = np.concatenate(outs, axis=2)
    return x, np.stack(finals)


# (num_layers, bidirectional, batch_first, bias, give h0, batched)
CONFIGS = [
    (1, False, False, True, False, True),
    (1, False, False, True, True, True),
    (2, False, False, True, True, True),
    (1, True, True, True, True, True),
    (2, True, False, False, True, True),
    (2, True, True, True, False, True),
    (1, False, True, True, True, True),
    (2, True, False, True, True, False),  # unbatched, with h0
    (1, False, False, True, False, False),  # unbatched, no h0
]
I, H = 3, 4


def make(nonlinearity, L, bidir, bf, bias):
    m = nn.RNN(I, H, num_layers=L, nonlinearity=nonlinearity, bias=bias, batch_first=bf, bidirectional=bidir,
               dtype=fastdl.float64)
    return m, {k: npy(v).copy() for k, v in m.state_dict().items()}


def inputs(L, bidir, bf, batched, Tn=5, B=2):
    shape = ((B, Tn, I) if bf else (Tn, B, I)) if batched else (Tn, I)
    x = RNG.standard_normal(shape)
    h0 = RNG.standard_normal((L * (2 if bidir else 1),) + ((B, H) if batched else (H,)))
    return x, h0


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_forward_matches_numpy(nonlinearity, cfg):
    L, bidir, bf, bias, give, batched = cfg
    m, params = make(nonlinearity, L, bidir, bf, bias)
    x, h0 = inputs(L, bidir, bf, batched)
    out, h_n = m(T(x), T(h0) if give else None)
    xt = x if batched else x[:, None]
    xt = xt.transpose(1, 0, 2) if bf and batched else xt
    h0t = (h0 if batched else h0[:, None]) if give else np.zeros((L * (1 + bidir), xt.shape[1], H))
    want, want_h = ref_rnn(params, xt, h0t, L, bidir, nonlinearity)
    want = want.transpose(1, 0, 2) if bf and batched else want
    if not batched:
        want, want_h = want[:, 0], want_h[:, 0]
    assert out.dtype is fastdl.float64 and tuple(out.shape) == want.shape and tuple(h_n.shape) == want_h.shape
    np.testing.assert_allclose(npy(out), want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(npy(h_n), want_h, rtol=1e-12, atol=1e-13)


def torch_pair(torch, nonlinearity, L, bidir, bf, bias, hidden=H, inp=I):
    tm = torch.nn.RNN(inp, hidden, num_layers=L, nonlinearity=nonlinearity, bias=bias, batch_first=bf,
                      bidirectional=bidir).double()
    fm = nn.RNN(inp, hidden, num_layers=L, nonlinearity=nonlinearity, bias=bias, batch_first=bf, bidirectional=bidir,
                dtype=fastdl.float64)
    assert list(fm.state_dict()) == list(tm.state_dict())
    fm.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return fm, tm


def compare_with_torch(torch, fm, tm, x, h0, rtol=1e-10, atol=1e-12):
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    fh, th = (T(h0, True), torch.tensor(h0, requires_grad=True)) if h0 is not None else (None, None)
    fo, fhn = fm(fx, fh)
    to, thn = tm(tx, th)
    f_loss, t_loss = 0, 0
    for f, t in ((fo, to), (fhn, thn)):
        assert tuple(f.shape) == tuple(t.shape)
        np.testing.assert_allclose(npy(f), t.detach().numpy(), rtol=rtol, atol=atol)
        w = RNG.standard_normal(tuple(t.shape))
        f_loss, t_loss = f_loss + (f * T(w)).sum(), t_loss + (t * torch.tensor(w)).sum()
    f_loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=rtol, atol=atol)
    if h0 is not None:
        np.testing.assert_allclose(npy(fh.grad), th.grad.numpy(), rtol=rtol, atol=atol)
    tp = dict(tm.named_parameters())
    assert [n for n, _ in fm.named_parameters()] == list(tp)
    for name, p in fm.named_parameters():
        np.testing.assert_allclose(npy(p.grad), tp[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_matches_torch_outputs_and_every_gradient(nonlinearity, cfg):
    torch = torch_or_skip()
    L, bidir, bf, bias, give, batched = cfg
    fm, tm = torch_pair(torch, nonlinearity, L, bidir, bf, bias)
    x, h0 = inputs(L, bidir, bf, batched)
    compare_with_torch(torch, fm, tm, x, h0 if give else None)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_matches_torch_on_a_long_sequence(nonlinearity):
    # 120 steps, one step long, a wide batch: the per-step loop and the one-buffer step split
    torch = torch_or_skip()
    for Tn, B in ((120, 3), (1, 17)):
        fm, tm = torch_pair(torch, nonlinearity, 2, True, False, True, hidden=9, inp=5)
        x = RNG.standard_normal((Tn, B, 5)) * 0.5
        compare_with_torch(torch, fm, tm, x, RNG.standard_normal((4, B, 9)) * 0.5, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias,give,batched", [(True, True, True), (False, True, True), (True, False, True),
                                               (True, True, False), (True, False, False)])
def test_cell_matches_torch(nonlinearity, bias, give, batched):
    torch = torch_or_skip()
    fm = nn.RNNCell(3, 5, bias=bias, nonlinearity=nonlinearity, dtype=fastdl.float64)
    tm = torch.nn.RNNCell(3, 5, bias=bias, nonlinearity=nonlinearity).double()
    assert repr(fm) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in fm.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    fm.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    lead = (4,) if batched else ()
    x, h = RNG.standard_normal(lead + (3,)), RNG.standard_normal(lead + (5,))
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    fh, th = T(h, True), torch.tensor(h, requires_grad=True)
    fo, to = fm(fx, fh if give else None), tm(tx, th if give else None)
    assert tuple(fo.shape) == tuple(to.shape)
    np.testing.assert_allclose(npy(fo), to.detach().numpy(), rtol=1e-12, atol=1e-13)
    w = RNG.standard_normal(tuple(to.shape))
    (fo * T(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-11, atol=1e-12)
    if give:
        np.testing.assert_allclose(npy(fh.grad), th.grad.numpy(), rtol=1e-11, atol=1e-12)
    tp = dict(tm.named_parameters())
    for name, p in fm.named_parameters():
        np.testing.assert_allclose(npy(p.grad), tp[name].grad.numpy(), rtol=1e-11, atol=1e-12, err_msg=name)


def test_cell_matches_one_step_of_the_layer():
    m = nn.RNN(3, 4, nonlinearity="relu", dtype=fastdl.float64)
    c = nn.RNNCell(3, 4, nonlinearity="relu", dtype=fastdl.float64)
    c.load_state_dict({k[:-3]: v for k, v in m.state_dict().items()})  # weight_ih_l0 -> weight_ih
    x, h = T(RNG.standard_normal((1, 2, 3))), T(RNG.standard_normal((1, 2, 4)))
    np.testing.assert_allclose(npy(c(x[0], h[0])), npy(m(x, h)[1][0]), rtol=1e-14, atol=1e-15)


def layer_args(Ii=3, Hh=2, Tn=4, B=2):
    k = 1 / math.sqrt(Hh)
    return [T(RNG.standard_normal((Tn, B, Ii)), True), T(RNG.standard_normal((B, Hh)), True)] + \
           [T(RNG.uniform(-k, k, s), True) for s in [(Hh, Ii), (Hh, Hh), (Hh,), (Hh,)]]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_layer_and_cell_gradcheck(reverse, nonlinearity):
    assert gradcheck(lambda *a: rnn_layer(*a, reverse=reverse, nonlinearity=nonlinearity), layer_args())
    assert gradcheck(lambda *a: rnn_layer(*a, reverse=reverse, nonlinearity=nonlinearity), layer_args(Tn=1))
    x, h, w_ih, w_hh, b_ih, b_hh = layer_args(Tn=1)
    assert gradcheck(lambda *a: rnn_cell(*a, nonlinearity=nonlinearity), [T(npy(x)[0], True), h, w_ih, w_hh, b_ih,
                                                                          b_hh])
    # one bias missing, or both
    assert gradcheck(lambda x, h, w1, w2, b: rnn_layer(x, h, w1, w2, None, b, reverse, nonlinearity),
                     [x, h, w_ih, w_hh, b_hh])
    assert gradcheck(lambda x, h, w1, w2: rnn_layer(x, h, w1, w2, None, None, reverse, nonlinearity),
                     [x, h, w_ih, w_hh])


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_tiny_module_gradcheck(nonlinearity):
    m = nn.RNN(2, 3, num_layers=2, bidirectional=True, nonlinearity=nonlinearity, dtype=fastdl.float64)
    names = [n for n, _ in m.named_parameters()]
    x = T(RNG.standard_normal((3, 2, 2)), True)
    h0 = T(RNG.standard_normal((4, 2, 3)), True)

    def fn(x, h0, *ps):
        for n, p in zip(names, ps):  # evaluate the module at the perturbed parameters
            m._parameters[n] = p
        return m(x, h0)
    assert gradcheck(fn, [x, h0] + [T(npy(p).copy(), True) for p in m.parameters()])


def test_float32_matches_float64():
    m64 = nn.RNN(3, 8, num_layers=2, dtype=fastdl.float64)
    m32 = nn.RNN(3, 8, num_layers=2)
    m32.load_state_dict({k: v.float() for k, v in m64.state_dict().items()})
    x = RNG.standard_normal((6, 4, 3))
    out32, h32 = m32(T(x.astype(np.float32)))
    out64, h64 = m64(T(x))
    assert out32.dtype is fastdl.float32 and h32.dtype is fastdl.float32
    np.testing.assert_allclose(npy(out32), npy(out64), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npy(h32), npy(h64), rtol=1e-5, atol=1e-6)


def test_init_repr_and_state_dict_match_torch():
    torch = torch_or_skip()
    for kw in [dict(), dict(num_layers=3), dict(bias=False, batch_first=True), dict(num_layers=2, dropout=0.5),
               dict(bidirectional=True, num_layers=2), dict(nonlinearity="relu"), dict(num_layers=2, bias=False,
                                                                                       bidirectional=True)]:
        fm, tm = nn.RNN(5, 6, **kw), torch.nn.RNN(5, 6, **kw)
        assert repr(fm) == repr(tm)
        assert [(k, tuple(v.shape)) for k, v in fm.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
        assert fm.nonlinearity == tm.nonlinearity
    # positional arguments in torch's order: nonlinearity is the 4th
    assert repr(nn.RNN(5, 6, 2, "relu", False, True)) == repr(torch.nn.RNN(5, 6, 2, "relu", False, True))
    assert nn.RNN(5, 6, 2, "relu").nonlinearity == "relu"
    for kw in [dict(), dict(bias=False), dict(nonlinearity="relu"), dict(bias=False, nonlinearity="relu")]:
        assert repr(nn.RNNCell(3, 4, **kw)) == repr(torch.nn.RNNCell(3, 4, **kw))
    fastdl.manual_seed(1)
    m = nn.RNN(10, 50)
    k = 1 / math.sqrt(50)
    for name, p in m.named_parameters():
        a = npy(p)
        assert np.abs(a).max() <= k and np.abs(a).max() > 0.9 * k, name
        assert p.dtype is fastdl.float32 and p.requires_grad
    assert abs(npy(m.weight_ih_l0).std() - k / math.sqrt(3)) < 0.05 * k
    c = nn.RNNCell(10, 50)
    assert all(np.abs(npy(p)).max() <= k for p in c.parameters())
    assert [n for n, _ in c.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]


def test_state_dict_round_trips_from_fastdl_into_torch():
    torch = torch_or_skip()
    fm = nn.RNN(3, 4, num_layers=2, bidirectional=True, nonlinearity="relu", dtype=fastdl.float64)
    tm = torch.nn.RNN(3, 4, num_layers=2, bidirectional=True, nonlinearity="relu").double()
    tm.load_state_dict({k: torch.from_numpy(npy(v).copy()) for k, v in fm.state_dict().items()})
    x = RNG.standard_normal((4, 3, 3))
    np.testing.assert_allclose(npy(fm(T(x))[0]), tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-12, atol=1e-13)


def test_dropout_between_layers():
    torch = torch_or_skip()
    # dropout=1 zeroes the second layer's input: deterministic, so it matches torch
    x = RNG.standard_normal((4, 2, 3))
    for nl in ("tanh", "relu"):
        tm = torch.nn.RNN(3, 4, num_layers=2, dropout=1.0, nonlinearity=nl).double()
        fm = nn.RNN(3, 4, num_layers=2, dropout=1.0, nonlinearity=nl, dtype=fastdl.float64)
        fm.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
        for mode in ("train", "eval"):
            getattr(fm, mode)()
            getattr(tm, mode)()
            np.testing.assert_allclose(npy(fm(T(x))[0]), tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-12,
                                       atol=1e-13)


def test_errors():
    m = nn.RNN(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D instead"):
        m(fastdl.zeros(1, 2, 3, 3))
    with pytest.raises(RuntimeError, match=r"RNN: input.size\(-1\) must be equal to input_size. Expected 3, got 5"):
        m(fastdl.zeros(2, 2, 5))
    with pytest.raises(RuntimeError, match=r"RNN: Expected hx size \(2, 2, 4\), got \(1, 2, 4\)"):
        m(fastdl.zeros(3, 2, 3), fastdl.zeros(1, 2, 4))
    with pytest.raises(RuntimeError, match=r"RNN: Expected hx size \(2, 2, 4\), got \(2, 2, 5\)"):
        m(fastdl.zeros(3, 2, 3), fastdl.zeros(2, 2, 5))
    with pytest.raises(RuntimeError, match=r"RNN: Expected hx size \(4, 3, 4\), got \(2, 3, 4\)"):
        nn.RNN(3, 4, num_layers=2, bidirectional=True, batch_first=True)(fastdl.zeros(3, 2, 3), fastdl.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="RNN: for unbatched 2-D input, hx should also be 2-D but got a 3-D tensor"):
        m(fastdl.zeros(3, 3), fastdl.zeros(2, 1, 4))
    with pytest.raises(RuntimeError, match="RNN: for batched 3-D input, hx should also be 3-D but got a 2-D tensor"):
        m(fastdl.zeros(3, 2, 3), fastdl.zeros(2, 4))
    with pytest.raises(TypeError, match="RNN: input dtype fastdl.float64 does not match"):
        m(fastdl.zeros(3, 2, 3, dtype=fastdl.float64))
    with pytest.raises(TypeError, match="RNN: hx dtype fastdl.float64 does not match"):
        m(fastdl.zeros(3, 2, 3), fastdl.zeros(2, 2, 4, dtype=fastdl.float64))
    with pytest.raises(ValueError, match="RNN: Unknown nonlinearity 'sigmoid'. Select from 'tanh' or 'relu'."):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="RNNCell: Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'."):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="rnn: Unknown nonlinearity 'elu'"):
        rnn_layer(*layer_args(), nonlinearity="elu")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.RNN(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.RNN(3, 4, num_layers=0)
    with pytest.raises(TypeError, match="input_size should be of type int"):
        nn.RNNCell(3.0, 4)
    with pytest.raises(RuntimeError, match="rnn_tanh: expected sequence length to be larger than 0"):
        m(fastdl.zeros(0, 2, 3))
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.RNNCell(3, 4)(fastdl.zeros(1, 2, 3))
    with pytest.raises(RuntimeError, match="RNNCell: input has inconsistent input_size: got 2 expected 3"):
        nn.RNNCell(3, 4)(fastdl.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"RNNCell: expected hidden state 0 of shape \(2, 4\), got \(3, 4\)"):
        nn.RNNCell(3, 4)(fastdl.zeros(2, 3), fastdl.zeros(3, 4))
    with pytest.raises(ValueError, match="RNNCell: Expected hx\\[0\\] to be 1D like the input, got 2D"):
        nn.RNNCell(3, 4)(fastdl.zeros(3), fastdl.zeros(1, 4))
    with pytest.raises(RuntimeError, match=r"rnn_relu: expected hidden state of shape \[2, 2\], got float64\[3, 2\]"):
        x, h, *ws = layer_args()
        rnn_layer(x, T(np.zeros((3, 2))), *ws, nonlinearity="relu")


def test_rnn_classifier_learns_a_sequence_task(one_thread):
    # sign of the sum of a 6-step sequence: one RNN layer and a linear read-out learn it
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 6, 1)).astype(np.float32)
    y = (x.sum(axis=(1, 2)) > 0).astype(np.int64)
    fastdl.manual_seed(0)
    rnn = nn.RNN(1, 16, batch_first=True)
    head = nn.Linear(16, 2)
    params = list(rnn.parameters()) + list(head.parameters())
    xt, yt = fastdl.tensor(x), fastdl.tensor(y)
    losses = []
    for _ in range(200):
        loss = fastdl.cross_entropy(head(rnn(xt)[1][0]), yt)
        for p in params:
            p.grad = None
        loss.backward()
        with fastdl.no_grad():
            for p in params:
                p.sub_(p.grad * 0.1)
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 3  # measured: 0.749 -> 0.137 with this seed
    with fastdl.no_grad():
        assert float((head(rnn(xt)[1][0]).argmax(dim=1) == yt).float().mean()) > 0.9  # measured 0.95


@pytest.mark.cuda
def test_cuda_matches_cpu():
    """The same computation on the GPU and the CPU (runs where a GPU is present)."""
    device = "cuda"
    cpu = nn.RNN(3, 4, num_layers=2, bidirectional=True, nonlinearity="relu", dtype=fastdl.float64)
    dev = nn.RNN(3, 4, num_layers=2, bidirectional=True, nonlinearity="relu", dtype=fastdl.float64).to(device)
    dev.load_state_dict({k: v.to(device) for k, v in cpu.state_dict().items()})
    x = RNG.standard_normal((5, 2, 3))
    res = []
    for m, d in ((cpu, "cpu"), (dev, device)):
        tx = fastdl.tensor(x, device=d, requires_grad=True)
        out, h = m(tx)
        ((out * out).sum() + h.sum()).backward()
        res.append([out.detach().cpu().numpy(), h.detach().cpu().numpy(), tx.grad.cpu().numpy()] +
                   [p.grad.cpu().numpy() for p in m.parameters()])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-11)
