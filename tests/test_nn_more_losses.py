"""nn part 1, the bag and loss ops: EmbeddingBag / F.embedding_bag, MultiLabelMarginLoss,
TripletMarginWithDistanceLoss and CTCLoss against float64 NumPy references (CTC: brute
force over every alignment), float64 gradcheck, torch parity (skipped without torch) and
bad inputs."""
import itertools

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F
from fastdl.testing import gradcheck
from nn_helpers import T, npy

rng = np.random.default_rng(1)


def R(*shape):
    return rng.standard_normal(shape)


def I(a):
    return fastdl.tensor(np.asarray(a, dtype=np.int64))


# ---- EmbeddingBag --------------------------------------------------------------------

def np_embedding_bag(inp, W, offsets, mode, psw=None, include_last_offset=False, padding_idx=None):
    if inp.ndim == 2:
        bags = [(row, None if psw is None else psw[i]) for i, row in enumerate(inp)]
    else:
        ends = list(offsets[1:]) + ([] if include_last_offset else [len(inp)])
        starts = offsets[:-1] if include_last_offset else offsets
        bags = [(inp[s:e], None if psw is None else psw[s:e]) for s, e in zip(starts, ends)]
    out = np.zeros((len(bags), W.shape[1]))
    for b, (idx, w) in enumerate(bags):
        keep = [k for k, i in enumerate(idx) if i != padding_idx]
        if not keep:
            continue
        rows = W[idx[keep]] * (1.0 if w is None else w[keep][:, None])
        out[b] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


_INP = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0])
_OFF = np.array([0, 2, 2, 5])


@pytest.mark.parametrize("mode,padding_idx,last", list(itertools.product(("sum", "mean", "max"), (None, 4, -1),
                                                                          (False, True))))
def test_embedding_bag_1d(mode, padding_idx, last):
    W = R(10, 3)
    off = np.append(_OFF, 8) if last else _OFF
    pad = None if padding_idx is None else padding_idx % 10
    out = F.embedding_bag(I(_INP), T(W), I(off), mode=mode, include_last_offset=last, padding_idx=padding_idx)
    np.testing.assert_allclose(npy(out), np_embedding_bag(_INP, W, off, mode, None, last, pad), rtol=1e-12)
    gradcheck(lambda w: F.embedding_bag(I(_INP), w, I(off), mode=mode, include_last_offset=last,
                                        padding_idx=padding_idx), (T(W, True),))


def test_embedding_bag_2d_and_per_sample_weights():
    W, inp2 = R(10, 4), rng.integers(0, 10, (3, 5))
    for mode in ("sum", "mean", "max"):
        np.testing.assert_allclose(npy(F.embedding_bag(I(inp2), T(W), mode=mode)),
                                   np_embedding_bag(inp2, W, None, mode), rtol=1e-12)
    psw = R(10)
    ref = np_embedding_bag(_INP, W, _OFF, "sum", psw)
    np.testing.assert_allclose(npy(F.embedding_bag(I(_INP), T(W), I(_OFF), mode="sum", per_sample_weights=T(psw))),
                               ref, rtol=1e-12)
    gradcheck(lambda w, p: F.embedding_bag(I(_INP), w, I(_OFF), mode="sum", per_sample_weights=p),
              (T(W, True), T(psw, True)))
    psw2 = R(3, 5)
    np.testing.assert_allclose(npy(F.embedding_bag(I(inp2), T(W), mode="sum", per_sample_weights=T(psw2))),
                               np_embedding_bag(inp2, W, None, "sum", psw2), rtol=1e-12)


