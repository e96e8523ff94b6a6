"""nn.functional.scaled_dot_product_attention and nn.MultiheadAttention: against float64
NumPy references of torch's equations (masks, is_causal, scale, bias_k / bias_v,
add_zero_attn, kdim / vdim, unbatched and batch_first layouts) and against torch with
the same weights (outputs, attention weights, the gradients of the inputs and of every
parameter), gradcheck, state_dict parity both ways, init, dropout, fully masked rows,
errors, and a CUDA run against the NumPy reference. The torch comparisons skip
without torch; nothing here imports it at module level."""
import math
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy, torch_or_skip

RNG = np.random.default_rng(7)
NEG_INF = float("-inf")


# ------------------------------------------------------------ NumPy references


def _softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp(x - m)
        return e / e.sum(axis=-1, keepdims=True)


def ref_sdpa(q, k, v, mask=None, causal=False, scale=None):
    """torch's documented math, with fully masked rows giving zeros (safe softmax)."""
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    s = 1.0 / math.sqrt(E) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * s
    bias = np.zeros((L, S))
    if causal:
        bias = np.where(np.tril(np.ones((L, S), bool)), 0.0, NEG_INF)
    if mask is not None:
        bias = np.where(mask, bias, NEG_INF) if mask.dtype == bool else bias + mask
    scores = scores + bias
    dead = np.all(scores == NEG_INF, axis=-1, keepdims=True)
    w = _softmax(np.where(dead, 0.0, scores))
    return np.where(dead, 0.0, w) @ v


def _canon(m):
    return None if m is None else (np.where(m, NEG_INF, 0.0) if m.dtype == bool else m)


def ref_mha(p, q, k, v, H, kpm=None, attn_mask=None, batch_first=False, add_zero_attn=False, average=True):
    """torch's multi_head_attention_forward (need_weights=True path) in float64 NumPy;
    p: the module's state_dict as arrays. Returns (output, weights)."""
    batched = q.ndim == 3
    if not batched:
        q, k, v = q[:, None], k[:, None], v[:, None]
        kpm = None if kpm is None else kpm[None]
    elif batch_first:
        q, k, v = (np.swapaxes(a, 0, 1) for a in (q, k, v))
    L, N, E = q.shape
    D = E // H
    if "in_proj_weight" in p:
        wq, wk, wv = np.split(p["in_proj_weight"], 3)
    else:
        wq, wk, wv = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    bq, bk, bv = np.split(p.get("in_proj_bias", np.zeros(3 * E)), 3)
    Q, K, V = q @ wq.T + bq, k @ wk.T + bk, v @ wv.T + bv
    am, kp = _canon(attn_mask), _canon(kpm)

    def pad_last(m):
        return None if m is None else np.concatenate([m, np.zeros(m.shape[:-1] + (1,))], axis=-1)
    if "bias_k" in p:
        K = np.concatenate([K, np.broadcast_to(p["bias_k"], (1, N, E))])
        V = np.concatenate([V, np.broadcast_to(p["bias_v"], (1, N, E))])
        am, kp = pad_last(am), pad_last(kp)
    if add_zero_attn:
        K = np.concatenate([K, np.zeros((1, N, E))])
        V = np.concatenate([V, np.zeros((1, N, E))])
        am, kp = pad_last(am), pad_last(kp)
    S = K.shape[0]
    Qh, Kh, Vh = (X.reshape(X.shape[0], N, H, D).transpose(1, 2, 0, 3) for X in (Q, K, V))
    scores = Qh @ np.swapaxes(Kh, -1, -2) / math.sqrt(D)
    if am is not None:
        scores = scores + (am if am.ndim == 2 else am.reshape(N, H, L, S))
    if kp is not None:
        scores = scores + kp.reshape(N, 1, 1, S)
    w = _softmax(scores)
    out = (w @ Vh).transpose(2, 0, 1, 3).reshape(L, N, E) @ p["out_proj.weight"].T
    out = out + p.get("out_proj.bias", 0.0)
    if average:
        w = w.mean(axis=1)
    if not batched:
        return out[:, 0], w[0]
    return (np.swapaxes(out, 0, 1) if batch_first else out), w


def sd_numpy(module):
    return {k: npy(v).astype(np.float64) for k, v in module.state_dict().items()}


def fastdl_from_torch(tm, **kw):
    fm = nn.MultiheadAttention(tm.embed_dim, tm.num_heads, dtype=fastdl.float64, **kw)
    fm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return fm


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ------------------------------------------------------------ scaled_dot_product_attention

