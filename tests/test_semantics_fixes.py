"""dtype and semantics mismatches with torch found by tests/fuzz_ops.py, fixed: result
dtypes of integer / bool inputs, NaN and empty-input semantics, inputs torch refuses
(bool, mixed dtypes), and optimizer steps on float16 / bfloat16 parameters. Each case is
written once as a function of the library (fastdl or torch), checked against exact
values here and against torch where it is installed."""
import math
import warnings

import numpy as np
import pytest

import fastdl

NAN, INF = float("nan"), float("inf")


def _i(L):
    return L.tensor([[1, -2], [3, 4]])


def _b(L):
    return L.tensor([True, False, True])


def _F(L):
    return L.nn.functional


# (id, case(L), dtype name, exact values as nested lists; NaN compares equal to NaN)
DTYPES = [
    ("ceil-int", lambda L: L.ceil(_i(L)), "int64", [[1, -2], [3, 4]]),
    ("floor-int", lambda L: L.floor(_i(L)), "int64", [[1, -2], [3, 4]]),
    ("round-int", lambda L: L.round(_i(L)), "int64", [[1, -2], [3, 4]]),
    ("method-floor-int", lambda L: _i(L).floor(), "int64", [[1, -2], [3, 4]]),
    ("floor_-int", lambda L: _i(L).floor_(), "int64", [[1, -2], [3, 4]]),
    ("round_-int", lambda L: _i(L).round_(), "int64", [[1, -2], [3, 4]]),
    ("trunc-int", lambda L: L.trunc(_i(L)), "int64", [[1, -2], [3, 4]]),
    ("fix-int", lambda L: L.fix(_i(L)), "int64", [[1, -2], [3, 4]]),
    ("hardtanh-int", lambda L: _F(L).hardtanh(L.tensor([-3, 0, 2])), "int64", [-1, 0, 1]),
    ("hardtanh-int-float-bounds", lambda L: _F(L).hardtanh(L.tensor([-3, -1, 0, 2]), -1.5, 1.5), "int64",
     [-1, -1, 0, 1]),
    ("hardtanh_-int", lambda L: _F(L).hardtanh_(L.tensor([-3, 0, 2])), "int64", [-1, 0, 1]),
    ("relu6-int", lambda L: _F(L).relu6(L.tensor([-3, 1, 7])), "int64", [0, 1, 6]),
    ("threshold-int", lambda L: _F(L).threshold(L.tensor([-3, 1, 2, 7]), 1.5, 0.5), "int64", [0, 0, 2, 7]),
    ("threshold-int-neg-value", lambda L: _F(L).threshold(L.tensor([-3, 1, 2]), 1, -2), "int64", [-2, -2, 2]),
    ("sign-bool", lambda L: L.sign(_b(L)), "bool", [True, False, True]),
    ("sgn-bool", lambda L: L.sgn(_b(L)), "bool", [True, False, True]),
    ("square-bool", lambda L: L.square(_b(L)), "int64", [1, 0, 1]),
    ("addmv-int-float-beta", lambda L: L.addmv(L.tensor([1, 2]), L.tensor([[1, 2], [3, 4]]), L.tensor([1, 1]),
                                               beta=0.5), "int64", [3, 7]),
    ("addmv-int-alpha", lambda L: L.addmv(L.tensor([1, 2]), L.tensor([[1, 2], [3, 4]]), L.tensor([1, 1]),
                                          beta=2, alpha=2.7), "int64", [8, 18]),
    ("baddbmm-int-float-alpha", lambda L: L.baddbmm(L.ones(1, 1, 1, dtype=L.int64), L.full((1, 1, 2), 2),
                                                    L.full((1, 2, 1), 3), alpha=1.5), "int64", [[[13]]]),
    ("addbmm-int-float-beta", lambda L: L.addbmm(L.full((1, 1), 5), L.full((2, 1, 1), 2), L.full((2, 1, 1), 3),
                                                 beta=1.9), "int64", [[17]]),
    ("block_diag-0d-f64-with-f32", lambda L: L.block_diag(L.tensor(2.0, dtype=L.float64), L.ones(1, 1)),
     "float32", [[2.0, 0.0], [0.0, 1.0]]),
    ("block_diag-int-bool", lambda L: L.block_diag(L.ones(1, 1, dtype=L.bool), L.full((1, 1), 3)), "int64",
     [[1, 0], [0, 3]]),
    ("chain_matmul-one-bool", lambda L: L.chain_matmul(L.tensor([[True, False]])), "bool", [[True, False]]),
    ("mse_loss-0d-f64", lambda L: _F(L).mse_loss(L.tensor(1.0, dtype=L.float64), L.tensor([0.5, 2.0])),
     "float64", 0.625),
    ("mse_loss-f32-0d-f64", lambda L: _F(L).mse_loss(L.tensor([0.5, 2.0]), L.tensor(1.0, dtype=L.float64)),
     "float64", 0.625),
    ("l1_loss-0d-f64", lambda L: _F(L).l1_loss(L.tensor(1.0, dtype=L.float64), L.tensor([0.5, 2.0])),
     "float64", 0.75),
    ("smooth_l1_loss-0d-f64", lambda L: _F(L).smooth_l1_loss(L.tensor(1.0, dtype=L.float64),
                                                             L.tensor([0.5, 2.0])), "float64", 0.3125),
    ("huber_loss-f32-f64", lambda L: _F(L).huber_loss(L.tensor([0.5, 3.0]), L.tensor([0.0, 0.0], dtype=L.float64)),
     "float32", 1.3125),
    ("huber_loss-0d-f64", lambda L: _F(L).huber_loss(L.tensor(1.0, dtype=L.float64), L.tensor([0.5, 2.0])),
     "float64", 0.3125),
    ("soft_margin_loss-f32-f64", lambda L: _F(L).soft_margin_loss(L.tensor([0.0]), L.tensor([1.0], dtype=L.float64)),
     "float32", math.log(2.0)),
    ("bce_logits-target-dtype", lambda L: _F(L).binary_cross_entropy_with_logits(
        L.tensor([0.0], dtype=L.float64), L.tensor([1.0])), "float32", math.log(2.0)),
    ("bce_logits-f32-f64", lambda L: _F(L).binary_cross_entropy_with_logits(
        L.tensor([0.0]), L.tensor([1.0], dtype=L.float64)), "float64", math.log(2.0)),
]