def test_embedding_bag_module_and_torch():
    torch = pytest.importorskip("torch")
    for kw in ({}, {"mode": "sum", "padding_idx": 2}, {"mode": "max", "max_norm": 1.0},
               {"mode": "mean", "include_last_offset": True, "norm_type": 1.0}):
        m = nn.EmbeddingBag(10, 3, dtype=fastdl.float64, **kw)
        tm = torch.nn.EmbeddingBag(10, 3, dtype=torch.float64, **kw)
        assert repr(m) == repr(tm) and list(m.state_dict()) == list(tm.state_dict())
        if "padding_idx" in kw:
            assert np.all(npy(m.weight)[2] == 0)
        tm.load_state_dict({"weight": torch.tensor(npy(m.weight))})
        off = np.append(_OFF, 10) if kw.get("include_last_offset") else _OFF
        y = m(I(_INP), I(off))
        ty = tm(torch.tensor(_INP), torch.tensor(off))
        np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-12)
        g = R(*y.shape)
        (y * T(g)).sum().backward()
        (ty * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(npy(m.weight.grad), tm.weight.grad.numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(npy(m.weight), tm.weight.detach().numpy(), rtol=1e-12)  # max_norm renorm
    W = R(10, 3)
    bag = nn.EmbeddingBag.from_pretrained(T(W), mode="sum")
    assert not bag.weight.requires_grad
    np.testing.assert_allclose(npy(bag(I([[1, 2]]))), W[[1]] + W[[2]], rtol=1e-12)


def test_embedding_bag_errors():
    W = T(R(10, 3))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(I(_INP), W)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(I([[1, 2]]), W, I([0]))
    with pytest.raises(ValueError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(I(_INP), W, I([1, 3]))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(I(_INP), W, I(_OFF), per_sample_weights=T(R(10)))
    with pytest.raises(IndexError, match="embedding_bag: index 10 is out of range"):
        F.embedding_bag(I([10]), W, I([0]))
    with pytest.raises(ValueError, match="mode has to be one of"):
        F.embedding_bag(I(_INP), W, I(_OFF), mode="min")
    with pytest.raises(TypeError, match="int64 indices"):
        F.embedding_bag(T([1.0]), W, I([0]))


# ---- MultiLabelMarginLoss ------------------------------------------------------------

def np_multilabel_margin(x, y):
    x, y = np.atleast_2d(x), np.atleast_2d(y)
    out = np.zeros(len(x))
    for n in range(len(x)):
        targets = []
        for v in y[n]:
            if v == -1:
                break
            targets.append(v)
        others = [i for i in range(x.shape[1]) if i not in targets]
        out[n] = sum(max(0.0, 1 - (x[n, j] - x[n, i])) for j in targets for i in others) / x.shape[1]
    return out


_Y = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 1, 1, 1, 1], [2, 2, 4, -1, 3]])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss(reduction):
    x = R(4, 5)
    ref = np_multilabel_margin(x, _Y)
    ref = {"none": ref, "mean": ref.mean(), "sum": ref.sum()}[reduction]
    np.testing.assert_allclose(npy(F.multilabel_margin_loss(T(x), I(_Y), reduction=reduction)), ref, rtol=1e-12)
    np.testing.assert_allclose(npy(nn.MultiLabelMarginLoss(reduction=reduction)(T(x), I(_Y))), ref, rtol=1e-12)
    gradcheck(lambda a: F.multilabel_margin_loss(a, I(_Y), reduction=reduction), (T(x, True),))
    one = F.multilabel_margin_loss(T(x[0]), I(_Y[0]), reduction="none")
    assert one.shape == () and np.isclose(float(one), np_multilabel_margin(x[0], _Y[0])[0])
    torch = pytest.importorskip("torch")
    a, ta = T(x, True), torch.tensor(x, requires_grad=True)
    y, ty = F.multilabel_margin_loss(a, I(_Y), reduction=reduction), \
        torch.nn.functional.multilabel_margin_loss(ta, torch.tensor(_Y), reduction=reduction)
    np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-12)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(npy(a.grad), ta.grad.numpy(), rtol=1e-12)


def test_multilabel_margin_loss_errors():
    with pytest.raises(RuntimeError, match="multilabel_margin_loss: inconsistent target size"):
        F.multilabel_margin_loss(T(R(2, 3)), I([[0, 1, -1]]))
    with pytest.raises(RuntimeError, match="multilabel_margin_loss: target values must be in \\[-1, 3\\)"):
        F.multilabel_margin_loss(T(R(2, 3)), I([[0, 5, -1], [1, -1, 0]]))
    with pytest.raises(ValueError, match="reduction"):
        F.multilabel_margin_loss(T(R(2, 3)), I([[0, 1, -1]] * 2), reduction="avg")


