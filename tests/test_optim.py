"""fastdl.optim: every optimizer option against torch.optim (float64 to ~1e-12,
float32 to 1e-6), the Optimizer base (groups, zero_grad, state_dict round trips, no
aliasing), the fused kernels' validation, and the LR schedulers' sequences vs torch."""
import math
import warnings

import numpy as np
import pytest

import fastdl
from fastdl import _C, nn, optim
from fastdl.optim import lr_scheduler

torch = pytest.importorskip("torch")

# (10000,) exceeds the kernels' threading threshold; (1,) and (3, 4) do not.
SHAPES = [(3, 4), (10000,), (1,)]

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.2, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.1, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, betas=(0.3, 0.4), eps=1e-3, maximize=True)),  # lerp weight >= 0.5 branch
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.1, weight_decay=0.3, amsgrad=True)),
    ("AdamW", dict(lr=0.1, maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, maximize=True, centered=True)),  # lerp weight >= 0.5 branch
]


def _pair(name, params_f, params_t, **kw):
    return getattr(optim, name)(params_f, **kw), getattr(torch.optim, name)(params_t, foreach=False, **kw)


def _run_both(name, kw, dtype, steps=6, seed=0):
    rng = np.random.default_rng(seed)
    np_dtype = np.float32 if dtype == "float32" else np.float64
    inits = [rng.standard_normal(s).astype(np_dtype) for s in SHAPES]
    pf = [fastdl.tensor(a, requires_grad=True) for a in inits]
    pt = [torch.tensor(a, requires_grad=True) for a in inits]
    of, ot = _pair(name, pf, pt, **kw)
    for _ in range(steps):
        for a, b in zip(pf, pt):
            g = rng.standard_normal(a.shape).astype(np_dtype)
            a.grad, b.grad = fastdl.tensor(g), torch.tensor(g)
        of.step()
        ot.step()
    return pf, pt, of, ot


@pytest.mark.parametrize("dtype,tol", [("float64", 1e-12), ("float32", 1e-6)])
@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_matches_torch(name, kw, dtype, tol):
    pf, pt, of, ot = _run_both(name, kw, dtype)
    for a, b in zip(pf, pt):
        assert a.dtype.name == dtype
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)
    for a, b in zip(pf, pt):
        sf, st = of.state[a], ot.state[b]
        assert set(sf) == set(st)
        for k, v in st.items():
            if k == "step":
                assert sf[k] == int(v)
            else:
                np.testing.assert_allclose(sf[k].numpy(), v.numpy(), rtol=tol, atol=tol, err_msg=k)


def test_param_groups_and_params_without_grad_match_torch():
    rng = np.random.default_rng(1)
    a0, b0, c0 = (rng.standard_normal(5) for _ in range(3))
    pf = [fastdl.tensor(x, requires_grad=True) for x in (a0, b0, c0)]
    pt = [torch.tensor(x, requires_grad=True) for x in (a0, b0, c0)]
    of = optim.SGD([{"params": pf[:2]}, {"params": [pf[2]], "lr": 0.5, "momentum": 0.0}], lr=0.1, momentum=0.9)
    ot = torch.optim.SGD([{"params": pt[:2]}, {"params": [pt[2]], "lr": 0.5, "momentum": 0.0}], lr=0.1,
                         momentum=0.9, foreach=False)
    for step in range(4):
        g = rng.standard_normal(5)
        pf[0].grad, pt[0].grad = fastdl.tensor(g), torch.tensor(g)
        pf[2].grad, pt[2].grad = fastdl.tensor(-g), torch.tensor(-g)  # pf[1] never has a grad
        of.step()
        ot.step()
    for a, b in zip(pf, pt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-13)
    np.testing.assert_array_equal(pf[1].detach().numpy(), b0)
    assert pf[1] not in of.state and set(of.state[pf[0]]) == {"momentum_buffer"} and not of.state[pf[2]]
    assert of.param_groups[1]["lr"] == 0.5 and of.param_groups[1]["momentum"] == 0.0
    assert of.param_groups[0]["momentum"] == 0.9