# semantics: values as torch's
VALUES = [
    ("clamp-nan-min", lambda L: L.clamp(L.tensor([1.0, -2.0]), NAN), "float32", [NAN, NAN]),
    ("clamp-min-kw-nan", lambda L: L.clamp(L.tensor([1.0, -2.0]), min=NAN), "float32", [NAN, NAN]),
    ("clamp-max-nan", lambda L: L.clamp(L.tensor([1.0, -2.0]), max=NAN), "float32", [NAN, NAN]),
    ("clamp-int-nan", lambda L: L.clamp(L.tensor([1, 2]), 0, NAN), "float32", [NAN, NAN]),
    ("clamp_min-nan", lambda L: L.tensor([1.0]).clamp_min(NAN), "float32", [NAN]),
    ("clamp_-nan", lambda L: L.tensor([1.0, 2.0]).clamp_(NAN), "float32", [NAN, NAN]),
    ("hardtanh-nan-bound", lambda L: _F(L).hardtanh(L.tensor([0.5, 2.0]), NAN), "float32", [NAN, NAN]),
    ("floor_divide-inf-by-finite", lambda L: L.floor_divide(L.tensor([INF, -INF, INF, -INF, 1.0, INF]),
                                                           L.tensor([2.0, 2.0, -1.0, 1e-30, 0.0, 0.0])),
     "float32", [NAN, NAN, NAN, NAN, INF, INF]),
    ("floor_divide-finite-by-inf", lambda L: L.floor_divide(L.tensor([1.0, -1.0, 2.5, -2.5, 0.0]),
                                                           L.tensor([-INF, INF, INF, -INF, INF])),
     "float32", [-1.0, -1.0, 0.0, 0.0, 0.0]),
    ("floor_divide-scalar", lambda L: L.floor_divide(L.tensor([INF, 7.0]), 2.0), "float32", [NAN, 3.0]),
    ("floor_divide-finite", lambda L: L.floor_divide(L.tensor([7.0, -7.0, 7.0]), L.tensor([2.0, 2.0, -2.0])),
     "float32", [3.0, -4.0, -4.0]),
    ("hardswish-inf", lambda L: _F(L).hardswish(L.tensor([NAN, INF, -INF, -4.0, 1.0, 4.0])), "float32",
     [NAN, INF, NAN, -0.0, 2.0 / 3.0, 4.0]),
]

