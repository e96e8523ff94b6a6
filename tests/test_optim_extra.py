"""fastdl.optim's optimizers ported from torch's single-tensor code paths (Adagrad,
Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS): float64 trajectories and state vs
torch.optim step by step, state_dict round trips (through fastdl.save/load, and torch's
own state_dict loaded into fastdl), signatures and argument errors vs torch, and, without
torch, that each one minimises a convex quadratic."""
import inspect
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastdl
from fastdl import nn, optim

try:
    import torch
except ImportError:  # the torch comparisons skip; the rest runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

NAMES = ["Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"]
HAS_FOREACH = set(NAMES)  # LBFGS has no foreach argument

# (name, defaults, overrides of the second parameter group)
CASES = [
    ("Adagrad", dict(), dict(lr=0.05)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05), dict(lr_decay=0.2)),
    ("Adagrad", dict(weight_decay=0.1, initial_accumulator_value=0.2, eps=1e-6), dict(weight_decay=0.3)),
    ("Adagrad", dict(lr=0.05, maximize=True, lr_decay=0.01, weight_decay=0.05), dict(maximize=False)),
    ("Adadelta", dict(), dict(lr=0.5)),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1), dict(rho=0.95)),
    ("Adadelta", dict(maximize=True, eps=1e-3), dict(weight_decay=0.2)),
    ("Adamax", dict(), dict(lr=0.01)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1), dict(betas=(0.8, 0.99))),
    ("Adamax", dict(lr=0.05, betas=(0.3, 0.6), maximize=True), dict(eps=1e-3)),  # lerp weight >= 0.5 branch
    ("NAdam", dict(), dict(lr=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1), dict(momentum_decay=0.02)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True), dict(weight_decay=0.3)),
    ("NAdam", dict(lr=0.05, momentum_decay=0.05, betas=(0.4, 0.9), maximize=True), dict(betas=(0.9, 0.99))),
    ("RAdam", dict(), dict(lr=0.01)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1), dict(eps=1e-4)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True), dict(weight_decay=0.3)),
    ("RAdam", dict(lr=0.05, betas=(0.3, 0.9)), dict(betas=(0.9, 0.8))),  # rho_t > 5 from step 1 in group 1
    ("Rprop", dict(), dict(lr=0.05)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5)), dict(step_sizes=(1e-3, 0.08))),
    ("Rprop", dict(step_sizes=(1e-3, 0.2), maximize=True), dict(etas=(0.7, 1.1))),
    ("ASGD", dict(), dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1), dict(t0=2)),
    ("ASGD", dict(lr=0.03, t0=3, maximize=True), dict(lambd=0.1)),
]
IDS = [f"{n}-{'-'.join(k) or 'default'}" for n, k, _ in CASES]

SHAPES = [(3, 4), (4,), (2,), (5,)]  # group 0: [0, 1, 2 (never has a grad)]; group 1: [3]


def _groups(params, g1):
    return [{"params": params[:3]}, dict(g1, params=[params[3]])]


def _make_both(name, kw, g1, inits):
    pf = [fastdl.tensor(a, requires_grad=True) for a in inits]
    pt = [torch.tensor(a, requires_grad=True) for a in inits]
    extra = dict(foreach=False) if name in HAS_FOREACH else {}
    of = getattr(optim, name)(_groups(pf, g1), **kw, **extra)
    ot = getattr(torch.optim, name)(_groups(pt, g1), **kw, **extra)
    return pf, pt, of, ot


def _random_grads(rng, params, steps, dtype=np.float64):
    return [[rng.standard_normal(p.shape).astype(dtype) for p in params] for _ in range(steps)]


def _set_grads(pf, pt, grads):
    for i, g in enumerate(grads):
        if i == 2:
            continue  # parameter 2 never has a gradient
        if pf is not None:
            pf[i].grad = fastdl.tensor(g)
        if pt is not None:
            pt[i].grad = torch.tensor(g)


def _close(a, b, rtol=1e-10, atol=1e-13, msg=""):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=msg)