SDPA_CASES = {
    "plain": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 5)),
    "3d": dict(q=(3, 5, 4), k=(3, 7, 4), v=(3, 7, 4)),
    "2d": dict(q=(5, 4), k=(7, 4), v=(7, 3)),
    "broadcast_batch": dict(q=(2, 1, 4, 8), k=(3, 6, 8), v=(3, 6, 8)),
    "bool_mask_2d": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8), mask=("bool", (4, 6))),
    "bool_mask_4d": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8), mask=("bool", (2, 3, 4, 6))),
    "bool_mask_bcast": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8), mask=("bool", (2, 1, 1, 6))),
    "float_mask": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8), mask=("float", (4, 6))),
    "float_mask_inf": dict(q=(2, 3, 4, 8), k=(2, 3, 6, 8), v=(2, 3, 6, 8), mask=("float_inf", (3, 4, 6))),
    "causal_square": dict(q=(2, 3, 5, 8), k=(2, 3, 5, 8), v=(2, 3, 5, 8), causal=True),
    "causal_wide": dict(q=(2, 4, 8), k=(2, 6, 8), v=(2, 6, 8), causal=True),
    "causal_tall": dict(q=(2, 6, 8), k=(2, 4, 8), v=(2, 4, 8), causal=True),
    "scale": dict(q=(2, 4, 8), k=(2, 6, 8), v=(2, 6, 8), scale=0.37),
    "scale_mask": dict(q=(2, 4, 8), k=(2, 6, 8), v=(2, 6, 8), scale=2.0, mask=("bool", (4, 6))),
    "wide_head": dict(q=(2, 3, 40), k=(2, 2, 40), v=(2, 2, 5)),  # E > S: the scale on the scores
}


def _make_mask(kind, shape):
    if kind == "bool":
        m = RNG.random(shape) > 0.4
        m[..., 0] = True  # every row attends somewhere
        return m
    m = RNG.standard_normal(shape)
    if kind == "float_inf":
        m[RNG.random(shape) > 0.6] = NEG_INF
        m[..., 0] = 0.0
    return m


def _sdpa_inputs(case):
    c = SDPA_CASES[case]
    q, k, v = (RNG.standard_normal(c[n]) for n in ("q", "k", "v"))
    mask = None if "mask" not in c else _make_mask(*c["mask"])
    return q, k, v, mask, c.get("causal", False), c.get("scale")


def _fd_sdpa(q, k, v, mask, causal, scale, dtype=fastdl.float64, grad=False, device="cpu"):
    args = [fastdl.tensor(a, dtype=dtype, device=device, requires_grad=grad) for a in (q, k, v)]
    m = None
    if mask is not None:
        m = fastdl.tensor(mask, device=device) if mask.dtype == bool else fastdl.tensor(mask, dtype=dtype,
                                                                                         device=device)
    return args, F.scaled_dot_product_attention(*args, attn_mask=m, is_causal=causal, scale=scale)


@pytest.mark.parametrize("case", sorted(SDPA_CASES))
def test_sdpa_matches_numpy(case):
    q, k, v, mask, causal, scale = _sdpa_inputs(case)
    _, out = _fd_sdpa(q, k, v, mask, causal, scale)
    close(npy(out), ref_sdpa(q, k, v, mask, causal, scale))


@pytest.mark.parametrize("case", sorted(SDPA_CASES))
def test_sdpa_matches_torch_with_grads(case):
    torch = torch_or_skip()
    q, k, v, mask, causal, scale = _sdpa_inputs(case)
    (fq, fk, fv), out = _fd_sdpa(q, k, v, mask, causal, scale, grad=True)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    tmask = None if mask is None else torch.tensor(mask)
    tout = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tmask, is_causal=causal,
                                                            scale=scale)
    close(npy(out), tout.detach().numpy())
    w = RNG.standard_normal(tuple(tout.shape))
    (out * T(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for f, t in ((fq, tq), (fk, tk), (fv, tv)):
        close(npy(f.grad), t.grad.numpy())


def test_sdpa_float32_matches_torch():
    torch = torch_or_skip()
    q, k, v = (RNG.standard_normal((4, 2, 9, 16)).astype(np.float32) for _ in range(3))
    mask = RNG.random((9, 9)) > 0.3
    mask[:, 0] = True
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=T(mask))
    tout = torch.nn.functional.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v),
                                                            attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(npy(out), tout.numpy(), rtol=1e-5, atol=1e-5)
    assert out.dtype is fastdl.float32


