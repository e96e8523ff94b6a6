"""nn.TransformerEncoderLayer / TransformerDecoderLayer / TransformerEncoder /
TransformerDecoder / Transformer: state_dict names and shapes as torch's, outputs and
every gradient against torch in eval mode with copied weights (post- and pre-norm,
relu / gelu / callables, batch_first and unbatched inputs, float and bool masks,
generate_square_subsequent_mask, causal hints, key padding), a float64 NumPy reference
of the encoder layer (CPU and CUDA), init, dropout, errors, and a one-layer encoder
learning to reverse sequences. The torch comparisons skip without torch."""
import inspect
import math

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from nn_helpers import T, npy, torch_or_skip
from test_attention import NEG_INF, ref_mha

RNG = np.random.default_rng(5)
# a float mask beside a bool padding mask warns (deprecated, as in torch); torch's
# encoder warns that it cannot use nested tensors
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched", "ignore:enable_nested_tensor is True")
D_MODEL, NHEAD, FF = 16, 4, 24


def close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def copy_from_torch(tmod, fmod):
    tsd = tmod.state_dict()
    assert list(tsd) == list(fmod.state_dict())
    fmod.load_state_dict({k: v.detach().numpy() for k, v in tsd.items()})
    return fmod


def compare_grads(fmod, tmod, pairs):
    for f, t in pairs:
        close(npy(f.grad), t.grad.numpy())
    tparams = dict(tmod.named_parameters())
    names = [n for n, _ in fmod.named_parameters()]
    assert names == list(tparams)
    for name, p in fmod.named_parameters():
        assert p.grad is not None, name
        close(npy(p.grad), tparams[name].grad.numpy())


def _activations(torch, kind):
    """(fastdl activation, torch activation) for a named kind."""
    return {"relu": ("relu", "relu"), "gelu": ("gelu", "gelu"),
            "silu_fn": (F.silu, torch.nn.functional.silu),
            "gelu_module": (nn.GELU(), torch.nn.GELU()),
            "relu_fn": (F.relu, torch.nn.functional.relu)}[kind]


def _seq(L, N, batch_first, batched=True, E=D_MODEL):
    if not batched:
        return RNG.standard_normal((L, E))
    return RNG.standard_normal((N, L, E) if batch_first else (L, N, E))


def _kpm(N, S, batched=True, kind="bool"):
    m = RNG.random((N, S) if batched else (S,)) > 0.6
    m[..., 0] = False
    return m if kind == "bool" else np.where(m, NEG_INF, 0.0)


# ------------------------------------------------------------ structure


def test_state_dicts_match_torch():
    torch = torch_or_skip()
    pairs = [
        (torch.nn.TransformerEncoderLayer(16, 4, 24), nn.TransformerEncoderLayer(16, 4, 24)),
        (torch.nn.TransformerEncoderLayer(16, 4, 24, bias=False), nn.TransformerEncoderLayer(16, 4, 24, bias=False)),
        (torch.nn.TransformerDecoderLayer(16, 4, 24), nn.TransformerDecoderLayer(16, 4, 24)),
        (torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(16, 4, 24), 3, torch.nn.LayerNorm(16),
                                     enable_nested_tensor=False),
         nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 24), 3, nn.LayerNorm(16))),
        (torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(16, 4, 24), 2),
         nn.TransformerDecoder(nn.TransformerDecoderLayer(16, 4, 24), 2)),
        (torch.nn.Transformer(16, 4, 2, 3, 24), nn.Transformer(16, 4, 2, 3, 24)),
        (torch.nn.Transformer(16, 4, 1, 1, 24, bias=False), nn.Transformer(16, 4, 1, 1, 24, bias=False)),
    ]
    for tm, fm in pairs:
        tsd, fsd = tm.state_dict(), fm.state_dict()
        assert list(tsd) == list(fsd), type(fm).__name__
        for k in tsd:
            assert tuple(tsd[k].shape) == tuple(fsd[k].shape), k
        fm.load_state_dict({k: v.numpy() for k, v in tsd.items()})  # loads unchanged
        assert [n for n, _ in tm.named_modules()] == [n for n, _ in fm.named_modules()]