def _compare_value(vf, vt, msg, rtol=1e-10, atol=1e-13):
    """A state value of fastdl against torch's (tensors, lists of tensors, numbers)."""
    if isinstance(vt, torch.Tensor):
        assert isinstance(vf, fastdl.Tensor), msg
        assert vf.dtype.name == str(vt.dtype).replace("torch.", ""), msg
        _close(vf.numpy(), vt.detach().numpy(), rtol, atol, msg)
    elif isinstance(vt, list):
        assert isinstance(vf, list) and len(vf) == len(vt), msg
        for i, (a, b) in enumerate(zip(vf, vt)):
            _compare_value(a, b, f"{msg}[{i}]", rtol, atol)
    elif vt is None:
        assert vf is None, msg
    else:
        assert not isinstance(vf, fastdl.Tensor) and type(vf) is type(vt), msg
        _close(vf, vt, rtol, atol, msg)


def _compare_state(of, ot, pf, pt, rtol=1e-10, atol=1e-13):
    for i, (a, b) in enumerate(zip(pf, pt)):
        sf, st = of.state.get(a, {}), ot.state.get(b, {})
        assert list(sf) == list(st), f"param {i}: state keys {list(sf)} vs torch {list(st)}"
        for k, vt in st.items():
            if k == "step":  # fastdl counts in an int, torch in a float tensor
                assert isinstance(sf[k], int) and sf[k] == int(vt), (i, k)
            else:
                _compare_value(sf[k], vt, f"param {i} state {k}", rtol, atol)


def _compare_groups(of, ot):
    gf, gt = of.state_dict()["param_groups"], ot.state_dict()["param_groups"]
    assert len(gf) == len(gt)
    for a, b in zip(gf, gt):
        assert list(a) == list(b), "param_group keys differ from torch's"
        assert a == b


@needs_torch
@pytest.mark.parametrize("name,kw,g1", CASES, ids=IDS)
def test_trajectory_and_state_match_torch(name, kw, g1):
    rng = np.random.default_rng(0)
    inits = [rng.standard_normal(s) for s in SHAPES]
    pf, pt, of, ot = _make_both(name, kw, g1, inits)
    _compare_groups(of, ot)
    _compare_state(of, ot, pf, pt)  # Adagrad's state exists from the start
    for step, grads in enumerate(_random_grads(rng, inits, 20)):
        _set_grads(pf, pt, grads)
        of.step()
        ot.step()
        for i, (a, b) in enumerate(zip(pf, pt)):
            _close(a.detach().numpy(), b.detach().numpy(), msg=f"step {step}, param {i}")
    np.testing.assert_array_equal(pf[2].detach().numpy(), inits[2])
    _compare_state(of, ot, pf, pt)
    _compare_groups(of, ot)
    sf, st = of.state_dict(), ot.state_dict()
    assert list(sf["state"]) == list(st["state"])
    assert all(list(sf["state"][k]) == list(st["state"][k]) for k in st["state"])


FLOAT32 = [("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)), ("Adadelta", dict(weight_decay=0.1)),
           ("Adamax", dict(lr=0.05)), ("NAdam", dict(lr=0.05, weight_decay=0.1)),
           ("RAdam", dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.1)), ("Rprop", dict()),
           ("ASGD", dict(lr=0.05, t0=2))]


@needs_torch
@pytest.mark.parametrize("name,kw", FLOAT32, ids=[n for n, _ in FLOAT32])
def test_float32_close_to_torch(name, kw):
    rng = np.random.default_rng(1)
    inits = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    pf, pt, of, ot = _make_both(name, kw, {}, inits)
    for grads in _random_grads(rng, inits, 10, np.float32):
        _set_grads(pf, pt, grads)
        of.step()
        ot.step()
    for a, b in zip(pf, pt):
        assert a.dtype is fastdl.float32
        _close(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)
    _compare_state(of, ot, pf, pt, rtol=1e-4, atol=1e-5)