@pytest.mark.parametrize("case", ["bool_mask_2d", "float_mask_inf", "causal_wide", "scale"])
def test_sdpa_gradcheck(case):
    q, k, v, mask, causal, scale = _sdpa_inputs(case)
    m = None if mask is None else T(mask)

    def fn(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal, scale=scale)
    assert gradcheck(fn, [T(q, True), T(k, True), T(v, True)])


def test_sdpa_gradcheck_float_mask_input():
    """A float mask is a differentiable input too (a learned bias)."""
    q, k, v = (RNG.standard_normal((2, 4, 6)) for _ in range(3))
    bias = RNG.standard_normal((4, 4))

    def fn(q, bias):
        return F.scaled_dot_product_attention(q, T(k), T(v), attn_mask=bias)
    assert gradcheck(fn, [T(q, True), T(bias, True)])


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_rows_are_zero(kind):
    q, k, v = (RNG.standard_normal((2, 4, 6)) for _ in range(3))
    keep = RNG.random((4, 4)) > 0.3
    keep[:, 0] = True
    keep[2] = False  # row 2 attends to nothing
    mask = keep if kind == "bool" else np.where(keep, 0.0, NEG_INF)
    fq, fk, fv = T(q, True), T(k, True), T(v, True)
    out = F.scaled_dot_product_attention(fq, fk, fv, attn_mask=T(mask))
    o = npy(out)
    assert np.all(o[:, 2] == 0) and np.isfinite(o).all()
    close(o, ref_sdpa(q, k, v, mask))
    out.sum().backward()
    for t in (fq, fk, fv):
        assert np.isfinite(npy(t.grad)).all()
    assert np.all(npy(fq.grad)[:, 2] == 0)
    torch = pytest.importorskip("torch")
    tq = torch.tensor(q, requires_grad=True)
    tout = torch.nn.functional.scaled_dot_product_attention(tq, torch.tensor(k), torch.tensor(v),
                                                            attn_mask=torch.tensor(mask))
    close(o, tout.detach().numpy())
    tout.sum().backward()
    close(npy(fq.grad), tq.grad.numpy())


def test_sdpa_dropout():
    """value = I makes the output the (dropped) attention weights: each one is 0 or w/(1-p)."""
    S, p = 16, 0.25
    q, k = RNG.standard_normal((64, S, 8)), RNG.standard_normal((64, S, 8))
    v = np.broadcast_to(np.eye(S), (64, S, S)).copy()
    w = ref_sdpa(q, k, v)
    fastdl.manual_seed(3)
    out = npy(F.scaled_dot_product_attention(T(q), T(k), T(v), dropout_p=p))
    kept = out != 0
    close(out[kept], w[kept] / (1 - p))
    assert abs(1 - kept.mean() - p) < 0.02
    fastdl.manual_seed(3)
    again = npy(F.scaled_dot_product_attention(T(q), T(k), T(v), dropout_p=p))
    np.testing.assert_array_equal(out, again)
    assert np.all(npy(F.scaled_dot_product_attention(T(q), T(k), T(v), dropout_p=1.0)) == 0)


def test_sdpa_enable_gqa():
    torch = torch_or_skip()
    q, k, v = RNG.standard_normal((2, 6, 5, 8)), RNG.standard_normal((2, 2, 7, 8)), RNG.standard_normal((2, 2, 7, 4))
    out = F.scaled_dot_product_attention(T(q), T(k), T(v), enable_gqa=True)
    tout = torch.nn.functional.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v),
                                                            enable_gqa=True)
    close(npy(out), tout.numpy())
    ref = ref_sdpa(q, np.repeat(k, 3, axis=1), np.repeat(v, 3, axis=1))
    close(npy(out), ref)


@pytest.mark.parametrize("dtype,tol", [(fastdl.float16, 5e-3), (fastdl.bfloat16, 3e-2)])
def test_sdpa_half(dtype, tol):
    q, k, v = (RNG.standard_normal((2, 3, 5, 8)) for _ in range(3))
    mask = RNG.random((5, 5)) > 0.3
    mask[:, 0] = True
    args = [T(a).to(dtype) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*args, attn_mask=T(mask))
    assert out.dtype is dtype
    ref = ref_sdpa(*(npy(a.to(fastdl.float64)) for a in args), mask)
    np.testing.assert_allclose(npy(out.to(fastdl.float64)), ref, rtol=tol, atol=tol)