# ---- TripletMarginWithDistanceLoss ---------------------------------------------------

@pytest.mark.parametrize("swap,reduction", list(itertools.product((False, True), ("none", "mean", "sum"))))
def test_triplet_margin_with_distance_loss(swap, reduction):
    a, p, n = R(6, 4), R(6, 4), R(6, 4)

    def dist(u, v):
        return np.sqrt(((u - v + 1e-6) ** 2).sum(-1))
    dn = np.minimum(dist(a, n), dist(p, n)) if swap else dist(a, n)
    ref = np.maximum(dist(a, p) - dn + 0.7, 0)
    ref = {"none": ref, "mean": ref.mean(), "sum": ref.sum()}[reduction]
    out = F.triplet_margin_with_distance_loss(T(a), T(p), T(n), margin=0.7, swap=swap, reduction=reduction)
    np.testing.assert_allclose(npy(out), ref, rtol=1e-12)
    cos = lambda u, v: 1.0 - F.cosine_similarity(u, v)  # noqa: E731
    m = nn.TripletMarginWithDistanceLoss(distance_function=cos, margin=0.7, swap=swap, reduction=reduction)
    gradcheck(m, (T(a, True), T(p, True), T(n, True)))
    torch = pytest.importorskip("torch")
    tcos = lambda u, v: 1.0 - torch.nn.functional.cosine_similarity(u, v)  # noqa: E731
    tm = torch.nn.TripletMarginWithDistanceLoss(distance_function=tcos, margin=0.7, swap=swap, reduction=reduction)
    np.testing.assert_allclose(npy(m(T(a), T(p), T(n))),
                               tm(torch.tensor(a), torch.tensor(p), torch.tensor(n)).numpy(), rtol=1e-12)
    assert repr(nn.TripletMarginWithDistanceLoss()) == repr(torch.nn.TripletMarginWithDistanceLoss())


def test_triplet_margin_with_distance_loss_errors():
    with pytest.raises(ValueError, match="margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=0.0)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_with_distance_loss(T(R(2, 3)), T(R(3)), T(R(2, 3)))


# ---- CTC -----------------------------------------------------------------------------

def np_ctc_nll(lp, target, blank):
    """-log of the summed probability of every alignment (C^T of them) collapsing to target."""
    T_, C = lp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T_):
        collapsed = [c for i, c in enumerate(path) if (i == 0 or c != path[i - 1])]
        if [c for c in collapsed if c != blank] == list(target):
            total += np.exp(sum(lp[t, c] for t, c in enumerate(path)))
    return -np.log(total) if total > 0 else np.inf


def _log_softmax(x):
    return x - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)) - x.max(-1, keepdims=True)


_CTC_T, _CTC_N, _CTC_C = 5, 4, 3
_TARGETS = np.array([[1, 2], [1, 1], [2, 0], [0, 0]])
_TLENS = np.array([2, 2, 1, 0])
_ILENS = np.array([5, 4, 3, 2])


@pytest.mark.parametrize("blank", [0, 2])
def test_ctc_loss_brute_force(blank):
    lp = _log_softmax(R(_CTC_T, _CTC_N, _CTC_C))
    targets = np.where(_TARGETS == blank, 3 - blank - 1 if blank == 2 else 1, _TARGETS)  # no blank in targets
    ref = np.array([np_ctc_nll(lp[:_ILENS[n], n], targets[n, :_TLENS[n]], blank) for n in range(_CTC_N)])
    out = F.ctc_loss(T(lp), I(targets), I(_ILENS), I(_TLENS), blank=blank, reduction="none")
    np.testing.assert_allclose(npy(out), ref, rtol=1e-10)
    mean = F.ctc_loss(T(lp), I(targets), tuple(_ILENS), tuple(_TLENS), blank=blank)
    np.testing.assert_allclose(float(mean), (ref / np.maximum(_TLENS, 1)).mean(), rtol=1e-10)
    flat = np.concatenate([targets[n, :_TLENS[n]] for n in range(_CTC_N)])
    s = nn.CTCLoss(blank=blank, reduction="sum")(T(lp), I(flat), list(_ILENS), list(_TLENS))
    np.testing.assert_allclose(float(s), ref.sum(), rtol=1e-10)
    gradcheck(lambda x: F.ctc_loss(x, I(targets), tuple(_ILENS), tuple(_TLENS), blank=blank, reduction="sum"),
              (T(lp, True),))
    one = F.ctc_loss(T(lp[:, 0]), I(targets[0]), 5, 2, blank=blank, reduction="none")
    assert one.shape == () and np.isclose(float(one), ref[0])


