"""optim.Adafactor, optim.Muon and optim.swa_utils: step-by-step parity with torch on the
same parameters and gradients (float32, 20 steps, ~1e-6), hand-computed first steps,
state_dict round trips and torch state dicts loading, parameter groups, bad arguments;
AveragedModel / SWALR / update_bn against torch."""
import numpy as np
import pytest

import fastdl
from fastdl import nn, optim
from fastdl.optim import swa_utils

SHAPES = ((4, 3), (3,), (2, 3, 5), ())


def _data(shapes, steps, seed=0):
    rs = np.random.RandomState(seed)
    init = [np.asarray(rs.randn(*s), dtype=np.float32) for s in shapes]
    grads = [[np.asarray(rs.randn(*s), dtype=np.float32) for s in shapes] for _ in range(steps)]
    return init, grads


def _run(opt, params, grads):
    for gs in grads:
        opt.zero_grad()
        for p, g in zip(params, gs):
            # a gradient that depends on the parameter, so the trajectories can drift apart
            p.grad = p.detach() * p.detach() * 0.3 + fastdl.tensor(g)
        opt.step()


def _run_torch(torch, opt, params, grads):
    for gs in grads:
        opt.zero_grad()
        for p, g in zip(params, gs):
            p.grad = p.detach() * p.detach() * 0.3 + torch.tensor(g)
        opt.step()


def _parity(torch, make_f, make_t, shapes=SHAPES, steps=20, tol=1e-6):
    init, grads = _data(shapes, steps)
    pf = [fastdl.tensor(x, requires_grad=True) for x in init]
    pt = [torch.tensor(x, requires_grad=True) for x in init]
    of, ot = make_f(pf), make_t(pt)
    _run(of, pf, grads)
    _run_torch(torch, ot, pt, grads)
    for a, b in zip(pf, pt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=tol)
    return of, ot, pf, pt


ADAFACTOR_KW = [{}, dict(lr=0.05, weight_decay=0.1), dict(maximize=True), dict(eps=(1e-30, 1e-3), d=2.0),
                dict(beta2_decay=-0.5)]


@pytest.mark.parametrize("kw", ADAFACTOR_KW)
def test_adafactor_matches_torch(kw):
    torch = pytest.importorskip("torch")
    _parity(torch, lambda p: optim.Adafactor(p, **kw), lambda p: torch.optim.Adafactor(p, **kw))


def test_adafactor_first_step_by_hand():
    # step 1: beta2_t = 1 (the second moment is g^2 itself), rho = min(lr, 1) = lr,
    # alpha = max(eps2, rms(p)) * lr, update = g / |g| (all ones in magnitude), rms 1: no clipping
    p0 = np.array([3.0, -4.0])
    g = np.array([0.5, -2.0])
    p = fastdl.tensor(p0, requires_grad=True)
    opt = optim.Adafactor([p], lr=0.1)
    p.grad = fastdl.tensor(g)
    opt.step()
    alpha = max(1e-3, np.sqrt((p0 ** 2).mean())) * 0.1
    np.testing.assert_allclose(p.detach().numpy(), p0 - alpha * np.sign(g), rtol=1e-12)
    st = opt.state[p]
    assert list(st) == ["step", "variance"] and float(st["step"].item()) == 1.0
    # a matrix: factored moments (row (R, 1) and column (1, C) means of g^2)
    w = fastdl.tensor(np.ones((3, 2)), requires_grad=True)
    opt = optim.Adafactor([w])
    gw = np.arange(6.0).reshape(3, 2) + 1
    w.grad = fastdl.tensor(gw)
    opt.step()
    st = opt.state[w]
    assert list(st) == ["step", "row_var", "col_var"]
    np.testing.assert_allclose(st["row_var"].numpy(), (gw ** 2).mean(-1, keepdims=True))
    np.testing.assert_allclose(st["col_var"].numpy(), (gw ** 2).mean(-2, keepdims=True))