def test_sdpa_errors():
    q = T(RNG.standard_normal((2, 4, 8)))
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=T(np.ones((4, 4), bool)), is_causal=True)
    with pytest.raises(TypeError, match=r"attn_mask int64\[4, 4\]"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=T(np.ones((4, 4), np.int64)))
    with pytest.raises(TypeError, match="attn_mask float32"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=T(np.ones((4, 4), np.float32)))
    with pytest.raises(RuntimeError, match=r"attn_mask bool\[3, 4\].*\[2, 4, 4\]"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=T(np.ones((3, 4), bool)))
    with pytest.raises(RuntimeError, match=r"attn_mask bool\[5, 2, 4, 4\]"):  # may not enlarge the output
        F.scaled_dot_product_attention(q, q, q, attn_mask=T(np.ones((5, 2, 4, 4), bool)))
    with pytest.raises(RuntimeError, match=r"query float64\[2, 4, 8\] and key float64\[2, 4, 5\]"):
        F.scaled_dot_product_attention(q, T(RNG.standard_normal((2, 4, 5))), q)
    with pytest.raises(RuntimeError, match="sequence length"):
        F.scaled_dot_product_attention(q, q, T(RNG.standard_normal((2, 3, 8))))
    with pytest.raises(TypeError, match="one dtype"):
        F.scaled_dot_product_attention(q, q.to(fastdl.float32), q)
    with pytest.raises(RuntimeError, match="at least 2-D"):
        F.scaled_dot_product_attention(T(np.ones(4)), T(np.ones(4)), T(np.ones(4)))
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    with pytest.raises(TypeError, match="floating point"):
        i = T(np.ones((2, 4, 8), np.int64))
        F.scaled_dot_product_attention(i, i, i)


# ------------------------------------------------------------ MultiheadAttention: construction

MHA_VARIANTS = {
    "default": dict(),
    "no_bias": dict(bias=False),
    "kdim_vdim": dict(kdim=5, vdim=7),
    "bias_kv": dict(add_bias_kv=True),
    "zero_attn": dict(add_zero_attn=True),
    "everything": dict(add_bias_kv=True, add_zero_attn=True, kdim=6, vdim=3, batch_first=True),
}


@pytest.mark.parametrize("variant", sorted(MHA_VARIANTS))
def test_mha_parameters_match_torch(variant):
    torch = torch_or_skip()
    kw = MHA_VARIANTS[variant]
    tm = torch.nn.MultiheadAttention(8, 2, **kw)
    fm = nn.MultiheadAttention(8, 2, **kw)
    tsd, fsd = tm.state_dict(), fm.state_dict()
    assert list(tsd) == list(fsd)
    for name in tsd:
        assert tuple(tsd[name].shape) == tuple(fsd[name].shape), name
    assert [n for n, _ in tm.named_parameters()] == [n for n, _ in fm.named_parameters()]
    assert isinstance(fm.out_proj, nn.Linear)
    for attr in ("embed_dim", "kdim", "vdim", "num_heads", "head_dim", "batch_first", "dropout", "add_zero_attn",
                 "_qkv_same_embed_dim"):
        assert getattr(fm, attr) == getattr(tm, attr), attr
    fm.load_state_dict({k: v.numpy() for k, v in tsd.items()})  # torch -> fastdl
    tm.load_state_dict({k: torch.tensor(npy(v)) for k, v in nn.MultiheadAttention(8, 2, **kw).state_dict().items()})


def test_mha_init():
    m = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    w = npy(m.in_proj_weight)
    bound = math.sqrt(6.0 / (64 + 3 * 64))  # xavier_uniform_ on the (3E, E) matrix, as torch
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.all(npy(m.in_proj_bias) == 0) and np.all(npy(m.out_proj.bias) == 0)
    assert npy(m.bias_k).shape == (1, 1, 64) and np.abs(npy(m.bias_k)).max() > 0  # xavier_normal_
    m2 = nn.MultiheadAttention(8, 2, kdim=4, vdim=6)
    assert m2.in_proj_weight is None and m2.q_proj_weight.shape == (8, 8)
    assert m2.k_proj_weight.shape == (8, 4) and m2.v_proj_weight.shape == (8, 6)
    assert "embed_dim=8, num_heads=2" in repr(m2)


# ------------------------------------------------------------ MultiheadAttention: forward


