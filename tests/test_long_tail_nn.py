"""nn long tail (tail branch): AdaptiveLogSoftmaxWithLoss, LazyConv3d / LazyConvTranspose3d, RNNBase /
RNNCellBase, NLLLoss2d."""
import numpy as np
import pytest

import fastdl
import fastdl.nn as nn


def _asm(seed=0, head_bias=True):
    fastdl.manual_seed(seed)
    return nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=head_bias).double()


def _ref_log_prob(m, x):
    """float64 NumPy: head log-softmax for the shortlist, head cluster token + tail log-softmax after."""
    def lsm(z):
        z = z - z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True))
    sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    head = lsm(x @ sd["head.weight"].T + sd.get("head.bias", 0))
    parts = [head[:, :3]]
    for i in range(2):
        t = lsm(x @ sd[f"tail.{i}.0.weight"].T @ sd[f"tail.{i}.1.weight"].T)
        parts.append(t + head[:, 3 + i:4 + i])
    return np.concatenate(parts, 1)


def test_adaptive_log_softmax_values_and_grad():
    m = _asm()
    assert list(m.state_dict()) == ["head.weight", "head.bias", "tail.0.0.weight", "tail.0.1.weight",
                                    "tail.1.0.weight", "tail.1.1.weight"]
    x = fastdl.tensor(np.random.default_rng(1).standard_normal((7, 8)), dtype=fastdl.float64)
    t = fastdl.tensor([0, 2, 3, 5, 6, 9, 1])
    ref = _ref_log_prob(m, x.numpy())
    np.testing.assert_allclose(m.log_prob(x).detach().numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(np.exp(ref).sum(1), 1, rtol=1e-12)
    out, loss = m(x, t)
    np.testing.assert_allclose(out.detach().numpy(), ref[np.arange(7), t.numpy()], rtol=1e-12)
    assert abs(loss.item() + ref[np.arange(7), t.numpy()].mean()) < 1e-12
    assert m.predict(x).tolist() == ref.argmax(1).tolist()
    o1, l1 = m(x[2], t[2])
    assert o1.ndim == 0 and abs(o1.item() - ref[2, 3]) < 1e-12
    xg = x.clone().requires_grad_(True)
    assert fastdl.autograd.gradcheck(lambda v: m(v, t).loss, (xg,))
    assert fastdl.autograd.gradcheck(lambda v: m.log_prob(v), (xg,))
    m(x, t).loss.backward()
    assert m.tail[1][0].weight.grad is not None and m.head.weight.grad is not None


def test_adaptive_log_softmax_bad_inputs():
    for cutoffs in ([], [3, 3], [6, 3], [0, 3], [3, 10]):
        with pytest.raises(ValueError, match="cutoffs"):
            nn.AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs)
    m = _asm()
    x = fastdl.randn(4, 8, dtype=fastdl.float64)
    with pytest.raises(RuntimeError, match="Target values"):
        m(x, fastdl.tensor([0, 1, 10, 2]))
    with pytest.raises(RuntimeError, match="batch dimension"):
        m(x, fastdl.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="multi-target"):
        m(x, fastdl.tensor([[0, 1]]))
    with pytest.raises(RuntimeError, match="1D input"):
        m(x, fastdl.tensor(1))
    with pytest.raises(RuntimeError, match="log_prob"):
        m.log_prob(fastdl.randn(4, 5))