def test_signatures_match_torch():
    torch = torch_or_skip()
    pairs = [(nn.Transformer, torch.nn.Transformer), (nn.TransformerEncoder, torch.nn.TransformerEncoder),
             (nn.TransformerDecoder, torch.nn.TransformerDecoder),
             (nn.TransformerEncoderLayer, torch.nn.TransformerEncoderLayer),
             (nn.TransformerDecoderLayer, torch.nn.TransformerDecoderLayer),
             (nn.MultiheadAttention, torch.nn.MultiheadAttention)]
    for ours, theirs in pairs:
        for meth in ("__init__", "forward"):
            a = inspect.signature(getattr(ours, meth)).parameters
            b = inspect.signature(getattr(theirs, meth)).parameters
            assert list(a) == list(b), (ours.__name__, meth)
            for name in a:
                if name != "activation":
                    assert a[name].default == b[name].default, (ours.__name__, meth, name)
    a = inspect.signature(F.scaled_dot_product_attention).parameters  # torch's is a builtin: its documented one
    assert list(a) == ["query", "key", "value", "attn_mask", "dropout_p", "is_causal", "scale", "enable_gqa"]
    assert a["scale"].kind is inspect.Parameter.KEYWORD_ONLY


def test_layers_are_independent_copies_and_init():
    layer = nn.TransformerEncoderLayer(16, 4, 24)
    enc = nn.TransformerEncoder(layer, 3)
    ws = [m.linear1.weight for m in enc.layers]
    assert len({id(w) for w in ws}) == 3 and all(w is not layer.linear1.weight for w in ws)
    np.testing.assert_array_equal(npy(ws[0]), npy(ws[1]))  # copies of one layer, as torch
    with fastdl.no_grad():
        ws[0].fill_(0.0)
    assert np.abs(npy(ws[1])).max() > 0
    t = nn.Transformer(16, 4, 2, 2, 24)
    for name, p in t.named_parameters():
        if p.ndim > 1:  # xavier_uniform_ everywhere
            bound = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert np.abs(npy(p)).max() <= bound + 1e-7, name
        elif "norm" in name and name.endswith("weight"):
            assert np.all(npy(p) == 1), name
    a, b = (npy(t.encoder.layers[i].linear1.weight) for i in (0, 1))
    assert not np.allclose(a, b)  # re-initialised after copying
    assert t.d_model == 16 and t.nhead == 4 and t.batch_first is False
    assert isinstance(t.encoder.norm, nn.LayerNorm) and isinstance(t.decoder.norm, nn.LayerNorm)


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(4)
    ref = np.where(np.triu(np.ones((4, 4), bool), 1), NEG_INF, 0.0)
    np.testing.assert_array_equal(npy(m), ref)
    assert m.dtype is fastdl.float32
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=fastdl.float64).dtype is fastdl.float64
    assert tuple(nn.Transformer.generate_square_subsequent_mask(1).shape) == (1, 1)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(npy(m), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())


# ------------------------------------------------------------ encoder layer against torch

ENC_CASES = [
    # (activation, norm_first, batch_first, batched, masks)
    ("relu", False, False, True, "none"),
    ("relu", True, False, True, "none"),
    ("gelu", False, True, True, "causal"),
    ("gelu", True, True, True, "causal+kpm"),
    ("relu", False, True, True, "is_causal"),
    ("relu_fn", False, False, True, "bool_mask+kpm"),
    ("silu_fn", True, False, True, "float_mask+kpm_float"),
    ("gelu_module", False, True, True, "kpm"),
    ("relu", True, False, False, "causal+kpm"),
    ("gelu", False, False, False, "none"),
]


def _enc_masks(lib, masks, L, N, batched):
    mask = kpm = None
    is_causal = False
    if "causal" in masks:
        mask = (nn.Transformer if lib is fastdl else lib.nn.Transformer).generate_square_subsequent_mask(L)
        mask = mask.to(lib.float64)
        is_causal = masks == "is_causal"
    if "bool_mask" in masks:
        m = RNG.random((L, L)) > 0.7
        np.fill_diagonal(m, False)
        mask = m
    if "float_mask" in masks:
        mask = RNG.standard_normal((L, L))
    if "kpm" in masks:
        kpm = _kpm(N, L, batched, "float" if "kpm_float" in masks else "bool")
    return mask, kpm, is_causal