def _mask_arrays(kind, L, S, N, H, batched=True):
    """(key_padding_mask, attn_mask) NumPy arrays for a named combination; every query
    row keeps key 0, so no row is fully masked."""
    kpm = am = None
    if "kpm_bool" in kind:
        kpm = RNG.random((N, S) if batched else (S,)) > 0.6
        kpm[..., 0] = False
    if "kpm_float" in kind:
        kpm = RNG.standard_normal((N, S) if batched else (S,))
    if "am_bool2" in kind:
        am = RNG.random((L, S)) > 0.7
        am[:, 0] = False
    if "am_float2" in kind:
        am = RNG.standard_normal((L, S))
    if "am_bool3" in kind:
        am = RNG.random((N * H, L, S)) > 0.7
        am[..., 0] = False
    if "am_float3" in kind:
        am = RNG.standard_normal((N * H, L, S))
    if "causal" in kind:
        am = np.where(np.triu(np.ones((L, S), bool), 1), NEG_INF, 0.0)
    return kpm, am


MHA_CASES = [
    # (variant, layout, masks, need_weights, average, attention kind)
    ("default", "seq_first", "none", True, True, "cross"),
    ("default", "batch_first", "none", True, False, "cross"),
    ("default", "seq_first", "none", True, True, "self"),
    ("default", "batch_first", "kpm_bool", True, True, "self"),
    ("default", "seq_first", "kpm_bool+am_bool2", True, False, "self"),
    ("default", "seq_first", "kpm_float+am_float2", True, True, "encdec"),
    ("default", "batch_first", "am_bool3", True, True, "cross"),
    ("default", "seq_first", "am_float3", False, True, "cross"),
    ("default", "batch_first", "kpm_bool+am_bool2", False, True, "self"),
    ("default", "seq_first", "none", False, True, "self"),
    ("default", "unbatched", "none", True, True, "cross"),
    ("default", "unbatched", "kpm_bool+am_bool2", True, False, "self"),
    ("default", "unbatched", "am_float3", False, True, "cross"),
    ("no_bias", "seq_first", "kpm_bool", True, True, "self"),
    ("kdim_vdim", "seq_first", "kpm_bool", True, True, "cross"),
    ("kdim_vdim", "batch_first", "am_float2", False, True, "cross"),
    ("kdim_vdim", "unbatched", "none", True, False, "cross"),
    ("bias_kv", "seq_first", "kpm_bool+am_bool2", True, False, "self"),
    ("bias_kv", "batch_first", "am_float3", False, True, "cross"),
    ("zero_attn", "seq_first", "kpm_float+am_bool2", True, True, "cross"),
    ("zero_attn", "unbatched", "kpm_bool", False, True, "self"),
    ("everything", "batch_first", "kpm_bool+am_bool3", True, False, "cross"),
    ("everything", "batch_first", "kpm_bool+am_bool3", False, True, "cross"),
]


def _mha_setup(variant, layout, masks, attention, E=8, H=2, L=4, S=5, N=3):
    kw = dict(MHA_VARIANTS[variant])
    kw["batch_first"] = layout == "batch_first"
    kdim, vdim = kw.get("kdim", E), kw.get("vdim", E)
    if attention != "cross":
        kdim = vdim = E
        kw.pop("kdim", None)
        kw.pop("vdim", None)
        if attention == "self":
            S = L
    batched = layout != "unbatched"

    def shape(n, e):
        return (N, n, e) if layout == "batch_first" else ((n, N, e) if batched else (n, e))
    q = RNG.standard_normal(shape(L, E))
    k = q if attention == "self" else RNG.standard_normal(shape(S, kdim))
    v = k if attention in ("self", "encdec") else RNG.standard_normal(shape(S, vdim))
    kpm, am = _mask_arrays(masks, L, S, N if batched else 1, H, batched)
    if am is not None and am.ndim == 3 and not batched:
        am = am[:H]
    return kw, (q, k, v), kpm, am, batched


def _as_fastdl(arrays, attention, grad=True):
    q = T(arrays[0], grad)
    k = q if attention == "self" else T(arrays[1], grad)
    v = k if attention in ("self", "encdec") else T(arrays[2], grad)
    return q, k, v


def _as_torch(torch, arrays, attention):
    q = torch.tensor(arrays[0], requires_grad=True)
    k = q if attention == "self" else torch.tensor(arrays[1], requires_grad=True)
    v = k if attention in ("self", "encdec") else torch.tensor(arrays[2], requires_grad=True)
    return q, k, v