# (id, case(L), fastdl exception, fastdl message regex)
RAISES = [
    ("ceil-bool", lambda L: L.ceil(_b(L)), NotImplementedError, "ceil: not implemented for bool"),
    ("floor-bool", lambda L: _b(L).floor(), NotImplementedError, "floor: not implemented for bool"),
    ("round-bool", lambda L: L.round(_b(L)), NotImplementedError, "round: not implemented for bool"),
    ("trunc-bool", lambda L: L.trunc(_b(L)), NotImplementedError, "trunc: not implemented for bool"),
    ("neg-bool", lambda L: L.neg(_b(L)), RuntimeError, "neg: negation, the `-` operator, on a bool tensor"),
    ("neg-op-bool", lambda L: -_b(L), RuntimeError, "neg: negation"),
    ("relu-bool", lambda L: L.relu(_b(L)), RuntimeError, "relu: bool inputs are not supported"),
    ("F.relu-bool", lambda L: _F(L).relu(_b(L)), RuntimeError, "relu: bool inputs are not supported"),
    ("hardtanh-bool", lambda L: _F(L).hardtanh(_b(L)), RuntimeError, "hardtanh: bool inputs are not supported"),
    ("relu6-bool", lambda L: _F(L).relu6(_b(L)), RuntimeError, "hardtanh: bool inputs are not supported"),
    ("threshold-bool", lambda L: _F(L).threshold(_b(L), 0, 1), NotImplementedError, "threshold: not implemented for bool"),
    ("hardswish-int", lambda L: _F(L).hardswish(L.tensor([1, 2])), NotImplementedError,
     "hardswish: not implemented for int64"),
    ("square_-bool", lambda L: _b(L).square_(), RuntimeError, "square_: result type int64 can't be cast to"),
    ("cov-bool", lambda L: L.cov(L.tensor([[True, False], [True, True]])), RuntimeError,
     r"cov: bool dtype is not supported for input bool\[2, 2\]"),
    ("kl_div-int-target", lambda L: _F(L).kl_div(L.tensor([0.5]), L.tensor([1]), reduction="sum"), RuntimeError,
     r"kl_div: integral inputs not supported \(got float32, int64\)"),
    ("kl_div-bool", lambda L: _F(L).kl_div(L.tensor([True]), L.tensor([True]), reduction="sum"), RuntimeError,
     "kl_div: integral inputs not supported"),
    ("allclose-f32-f64", lambda L: L.allclose(L.ones(2), L.ones(2, dtype=L.float64)), RuntimeError,
     "allclose: float32 did not match float64"),
    ("isclose-f32-i64", lambda L: L.isclose(L.ones(2), L.ones(2, dtype=L.int64)), RuntimeError,
     "isclose: float32 did not match int64"),
    ("method-isclose-0d", lambda L: L.ones(2).isclose(L.tensor(1.0, dtype=L.float64)), RuntimeError,
     "isclose: float32 did not match float64"),
    ("lerp-end-dtype", lambda L: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5), RuntimeError,
     "lerp: expected dtype float32 for `end` but got dtype float64"),
    ("lerp-weight-dtype", lambda L: L.lerp(L.ones(2), L.ones(2), L.ones(2, dtype=L.float64)), RuntimeError,
     "lerp: expected dtype float32 for `weight` but got dtype float64"),
    ("lerp_-end-dtype", lambda L: L.ones(2).lerp_(L.ones(2, dtype=L.float64), 0.5), RuntimeError,
     "lerp: expected dtype float32 for `end`"),
    ("index_put-f64-values", lambda L: L.index_put(L.ones(3), (L.tensor([0]),), L.ones(1, dtype=L.float64)),
     RuntimeError, "index_put: the source and destination dtypes must match, got float32 for the destination "
                   "and float64 for the source"),
    ("index_put_-int-values", lambda L: L.ones(3).index_put_((L.tensor([0]),), L.ones(1, dtype=L.int64)),
     RuntimeError, "index_put: the source and destination dtypes must match"),
    ("bce-mixed", lambda L: _F(L).binary_cross_entropy(L.tensor([0.5]), L.tensor([1.0], dtype=L.float64)),
     RuntimeError, "binary_cross_entropy: found dtype float64 for target but expected float32"),
    ("bce_logits-int-target", lambda L: _F(L).binary_cross_entropy_with_logits(L.tensor([0.5]), L.tensor([1])),
     RuntimeError, "binary_cross_entropy_with_logits: result type float32 can't be cast to the desired output "
                   "type int64"),
    ("bce_logits-int-input", lambda L: _F(L).binary_cross_entropy_with_logits(L.tensor([1]), L.tensor([1.0])),
     NotImplementedError, "binary_cross_entropy_with_logits: not implemented for int64"),
    ("huber-int-input", lambda L: _F(L).huber_loss(L.tensor([1]), L.tensor([1.0])), RuntimeError,
     "huber_loss: result type float32 can't be cast to the desired output type int64"),
    ("huber-int-int", lambda L: _F(L).huber_loss(L.tensor([1]), L.tensor([2])), NotImplementedError,
     "huber_loss: not implemented for int64"),
    ("smooth_l1-int-int", lambda L: _F(L).smooth_l1_loss(L.tensor([1]), L.tensor([2])), NotImplementedError,
     "smooth_l1_loss: not implemented for int64"),
    ("soft_margin-0d-input", lambda L: _F(L).soft_margin_loss(L.tensor(0.5), L.ones(3)), RuntimeError,
     r"soft_margin_loss: output with shape \[\] doesn't match the broadcast shape \[3\]"),
    ("l1-bool-target", lambda L: _F(L).l1_loss(L.ones(2, dtype=L.float64), L.tensor([True, False])), RuntimeError,
     "l1_loss: subtraction, the `-` operator, with a bool tensor is not supported"),
    ("poisson_nll-bool", lambda L: _F(L).poisson_nll_loss(_b(L), _b(L)), RuntimeError,
     "poisson_nll_loss: subtraction"),
    ("hinge-int-mean", lambda L: _F(L).hinge_embedding_loss(L.tensor([1, 2]), L.tensor([1.0, -1.0])), RuntimeError,
     "hinge_embedding_loss: mean.. could not infer the output dtype of a int64 input"),
]