def test_adafactor_state_dict_round_trip_and_torch_load():
    torch = pytest.importorskip("torch")
    init, grads = _data(SHAPES, 20, seed=1)
    # torch runs 10 steps; its state dict (converted) resumes a fastdl optimizer
    pt = [torch.tensor(x, requires_grad=True) for x in init]
    ot = torch.optim.Adafactor([{"params": pt[:2]}, {"params": pt[2:], "lr": 0.05}])
    _run_torch(torch, ot, pt, grads[:10])
    st = ot.state_dict()
    conv = {"state": {i: {k: fastdl.tensor(v.numpy()) for k, v in s.items()} for i, s in st["state"].items()},
            "param_groups": st["param_groups"]}
    pf = [fastdl.tensor(p.detach().numpy(), requires_grad=True) for p in pt]
    of = optim.Adafactor([{"params": pf[:2]}, {"params": pf[2:]}])
    of.load_state_dict(conv)
    assert of.param_groups[1]["lr"] == 0.05
    assert isinstance(of.state[pf[0]]["step"], fastdl.Tensor) and float(of.state[pf[0]]["step"].item()) == 10.0
    _run_torch(torch, ot, pt, grads[10:])
    _run(of, pf, grads[10:])
    for a, b in zip(pf, pt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)
    sf = of.state_dict()
    assert [list(s) for s in sf["state"].values()] == [list(s) for s in ot.state_dict()["state"].values()]
    # fastdl's own round trip: a fresh optimizer continues identically
    pf2 = [fastdl.tensor(p.detach().numpy(), requires_grad=True) for p in pf]
    of2 = optim.Adafactor([{"params": pf2[:2]}, {"params": pf2[2:]}])
    of2.load_state_dict(of.state_dict())
    _run(of, pf, grads[:3])
    _run(of2, pf2, grads[:3])
    for a, b in zip(pf, pf2):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


@pytest.mark.parametrize("kw,match", [(dict(lr=-1.0), "Learning rate"), (dict(beta2_decay=0.5), "beta2_decay"),
                                      (dict(eps=(-1.0, 1e-3)), "epsilon1"), (dict(eps=(None, -1.0)), "epsilon2"),
                                      (dict(d=0.5), "Clipping threshold"), (dict(weight_decay=-1.0), "weight_decay"),
                                      (dict(foreach=True), "foreach")])
def test_adafactor_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        optim.Adafactor([fastdl.ones(2, requires_grad=True)], **kw)


MUON_KW = [{}, dict(nesterov=False, lr=0.02), dict(adjust_lr_fn="match_rms_adamw", weight_decay=0.0),
           dict(ns_steps=3, momentum=0.5)]


def _muon_tol(kw, shapes):
    # Newton-Schulz runs in bfloat16, as torch's does: where a float32 product sums in
    # another order (the portable GEMM, FASTDL_DISABLE_AVX2=1), an element of the update O
    # can round to the neighbouring bfloat16, 2^-8 of |O| <= ~1 away, which moves that
    # parameter by up to the adjusted lr times 2^-8 in one step (seen: 3 of 21 elements
    # 2.2e-6 apart after 20 steps at lr 1e-3). A wrong coefficient, momentum or lr rule
    # moves parameters by ~lr per step.
    lr = kw.get("lr", 1e-3)
    if kw.get("adjust_lr_fn") == "match_rms_adamw":
        scale = max(0.2 * np.sqrt(max(s)) for s in shapes)
    else:
        scale = max(np.sqrt(max(1.0, s[0] / s[1])) for s in shapes)
    return max(1e-6, lr * scale * 2.0 ** -7)


@pytest.mark.parametrize("kw", MUON_KW)
def test_muon_matches_torch(kw):
    torch = pytest.importorskip("torch")
    if not hasattr(torch.optim, "Muon"):
        pytest.skip("this torch has no optim.Muon")
    shapes = ((4, 6), (7, 3))
    _parity(torch, lambda p: optim.Muon(p, **kw), lambda p: torch.optim.Muon(p, **kw), shapes=shapes,
            tol=_muon_tol(kw, shapes))