def _fastdl_state_dict_from_torch(sd):
    """torch's optimizer state_dict with its tensors as fastdl tensors."""
    def conv(v):
        if isinstance(v, torch.Tensor):
            return fastdl.tensor(v.detach().numpy().copy())
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v
    return {"state": {k: {n: conv(v) for n, v in s.items()} for k, s in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}


RESUME = [("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1)), ("Adadelta", dict(rho=0.8)),
          ("Adamax", dict(lr=0.05)), ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
          ("RAdam", dict(lr=0.05)), ("Rprop", dict(etas=(0.4, 1.3))), ("ASGD", dict(lr=0.05, t0=3))]
# torch (and fastdl, as torch) casts the 0-d float32 scalars in state (NAdam's
# mu_product, ASGD's eta and mu) to the parameters' float64 on load: a resumed run then
# rounds them differently from an uninterrupted one
SCALAR_STATE = {"NAdam", "ASGD"}


@needs_torch
@pytest.mark.parametrize("name,kw", RESUME, ids=[n for n, _ in RESUME])
def test_state_dict_round_trip_mid_run(name, kw, tmp_path):
    rng = np.random.default_rng(2)
    inits = [rng.standard_normal(s) for s in SHAPES]
    grads = _random_grads(rng, inits, 12)
    g1 = dict(lr=0.02)

    def run(opt, params, gs, torch_params=None, torch_opt=None):
        for step in gs:
            _set_grads(params, torch_params, step)
            opt.step()
            if torch_opt is not None:
                torch_opt.step()

    pf, pt, of, ot = _make_both(name, kw, g1, inits)
    full = [fastdl.tensor(a, requires_grad=True) for a in inits]
    of_full = getattr(optim, name)(_groups(full, g1), **kw)
    run(of_full, full, grads)
    run(of, pf, grads[:6], pt, ot)

    fastdl.save(of.state_dict(), tmp_path / "opt.safetensors")
    sd = fastdl.load(tmp_path / "opt.safetensors")
    assert list(sd["state"]) == list(ot.state_dict()["state"])
    second = [fastdl.tensor(p.detach().numpy().copy(), requires_grad=True) for p in pf]
    of2 = getattr(optim, name)(_groups(second, {}), lr=123.0)
    of2.load_state_dict(sd)
    assert of2.param_groups[1]["lr"] == 0.02 and of2.param_groups[0]["lr"] == kw.get("lr", of.defaults["lr"])
    # torch's own state_dict (tensors converted) loads into fastdl too
    third = [fastdl.tensor(p.detach().numpy().copy(), requires_grad=True) for p in pf]
    of3 = getattr(optim, name)(_groups(third, {}), lr=123.0)
    of3.load_state_dict(_fastdl_state_dict_from_torch(ot.state_dict()))
    # and torch resumes the same way
    pt2 = [torch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in pt]
    ot2 = getattr(torch.optim, name)(_groups(pt2, {}), lr=123.0)
    ot2.load_state_dict(ot.state_dict())

    before = {k: v.numpy().copy() for k, v in of.state[pf[0]].items() if isinstance(v, fastdl.Tensor)}
    for step in grads[6:]:
        _set_grads(second, pt2, step)
        _set_grads(third, None, step)
        of2.step()
        of3.step()
        ot2.step()
        for a, b, c in zip(second, third, pt2):
            _close(a.detach().numpy(), c.detach().numpy())
            _close(b.detach().numpy(), c.detach().numpy())
    _compare_state(of2, ot2, second, pt2)
    if name not in SCALAR_STATE:
        for a, b in zip(full, second):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    # loading copied the state: stepping of2 left of's buffers alone
    for k, v in before.items():
        np.testing.assert_array_equal(of.state[pf[0]][k].numpy(), v)


# ---- arguments -----------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("name", NAMES + ["LBFGS"])
def test_signature_matches_torch(name):
    def sig(cls):
        return [(p.name, p.kind, p.default) for p in inspect.signature(cls.__init__).parameters.values()]
    assert sig(getattr(optim, name)) == sig(getattr(torch.optim, name))
    w = fastdl.zeros(2, requires_grad=True)
    of = getattr(optim, name)([w])
    ot = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    _compare_groups(of, ot)


BAD_ARGS = [
    ("Adagrad", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Adagrad", dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    ("Adagrad", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("Adagrad", dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    ("Adagrad", dict(eps=-1e-3), "Invalid epsilon value: -0.001"),
    ("Adadelta", dict(lr=-0.5), "Invalid learning rate: -0.5"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(rho=-0.1), "Invalid rho value: -0.1"),
    ("Adadelta", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adadelta", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("Adamax", dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    ("Adamax", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adamax", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adamax", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("Adamax", dict(weight_decay=-1e-2), "Invalid weight_decay value: -0.01"),
    ("NAdam", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("NAdam", dict(betas=(-0.5, 0.9)), "Invalid beta parameter at index 0: -0.5"),
    ("NAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("NAdam", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("NAdam", dict(momentum_decay=-1e-3), "Invalid momentum_decay value: -0.001"),
    ("RAdam", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("RAdam", dict(betas=(1.5, 0.9)), "Invalid beta parameter at index 0: 1.5"),
    ("RAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("RAdam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("RAdam", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("Rprop", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("Rprop", dict(etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    ("Rprop", dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
    ("Rprop", dict(etas=(0.0, 1.2)), "Invalid eta values: 0.0, 1.2"),
    ("ASGD", dict(lr=-1.0), "Invalid learning rate: -1.0"),
    ("ASGD", dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    ("LBFGS", dict(lr=-1.0), "Invalid learning rate: -1.0"),
]


@pytest.mark.parametrize("name,kw,message", BAD_ARGS, ids=[f"{n}-{'-'.join(k)}" for n, k, _ in BAD_ARGS])
def test_argument_errors(name, kw, message):
    w = fastdl.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^" + re.escape(f"{name}: {message}") + "$"):
        getattr(optim, name)([w], **kw)
    if torch is not None:  # the message after the prefix is torch's own
        with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
            getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)


FLAGS = [("Adagrad", "foreach", True), ("Adagrad", "fused", True), ("Adagrad", "differentiable", True),
         ("Adadelta", "capturable", True), ("Adamax", "foreach", True), ("NAdam", "capturable", True),
         ("RAdam", "differentiable", True), ("Rprop", "foreach", True), ("ASGD", "capturable", True)]


@pytest.mark.parametrize("name,flag,value", FLAGS, ids=[f"{n}-{f}" for n, f, _ in FLAGS])
def test_unsupported_torch_flags_raise(name, flag, value):
    w = fastdl.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=f"^{name}: {flag}=True is not supported"):
        getattr(optim, name)([w], **{flag: value})
    # torch's defaults (and False for foreach / fused) are accepted, also per group
    default = inspect.signature(getattr(optim, name).__init__).parameters[flag].default
    opt = getattr(optim, name)([w], **{flag: default})
    assert opt.param_groups[0][flag] is default
    opt = getattr(optim, name)([w], **{flag: False})
    with pytest.raises(ValueError, match=f"{flag}=True is not supported"):
        opt.add_param_group({"params": [fastdl.zeros(1, requires_grad=True)], flag: True})
    assert len(opt.param_groups) == 1
    sd = opt.state_dict()
    sd["param_groups"][0][flag] = True
    with pytest.raises(ValueError, match=f"{flag}=True is not supported"):
        opt.load_state_dict(sd)


def test_tensor_lr_and_lbfgs_group_errors():
    w = fastdl.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^Adagrad: Tensor lr must be 1-element$"):
        optim.Adagrad([w], lr=fastdl.tensor([0.1, 0.2]))
    opt = optim.RAdam([w], lr=fastdl.tensor(0.1, dtype=fastdl.float64))  # a 1-element tensor lr works
    w.grad = fastdl.ones(2)
    opt.step()
    assert w.tolist() == pytest.approx([-0.1, -0.1])
    with pytest.raises(ValueError, match="^LBFGS: LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [w]}, {"params": [fastdl.zeros(1, requires_grad=True)]}])
    lb = optim.LBFGS([w])
    with pytest.raises(ValueError, match="per-parameter options"):
        lb.add_param_group({"params": [fastdl.zeros(1, requires_grad=True)]})
    lb = optim.LBFGS([w], line_search_fn="backtracking")

    def closure():
        lb.zero_grad()
        loss = (w * w).sum() + w.sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        lb.step(closure)
    assert optim.LBFGS([w], max_iter=8).defaults["max_eval"] == 10  # max_iter * 5 // 4, as torch


# ---- convergence (no torch needed) ---------------------------------------------------

CONVEX = [("Adagrad", dict(lr=0.5)), ("Adadelta", dict(lr=20.0)), ("Adamax", dict(lr=0.1)),
          ("NAdam", dict(lr=0.1)), ("RAdam", dict(lr=0.1)), ("Rprop", dict(lr=0.01)),
          ("ASGD", dict(lr=0.1)), ("Adagrad", dict(lr=0.5, weight_decay=1e-3, lr_decay=1e-3)),
          ("NAdam", dict(lr=0.1, weight_decay=1e-3, decoupled_weight_decay=True)),
          ("RAdam", dict(lr=0.1, weight_decay=1e-3, decoupled_weight_decay=True))]


def _quadratic():
    rng = np.random.default_rng(3)
    scales = fastdl.tensor(rng.uniform(0.5, 3.0, 6))
    center = fastdl.tensor(rng.standard_normal(6))
    return lambda w: 0.5 * (scales * (w - center) ** 2).sum()


@pytest.mark.parametrize("name,kw", CONVEX, ids=[f"{n}-{'-'.join(k)}" for n, k in CONVEX])
def test_reduces_convex_quadratic(name, kw):
    loss_fn = _quadratic()
    w = fastdl.zeros(6, dtype=fastdl.float64, requires_grad=True)
    opt = getattr(optim, name)([w], **kw)
    losses = []
    for _ in range(150):
        opt.zero_grad()
        loss = loss_fn(w)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-2 * losses[0], (name, losses[0], losses[-1])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_minimises_convex_quadratic(line_search_fn):
    loss_fn = _quadratic()
    w = fastdl.zeros(6, dtype=fastdl.float64, requires_grad=True)
    opt = optim.LBFGS([w], lr=1 if line_search_fn else 0.2, line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        loss = loss_fn(w)
        loss.backward()
        return loss
    first = opt.step(closure).item()
    for _ in range(4):
        opt.step(closure)
    assert loss_fn(w).item() < 1e-8 * first


# ---- LBFGS vs torch ------------------------------------------------------------------

def _rosenbrock(x):
    """The n-dimensional Rosenbrock function and its gradient, in NumPy, so that both
    libraries see bitwise the same loss and gradient for the same point."""
    a, b = x[:-1], x[1:]
    loss = np.sum((1.0 - a) ** 2 + 100.0 * (b - a * a) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a)
    g[1:] += 200.0 * (b - a * a)
    return loss, g


# (start, arguments): well-conditioned runs, where the last-bit differences of dot
# products (torch's come from MKL) stay within ~1e-12 of the parameters' scale; on
# Rosenbrock's valley some other settings amplify them past 1e-10
LBFGS_CASES = [
    ([-1.2, 1.0, -0.5, 0.8], dict(lr=0.1)),
    ([0.5, -0.3, 0.9], dict(lr=0.5, history_size=3, max_iter=4)),
    ([-1.2, 1.0], dict(line_search_fn="strong_wolfe")),
    ([0.5, -0.3, 0.9], dict(line_search_fn="strong_wolfe")),
    ([0.5, -0.3, 0.9], dict(line_search_fn="strong_wolfe", history_size=2, max_iter=6, tolerance_change=1e-12)),
]


def _flat(v):
    if isinstance(v, list):
        return [x for e in v for x in _flat(e)]
    if v is None:
        return []
    if isinstance(v, torch.Tensor):
        return list(v.detach().numpy().ravel())
    return list(np.ravel(v.numpy() if isinstance(v, fastdl.Tensor) else v))


def _same_layout(vf, vt, msg):
    """vf is what torch's vt is: a tensor of its dtype and shape, a list of such, a number of its type, None."""
    if isinstance(vt, torch.Tensor):
        assert isinstance(vf, fastdl.Tensor) and vf.dtype.name == str(vt.dtype).replace("torch.", ""), msg
        assert tuple(vf.shape) == tuple(vt.shape), msg
    elif isinstance(vt, list):
        assert isinstance(vf, list) and len(vf) == len(vt), msg
        for i, (a, b) in enumerate(zip(vf, vt)):
            _same_layout(a, b, f"{msg}[{i}]")
    else:
        assert type(vf) is type(vt), msg


def _lbfgs_state_match(of, ot, pf, pt, tol):
    """LBFGS's state vs torch's: the same keys, layout (tensor, list of 0-d tensors,
    number) and counts; values within tol of each entry's scale (near convergence they
    are differences of nearly equal gradients, so last-bit differences grow there)."""
    sf, st = of.state[pf[0]], ot.state[pt[0]]
    assert list(sf) == list(st)
    for k, vt in st.items():
        vf = sf[k]
        if k in ("func_evals", "n_iter"):
            assert vf == vt, k
            continue
        _same_layout(vf, vt, k)
        a, b = np.array(_flat(vf), dtype=np.float64), np.array(_flat(vt), dtype=np.float64)
        if b.size:
            _close(a, b, rtol=0, atol=tol * np.abs(b).max(), msg=k)
    for p in pf[1:]:
        assert p not in of.state


@needs_torch
@pytest.mark.parametrize("x0,kw", LBFGS_CASES,
                         ids=["fixed", "fixed-short-history", "wolfe-2d", "wolfe-3d", "wolfe-short-history"])
def test_lbfgs_rosenbrock_matches_torch(x0, kw):
    x0 = np.array(x0)
    xf, xt = fastdl.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    of, ot = optim.LBFGS([xf], **kw), torch.optim.LBFGS([xt], **kw)
    lib = {"f": 0, "t": 0}

    def closure_for(x, mod, key):
        def closure():
            lib[key] += 1
            loss, g = _rosenbrock(x.detach().numpy().copy())
            x.grad = mod.tensor(g)
            return mod.tensor(loss)
        return closure
    cf, ct = closure_for(xf, fastdl, "f"), closure_for(xt, torch, "t")
    for step in range(20):
        lf, lt = of.step(cf), ot.step(ct)
        assert lf.item() == pytest.approx(lt.item(), rel=1e-10, abs=1e-12)
        b = xt.detach().numpy()
        _close(xf.detach().numpy(), b, atol=1e-10 * np.abs(b).max(), msg=f"step {step}")
        assert lib["f"] == lib["t"]
        if step == 0:
            _lbfgs_state_match(of, ot, [xf], [xt], tol=1e-8)
    _lbfgs_state_match(of, ot, [xf], [xt], tol=1e-5)
    assert of.state[xf]["func_evals"] == ot.state[xt]["func_evals"] == lib["f"]


@needs_torch
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_least_squares_model_matches_torch(line_search_fn):
    rng = np.random.default_rng(4)
    x, wtrue = rng.standard_normal((32, 5)), rng.standard_normal((5, 2))
    y = x @ wtrue + 0.1 * rng.standard_normal((32, 2))
    w0, b0 = rng.standard_normal((2, 5)) * 0.1, np.zeros(2)
    lin_f = nn.Linear(5, 2, dtype=fastdl.float64)
    lin_t = torch.nn.Linear(5, 2, dtype=torch.float64)
    with fastdl.no_grad():
        lin_f.weight.copy_(fastdl.tensor(w0))
        lin_f.bias.copy_(fastdl.tensor(b0))
    with torch.no_grad():
        lin_t.weight.copy_(torch.tensor(w0))
        lin_t.bias.copy_(torch.tensor(b0))
    pf, pt = list(lin_f.parameters()), list(lin_t.parameters())
    kw = dict(lr=1 if line_search_fn else 0.3, max_iter=5, history_size=4, line_search_fn=line_search_fn)
    of, ot = optim.LBFGS(pf, **kw), torch.optim.LBFGS(pt, **kw)
    xf, yf, xt, yt = fastdl.tensor(x), fastdl.tensor(y), torch.tensor(x), torch.tensor(y)

    def cf():
        of.zero_grad()
        loss = ((lin_f(xf) - yf) ** 2).mean()
        loss.backward()
        return loss

    def ct():
        ot.zero_grad()
        loss = ((lin_t(xt) - yt) ** 2).mean()
        loss.backward()
        return loss
    for step in range(20):
        lf, lt = of.step(cf), ot.step(ct)
        assert lf.item() == pytest.approx(lt.item(), rel=1e-10, abs=1e-14)
        for a, b in zip(pf, pt):
            _close(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12, msg=f"step {step}")
        if step == 0:
            _lbfgs_state_match(of, ot, pf, pt, tol=1e-8)
    _lbfgs_state_match(of, ot, pf, pt, tol=1e-5)


@needs_torch
def test_lbfgs_state_dict_round_trip(tmp_path):
    x0 = np.array([-1.2, 1.0, 0.3])
    kw = dict(line_search_fn="strong_wolfe", history_size=3, max_iter=3)

    def closure_for(x, mod):
        def closure():
            loss, g = _rosenbrock(x.detach().numpy().copy())
            x.grad = mod.tensor(g)
            return mod.tensor(loss)
        return closure
    xf, xt = fastdl.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    of, ot = optim.LBFGS([xf], **kw), torch.optim.LBFGS([xt], **kw)
    for _ in range(3):
        of.step(closure_for(xf, fastdl))
        ot.step(closure_for(xt, torch))
    fastdl.save(of.state_dict(), tmp_path / "lbfgs")
    sd = fastdl.load(tmp_path / "lbfgs")
    x2 = fastdl.tensor(xf.detach().numpy().copy(), requires_grad=True)
    of2 = optim.LBFGS([x2], lr=5.0)
    of2.load_state_dict(sd)
    assert of2.param_groups[0]["lr"] == 1 and of2.param_groups[0]["history_size"] == 3
    dirs = [d.numpy().copy() for d in of.state[xf]["old_dirs"]]
    # and torch's own state_dict, tensors converted
    x3 = fastdl.tensor(xf.detach().numpy().copy(), requires_grad=True)
    of3 = optim.LBFGS([x3])
    of3.load_state_dict(_fastdl_state_dict_from_torch(ot.state_dict()))
    for _ in range(3):
        of2.step(closure_for(x2, fastdl))
        of3.step(closure_for(x3, fastdl))
        ot.step(closure_for(xt, torch))
        _close(x2.detach().numpy(), xt.detach().numpy())
        _close(x3.detach().numpy(), xt.detach().numpy())
    _lbfgs_state_match(of2, ot, [x2], [xt], tol=1e-8)
    for a, b in zip(dirs, of.state[xf]["old_dirs"]):  # of2's history is a copy
        np.testing.assert_array_equal(a, b.numpy())


def test_step_returns_closure_loss_and_skips_params_without_grad():
    for name in NAMES:
        w, v = fastdl.ones(3, requires_grad=True), fastdl.ones(2, requires_grad=True)
        opt = getattr(optim, name)([w, v])

        def closure():
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss
        assert opt.step(closure).item() == 3.0
        assert v.tolist() == [1.0, 1.0] and w.tolist() != [1.0, 1.0, 1.0]
        assert (v in opt.state) == (name == "Adagrad")  # torch fills Adagrad's state up front


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_strided_parameter_and_grad_are_updated_in_place(name):
    base = np.random.default_rng(5).standard_normal((4, 3))
    p = nn.Parameter(fastdl.tensor(base).t())  # a strided leaf
    assert not p.is_contiguous()
    pt = torch.tensor(base).t().clone().requires_grad_()
    of, ot = getattr(optim, name)([p], lr=0.1), getattr(torch.optim, name)([pt], lr=0.1, foreach=False)
    for i in range(4):
        g = np.random.default_rng(i).standard_normal((4, 3))
        p.grad, pt.grad = fastdl.tensor(g).t(), torch.tensor(g).t()
        of.step()
        ot.step()
    assert not p.is_contiguous()
    _close(p.detach().numpy(), pt.detach().numpy())


def test_asgd_integer_hyperparameters_are_float_math():
    # torch's step is a float tensor, so its eta = lr / (1 + lambd lr step) ** alpha is float
    # arithmetic; fastdl's int step made it an exact integer power with int hyperparameters:
    # ASGD(lr=2, lambd=2**31, alpha=2**31) hung in step() (found by fuzzing). Now it raises,
    # as torch does, and small int hyperparameters give the float ones' trajectory.
    def run(**kw):
        p = fastdl.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        opt = optim.ASGD([p], **kw)
        for _ in range(4):
            p.grad = p.detach() * 0.5 + 1.0
            opt.step()
        return p.detach().numpy()

    np.testing.assert_array_equal(run(lr=1, lambd=1, alpha=2, t0=2), run(lr=1.0, lambd=1.0, alpha=2.0, t0=2.0))
    # In a child with a timeout: were the integer power back, step() would hang (one C call
    # that no signal interrupts) rather than fail.
    code = ("import fastdl\nfrom fastdl import optim\n"
            "p = fastdl.ones(3, 4, requires_grad=True)\n"
            "opt = optim.ASGD([p], 2, 2 ** 31, 2 ** 31, 2)\n"
            "p.grad = fastdl.ones(3, 4)\n"
            "try:\n    opt.step()\nexcept OverflowError as e:\n    print('OverflowError:', e)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^OverflowError: ASGD\.step: the step size .* overflows \(lr=2, lambd=2147483648", out.stdout), out.stdout