def test_adaptive_log_softmax_torch_parity():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 9, 15], div_value=2.0).double()
    m = nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 9, 15], div_value=2.0).double()
    m.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((9, 16))
    t = np.array([0, 3, 4, 8, 9, 14, 15, 19, 2])
    o, l = m(fastdl.tensor(x), fastdl.tensor(t))
    to, tl = tm(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(o.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    assert abs(l.item() - tl.item()) < 1e-12
    np.testing.assert_allclose(m.log_prob(fastdl.tensor(x)).detach().numpy(), tm.log_prob(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)
    assert m.predict(fastdl.tensor(x)).tolist() == tm.predict(torch.tensor(x)).tolist()
    l.backward()
    tl.backward()
    for (k, p), (tk, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert k == tk
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_lazy_conv3d():
    m = nn.LazyConv3d(4, 2, padding=1)
    x = fastdl.randn(2, 3, 4, 4, 4)
    y = m(x)
    assert type(m) is nn.Conv3d and m.in_channels == 3 and tuple(m.weight.shape) == (4, 3, 2, 2, 2)
    np.testing.assert_allclose(y.detach().numpy(), fastdl.nn.functional.conv3d(x, m.weight, m.bias, padding=1).detach().numpy(),
                               rtol=1e-6)
    mt = nn.LazyConvTranspose3d(5, 3, stride=2)
    yt = mt(x)
    assert type(mt) is nn.ConvTranspose3d and tuple(mt.weight.shape) == (3, 5, 3, 3, 3)
    assert tuple(yt.shape) == (2, 5, 9, 9, 9)
    with pytest.raises(RuntimeError, match="4D \\(unbatched\\) or 5D"):
        nn.LazyConv3d(4, 2)(fastdl.randn(3, 4, 4))


def test_rnn_bases_and_nllloss2d():
    assert isinstance(nn.LSTM(3, 4), nn.RNNBase) and isinstance(nn.GRU(3, 4), nn.RNNBase)
    assert isinstance(nn.RNNCell(3, 4), nn.RNNCellBase) and isinstance(nn.LSTMCell(3, 4), nn.RNNCellBase)
    with pytest.warns(FutureWarning, match="NLLLoss2d"):
        loss = nn.NLLLoss2d(ignore_index=1)
    assert isinstance(loss, nn.NLLLoss)
    lp = fastdl.randn(2, 3, 4, 4).log_softmax(1)
    tg = fastdl.randint(0, 3, (2, 4, 4))
    assert abs(loss(lp, tg).item() - nn.NLLLoss(ignore_index=1)(lp, tg).item()) < 1e-7


def _mha_args(m, T):
    return (m.embed_dim, m.num_heads, T(m.in_proj_weight), T(m.in_proj_bias), None, None, False, 0.0,
            T(m.out_proj.weight), T(m.out_proj.bias))


def test_multi_head_attention_forward_matches_module():
    F = fastdl.nn.functional
    fastdl.manual_seed(0)
    m = nn.MultiheadAttention(8, 2).double()
    m.eval()
    q = fastdl.randn(5, 3, 8, dtype=fastdl.float64)
    k = fastdl.randn(4, 3, 8, dtype=fastdl.float64)
    mask = fastdl.rand(3, 4) < 0.3
    ref_o, ref_w = m(q, k, k, key_padding_mask=mask)
    o, w = F.multi_head_attention_forward(q, k, k, *_mha_args(m, lambda t: t), training=False,
                                          key_padding_mask=mask)
    np.testing.assert_allclose(o.detach().numpy(), ref_o.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), ref_w.detach().numpy(), rtol=1e-12)
    # separate projection weights, unbatched, no weights returned
    ms = nn.MultiheadAttention(8, 2, kdim=6, vdim=5).double()
    ks, vs = fastdl.randn(4, 6, dtype=fastdl.float64), fastdl.randn(4, 5, dtype=fastdl.float64)
    o2, w2 = F.multi_head_attention_forward(
        q[:, 0], ks, vs, 8, 2, None, ms.in_proj_bias, None, None, False, 0.0, ms.out_proj.weight, ms.out_proj.bias,
        need_weights=False, use_separate_proj_weight=True, q_proj_weight=ms.q_proj_weight,
        k_proj_weight=ms.k_proj_weight, v_proj_weight=ms.v_proj_weight)
    assert w2 is None
    np.testing.assert_allclose(o2.detach().numpy(), ms(q[:, 0], ks, vs, need_weights=False)[0].detach().numpy(),
                               rtol=1e-12)
    qg = q[:2, :1].detach().requires_grad_(True)
    assert fastdl.autograd.gradcheck(
        lambda x: F.multi_head_attention_forward(x, x, x, *_mha_args(m, lambda t: t.detach()))[0], (qg,))
    with pytest.raises(AssertionError, match="embedding dimension"):
        F.multi_head_attention_forward(q, k, k, 6, *_mha_args(m, lambda t: t)[1:])
    with pytest.raises(AssertionError, match="in_proj_weight is None"):
        F.multi_head_attention_forward(q, k, k, 8, 2, None, *_mha_args(m, lambda t: t)[3:])


def test_multi_head_attention_forward_torch_parity():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True).double()
    sd = {k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()}
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((5, 3, 8)), rng.standard_normal((4, 3, 8))
    am = rng.standard_normal((5, 4))
    args = lambda d, T: (T(q), T(k), T(k), 8, 2, d["in_proj_weight"], d["in_proj_bias"], d["bias_k"], d["bias_v"],
                         True, 0.0, d["out_proj.weight"], d["out_proj.bias"])
    o, w = fastdl.nn.functional.multi_head_attention_forward(*args(sd, fastdl.tensor), attn_mask=fastdl.tensor(am),
                                                             average_attn_weights=False)
    to, tw = torch.nn.functional.multi_head_attention_forward(
        *args(dict(tm.state_dict()), torch.tensor), attn_mask=torch.tensor(am), average_attn_weights=False)
    np.testing.assert_allclose(o.numpy(), to.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(w.numpy(), tw.numpy(), rtol=1e-10, atol=1e-13)