def test_muon_orthogonalises():
    # the Newton-Schulz output has singular values near 1 (S' in ~(0.5, 1.5)), whatever the scale
    g = np.random.RandomState(0).randn(8, 5) * 100
    from fastdl.optim.muon import _zeropower_via_newtonschulz
    o = _zeropower_via_newtonschulz(fastdl.tensor(g, dtype=fastdl.float32), (3.4445, -4.7750, 2.0315), 5, 1e-7)
    assert o.dtype is fastdl.bfloat16 and tuple(o.shape) == (8, 5)
    s = np.linalg.svd(o.float().numpy(), compute_uv=False)
    assert (s > 0.5).all() and (s < 1.5).all()
    # the update: p <- p (1 - lr wd) - lr sqrt(max(1, A/B)) O (first step: buffer = (1 - mu) g, nesterov)
    p0 = np.random.RandomState(1).randn(8, 5).astype(np.float32)
    p = fastdl.tensor(p0, requires_grad=True)
    opt = optim.Muon([p], lr=0.1, weight_decay=0.0, momentum=0.0)
    p.grad = fastdl.tensor(g, dtype=fastdl.float32)
    opt.step()
    want = p0 - 0.1 * np.sqrt(8 / 5) * o.float().numpy()
    np.testing.assert_allclose(p.detach().numpy(), want, atol=1e-6)
    assert list(opt.state[p]) == ["momentum_buffer"]


def test_muon_bad_arguments_and_state_dict():
    with pytest.raises(ValueError, match="2D parameters"):
        optim.Muon([fastdl.ones(3, requires_grad=True)])
    with pytest.raises(ValueError, match="Learning rate"):
        optim.Muon([fastdl.ones(2, 2, requires_grad=True)], lr=-1)
    with pytest.raises(ValueError, match="momentum"):
        optim.Muon([fastdl.ones(2, 2, requires_grad=True)], momentum=-1)
    with pytest.raises(ValueError, match="not supported"):
        optim.Muon([fastdl.ones(2, 2, requires_grad=True)], adjust_lr_fn="foo")
    init, grads = _data(((4, 6),), 6)
    p1 = fastdl.tensor(init[0], requires_grad=True)
    o1 = optim.Muon([p1], lr=0.05)
    _run(o1, [p1], grads[:3])
    p2 = fastdl.tensor(p1.detach().numpy(), requires_grad=True)
    o2 = optim.Muon([p2], lr=0.05)
    o2.load_state_dict(o1.state_dict())
    _run(o1, [p1], grads[3:])
    _run(o2, [p2], grads[3:])
    np.testing.assert_array_equal(p1.detach().numpy(), p2.detach().numpy())


# ---------------------------------------------------------------- swa_utils
def _mlp(lib, seed):
    lib.manual_seed(seed)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


def _copy_weights(src_torch, dst):
    with fastdl.no_grad():
        for (n, pt), (_, pf) in zip(src_torch.state_dict().items(), dst.state_dict().items()):
            pf.copy_(fastdl.tensor(pt.numpy()))