def _mask_t(lib, m):
    return None if m is None else lib.tensor(m)


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("variant,layout,masks,need_weights,average,attention", MHA_CASES)
def test_mha_matches_numpy(variant, layout, masks, need_weights, average, attention):
    kw, arrays, kpm, am, batched = _mha_setup(variant, layout, masks, attention)
    m = nn.MultiheadAttention(8, 2, dtype=fastdl.float64, **kw)
    q, k, v = _as_fastdl(arrays, attention, grad=False)
    out, w = m(q, k, v, key_padding_mask=_mask_t(fastdl, kpm), attn_mask=_mask_t(fastdl, am),
               need_weights=need_weights, average_attn_weights=average)
    ref_out, ref_w = ref_mha(sd_numpy(m), *arrays, 2, kpm, am, kw["batch_first"], kw.get("add_zero_attn", False),
                             average)
    close(npy(out), ref_out)
    if need_weights:
        close(npy(w), ref_w)
    else:
        assert w is None


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("variant,layout,masks,need_weights,average,attention", MHA_CASES)
def test_mha_matches_torch_with_grads(variant, layout, masks, need_weights, average, attention):
    torch = torch_or_skip()
    kw, arrays, kpm, am, batched = _mha_setup(variant, layout, masks, attention)
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(8, 2, dtype=torch.float64, **kw)
    fm = fastdl_from_torch(tm, **kw)
    fq, fk, fv = _as_fastdl(arrays, attention)
    tq, tk, tv = _as_torch(torch, arrays, attention)
    out, w = fm(fq, fk, fv, key_padding_mask=_mask_t(fastdl, kpm), attn_mask=_mask_t(fastdl, am),
                need_weights=need_weights, average_attn_weights=average)
    tout, tw = tm(tq, tk, tv, key_padding_mask=_mask_t(torch, kpm), attn_mask=_mask_t(torch, am),
                  need_weights=need_weights, average_attn_weights=average)
    assert tuple(out.shape) == tuple(tout.shape)
    close(npy(out), tout.detach().numpy())
    if need_weights:
        assert tuple(w.shape) == tuple(tw.shape)
        close(npy(w), tw.detach().numpy())
    else:
        assert w is None and tw is None
    g = RNG.standard_normal(tuple(tout.shape))
    loss, tloss = (out * T(g)).sum(), (tout * torch.tensor(g)).sum()
    if need_weights:  # the weights' gradient flows too
        gw = RNG.standard_normal(tuple(tw.shape))
        loss, tloss = loss + (w * T(gw)).sum(), tloss + (tw * torch.tensor(gw)).sum()
    loss.backward()
    tloss.backward()
    for f, t in {id(x): (x, y) for x, y in ((fq, tq), (fk, tk), (fv, tv))}.values():
        close(npy(f.grad), t.grad.numpy())
    tparams = dict(tm.named_parameters())
    for name, p in fm.named_parameters():
        assert p.grad is not None, name
        close(npy(p.grad), tparams[name].grad.numpy())


def test_mha_load_into_torch():
    """fastdl -> torch: a fastdl state_dict loads into torch's module and both agree."""
    torch = torch_or_skip()
    fm = nn.MultiheadAttention(12, 3, add_bias_kv=True, dtype=fastdl.float64)
    tm = torch.nn.MultiheadAttention(12, 3, add_bias_kv=True, dtype=torch.float64)
    tm.load_state_dict({k: torch.tensor(npy(v)) for k, v in fm.state_dict().items()})
    x = RNG.standard_normal((5, 2, 12))
    out, w = fm(T(x), T(x), T(x))
    tx = torch.tensor(x)
    tout, tw = tm(tx, tx, tx)
    close(npy(out), tout.detach().numpy())
    close(npy(w), tw.detach().numpy())


def test_mha_is_causal_matches_torch():
    torch = torch_or_skip()
    torch.manual_seed(1)
    tm = torch.nn.MultiheadAttention(8, 4, batch_first=True, dtype=torch.float64)
    fm = fastdl_from_torch(tm, batch_first=True)
    x = RNG.standard_normal((2, 6, 8))
    mask = np.triu(np.ones((6, 6), bool), 1)
    for need_weights in (False, True):
        out, _ = fm(T(x), T(x), T(x), attn_mask=T(mask), is_causal=True, need_weights=need_weights)
        tx = torch.tensor(x)
        tout, _ = tm(tx, tx, tx, attn_mask=torch.tensor(mask), is_causal=True, need_weights=need_weights)
        close(npy(out), tout.detach().numpy())
    # the causal hint without key padding uses SDPA's causal mask: equal to the explicit one
    plain, _ = fm(T(x), T(x), T(x), attn_mask=T(mask), need_weights=False)
    close(npy(out), npy(plain))