def test_noncontiguous_parameter_is_updated_in_place():
    base = np.random.default_rng(2).standard_normal((4, 3))
    p = nn.Parameter(fastdl.tensor(base).t())  # a strided leaf
    assert not p.is_contiguous()
    pt = torch.tensor(base).t().clone().requires_grad_()
    of, ot = _pair("Adam", [p], [pt], lr=0.1)
    for _ in range(3):
        g = np.arange(12.0).reshape(3, 4)
        p.grad, pt.grad = fastdl.tensor(g), torch.tensor(g)
        of.step()
        ot.step()
    np.testing.assert_allclose(p.detach().numpy(), pt.detach().numpy(), rtol=1e-13)


def test_step_bumps_versions_runs_under_no_grad_and_returns_closure_loss():
    w = fastdl.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        assert fastdl.is_grad_enabled()
        loss.backward()
        calls.append(1)
        return loss

    v0 = w._buf.version
    with fastdl.no_grad():  # closure still gets gradients, as in torch
        loss = opt.step(closure)
    assert calls and loss.item() == 5.0
    assert w._buf.version > v0
    buf = opt.state[w]["momentum_buffer"]
    v1 = buf._buf.version
    opt.step(closure)
    assert buf._buf.version > v1
    assert not w.grad.requires_grad and w.requires_grad and w.is_leaf


def test_training_loop_reduces_loss():
    rng = np.random.default_rng(3)
    x = fastdl.tensor(rng.standard_normal((64, 5)), dtype=fastdl.float32)
    y = x @ fastdl.tensor(rng.standard_normal((5, 1)), dtype=fastdl.float32)
    for cls, kw in [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, dict(lr=0.05)),
                    (optim.AdamW, dict(lr=0.05)), (optim.RMSprop, dict(lr=0.01))]:
        w = fastdl.zeros(5, 1, requires_grad=True)
        opt = cls([w], **kw)
        losses = []
        for _ in range(60):
            opt.zero_grad()
            loss = ((x @ w - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[-1] < 0.05 * losses[0], cls.__name__


def test_zero_grad():
    w = fastdl.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g and w.grad.tolist() == [0, 0, 0]
    opt.zero_grad()
    assert w.grad is None
    opt.step()  # nothing to do without grads
    assert w.tolist() == [1, 1, 1]


def test_constructor_and_param_group_errors():
    w = fastdl.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2])
    with pytest.raises(TypeError, match="optimize Tensors"):
        optim.SGD([1.0])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam([w], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov momentum requires"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid momentum"):
        optim.RMSprop([w], momentum=-0.1)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    v = fastdl.zeros(2, requires_grad=True)
    opt.add_param_group({"params": v, "lr": 0.01})
    assert opt.param_groups[1]["params"] == [v] and opt.param_groups[1]["momentum"] == 0
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([v, v])


def test_named_parameters_keep_names_in_state_dict():
    w, b = fastdl.ones(2, requires_grad=True), fastdl.zeros(1, requires_grad=True)
    opt = optim.Adam([("weight", w), ("bias", b)])
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == ["weight", "bias"]
    assert sd["param_groups"][0]["params"] == [0, 1]


def test_grad_mismatch_is_reported():
    w = fastdl.ones(2, requires_grad=True)
    w.grad = fastdl.ones(3)
    with pytest.raises(RuntimeError, match="SGD.step: grad float32\\[3\\] does not match"):
        optim.SGD([w], lr=0.1).step()


# ---- state_dict ------------------------------------------------------------------------

RESUME = [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.1, amsgrad=True)),
          ("AdamW", dict(lr=0.1)), ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5))]