def _check_values(r, dtype, expected):
    assert str(r.dtype).split(".")[-1] == dtype
    got = r.detach()
    if dtype in ("float16", "bfloat16"):
        got = got.float()
    got, want = got.numpy(), np.asarray(expected, dtype=got.numpy().dtype)
    assert got.shape == want.shape
    if want.dtype.kind != "f":
        assert np.array_equal(got, want), (got, want)
        return
    assert np.allclose(got, want, rtol=1e-6, atol=0, equal_nan=True), (got, want)
    finite = ~np.isnan(want)  # signed zeros too (hardswish: -0.0 below -3, as torch's x * 0)
    assert np.array_equal(np.signbit(got[finite]), np.signbit(want[finite])), (got, want)


@pytest.mark.parametrize("name,case,dtype,expected", DTYPES + VALUES, ids=[c[0] for c in DTYPES + VALUES])
def test_result(name, case, dtype, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_values(case(fastdl), dtype, expected)


@pytest.mark.parametrize("name,case,dtype,expected", DTYPES + VALUES, ids=[c[0] for c in DTYPES + VALUES])
def test_result_matches_torch(name, case, dtype, expected):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_values(case(torch), dtype, expected)


@pytest.mark.parametrize("name,case,exc,msg", RAISES, ids=[c[0] for c in RAISES])
def test_raises(name, case, exc, msg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=msg):
            case(fastdl)


@pytest.mark.parametrize("name,case,exc,msg", RAISES, ids=[c[0] for c in RAISES])
def test_torch_raises_too(name, case, exc, msg):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises((RuntimeError, NotImplementedError, TypeError)):
            case(torch)


def test_int_rounding_copies():
    x = fastdl.tensor([1, 2])
    y = fastdl.floor(x)
    y[0] = 5
    assert x.tolist() == [1, 2]


def test_float_rounding_unchanged():
    x = fastdl.tensor([-1.5, -0.5, 0.5, 2.5, 2.7])
    assert fastdl.floor(x).tolist() == [-2.0, -1.0, 0.0, 2.0, 2.0]
    assert fastdl.ceil(x).tolist() == [-1.0, -0.0, 1.0, 3.0, 3.0]
    assert fastdl.round(x).tolist() == [-2.0, -0.0, 0.0, 2.0, 3.0]
    assert fastdl.round(x).dtype is fastdl.float32


@pytest.mark.parametrize("n,chunks,dim,shape", [(0, 5, 0, (0, 3)), (0, 1, 0, (0, 3)), (3, 5, 1, (3, 0))])
def test_chunk_of_empty(n, chunks, dim, shape):
    x = fastdl.zeros(n, 3) if dim == 0 else fastdl.zeros(3, 0)
    parts = fastdl.chunk(x, chunks, dim)
    assert len(parts) == chunks and all(tuple(p.shape) == shape for p in parts)
    assert len(x.chunk(chunks, dim)) == chunks
    torch = pytest.importorskip("torch")
    tx = torch.zeros(n, 3) if dim == 0 else torch.zeros(3, 0)
    assert [tuple(p.shape) for p in torch.chunk(tx, chunks, dim)] == [tuple(p.shape) for p in parts]


def test_hardswish_gradient():
    x = fastdl.tensor([-5.0, -3.0, -1.0, 0.0, 2.0, 3.0, 4.0], dtype=fastdl.float64, requires_grad=True)
    fastdl.nn.functional.hardswish(x).sum().backward()
    # x / 3 + 1/2 rounded as torch's kernel rounds it (-1 / 3 + 0.5 is 1/6 + 2^-55)
    assert x.grad.tolist() == [0.0, 0.0, -1.0 / 3.0 + 0.5, 0.5, 2.0 / 3.0 + 0.5, 1.0, 1.0]
    y = fastdl.tensor([-4.5, -1.3, 0.7, 2.2, 5.0], dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(fastdl.nn.functional.hardswish, (y,))


def test_clamp_nan_gradient_zero():
    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    fastdl.clamp(x, NAN).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]  # as torch's


def test_mixed_loss_gradient_dtypes():
    a = fastdl.tensor(1.0, dtype=fastdl.float64, requires_grad=True)
    b = fastdl.tensor([0.5, 2.0], requires_grad=True)
    loss = fastdl.nn.functional.mse_loss(a, b)
    loss.backward()
    assert a.grad.dtype is fastdl.float64 and b.grad.dtype is fastdl.float32
    assert a.grad.item() == pytest.approx(-0.5) and b.grad.tolist() == pytest.approx([-0.5, 1.0])
    x = fastdl.tensor([0.5, 3.0], requires_grad=True)
    fastdl.nn.functional.huber_loss(x, fastdl.zeros(2, dtype=fastdl.float64)).backward()
    assert x.grad.dtype is fastdl.float32 and x.grad.tolist() == pytest.approx([0.25, 0.5])


def test_floor_divide_int_unchanged():
    r = fastdl.floor_divide(fastdl.tensor([7, -7]), fastdl.tensor([2, 2]))
    assert r.dtype is fastdl.int64 and r.tolist() == [3, -4]


# ---- optimizers on float16 / bfloat16 parameters ----------------------------------------

OPTIMS = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
          ("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
          ("AdamW", dict(lr=0.01)), ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
          ("Adagrad", dict(lr=0.1)), ("Adadelta", dict()), ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
          ("RAdam", dict(lr=0.01)), ("Rprop", dict()), ("ASGD", dict(lr=0.01)), ("Adafactor", dict(lr=0.01)),
          ("Muon", dict(lr=0.01))]
_RNG = np.random.default_rng(0)
_P0 = _RNG.standard_normal((4, 5)).astype(np.float32)
_GRADS = [_RNG.standard_normal((4, 5)).astype(np.float32) for _ in range(4)]
_TOL = {"float16": 1e-2, "bfloat16": 6e-2}


def _run(L, name, kw, dtn, transposed=False):
    dt = getattr(L, dtn)
    p = L.tensor(_P0.T.copy() if transposed else _P0).to(dt)
    p = (p.t() if transposed else p).requires_grad_(True)
    opt = getattr(L.optim, name)([p], **kw)
    for g in _GRADS:
        p.grad = L.tensor(g).to(dt)
        opt.step()
    state = {k: str(v.dtype).split(".")[-1] for k, v in opt.state[p].items()
             if k != "step" and hasattr(v, "dtype")}  # step: an int here, a float32 tensor in torch
    return p, state


@pytest.mark.parametrize("dtn", ["float16", "bfloat16"])
@pytest.mark.parametrize("name,kw", OPTIMS, ids=[f"{n}{i}" for i, (n, _) in enumerate(OPTIMS)])
def test_optimizer_half_params(name, kw, dtn):
    p, state = _run(fastdl, name, kw, dtn)
    assert p.dtype is getattr(fastdl, dtn)
    # against the same steps in float32 (the half run rounds the parameter and state each step)
    p32, _ = _run(fastdl, name, kw, "float32")
    np.testing.assert_allclose(p.detach().float().numpy(), p32.detach().numpy(), rtol=_TOL[dtn], atol=_TOL[dtn])
    assert not np.allclose(p.detach().float().numpy(), _P0)
    assert all(v in (dtn, "float32") for v in state.values())
    torch = pytest.importorskip("torch")
    tp, tstate = _run(torch, name, kw, dtn)
    np.testing.assert_allclose(p.detach().float().numpy(), tp.detach().float().numpy(),
                               rtol=_TOL[dtn], atol=_TOL[dtn])
    assert state == tstate  # Adam & co keep their moments in the parameter's dtype, as torch


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop"])
def test_optimizer_half_strided_param(name):
    kw = dict(lr=0.01, momentum=0.9) if name != "Adam" else dict(lr=0.01)
    p, _ = _run(fastdl, name, kw, "float16", transposed=True)
    q, _ = _run(fastdl, name, kw, "float16")
    assert p.dtype is fastdl.float16 and p.tolist() == q.tolist()


def test_optimizer_half_state_is_kept_and_updated_in_place():
    p = fastdl.tensor(_P0).to(fastdl.bfloat16).requires_grad_(True)
    opt = fastdl.optim.Adam([p], lr=0.01)
    p.grad = fastdl.tensor(_GRADS[0]).to(fastdl.bfloat16)
    opt.step()
    m = opt.state[p]["exp_avg"]
    assert m.dtype is fastdl.bfloat16
    before = m.float().numpy().copy()
    opt.step()
    assert opt.state[p]["exp_avg"] is m and not np.array_equal(m.float().numpy(), before)
    assert opt.state[p]["step"] == 2
    sd = opt.state_dict()  # round trip keeps the dtype
    opt2 = fastdl.optim.Adam([p], lr=0.01)
    opt2.load_state_dict(sd)
    assert opt2.state[p]["exp_avg"].dtype is fastdl.bfloat16


def test_optimizer_float32_step_exact():
    # the float32 path is untouched: plain SGD is p - lr * g to the bit
    p = fastdl.tensor(_P0, requires_grad=True)
    opt = fastdl.optim.SGD([p], lr=0.1)
    p.grad = fastdl.tensor(_GRADS[0])
    opt.step()
    assert np.array_equal(p.detach().numpy(), _P0 - np.float32(0.1) * _GRADS[0])