@pytest.mark.parametrize("act,norm_first,batch_first,batched,masks", ENC_CASES)
def test_encoder_layer_matches_torch(act, norm_first, batch_first, batched, masks):
    torch = torch_or_skip()
    fact, tact = _activations(torch, act)
    torch.manual_seed(0)
    kw = dict(dim_feedforward=FF, norm_first=norm_first, batch_first=batch_first)
    tl = torch.nn.TransformerEncoderLayer(D_MODEL, NHEAD, activation=tact, dtype=torch.float64, **kw).eval()
    fl = copy_from_torch(tl, nn.TransformerEncoderLayer(D_MODEL, NHEAD, activation=fact, dtype=fastdl.float64,
                                                        **kw).eval())
    L, N = 6, 3
    x = _seq(L, N, batch_first, batched)
    mask, kpm, is_causal = _enc_masks(torch, masks, L, N, batched)
    mask_np = mask.numpy() if isinstance(mask, torch.Tensor) else mask
    tx, fx = torch.tensor(x, requires_grad=True), T(x, True)
    tout = tl(tx, src_mask=None if mask is None else torch.as_tensor(mask_np),
              src_key_padding_mask=None if kpm is None else torch.tensor(kpm), is_causal=is_causal)
    fout = fl(fx, src_mask=None if mask is None else T(mask_np),
              src_key_padding_mask=None if kpm is None else T(kpm), is_causal=is_causal)
    close(npy(fout), tout.detach().numpy())
    g = RNG.standard_normal(tuple(tout.shape))
    (fout * T(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    compare_grads(fl, tl, [(fx, tx)])


@pytest.mark.parametrize("bias", [True, False])
def test_encoder_layer_bias_flag_matches_torch(bias):
    torch = torch_or_skip()
    tl = torch.nn.TransformerEncoderLayer(8, 2, 12, bias=bias, dtype=torch.float64).eval()
    fl = copy_from_torch(tl, nn.TransformerEncoderLayer(8, 2, 12, bias=bias, dtype=fastdl.float64).eval())
    x = RNG.standard_normal((5, 2, 8))
    close(npy(fl(T(x))), tl(torch.tensor(x)).detach().numpy())


# ------------------------------------------------------------ decoder layer against torch

DEC_CASES = [
    # (activation, norm_first, batch_first, batched, masks)
    ("relu", False, False, True, "none"),
    ("gelu", True, True, True, "tgt_causal"),
    ("relu", False, True, True, "tgt_causal+tgt_kpm+mem_kpm"),
    ("relu", True, False, True, "tgt_is_causal+mem_mask"),
    ("silu_fn", False, False, True, "tgt_bool+mem_kpm_float"),
    ("gelu", False, False, False, "tgt_causal+mem_kpm"),
]


def _dec_masks(masks, T_, S, N, batched):
    out = dict(tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
               tgt_is_causal=False)
    if "tgt_causal" in masks or "tgt_is_causal" in masks:
        out["tgt_mask"] = np.where(np.triu(np.ones((T_, T_), bool), 1), NEG_INF, 0.0)
        out["tgt_is_causal"] = "tgt_is_causal" in masks
    if "tgt_bool" in masks:
        m = RNG.random((T_, T_)) > 0.7
        np.fill_diagonal(m, False)
        out["tgt_mask"] = m
    if "mem_mask" in masks:
        out["memory_mask"] = RNG.standard_normal((T_, S))
    if "tgt_kpm" in masks:
        out["tgt_key_padding_mask"] = _kpm(N, T_, batched)
    if "mem_kpm" in masks:
        out["memory_key_padding_mask"] = _kpm(N, S, batched, "float" if "mem_kpm_float" in masks else "bool")
    return out


def _as(lib, masks):
    return {k: (v if v is None or isinstance(v, bool) else (T(v) if lib is fastdl else lib.tensor(v)))
            for k, v in masks.items()}


@pytest.mark.parametrize("act,norm_first,batch_first,batched,masks", DEC_CASES)
def test_decoder_layer_matches_torch(act, norm_first, batch_first, batched, masks):
    torch = torch_or_skip()
    fact, tact = _activations(torch, act)
    torch.manual_seed(0)
    kw = dict(dim_feedforward=FF, norm_first=norm_first, batch_first=batch_first)
    tl = torch.nn.TransformerDecoderLayer(D_MODEL, NHEAD, activation=tact, dtype=torch.float64, **kw).eval()
    fl = copy_from_torch(tl, nn.TransformerDecoderLayer(D_MODEL, NHEAD, activation=fact, dtype=fastdl.float64,
                                                        **kw).eval())
    Tn, S, N = 5, 7, 2
    tgt, mem = _seq(Tn, N, batch_first, batched), _seq(S, N, batch_first, batched)
    m = _dec_masks(masks, Tn, S, N, batched)
    ttgt, tmem = torch.tensor(tgt, requires_grad=True), torch.tensor(mem, requires_grad=True)
    ftgt, fmem = T(tgt, True), T(mem, True)
    tout = tl(ttgt, tmem, **_as(torch, m))
    fout = fl(ftgt, fmem, **_as(fastdl, m))
    close(npy(fout), tout.detach().numpy())
    g = RNG.standard_normal(tuple(tout.shape))
    (fout * T(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    compare_grads(fl, tl, [(ftgt, ttgt), (fmem, tmem)])


# ------------------------------------------------------------ stacks and the full model


@pytest.mark.parametrize("norm_first,batch_first", [(False, False), (True, True)])
def test_encoder_decoder_stacks_match_torch(norm_first, batch_first):
    torch = torch_or_skip()
    torch.manual_seed(0)
    kw = dict(dim_feedforward=FF, norm_first=norm_first, batch_first=batch_first)
    tenc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D_MODEL, NHEAD, **kw), 2,
                                       torch.nn.LayerNorm(D_MODEL), enable_nested_tensor=False).double().eval()
    fenc = copy_from_torch(tenc, nn.TransformerEncoder(nn.TransformerEncoderLayer(D_MODEL, NHEAD, **kw), 2,
                                                       nn.LayerNorm(D_MODEL)).to(fastdl.float64).eval())
    tdec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D_MODEL, NHEAD, **kw), 2).double().eval()
    fdec = copy_from_torch(tdec, nn.TransformerDecoder(nn.TransformerDecoderLayer(D_MODEL, NHEAD, **kw),
                                                       2).to(fastdl.float64).eval())
    S, Tn, N = 6, 4, 3
    src, tgt = _seq(S, N, batch_first), _seq(Tn, N, batch_first)
    skpm = _kpm(N, S)
    smask = RNG.standard_normal((S, S))
    tmask = np.where(np.triu(np.ones((Tn, Tn), bool), 1), NEG_INF, 0.0)
    tsrc, ttgt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    fsrc, ftgt = T(src, True), T(tgt, True)
    tmem = tenc(tsrc, mask=torch.tensor(smask), src_key_padding_mask=torch.tensor(skpm))
    fmem = fenc(fsrc, mask=T(smask), src_key_padding_mask=T(skpm))
    close(npy(fmem), tmem.detach().numpy())
    tout = tdec(ttgt, tmem, tgt_mask=torch.tensor(tmask), memory_key_padding_mask=torch.tensor(skpm))
    fout = fdec(ftgt, fmem, tgt_mask=T(tmask), memory_key_padding_mask=T(skpm))
    close(npy(fout), tout.detach().numpy())
    g = RNG.standard_normal(tuple(tout.shape))
    (fout * T(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    compare_grads(fenc, tenc, [(fsrc, tsrc), (ftgt, ttgt)])
    compare_grads(fdec, tdec, [])


@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True, norm_first=True, activation="gelu")])
def test_transformer_matches_torch(kw):
    torch = torch_or_skip()
    torch.manual_seed(0)
    tm = torch.nn.Transformer(D_MODEL, NHEAD, 2, 2, FF, dtype=torch.float64, **kw).eval()
    fm = copy_from_torch(tm, nn.Transformer(D_MODEL, NHEAD, 2, 2, FF, dtype=fastdl.float64, **kw).eval())
    bf = kw.get("batch_first", False)
    S, Tn, N = 7, 5, 2
    src, tgt = _seq(S, N, bf), _seq(Tn, N, bf)
    skpm = _kpm(N, S)
    tkpm = _kpm(N, Tn)
    tsrc, ttgt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    fsrc, ftgt = T(src, True), T(tgt, True)
    tout = tm(tsrc, ttgt, tgt_mask=tm.generate_square_subsequent_mask(Tn, dtype=torch.float64),
              src_key_padding_mask=torch.tensor(skpm), tgt_key_padding_mask=torch.tensor(tkpm),
              memory_key_padding_mask=torch.tensor(skpm))
    fout = fm(fsrc, ftgt, tgt_mask=fm.generate_square_subsequent_mask(Tn, dtype=fastdl.float64),
              src_key_padding_mask=T(skpm), tgt_key_padding_mask=T(tkpm), memory_key_padding_mask=T(skpm))
    close(npy(fout), tout.detach().numpy())
    g = RNG.standard_normal(tuple(tout.shape))
    (fout * T(g)).sum().backward()
    (tout * torch.tensor(g)).sum().backward()
    compare_grads(fm, tm, [(fsrc, tsrc), (ftgt, ttgt)])


