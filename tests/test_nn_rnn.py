"""nn recurrent layers: LSTM / GRU / LSTMCell / GRUCell against a float64 NumPy loop
of PyTorch's equations and against torch (outputs, final states and every gradient
in float64, weights copied by state_dict name), gradcheck of the layer Functions,
init / repr / state_dict parity, dropout between layers, errors, and an LSTM
classifier learning the digits row by row."""
import math

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip  # noqa: F401

RNG = np.random.default_rng(11)




# ------------------------------------------------------------ NumPy reference


def sig(x):
    return 1 / (1 + np.exp(-x))


def ref_lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, g, o = np.split(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh, 4, axis=1)
    c = sig(f) * c + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c


def ref_gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    xr, xz, xn = np.split(x @ w_ih.T + b_ih, 3, axis=1)
    hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=1)
    r, z = sig(xr + hr), sig(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def ref_rnn(mode, params, x, states, num_layers, bidirectional):
    """Time-major x (T, B, I); states: list of (L*D, B, H) arrays; params: name -> array."""
    D = 2 if bidirectional else 1
    finals = [[] for _ in states]
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            w = [params[f"{n}{sfx}"] for n in ("weight_ih", "weight_hh")]
            H = w[1].shape[1]
            b = [params.get(f"{n}{sfx}", np.zeros(w[0].shape[0])) for n in ("bias_ih", "bias_hh")]
            st = [s[layer * D + d] for s in states]
            out = np.zeros((x.shape[0], x.shape[1], H))
            steps = range(x.shape[0] - 1, -1, -1) if d else range(x.shape[0])
            for t in steps:
                st = list(ref_lstm_step(x[t], *st, *w, *b)) if mode == "LSTM" else [ref_gru_step(x[t], *st, *w, *b)]
                out[t] = st[0]
            outs.append(out)
            for f, s in zip(finals, st):
                f.append(s)
        x = np.concatenate(outs, axis=2)
    return x, [np.stack(f) for f in finals]


# ------------------------------------------------------------ configurations

# (num_layers, bidirectional, batch_first, bias, give initial states, batched)
CONFIGS = [
    (1, False, False, True, False, True),
    (2, False, False, True, True, True),
    (1, True, True, True, True, True),
    (2, True, False, False, True, True),
    (2, True, True, True, False, True),
    (2, True, False, True, True, False),  # unbatched
]


def make_pair(mode, num_layers, bidirectional, batch_first, bias, I=3, H=4):
    cls = getattr(nn, mode)
    fm = cls(I, H, num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional,
             dtype=fastdl.float64)
    return fm, {k: npy(v).copy() for k, v in fm.state_dict().items()}


def inputs(mode, num_layers, bidirectional, batch_first, batched, I=3, H=4, Tn=5, B=2):
    shape = ((B, Tn, I) if batch_first else (Tn, B, I)) if batched else (Tn, I)
    x = RNG.standard_normal(shape)
    sshape = (num_layers * (2 if bidirectional else 1),) + ((B, H) if batched else (H,))
    states = [RNG.standard_normal(sshape) for _ in range(2 if mode == "LSTM" else 1)]
    return x, states


def run_module(fm, mode, x, states, grad=False):
    fx = T(x, grad)
    fs = [T(s, grad) for s in states] if states is not None else None
    hx = None if fs is None else (tuple(fs) if mode == "LSTM" else fs[0])
    out, fin = fm(fx, hx)
    fin = list(fin) if mode == "LSTM" else [fin]
    return fx, fs, out, fin


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_rnn_forward_matches_numpy(mode, cfg):
    L, bidir, bf, bias, give, batched = cfg
    fm, params = make_pair(mode, L, bidir, bf, bias)
    x, states = inputs(mode, L, bidir, bf, batched)
    _, _, out, fin = run_module(fm, mode, x, states if give else None)
    xt = x if batched else x[:, None]
    xt = xt.transpose(1, 0, 2) if bf and batched else xt
    st = [s if batched else s[:, None] for s in states] if give else [np.zeros((L * (1 + bidir), xt.shape[1], 4))
                                                                       for _ in states]
    want, want_fin = ref_rnn(mode, params, xt, st, L, bidir)
    want = want.transpose(1, 0, 2) if bf and batched else want
    if not batched:
        want, want_fin = want[:, 0], [f[:, 0] for f in want_fin]
    np.testing.assert_allclose(npy(out), want, rtol=1e-12, atol=1e-13)
    for got, w in zip(fin, want_fin):
        np.testing.assert_allclose(npy(got), w, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("cfg", CONFIGS)
def test_rnn_matches_torch_outputs_and_every_gradient(mode, cfg):
    torch = torch_or_skip()
    L, bidir, bf, bias, give, batched = cfg
    fm, _ = make_pair(mode, L, bidir, bf, bias)
    tm = getattr(torch.nn, mode)(3, 4, num_layers=L, bias=bias, batch_first=bf, bidirectional=bidir).double()
    assert list(fm.state_dict()) == list(tm.state_dict())
    fm.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x, states = inputs(mode, L, bidir, bf, batched)
    fx, fs, out, fin = run_module(fm, mode, x, states if give else None, grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ts = [torch.tensor(s, requires_grad=True) for s in states] if give else None
    tout, tfin = tm(tx, None if ts is None else (tuple(ts) if mode == "LSTM" else ts[0]))
    tfin = list(tfin) if mode == "LSTM" else [tfin]
    f_loss, t_loss = 0, 0
    for f, t in zip([out] + fin, [tout] + tfin):
        assert tuple(f.shape) == tuple(t.shape)
        np.testing.assert_allclose(npy(f), t.detach().numpy(), rtol=1e-10, atol=1e-12)
        w = RNG.standard_normal(tuple(t.shape))
        f_loss = f_loss + (f * T(w)).sum()
        t_loss = t_loss + (t * torch.tensor(w)).sum()
    f_loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for f, t in zip(fs or [], ts or []):
        np.testing.assert_allclose(npy(f.grad), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    tp = dict(tm.named_parameters())
    for name, p in fm.named_parameters():
        np.testing.assert_allclose(npy(p.grad), tp[name].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("mode", ["LSTMCell", "GRUCell"])
@pytest.mark.parametrize("bias,give,batched", [(True, True, True), (False, True, True), (True, False, True),
                                               (True, True, False)])
def test_cells_match_torch(mode, bias, give, batched):
    torch = torch_or_skip()
    fm = getattr(nn, mode)(3, 5, bias=bias, dtype=fastdl.float64)
    tm = getattr(torch.nn, mode)(3, 5, bias=bias).double()
    assert repr(fm) == repr(tm)
    assert [(k, tuple(v.shape)) for k, v in fm.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    fm.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    lead = (2,) if batched else ()
    x = RNG.standard_normal(lead + (3,))
    states = [RNG.standard_normal(lead + (5,)) for _ in range(2 if mode == "LSTMCell" else 1)]
    fx, tx = T(x, True), torch.tensor(x, requires_grad=True)
    fs, ts = [T(s, True) for s in states], [torch.tensor(s, requires_grad=True) for s in states]
    pack = (lambda s: tuple(s)) if mode == "LSTMCell" else (lambda s: s[0])
    fo, to = fm(fx, pack(fs) if give else None), tm(tx, pack(ts) if give else None)
    fo, to = (list(fo), list(to)) if mode == "LSTMCell" else ([fo], [to])
    f_loss, t_loss = 0, 0
    for f, t in zip(fo, to):
        assert tuple(f.shape) == tuple(t.shape)
        np.testing.assert_allclose(npy(f), t.detach().numpy(), rtol=1e-12, atol=1e-13)
        w = RNG.standard_normal(tuple(t.shape))
        f_loss, t_loss = f_loss + (f * T(w)).sum(), t_loss + (t * torch.tensor(w)).sum()
    f_loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(npy(fx.grad), tx.grad.numpy(), rtol=1e-11, atol=1e-12)
    if give:
        for f, t in zip(fs, ts):
            np.testing.assert_allclose(npy(f.grad), t.grad.numpy(), rtol=1e-11, atol=1e-12)
    tp = dict(tm.named_parameters())
    for name, p in fm.named_parameters():
        np.testing.assert_allclose(npy(p.grad), tp[name].grad.numpy(), rtol=1e-11, atol=1e-12, err_msg=name)


def layer_args(gates, I=3, H=2, Tn=4, B=2):
    k = 1 / math.sqrt(H)
    return [T(RNG.standard_normal((Tn, B, I)), True)] + \
           [T(RNG.standard_normal((B, H)), True) for _ in range(2 if gates == 4 else 1)] + \
           [T(RNG.uniform(-k, k, s), True) for s in [(gates * H, I), (gates * H, H), (gates * H,), (gates * H,)]]


@pytest.mark.parametrize("reverse", [False, True])
def test_layer_gradcheck(reverse):
    assert gradcheck(lambda *a: F.lstm_layer(*a, reverse=reverse), layer_args(4))
    assert gradcheck(lambda *a: F.gru_layer(*a, reverse=reverse), layer_args(3))


@pytest.mark.parametrize("missing", ["b_ih", "b_hh", "both"])
def test_lstm_layer_gradcheck_with_a_bias_missing(missing):
    """The kernel gets b_ih + b_hh, or the one given, or none; the input needs no grad
    (the kernel then skips d(input))."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh = layer_args(4)
    x.requires_grad_(False)
    b_ih = None if missing in ("b_ih", "both") else b_ih
    b_hh = None if missing in ("b_hh", "both") else b_hh
    biases = [b for b in (b_ih, b_hh) if b is not None]

    def fn(h0, c0, w_ih, w_hh, *bs):
        it = iter(bs)
        return F.lstm_layer(x, h0, c0, w_ih, w_hh, next(it) if b_ih is not None else None,
                            next(it) if b_hh is not None else None)
    assert gradcheck(fn, [h0, c0, w_ih, w_hh] + biases)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("Tn,B,H", [(1, 1, 5), (7, 13, 20), (3, 64, 9)])
@pytest.mark.parametrize("gates", [4, 3])
def test_layer_matches_torch_at_threaded_sizes(gates, Tn, B, H, reverse, two_threads):
    # One step, one row, H not a multiple of 8, batches the threads split; reverse is
    # torch's forward layer on the time-flipped input, flipped back.
    torch = torch_or_skip()
    args = layer_args(gates, I=6, H=H, Tn=Tn, B=B)
    fn = F.lstm_layer if gates == 4 else F.gru_layer
    out, h_n = fn(*args, reverse=reverse)[:2]
    go, gh = RNG.standard_normal(out.shape), RNG.standard_normal(h_n.shape)
    ((out * T(go)).sum() + (h_n * T(gh)).sum()).backward()
    mod = (torch.nn.LSTM if gates == 4 else torch.nn.GRU)(6, H).double()
    with torch.no_grad():
        for name, a in zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], args[-4:]):
            getattr(mod, name).copy_(torch.from_numpy(npy(a)))
    tx = torch.from_numpy(npy(args[0]).copy()).requires_grad_(True)
    ts = [torch.from_numpy(npy(a).copy())[None].requires_grad_(True) for a in args[1:gates - 1]]  # h0 (, c0)
    flip = (lambda v: v.flip(0)) if reverse else (lambda v: v)  # noqa: E731
    tout, tfin = mod(flip(tx), tuple(ts) if gates == 4 else ts[0])
    tout, th_n = flip(tout), (tfin[0] if gates == 4 else tfin)[0]
    ((tout * torch.from_numpy(go)).sum() + (th_n * torch.from_numpy(gh)).sum()).backward()
    np.testing.assert_allclose(npy(out), tout.detach().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(args[0].grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-11)
    for a, t in zip(args[1:gates - 1], ts):
        np.testing.assert_allclose(npy(a.grad), t.grad[0].numpy(), rtol=1e-10, atol=1e-11)
    for a, name in zip(args[-4:], ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]):
        np.testing.assert_allclose(npy(a.grad), getattr(mod, name).grad.numpy(), rtol=1e-10, atol=1e-11, err_msg=name)


def test_tiny_lstm_module_gradcheck():
    m = nn.LSTM(2, 2, num_layers=2, bidirectional=True, dtype=fastdl.float64)
    names = [n for n, _ in m.named_parameters()]
    x = T(RNG.standard_normal((3, 2, 2)), True)

    def fn(x, *ps):
        for n, p in zip(names, ps):  # evaluate the module at the perturbed parameters
            m._parameters[n] = p
        out, (h, c) = m(x)
        return out, h, c
    assert gradcheck(fn, [x] + [T(npy(p).copy(), True) for p in m.parameters()])


def test_backward_twice_with_retain_graph_doubles_gradients():
    # backward must not overwrite the tensors it saved (LSTM, GRU and the Elman RNN)
    for cls in (nn.LSTM, nn.GRU, nn.RNN):
        m = cls(3, 4, num_layers=2, bidirectional=True, dtype=fastdl.float64)
        out = m(T(RNG.standard_normal((5, 2, 3))))[0]
        loss = (out * out).sum()
        loss.backward(retain_graph=True)
        first = {n: npy(p.grad).copy() for n, p in m.named_parameters()}
        loss.backward()
        for n, p in m.named_parameters():
            np.testing.assert_allclose(npy(p.grad), 2 * first[n], rtol=1e-12, atol=1e-14)


def test_float32_matches_float64():
    m64 = nn.LSTM(3, 8, num_layers=2, dtype=fastdl.float64)
    m32 = nn.LSTM(3, 8, num_layers=2)
    m32.load_state_dict({k: v.float() for k, v in m64.state_dict().items()})
    x = RNG.standard_normal((6, 4, 3))
    out32, (h32, _) = m32(T(x.astype(np.float32)))
    out64, _ = m64(T(x))
    assert out32.dtype is fastdl.float32 and h32.dtype is fastdl.float32
    np.testing.assert_allclose(npy(out32), npy(out64), rtol=1e-5, atol=1e-6)


def test_init_repr_and_state_dict_match_torch():
    torch = torch_or_skip()
    for kw in [dict(), dict(num_layers=3), dict(bias=False, batch_first=True), dict(num_layers=2, dropout=0.5),
               dict(bidirectional=True, num_layers=2)]:
        for mode in ("LSTM", "GRU"):
            fm, tm = getattr(nn, mode)(5, 6, **kw), getattr(torch.nn, mode)(5, 6, **kw)
            assert repr(fm) == repr(tm)
            assert [(k, tuple(v.shape)) for k, v in fm.state_dict().items()] == \
                   [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    assert repr(nn.GRUCell(3, 4, bias=False)) == repr(torch.nn.GRUCell(3, 4, bias=False))
    fastdl.manual_seed(1)
    m = nn.LSTM(10, 50)
    k = 1 / math.sqrt(50)
    for name, p in m.named_parameters():
        a = npy(p)
        assert np.abs(a).max() <= k and np.abs(a).max() > 0.9 * k, name
        assert p.dtype is fastdl.float32 and p.requires_grad
    assert abs(npy(m.weight_ih_l0).std() - k / math.sqrt(3)) < 0.05 * k


def test_dropout_between_layers():
    torch = torch_or_skip()
    # dropout=1 zeroes the second layer's input: deterministic, so it matches torch
    x = RNG.standard_normal((4, 2, 3))
    tm = torch.nn.GRU(3, 4, num_layers=2, dropout=1.0).double()
    fm = nn.GRU(3, 4, num_layers=2, dropout=1.0, dtype=fastdl.float64)
    fm.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    np.testing.assert_allclose(npy(fm(T(x))[0]), tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-12, atol=1e-13)
    fm.eval()
    tm.eval()
    np.testing.assert_allclose(npy(fm(T(x))[0]), tm(torch.tensor(x))[0].detach().numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_dropout_is_seeded_and_only_in_training(mode):
    m = getattr(nn, mode)(3, 4, num_layers=2, dropout=0.5, dtype=fastdl.float64)
    x = T(RNG.standard_normal((5, 3, 3)))
    fastdl.manual_seed(5)
    a = npy(m(x)[0])
    fastdl.manual_seed(5)
    b = npy(m(x)[0])
    c = npy(m(x)[0])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(b, c)
    m.eval()
    np.testing.assert_array_equal(npy(m(x)[0]), npy(m(x)[0]))
    assert not np.allclose(npy(m(x)[0]), a)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        getattr(nn, mode)(3, 4, dropout=0.2)


def test_errors():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        m(fastdl.zeros(1, 2, 3, 3))
    with pytest.raises(RuntimeError, match="LSTM: input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"):
        m(fastdl.zeros(2, 2, 5))
    with pytest.raises(RuntimeError, match=r"LSTM: Expected hx size \(2, 2, 4\), got \(1, 2, 4\)"):
        m(fastdl.zeros(3, 2, 3), (fastdl.zeros(1, 2, 4), fastdl.zeros(2, 2, 4)))
    with pytest.raises(RuntimeError, match="LSTM: for unbatched 2-D input, hx should also be 2-D"):
        m(fastdl.zeros(3, 3), (fastdl.zeros(2, 1, 4), fastdl.zeros(2, 1, 4)))
    with pytest.raises(RuntimeError, match=r"GRU: Expected hx size \(1, 2, 4\), got \(1, 3, 4\)"):
        nn.GRU(3, 4)(fastdl.zeros(3, 2, 3), fastdl.zeros(1, 3, 4))
    with pytest.raises(TypeError, match="GRU: input dtype fastdl.float64 does not match"):
        nn.GRU(3, 4)(fastdl.zeros(3, 2, 3, dtype=fastdl.float64))
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        nn.GRU(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        nn.LSTMCell(3, 4)(fastdl.zeros(1, 2, 3))
    with pytest.raises(RuntimeError, match="GRUCell: input has inconsistent input_size: got 2 expected 3"):
        nn.GRUCell(3, 4)(fastdl.zeros(2, 2))
    with pytest.raises(RuntimeError, match=r"GRUCell: expected hidden state 0 of shape \(2, 4\)"):
        nn.GRUCell(3, 4)(fastdl.zeros(2, 3), fastdl.zeros(3, 4))
    with pytest.raises(RuntimeError, match="lstm: expected sequence length to be larger than 0"):
        m(fastdl.zeros(0, 2, 3))


def test_lstm_classifier_learns_digit_rows(one_thread):
    pytest.importorskip("sklearn", reason="scikit-learn (the test extra) provides the digits data")
    from fastdl.data import load_digits
    xtr, ytr, xte, yte = load_digits(seed=0)
    xtr, xte = fastdl.tensor(xtr[:, 0]), fastdl.tensor(xte[:, 0])  # (n, 8 rows = steps, 8 features)
    ytr, yte = fastdl.tensor(ytr), fastdl.tensor(yte)
    fastdl.manual_seed(0)
    rnn = nn.LSTM(8, 32, batch_first=True)
    w = nn.Parameter(fastdl.rand(10, 32) * (2 / math.sqrt(32)) - 1 / math.sqrt(32))
    b = nn.Parameter(fastdl.zeros(10))
    params = list(rnn.parameters()) + [w, b]

    def forward(x):
        return rnn(x)[0][:, -1] @ w.T + b

    n, losses = len(ytr), []
    for _ in range(10):
        perm, total = fastdl.randperm(n), 0.0
        for start in range(0, n, 32):
            idx = perm[start:start + 32]
            loss = fastdl.cross_entropy(forward(xtr[idx]), ytr[idx])
            for p in params:
                p.grad = None
            loss.backward()
            with fastdl.no_grad():
                for p in params:
                    p.sub_(p.grad * 0.5)
            total += loss.item() * len(idx)
        losses.append(total / n)
    assert losses[-1] < losses[0] / 5  # measured: 2.29 -> 0.21 with this seed
    with fastdl.no_grad():
        assert float((forward(xte).argmax(dim=1) == yte).float().mean()) > 0.8