def test_ctc_loss_infeasible_and_zero_infinity():
    lp = _log_softmax(R(3, 2, 4))
    targets, il, tl = I([[1, 1, 2], [3, 0, 0]]), (3, 3), (3, 1)  # 1,1,2 needs 4 frames
    out = F.ctc_loss(T(lp), targets, il, tl, reduction="none")
    assert np.isinf(npy(out)[0]) and np.isfinite(npy(out)[1])
    x = T(lp, True)
    z = F.ctc_loss(x, targets, il, tl, reduction="none", zero_infinity=True)
    assert npy(z)[0] == 0 and npy(z)[1] == npy(out)[1]
    z.sum().backward()
    g = npy(x.grad)
    assert np.all(np.isfinite(g)) and np.all(g[:, 0] == 0)


@pytest.mark.parametrize("reduction,zero_infinity", [("mean", False), ("sum", True), ("none", True)])
def test_ctc_loss_matches_torch(reduction, zero_infinity):
    torch = pytest.importorskip("torch")
    Tn, N, C = 12, 4, 6
    x = R(Tn, N, C)
    tg = np.array([[1, 2, 2, 3], [4, 4, 0, 0], [5, 1, 3, 0], [2, 0, 0, 0]])
    tl, il = np.array([4, 2, 3, 1]), np.array([12, 9, 2, 5])  # sample 2 is infeasible (3 labels, 2 frames)
    a, ta = T(x, True), torch.tensor(x, requires_grad=True)
    # torch's gradient with respect to log_probs differs by exp(log_probs) (see loss_more's docstring);
    # through log_softmax, the usual input, the two agree
    y = F.ctc_loss(F.log_softmax(a, 2), I(tg), I(il), I(tl), reduction=reduction, zero_infinity=zero_infinity)
    ty = torch.nn.functional.ctc_loss(ta.log_softmax(2), torch.tensor(tg), torch.tensor(il), torch.tensor(tl),
                                      reduction=reduction, zero_infinity=zero_infinity)
    np.testing.assert_allclose(npy(y), ty.detach().numpy(), rtol=1e-10)
    if zero_infinity:
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(npy(a.grad), ta.grad.numpy(), rtol=1e-8, atol=1e-12)
    assert repr(nn.CTCLoss()) == repr(torch.nn.CTCLoss())


def test_ctc_loss_errors():
    lp = T(_log_softmax(R(5, 2, 4)))
    with pytest.raises(RuntimeError, match="ctc_loss: Expected input_lengths to have value at most 5"):
        F.ctc_loss(lp, I([[1, 2], [1, 1]]), (5, 6), (2, 2))
    with pytest.raises(RuntimeError, match="ctc_loss: Expected tensor to have size at least 3"):
        F.ctc_loss(lp, I([[1, 2], [1, 1]]), (5, 5), (2, 3))
    with pytest.raises(RuntimeError, match="ctc_loss: target labels must be in \\[0, 4\\)"):
        F.ctc_loss(lp, I([[1, 7], [1, 1]]), (5, 5), (2, 2))
    with pytest.raises(RuntimeError, match="ctc_loss: input_lengths must have one entry per batch element"):
        F.ctc_loss(lp, I([[1, 2], [1, 1]]), (5,), (2, 2))
    with pytest.raises(RuntimeError, match="ctc_loss: blank must be in label range"):
        F.ctc_loss(lp, I([[1, 2], [1, 1]]), (5, 5), (2, 2), blank=4)
    with pytest.raises(RuntimeError, match="ctc_loss: expected log_probs of shape"):
        F.ctc_loss(T(R(5)), I([1]), (5,), (1,))