def test_transformer_unbatched_matches_batched():
    m = nn.Transformer(D_MODEL, NHEAD, 1, 1, FF, dtype=fastdl.float64).eval()
    src, tgt = RNG.standard_normal((6, D_MODEL)), RNG.standard_normal((4, D_MODEL))
    mask = m.generate_square_subsequent_mask(4, dtype=fastdl.float64)
    one = npy(m(T(src), T(tgt), tgt_mask=mask))
    batched = npy(m(T(src[:, None]), T(tgt[:, None]), tgt_mask=mask))
    close(one, batched[:, 0])


# ------------------------------------------------------------ NumPy reference (no torch)


def _layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def ref_encoder_layer(p, x, nhead, norm_first=False, mask=None, kpm=None, batch_first=False, act="relu"):
    mha = {k[len("self_attn."):]: v for k, v in p.items() if k.startswith("self_attn.")}

    def sa(h):
        return ref_mha(mha, h, h, h, nhead, kpm, mask, batch_first)[0]

    def ff(h):
        a = h @ p["linear1.weight"].T + p["linear1.bias"]
        a = np.maximum(a, 0) if act == "relu" else 0.5 * a * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))
        return a @ p["linear2.weight"].T + p["linear2.bias"]

    def n(i, h):
        return _layer_norm(h, p[f"norm{i}.weight"], p[f"norm{i}.bias"])
    if norm_first:
        x = x + sa(n(1, x))
        return x + ff(n(2, x))
    x = n(1, x + sa(x))
    return n(2, x + ff(x))