@pytest.mark.parametrize("through_file", [False, True])
@pytest.mark.parametrize("name,kw", RESUME, ids=[n for n, _ in RESUME])
def test_state_dict_resume_is_identical(name, kw, through_file, tmp_path):
    rng = np.random.default_rng(4)
    inits = [rng.standard_normal(s) for s in [(3, 2), (4,)]]
    grads = [[rng.standard_normal(a.shape) for a in inits] for _ in range(6)]

    def run(opt, params, gs):
        for step in gs:
            for p, g in zip(params, step):
                p.grad = fastdl.tensor(g)
            opt.step()

    full = [fastdl.tensor(a, requires_grad=True) for a in inits]
    opt_full = getattr(optim, name)(full, **kw)
    run(opt_full, full, grads)

    first = [fastdl.tensor(a, requires_grad=True) for a in inits]
    opt1 = getattr(optim, name)(first, **kw)
    run(opt1, first, grads[:3])
    sd = opt1.state_dict()
    assert set(sd) == {"state", "param_groups"} and sorted(sd["state"]) == [0, 1]
    assert sd["param_groups"][0]["params"] == [0, 1]
    if through_file:
        fastdl.save(sd, tmp_path / "opt.safetensors")
        sd = fastdl.load(tmp_path / "opt.safetensors")
        assert sorted(sd["state"]) == [0, 1]  # integer ids survive the file
    second = [fastdl.tensor(p.detach().numpy().copy(), requires_grad=True) for p in first]
    opt2 = getattr(optim, name)(second, lr=123.0) if name != "SGD" else optim.SGD(second, lr=123.0)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["lr"] == kw["lr"]
    before = {k: v.numpy().copy() for k, v in opt1.state[first[0]].items() if isinstance(v, fastdl.Tensor)}
    run(opt2, second, grads[3:])
    for a, b in zip(full, second):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    # the loaded state is a copy: stepping opt2 left opt1's buffers alone
    for k, v in before.items():
        np.testing.assert_array_equal(opt1.state[first[0]][k].numpy(), v)