def test_mha_fully_masked_rows_like_torch():
    """torch's need_weights=True path leaves a fully masked query row NaN; its SDPA path
    (need_weights=False) gives zeros before the out-projection. fastdl matches both."""
    m = nn.MultiheadAttention(4, 2, dtype=fastdl.float64)
    x = T(RNG.standard_normal((3, 1, 4)))
    am = np.zeros((3, 3), bool)
    am[1] = True  # query 1 may attend to nothing
    out, w = m(x, x, x, attn_mask=T(am))
    assert np.isnan(npy(out)[1]).all() and np.isnan(npy(w)[0, 1]).all()
    assert np.isfinite(npy(out)[[0, 2]]).all()
    out, _ = m(x, x, x, attn_mask=T(am), need_weights=False)
    close(npy(out)[1, 0], npy(m.out_proj.bias))  # zeros through the out-projection: its bias
    torch = pytest.importorskip("torch")
    tm = torch.nn.MultiheadAttention(4, 2, dtype=torch.float64)
    tm.load_state_dict({k: torch.tensor(npy(v)) for k, v in m.state_dict().items()})
    tx = torch.tensor(npy(x))
    tout, _ = tm(tx, tx, tx, attn_mask=torch.tensor(am), need_weights=False)
    close(npy(out), tout.detach().numpy())


def test_mha_mismatched_mask_types_warn():
    m = nn.MultiheadAttention(4, 2)
    x = fastdl.randn(3, 2, 4)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask"):
        m(x, x, x, key_padding_mask=fastdl.zeros(2, 3, dtype=fastdl.bool), attn_mask=fastdl.zeros(3, 3))


def test_mha_dropout_train_and_eval():
    m = nn.MultiheadAttention(16, 4, dropout=0.5)
    x = fastdl.randn(5, 3, 16)
    a, wa = m(x, x, x)
    b, wb = m(x, x, x)
    assert not np.allclose(npy(a), npy(b))  # a fresh mask per call
    w = npy(wa)
    assert (w == 0).any()  # the returned weights are the dropped ones, as torch
    m.eval()
    c, _ = m(x, x, x)
    d, _ = m(x, x, x)
    np.testing.assert_array_equal(npy(c), npy(d))


@contextmanager
def _bound(module, tensors):
    """Runs module's forward on the given tensors in place of its parameters
    ({dotted name: tensor}), so gradcheck can perturb them."""
    saved = []
    for name, t in tensors.items():
        owner = module
        *path, leaf = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        saved.append((owner, leaf, owner.__dict__[leaf]))
        owner.__dict__[leaf] = t
    try:
        yield
    finally:
        for owner, leaf, old in saved:
            owner.__dict__[leaf] = old


@pytest.mark.parametrize("kw", [dict(), dict(add_bias_kv=True, add_zero_attn=True, kdim=3, vdim=5)])
def test_mha_gradcheck(kw):
    m = nn.MultiheadAttention(4, 2, dtype=fastdl.float64, **kw)
    names = [n for n, _ in m.named_parameters()]
    params = [T(npy(p), True) for _, p in m.named_parameters()]
    q = RNG.standard_normal((3, 2, 4))
    k = RNG.standard_normal((5, 2, kw.get("kdim", 4)))
    v = RNG.standard_normal((5, 2, kw.get("vdim", 4)))
    kpm = np.zeros((2, 5))
    kpm[1, 3:] = NEG_INF  # a float padding mask, as the float attn_mask
    am = RNG.standard_normal((3, 5))

    def fn(q, k, v, *ps):
        with _bound(m, dict(zip(names, ps))):
            out, w = m(q, k, v, key_padding_mask=T(kpm), attn_mask=T(am), average_attn_weights=False)
        return out, w
    assert gradcheck(fn, [T(q, True), T(k, True), T(v, True), *params])


# ------------------------------------------------------------ MultiheadAttention: errors


def test_mha_constructor_errors():
    with pytest.raises(AssertionError, match=r"MultiheadAttention.*embed_dim=10 and num_heads=3"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="MultiheadAttention.*greater than 0"):
        nn.MultiheadAttention(0, 1)