def _randomise(module):
    """Non-trivial LayerNorm affine parameters and biases (torch's init has ones / zeros)."""
    with fastdl.no_grad():
        for name, p in module.named_parameters():
            if p.ndim == 1:
                p.copy_(T(RNG.standard_normal(tuple(p.shape)) * 0.3 + (1.0 if "norm" in name and
                                                                       name.endswith("weight") else 0.0)).to(p.dtype))


@pytest.mark.parametrize("norm_first,batch_first,act", [(False, False, "relu"), (True, True, "gelu")])
def test_encoder_layer_matches_numpy(norm_first, batch_first, act):
    layer = nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, activation=act, norm_first=norm_first,
                                       batch_first=batch_first, dtype=fastdl.float64).eval()
    _randomise(layer)
    p = {k: npy(v) for k, v in layer.state_dict().items()}
    L, N = 6, 3
    x = _seq(L, N, batch_first)
    mask = np.where(np.triu(np.ones((L, L), bool), 1), NEG_INF, 0.0)
    kpm = _kpm(N, L)
    out = layer(T(x), src_mask=T(mask), src_key_padding_mask=T(kpm))
    close(npy(out), ref_encoder_layer(p, x, NHEAD, norm_first, mask, kpm, batch_first, act))


# ------------------------------------------------------------ behaviour and errors


def test_dropout_only_in_training():
    layer = nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, dropout=0.3)
    x = fastdl.randn(5, 2, D_MODEL)
    a, b = npy(layer(x)), npy(layer(x))
    assert not np.allclose(a, b)
    layer.eval()
    np.testing.assert_array_equal(npy(layer(x)), npy(layer(x)))
    assert layer.self_attn.training is False and layer.dropout1.training is False