def test_state_dict_format_matches_torch():
    pf = [fastdl.ones(2, requires_grad=True), fastdl.ones(3, requires_grad=True)]
    pt = [torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    of, ot = _pair("Adam", [{"params": [pf[0]]}, {"params": [pf[1]], "lr": 0.1}],
                   [{"params": [pt[0]]}, {"params": [pt[1]], "lr": 0.1}], amsgrad=True)
    for a, b in zip(pf, pt):
        a.grad, b.grad = fastdl.ones(a.shape), torch.ones(b.shape)
    of.step()
    ot.step()
    sf, st = of.state_dict(), ot.state_dict()
    assert list(sf["state"]) == list(st["state"]) == [0, 1]
    assert list(sf["state"][0]) == list(st["state"][0])
    assert [g["params"] for g in sf["param_groups"]] == [g["params"] for g in st["param_groups"]]
    assert set(sf["param_groups"][1]) <= set(st["param_groups"][1])
    # torch's own state dict (numpy-converted, step as a tensor) loads too
    conv = {"state": {i: {k: fastdl.tensor(v.numpy()) for k, v in s.items()} for i, s in st["state"].items()},
            "param_groups": st["param_groups"]}
    of2 = optim.Adam([fastdl.ones(2, requires_grad=True), fastdl.ones(3, requires_grad=True)])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        of2.load_state_dict(conv)
    p2 = [fastdl.ones(2, requires_grad=True), fastdl.ones(3, requires_grad=True)]
    of2 = optim.Adam([{"params": [p2[0]]}, {"params": [p2[1]]}])
    of2.load_state_dict(conv)
    assert of2.state[p2[1]]["step"] == 1 and of2.param_groups[1]["lr"] == 0.1


def test_load_state_dict_errors():
    w = fastdl.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict({"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]})
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 0.1})
    with pytest.raises(ValueError, match="parameter 7"):
        opt.load_state_dict({"state": {7: {}}, "param_groups": [{"lr": 0.1, "params": [0]}]})


def test_load_state_dict_casts_floating_state_to_param_dtype():
    w = fastdl.ones(2, dtype=fastdl.float64, requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    opt.load_state_dict({"state": {0: {"momentum_buffer": fastdl.tensor([1.0, 2.0])}},
                         "param_groups": [{"lr": 0.1, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                                           "nesterov": False, "maximize": False, "params": [0]}]})
    assert opt.state[w]["momentum_buffer"].dtype is fastdl.float64
    w.grad = fastdl.zeros(2, dtype=fastdl.float64)
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [1 - 0.1 * 0.9, 1 - 0.1 * 1.8])


# ---- kernels ---------------------------------------------------------------------------

def _t(shape, dtype=fastdl.float32):
    return fastdl.zeros(shape, dtype=dtype)


def test_kernel_validation():
    p, g = _t((3, 2)), _t((3, 2))
    with pytest.raises(ValueError, match="adam_step: exp_avg has shape"):
        _C.cpu.adam_step(p, g, _t(6), _t((3, 2)), None, 1, 0.1, 0.9, 0.999, 1e-8, 0, False, False, False)
    with pytest.raises(TypeError, match="adam_step: grad must have the param's dtype float32"):
        _C.cpu.adam_step(p, _t((3, 2), fastdl.float64), _t((3, 2)), _t((3, 2)), None, 1, 0.1, 0.9, 0.999, 1e-8,
                         0, False, False, False)
    with pytest.raises(ValueError, match="adam_step: max_exp_avg_sq is required when amsgrad"):
        _C.cpu.adam_step(p, g, _t((3, 2)), _t((3, 2)), None, 1, 0.1, 0.9, 0.999, 1e-8, 0, True, False, False)
    with pytest.raises(ValueError, match="adam_step: step must be >= 1"):
        _C.cpu.adam_step(p, g, _t((3, 2)), _t((3, 2)), None, 0, 0.1, 0.9, 0.999, 1e-8, 0, False, False, False)
    with pytest.raises(TypeError, match="sgd_step: expected a float32 or float64 parameter"):
        _C.cpu.sgd_step(_t(3, fastdl.int64), _t(3, fastdl.int64), None, 0.1, 0, 0, 0, False, False, False)
    with pytest.raises(ValueError, match="sgd_step: param must be contiguous"):
        _C.cpu.sgd_step(_t((3, 2)).t(), _t((2, 3)), None, 0.1, 0, 0, 0, False, False, False)
    with pytest.raises(ValueError, match="sgd_step: grad must be contiguous"):
        _C.cpu.sgd_step(_t((2, 3)), _t((3, 2)).t(), None, 0.1, 0, 0, 0, False, False, False)
    with pytest.raises(ValueError, match="sgd_step: momentum_buffer is required when momentum != 0"):
        _C.cpu.sgd_step(p, g, None, 0.1, 0.9, 0, 0, False, False, False)
    with pytest.raises(ValueError, match="sgd_step: momentum_buffer must be None unless momentum != 0"):
        _C.cpu.sgd_step(p, g, _t((3, 2)), 0.1, 0.0, 0, 0, False, False, False)
    with pytest.raises(ValueError, match="sgd_step: param and grad share memory"):
        _C.cpu.sgd_step(p, p, None, 0.1, 0, 0, 0, False, False, False)
    big = _t(12)
    with pytest.raises(ValueError, match="adam_step: exp_avg and exp_avg_sq share memory"):
        _C.cpu.adam_step(_t(4), _t(4), big[2:6], big[5:9], None, 1, 0.1, 0.9, 0.999, 1e-8, 0, False, False, False)
    _C.cpu.adam_step(_t(4), _t(4), big[2:6], big[6:10], None, 1, 0.1, 0.9, 0.999, 1e-8, 0, False, False, False)
    with pytest.raises(ValueError, match="rmsprop_step: grad_avg is required when centered"):
        _C.cpu.rmsprop_step(p, g, _t((3, 2)), None, None, 0.01, 0.99, 1e-8, 0, 0, True, False)


def test_kernel_handles_empty_tensors():
    p = fastdl.zeros(0, 4, requires_grad=True)
    p.grad = fastdl.zeros(0, 4)
    for cls in (optim.SGD, optim.Adam, optim.RMSprop):
        cls([p], lr=0.1).step()
    assert p.shape == (0, 4)


def test_kernel_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(5)
    init, grad = rng.standard_normal(50000), rng.standard_normal(50000)
    out = []
    n0 = fastdl.get_num_threads()
    try:
        for n in (1, max(2, n0)):
            fastdl.set_num_threads(n)
            p = fastdl.tensor(init, requires_grad=True)
            p.grad = fastdl.tensor(grad)
            opt = optim.RMSprop([p], centered=True, momentum=0.5)
            opt.step()
            opt.step()
            out.append(p.detach().numpy().copy())
    finally:
        fastdl.set_num_threads(n0)
    np.testing.assert_array_equal(out[0], out[1])


# ---- LR schedulers ---------------------------------------------------------------------

def _sched_pair(make_f, make_t, groups=1):
    wf = [fastdl.ones(1, requires_grad=True) for _ in range(groups)]
    wt = [torch.ones(1, requires_grad=True) for _ in range(groups)]
    of = optim.SGD([{"params": [w], "lr": 0.1 * (i + 1)} for i, w in enumerate(wf)], lr=0.1)
    ot = torch.optim.SGD([{"params": [w], "lr": 0.1 * (i + 1)} for i, w in enumerate(wt)], lr=0.1)
    return of, make_f(of), ot, make_t(ot)


def _lrs(opt, sched, n):
    seq = [sched.get_last_lr()]
    for _ in range(n):
        opt.step()
        sched.step()
        seq.append(sched.get_last_lr())
    return seq


SCHEDULERS = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=2, gamma=0.5)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),  # runs past T_max: torch's restart branch
]