def test_mha_forward_errors():
    m = nn.MultiheadAttention(8, 2)
    x = fastdl.randn(4, 3, 8)
    with pytest.raises(AssertionError, match=r"MultiheadAttention.*key float32\[4, 8\]"):
        m(x, fastdl.randn(4, 8), x)
    with pytest.raises(AssertionError, match=r"MultiheadAttention.*embedding dimension of 8.*\[4, 3, 6\]"):
        y = fastdl.randn(4, 3, 6)
        m(y, y, y)
    with pytest.raises(RuntimeError, match=r"MultiheadAttention: the shape of the 2-D attn_mask is \[4, 5\], but "
                                           r"should be \[4, 4\]"):
        m(x, x, x, attn_mask=fastdl.zeros(4, 5))
    with pytest.raises(RuntimeError, match=r"3-D attn_mask is \[3, 4, 4\], but should be \[6, 4, 4\]"):
        m(x, x, x, attn_mask=fastdl.zeros(3, 4, 4))
    with pytest.raises(AssertionError, match=r"attn_mask to be None, 2-D.*float32\[1, 1, 4, 4\]"):
        m(x, x, x, attn_mask=fastdl.zeros(1, 1, 4, 4))
    with pytest.raises(AssertionError, match=r"key_padding_mask of shape \[3, 4\], got \[3, 5\]"):
        m(x, x, x, key_padding_mask=fastdl.zeros(3, 5, dtype=fastdl.bool))
    with pytest.raises(AssertionError, match=r"key_padding_mask to be None or 2-D"):
        m(x, x, x, key_padding_mask=fastdl.zeros(4, dtype=fastdl.bool))
    with pytest.raises(AssertionError, match=r"only bool and floating types of attn_mask.*int64\[4, 4\]"):
        m(x, x, x, attn_mask=fastdl.zeros(4, 4, dtype=fastdl.int64))
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(TypeError, match=r"MultiheadAttention.*dtype float32.*float64\[4, 3, 8\]"):
        d = x.to(fastdl.float64)
        m(d, d, d)
    with pytest.raises(AssertionError, match=r"3-D query|2-D \(L, E\)"):
        z = fastdl.randn(2, 4, 3, 8)
        m(z, z, z)
    with pytest.raises(AssertionError, match=r"\(num_heads, L, S\)"):
        u = fastdl.randn(4, 8)
        m(u, u, u, attn_mask=fastdl.zeros(3, 4, 4))


def test_modules_import_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import fastdl, fastdl.nn as nn\n"
            "m = nn.TransformerEncoderLayer(8, 2, 16); x = fastdl.randn(3, 2, 8)\n"
            "print(tuple(m(x).shape), tuple(nn.MultiheadAttention(8, 2)(x, x, x)[0].shape))\n")
    import os
    env = dict(os.environ)
    # the fastdl this test runs against (installed, or the built tree), not the source
    # checkout, which holds no compiled _C in an installed CI run
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(fastdl.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([package_parent, env.get("PYTHONPATH", "")])
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "(3, 2, 8) (3, 2, 8)" in res.stdout


# ------------------------------------------------------------ CUDA


@pytest.mark.cuda
def test_attention_cuda_against_numpy():
    dev = "cuda"
    q, k, v = RNG.standard_normal((2, 3, 5, 8)), RNG.standard_normal((2, 3, 7, 8)), RNG.standard_normal((2, 3, 7, 4))
    mask = RNG.random((5, 7)) > 0.4
    mask[:, 0] = True
    mask[3] = False
    (fq, fk, fv), out = _fd_sdpa(q, k, v, mask, False, None, dtype=fastdl.float32, grad=True, device=dev)
    assert out.device.type == "cuda"
    np.testing.assert_allclose(npy(out.cpu()), ref_sdpa(q, k, v, mask), rtol=1e-4, atol=1e-4)
    out.sum().backward()
    assert fq.grad.device.type == "cuda" and np.isfinite(npy(fq.grad.cpu())).all()
    _, causal = _fd_sdpa(q, k, v, None, True, 0.5, dtype=fastdl.float32, device=dev)
    np.testing.assert_allclose(npy(causal.cpu()), ref_sdpa(q, k, v, None, True, 0.5), rtol=1e-4, atol=1e-4)

    m = nn.MultiheadAttention(8, 2, add_bias_kv=True, batch_first=True).to("cuda")
    x, mem = RNG.standard_normal((3, 4, 8)), RNG.standard_normal((3, 6, 8))
    kpm = RNG.random((3, 6)) > 0.6
    kpm[:, 0] = False
    fx = fastdl.tensor(x, dtype=fastdl.float32, device=dev, requires_grad=True)
    fmem = fastdl.tensor(mem, dtype=fastdl.float32, device=dev)
    out, w = m(fx, fmem, fmem, key_padding_mask=fastdl.tensor(kpm, device=dev))
    ref_out, ref_w = ref_mha(sd_numpy(m), x, mem, mem, 2, kpm, None, True)
    np.testing.assert_allclose(npy(out.cpu()), ref_out, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(npy(w.cpu()), ref_w, rtol=1e-4, atol=1e-4)
    out.sum().backward()
    assert m.in_proj_weight.grad.device.type == "cuda"
    assert np.isfinite(npy(m.in_proj_weight.grad.cpu())).all()