def test_activation_choices():
    assert nn.TransformerEncoderLayer(8, 2, 16, activation="relu").activation is F.relu
    assert nn.TransformerEncoderLayer(8, 2, 16, activation="gelu").activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(8, 2, 16, activation=F.silu).activation_relu_or_gelu == 0
    layer = nn.TransformerDecoderLayer(8, 2, 16, activation=nn.GELU())
    assert "activation" in dict(layer.named_children())  # a module activation is a child, as torch
    with pytest.raises(RuntimeError, match="TransformerEncoderLayer: activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, 16, activation="tanh")
    with pytest.raises(RuntimeError, match="TransformerDecoderLayer: activation should be relu/gelu, not swish"):
        nn.TransformerDecoderLayer(8, 2, 16, activation="swish")


def test_errors():
    with pytest.raises(AssertionError, match="embed_dim=10 and num_heads=4"):
        nn.TransformerEncoderLayer(10, 4)
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer.*d_model=8.*float32\[5, 2, 6\]"):
        layer(fastdl.randn(5, 2, 6))
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer.*float32\[5\]"):
        layer(fastdl.randn(5))
    with pytest.raises(RuntimeError, match=r"2-D attn_mask is \[4, 4\], but should be \[5, 5\]"):
        layer(fastdl.randn(5, 2, 8), src_mask=nn.Transformer.generate_square_subsequent_mask(4))
    with pytest.raises(AssertionError, match="only bool and floating types of src_key_padding_mask"):
        nn.TransformerEncoder(layer, 1)(fastdl.randn(5, 2, 8), src_key_padding_mask=fastdl.zeros(2, 5,
                                                                                                 dtype=fastdl.int64))
    dec = nn.TransformerDecoderLayer(8, 2, 16)
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer.*memory.*float32\[3, 2, 4\]"):
        dec(fastdl.randn(5, 2, 8), fastdl.randn(3, 2, 4))
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal hint"):
        dec(fastdl.randn(5, 2, 8), fastdl.randn(3, 2, 8), tgt_is_causal=True)
    t = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match=r"batch number of src and tgt must be equal.*\[5, 2, 8\].*\[4, 3, 8\]"):
        t(fastdl.randn(5, 2, 8), fastdl.randn(4, 3, 8))
    with pytest.raises(RuntimeError, match="feature number of src and tgt must be equal to d_model=8"):
        t(fastdl.randn(5, 2, 8), fastdl.randn(4, 2, 6))
    with pytest.raises(ValueError, match="num_layers"):
        nn.TransformerEncoder(layer, -1)


# ------------------------------------------------------------ training


def test_encoder_learns_to_reverse_sequences():
    V, L, D = 8, 6, 32
    fastdl.manual_seed(0)

    class Reverser(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(V, D)
            self.pos = nn.Embedding(L, D)
            self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, 4, 64, dropout=0.05, batch_first=True), 1)
            self.head = nn.Linear(D, V)

        def forward(self, x):
            return self.head(self.enc(self.tok(x) + self.pos(fastdl.arange(L))))

    net = Reverser()
    opt = fastdl.optim.Adam(net.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    for _ in range(150):
        x = rng.integers(0, V, (64, L))
        loss = F.cross_entropy(net(fastdl.tensor(x)).reshape(-1, V), fastdl.tensor(x[:, ::-1].reshape(-1)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    x = rng.integers(0, V, (256, L))
    pred = npy(net(fastdl.tensor(x)).argmax(-1))
    acc = (pred == x[:, ::-1]).mean()
    assert acc > 0.95, acc  # chance is 1/8


# ------------------------------------------------------------ CUDA


@pytest.mark.cuda
def test_encoder_layer_cuda_against_numpy():
    layer = nn.TransformerEncoderLayer(D_MODEL, NHEAD, FF, norm_first=True, batch_first=True).eval()
    _randomise(layer)
    p = {k: npy(v).astype(np.float64) for k, v in layer.state_dict().items()}
    layer.to("cuda")
    L, N = 6, 3
    x = _seq(L, N, True)
    mask = np.where(np.triu(np.ones((L, L), bool), 1), NEG_INF, 0.0)
    kpm = _kpm(N, L)
    fx = fastdl.tensor(x, dtype=fastdl.float32, device="cuda", requires_grad=True)
    out = layer(fx, src_mask=fastdl.tensor(mask, dtype=fastdl.float32, device="cuda"),
                src_key_padding_mask=fastdl.tensor(kpm, device="cuda"))
    assert out.device.type == "cuda"
    np.testing.assert_allclose(npy(out.cpu()), ref_encoder_layer(p, x, NHEAD, True, mask, kpm, True),
                               rtol=1e-4, atol=1e-4)
    out.sum().backward()
    assert fx.grad.device.type == "cuda" and np.isfinite(npy(fx.grad.cpu())).all()
    assert layer.linear1.weight.grad.device.type == "cuda"