@pytest.mark.parametrize("name,kw", SCHEDULERS, ids=[f"{n}-{k}" for n, k in SCHEDULERS])
def test_scheduler_sequences_equal_torch(name, kw):
    of, sf, ot, st = _sched_pair(lambda o: getattr(lr_scheduler, name)(o, **kw),
                                 lambda o: getattr(torch.optim.lr_scheduler, name)(o, **kw), groups=2)
    assert _lrs(of, sf, 30) == _lrs(ot, st, 30)
    assert [g["lr"] for g in of.param_groups] == [g["lr"] for g in ot.param_groups]


def test_lambda_lr_equals_torch_with_one_and_per_group_lambdas():
    f1, f2 = (lambda e: 0.95 ** e), (lambda e: 1.0 / (1 + e))
    for arg in (f1, [f1, f2]):
        of, sf, ot, st = _sched_pair(lambda o: lr_scheduler.LambdaLR(o, arg),
                                     lambda o: torch.optim.lr_scheduler.LambdaLR(o, arg), groups=2)
        assert _lrs(of, sf, 12) == _lrs(ot, st, 12)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(of, [f1])


def test_step_with_epoch_uses_closed_form_like_torch():
    for name, kw in SCHEDULERS:
        of, sf, ot, st = _sched_pair(lambda o: getattr(lr_scheduler, name)(o, **kw),
                                     lambda o: getattr(torch.optim.lr_scheduler, name)(o, **kw))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (5, 2, 9):
                sf.step(epoch)
                st.step(epoch)
                assert sf.get_last_lr() == st.get_last_lr()


class _Warmup:
    """A callable object: LambdaLR saves its attributes in state_dict, as torch."""

    def __init__(self, k):
        self.k = k

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.k)


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=5, eta_min=0.001),
    lambda o: lr_scheduler.LambdaLR(o, _Warmup(4)),
], ids=["StepLR", "Cosine", "LambdaLR"])
def test_scheduler_state_dict_resume(make, tmp_path):
    w = fastdl.ones(1, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    sched = make(opt)
    ref = _lrs(opt, sched, 12)

    w2 = fastdl.ones(1, requires_grad=True)
    opt2 = optim.SGD([w2], lr=0.1)
    sched2 = make(opt2)
    _lrs(opt2, sched2, 5)
    fastdl.save({"opt": opt2.state_dict(), "sched": sched2.state_dict()}, tmp_path / "ck")
    ck = fastdl.load(tmp_path / "ck")
    w3 = fastdl.ones(1, requires_grad=True)
    opt3 = optim.SGD([w3], lr=0.1)
    sched3 = make(opt3)
    if isinstance(sched3, lr_scheduler.LambdaLR):
        sched3.lr_lambdas[0].k = 99  # restored from the checkpoint below
    opt3.load_state_dict(ck["opt"])
    sched3.load_state_dict(ck["sched"])
    assert sched3.last_epoch == 5 and sched3.get_last_lr() == ref[5]
    assert _lrs(opt3, sched3, 7)[1:] == ref[6:]


def test_scheduler_errors():
    opt = optim.SGD([fastdl.ones(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=1, last_epoch=3)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    assert sched.get_last_lr() == [0.1] and sched.base_lrs == [0.1]
    sched.step()
    assert math.isclose(opt.param_groups[0]["lr"], 0.05 * (1 + math.cos(math.pi / 4)))