@pytest.mark.parametrize("mode", ["swa", "ema", "ema_multi", "swa_fn", "buffers", "ema_multi_buffers"])
def test_averaged_model_matches_torch(mode):
    torch = pytest.importorskip("torch")
    tm = _mlp(torch, 0)
    fm = _mlp(fastdl, 0)
    _copy_weights(tm, fm)
    kw_t, kw_f = {}, {}
    if mode == "ema":
        kw_t["avg_fn"], kw_f["avg_fn"] = torch.optim.swa_utils.get_ema_avg_fn(0.9), swa_utils.get_ema_avg_fn(0.9)
    elif mode == "ema_multi":
        kw_t["multi_avg_fn"] = torch.optim.swa_utils.get_ema_multi_avg_fn(0.8)
        kw_f["multi_avg_fn"] = swa_utils.get_ema_multi_avg_fn(0.8)
    elif mode == "swa_fn":
        kw_t["avg_fn"], kw_f["avg_fn"] = torch.optim.swa_utils.get_swa_avg_fn(), swa_utils.get_swa_avg_fn()
    elif mode == "buffers":
        kw_t["use_buffers"] = kw_f["use_buffers"] = True
    elif mode == "ema_multi_buffers":  # the int64 num_batches_tracked goes through the non-float branch
        kw_t["multi_avg_fn"] = torch.optim.swa_utils.get_ema_multi_avg_fn(0.8)
        kw_f["multi_avg_fn"] = swa_utils.get_ema_multi_avg_fn(0.8)
        kw_t["use_buffers"] = kw_f["use_buffers"] = True
    at, af = torch.optim.swa_utils.AveragedModel(tm, **kw_t), swa_utils.AveragedModel(fm, **kw_f)
    rs = np.random.RandomState(0)
    for _ in range(4):
        x = np.asarray(rs.randn(5, 3), dtype=np.float32)
        tm(torch.tensor(x)).sum().backward()  # moves the BatchNorm running stats too
        fm(fastdl.tensor(x)).sum().backward()
        with torch.no_grad():
            for p in tm.parameters():
                p -= 0.1 * p.grad
        with fastdl.no_grad():
            for p in fm.parameters():
                p.sub_(p.grad * 0.1)
        at.update_parameters(tm)
        af.update_parameters(fm)
    assert int(af.n_averaged.item()) == int(at.n_averaged.item()) == 4
    for (kt, vt), (kf, vf) in zip(at.state_dict().items(), af.state_dict().items()):
        assert kt == kf
        np.testing.assert_allclose(vf.numpy(), vt.numpy(), atol=1e-6, err_msg=kt)
    x = np.asarray(rs.randn(5, 3), dtype=np.float32)
    at.eval(), af.eval()
    np.testing.assert_allclose(af(fastdl.tensor(x)).detach().numpy(), at(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_averaged_model_swa_is_the_mean():
    m = nn.Linear(2, 1)
    avg = swa_utils.AveragedModel(m)
    seen = []
    for k in range(3):
        with fastdl.no_grad():
            m.weight.fill_(float(k * k))
        seen.append(k * k)
        avg.update_parameters(m)
    np.testing.assert_allclose(avg.module.weight.detach().numpy(), np.full((1, 2), np.mean(seen)), rtol=1e-6)
    with pytest.raises(ValueError, match="Only one of"):
        swa_utils.AveragedModel(m, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="decay"):
        swa_utils.get_ema_avg_fn(1.5)


@pytest.mark.parametrize("strategy,epochs", [("cos", 5), ("linear", 3), ("cos", 0)])
def test_swalr_matches_torch(strategy, epochs):
    torch = pytest.importorskip("torch")
    pf, pt = fastdl.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    of = optim.SGD([{"params": [pf]}, {"params": [fastdl.ones(1, requires_grad=True)], "lr": 0.3}], lr=0.5)
    ot = torch.optim.SGD([{"params": [pt]}, {"params": [torch.ones(1, requires_grad=True)], "lr": 0.3}], lr=0.5)
    sf = swa_utils.SWALR(of, swa_lr=[0.05, 0.01], anneal_epochs=epochs, anneal_strategy=strategy)
    st = torch.optim.swa_utils.SWALR(ot, swa_lr=[0.05, 0.01], anneal_epochs=epochs, anneal_strategy=strategy)
    for i in range(8):
        assert sf.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-15, abs=0)
        of.step(), ot.step()
        sf.step(), st.step()
    sd = sf.state_dict()  # round trip: the strategy comes back as its function
    assert "anneal_func" not in sd and sd["_anneal_strategy"] == strategy
    of2 = optim.SGD([fastdl.ones(1, requires_grad=True)], lr=0.5)
    sf2 = swa_utils.SWALR(of2, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy="linear")
    sf2.load_state_dict(sd)
    assert sf2.anneal_func(0.25) == sf.anneal_func(0.25) and sf2._step_count == sf._step_count
    with pytest.raises(ValueError, match="anneal_strategy"):
        swa_utils.SWALR(of, 0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs"):
        swa_utils.SWALR(of, 0.1, anneal_epochs=-1)


def test_update_bn_matches_torch():
    torch = pytest.importorskip("torch")
    tm, fm = _mlp(torch, 1), _mlp(fastdl, 1)
    _copy_weights(tm, fm)
    rs = np.random.RandomState(2)
    batches = [np.asarray(rs.randn(6, 3) * 2 + 1, dtype=np.float32) for _ in range(3)]
    tm.eval(), fm.eval()
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], tm)
    swa_utils.update_bn([(fastdl.tensor(b), 0) for b in batches], fm)
    assert not fm.training and fm[1].momentum == 0.1
    for (k, vt), vf in zip(tm.state_dict().items(), fm.state_dict().values()):
        np.testing.assert_allclose(vf.numpy(), vt.numpy(), atol=1e-5, err_msg=k)
    # the cumulative average over the batches: running_mean is the mean of per-batch means
    h = np.stack([(b @ fm[0].weight.detach().numpy().T + fm[0].bias.detach().numpy()).mean(0) for b in batches])
    np.testing.assert_allclose(fm[1].running_mean.numpy(), h.mean(0), atol=1e-5)
    swa_utils.update_bn([], nn.Linear(2, 2))  # no BatchNorm: nothing to do
