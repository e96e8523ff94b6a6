"""fastdl.optim.lr_scheduler beyond StepLR/CosineAnnealingLR/LambdaLR (those are in
test_optim.py): lr, momentum and betas sequences equal torch's exactly, torch's
state_dicts load into fastdl's schedulers, state_dicts round-trip through fastdl.save
mid-sequence, step(epoch) matches torch's closed forms; then hand-computed values and
argument errors, which need no torch."""
import copy
import math
import warnings

import pytest

import fastdl
from fastdl import optim
from fastdl.optim import lr_scheduler

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _opt(lib, name="SGD", groups=2, **kw):
    """fastdl's or torch's optimizer over `groups` one-element parameters with lrs 0.1, 0.2, ..."""
    params = [lib.ones(1, requires_grad=True) for _ in range(groups)]
    module = optim if lib is fastdl else torch.optim
    return getattr(module, name)([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)], **kw)


def _build(lib, case):
    opt = _opt(lib, case.opt, **case.opt_kw)
    sched_module = lr_scheduler if lib is fastdl else torch.optim.lr_scheduler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return opt, case.make(sched_module, opt)


def _snap(opt, sched):
    groups = [{k: g[k] for k in ("lr", "momentum", "betas") if k in g} for g in opt.param_groups]
    return list(sched.get_last_lr()), groups


def _run(opt, sched, n, metrics=None):
    """Snapshots of get_last_lr() and the groups' lr/momentum/betas, before and after each of n steps."""
    out = [_snap(opt, sched)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            opt.step()
            sched.step() if metrics is None else sched.step(metrics[i])
            out.append(_snap(opt, sched))
    return out


class Case:
    def __init__(self, id, make, steps, opt="SGD", metrics=None, **opt_kw):
        self.id, self.make, self.steps, self.opt, self.metrics, self.opt_kw = id, make, steps, opt, metrics, opt_kw


class _Geometric:
    """A callable object: CyclicLR and MultiplicativeLR save its attributes in state_dict."""

    def __init__(self, r):
        self.r = r

    def __call__(self, x):
        return self.r ** x


def _decay(epoch):
    return 1.0 - 0.01 * epoch


_PLATEAU_MIN = [1.0, 0.9, 0.9, 0.95, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
_PLATEAU_MAX = [0.1, 0.2, 0.22, 0.23, 0.3, 0.3, 0.31, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.56, 0.5, 0.5]

CASES = [
    Case("MultiplicativeLR", lambda L, o: L.MultiplicativeLR(o, lambda e: 0.95), 10),
    Case("MultiplicativeLR-per-group", lambda L, o: L.MultiplicativeLR(o, [_Geometric(0.9), _decay]), 10),
    Case("MultiStepLR", lambda L, o: L.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5), 12),
    Case("ConstantLR", lambda L, o: L.ConstantLR(o), 8),
    Case("ConstantLR-half", lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=3), 6),
    Case("LinearLR", lambda L, o: L.LinearLR(o), 8),
    Case("LinearLR-decay", lambda L, o: L.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=6), 10),
    Case("ExponentialLR", lambda L, o: L.ExponentialLR(o, gamma=0.9), 10),
    Case("PolynomialLR", lambda L, o: L.PolynomialLR(o), 8),
    Case("PolynomialLR-power2", lambda L, o: L.PolynomialLR(o, total_iters=7, power=2.0), 10),
    Case("SequentialLR", lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, start_factor=0.1, total_iters=3), L.ExponentialLR(o, gamma=0.9)], milestones=[3]), 10),
    Case("SequentialLR-three", lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.5, total_iters=2), L.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
            L.StepLR(o, step_size=2, gamma=0.5)], milestones=[3, 8]), 14),
    Case("SequentialLR-exponential-first", lambda L, o: L.SequentialLR(
        o, [L.ExponentialLR(o, gamma=0.8), L.PolynomialLR(o, total_iters=4)], milestones=[4]), 10),
    Case("ChainedScheduler-of-SequentialLR", lambda L, o: L.ChainedScheduler([
        L.SequentialLR(o, [L.ConstantLR(o, factor=0.5, total_iters=2), L.ExponentialLR(o, gamma=0.9)],
                       milestones=[3]),
        L.MultiplicativeLR(o, lambda e: 0.99)]), 8),
    Case("ChainedScheduler", lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.1, total_iters=2), L.ExponentialLR(o, gamma=0.9)]), 8),
    Case("ChainedScheduler-optimizer", lambda L, o: L.ChainedScheduler(
        [L.LinearLR(o, start_factor=0.5, total_iters=3), L.MultiStepLR(o, [2, 4])], optimizer=o), 8),
    Case("CyclicLR", lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4), 20, momentum=0.9),
    Case("CyclicLR-triangular2", lambda L, o: L.CyclicLR(
        o, [0.01, 0.02], [0.1, 0.3], step_size_up=3, step_size_down=5, mode="triangular2"), 30, momentum=0.9),
    Case("CyclicLR-exp_range", lambda L, o: L.CyclicLR(
        o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9, base_momentum=[0.8, 0.7],
        max_momentum=[0.9, 0.95]), 20, momentum=0.9),
    Case("CyclicLR-scale_fn", lambda L, o: L.CyclicLR(
        o, 0.01, 0.1, step_size_up=2, scale_fn=_Geometric(0.8), scale_mode="iterations"), 12, momentum=0.9),
    Case("CyclicLR-Adam", lambda L, o: L.CyclicLR(o, 0.001, 0.01, step_size_up=3), 12, opt="Adam"),
    Case("CyclicLR-RMSprop", lambda L, o: L.CyclicLR(o, 0.001, 0.01, step_size_up=2), 8, opt="RMSprop",
         momentum=0.5),
    Case("CyclicLR-no-momentum", lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, cycle_momentum=False), 12),
    Case("OneCycleLR", lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=20), 20, momentum=0.9),
    Case("OneCycleLR-three_phase-linear", lambda L, o: L.OneCycleLR(
        o, 1.0, total_steps=21, pct_start=0.25, anneal_strategy="linear", three_phase=True), 21, momentum=0.9),
    Case("OneCycleLR-three_phase-cos", lambda L, o: L.OneCycleLR(o, 1.0, total_steps=16, three_phase=True), 16,
         momentum=0.9),
    Case("OneCycleLR-epochs-Adam", lambda L, o: L.OneCycleLR(
        o, 0.01, epochs=3, steps_per_epoch=5, div_factor=10.0, final_div_factor=100.0), 15, opt="Adam"),
    Case("OneCycleLR-AdamW", lambda L, o: L.OneCycleLR(
        o, 0.01, total_steps=10, base_momentum=[0.8, 0.85], max_momentum=0.9), 10, opt="AdamW"),
    Case("OneCycleLR-no-momentum", lambda L, o: L.OneCycleLR(o, 0.5, total_steps=12, cycle_momentum=False), 12),
    Case("CosineAnnealingWarmRestarts", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3), 10),
    Case("CosineAnnealingWarmRestarts-T_mult", lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=2, T_mult=2, eta_min=0.01), 16),
    Case("ReduceLROnPlateau", lambda L, o: L.ReduceLROnPlateau(o, factor=0.5, patience=1, cooldown=1),
         len(_PLATEAU_MIN), metrics=_PLATEAU_MIN),
    Case("ReduceLROnPlateau-max-abs-min_lr", lambda L, o: L.ReduceLROnPlateau(
        o, mode="max", factor=0.5, patience=0, threshold=0.05, threshold_mode="abs", min_lr=[0.02, 0.05]),
        len(_PLATEAU_MAX), metrics=_PLATEAU_MAX),
    Case("ReduceLROnPlateau-defaults", lambda L, o: L.ReduceLROnPlateau(o), 30, metrics=[1.0] * 30),
]
IDS = [c.id for c in CASES]


# ---- against torch ---------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sequence_equals_torch(case):
    of, sf = _build(fastdl, case)
    ot, st = _build(torch, case)
    assert _run(of, sf, case.steps, case.metrics) == _run(ot, st, case.steps, case.metrics)
    if isinstance(sf, lr_scheduler.ReduceLROnPlateau):
        keys = ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs")
        assert [getattr(sf, k) for k in keys] == [getattr(st, k) for k in keys]


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_loads_torch_state_dict_mid_sequence(case):
    """torch's state_dict, taken half-way, continues in fastdl exactly as in torch."""
    k = case.steps // 2
    ot, st = _build(torch, case)
    _run(ot, st, k, case.metrics)
    of, sf = _build(fastdl, case)
    for gf, gt in zip(of.param_groups, ot.param_groups):
        for key in ("lr", "initial_lr", "momentum", "betas", "max_lr", "min_lr", "max_momentum", "base_momentum"):
            if key in gt:
                gf[key] = gt[key]
    sf.load_state_dict(copy.deepcopy(st.state_dict()))
    rest = case.metrics and case.metrics[k:]
    assert _run(of, sf, case.steps - k, rest) == _run(ot, st, case.steps - k, rest)


CLOSED_FORM = [
    lambda L, o: L.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.5),
    lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=4),
    lambda L, o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6),
    lambda L, o: L.ExponentialLR(o, gamma=0.9),
    lambda L, o: L.PolynomialLR(o, total_iters=7, power=2.0),
    lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9),  # no closed form: get_lr at the new epoch
    lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"),
    lambda L, o: L.OneCycleLR(o, 1.0, total_steps=12),
]


@needs_torch
@pytest.mark.parametrize("make", CLOSED_FORM, ids=["MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
                                                   "PolynomialLR", "MultiplicativeLR", "CyclicLR", "OneCycleLR"])
def test_step_with_epoch_equals_torch(make):
    case = Case("", make, 0, momentum=0.9)
    (of, sf), (ot, st) = _build(fastdl, case), _build(torch, case)
    for epoch in (5, 2, 9, 0, 3, 11, 4):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sf.step(epoch)
            st.step(epoch)
        assert _snap(of, sf) == _snap(ot, st)


@needs_torch
@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_equal_torch(T_mult):
    case = Case("", lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=T_mult, eta_min=0.001), 0)
    (of, sf), (ot, st) = _build(fastdl, case), _build(torch, case)
    iters = 4
    epochs = [e + i / iters for e in range(12) for i in range(iters)] + [1.5, 30.25, 0, 7.0, 6.999]
    for epoch in epochs:
        sf.step(epoch)
        st.step(epoch)
        assert _snap(of, sf) == _snap(ot, st)
        assert (sf.T_cur, sf.T_i, sf.last_epoch) == (st.T_cur, st.T_i, st.last_epoch)
    assert _run(of, sf, 7) == _run(ot, st, 7)  # plain steps after the explicit ones


@needs_torch
def test_one_cycle_past_total_steps_raises_like_torch():
    case = Case("", lambda L, o: L.OneCycleLR(o, 1.0, total_steps=5), 0, momentum=0.9)
    (of, sf), (ot, st) = _build(fastdl, case), _build(torch, case)
    assert _run(of, sf, 5) == _run(ot, st, 5)
    with pytest.raises(ValueError) as ef:
        sf.step()
    with pytest.raises(ValueError) as et:
        st.step()
    assert str(et.value) in str(ef.value) and sf.last_epoch == st.last_epoch == 6


# ---- without torch ---------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_state_dict_round_trip_through_save(case, tmp_path):
    """Half-way state (optimizer and scheduler) saved with fastdl.save, loaded into a
    fresh pair, continues exactly as the uninterrupted run."""
    of, sf = _build(fastdl, case)
    ref = _run(of, sf, case.steps, case.metrics)
    k = case.steps // 2
    of2, sf2 = _build(fastdl, case)
    _run(of2, sf2, k, case.metrics)
    fastdl.save({"opt": of2.state_dict(), "sched": sf2.state_dict()}, tmp_path / "ck")
    ck = fastdl.load(tmp_path / "ck")
    of3, sf3 = _build(fastdl, case)
    of3.load_state_dict(ck["opt"])
    sf3.load_state_dict(ck["sched"])
    assert _snap(of3, sf3) == ref[k]
    assert _run(of3, sf3, case.steps - k, case.metrics and case.metrics[k:]) == ref[k:]


def _one(lr=1.0, name="SGD", **kw):
    p = fastdl.nn.Parameter(fastdl.zeros(3))
    return getattr(optim, name)([p], lr=lr, **kw)


def _lrs(sched, n, metrics=None):
    out = [sched.get_last_lr()[0]]
    for i in range(n):
        sched.optimizer.step()
        sched.step() if metrics is None else sched.step(metrics[i])
        out.append(sched.get_last_lr()[0])
    return out


def test_exponential_and_multiplicative_halve():
    assert _lrs(lr_scheduler.ExponentialLR(_one(), gamma=0.5), 3) == [1.0, 0.5, 0.25, 0.125]
    assert _lrs(lr_scheduler.MultiplicativeLR(_one(), lambda e: 0.5), 3) == [1.0, 0.5, 0.25, 0.125]
    opt = _one(0.1, momentum=0.9)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    _lrs(sched, 2)
    assert opt.param_groups[0]["lr"] == sched.get_last_lr()[0] == 0.025


def test_multistep_milestones():
    assert _lrs(lr_scheduler.MultiStepLR(_one(), milestones=[2, 4], gamma=0.1), 5) == pytest.approx(
        [1, 1, 0.1, 0.1, 0.01, 0.01])
    # a milestone listed twice applies gamma twice; the order given does not matter
    assert _lrs(lr_scheduler.MultiStepLR(_one(), milestones=[3, 1, 3], gamma=0.5), 4) == [1, 0.5, 0.5, 0.125, 0.125]


def test_constant_and_linear_warmups():
    assert _lrs(lr_scheduler.ConstantLR(_one(), factor=0.5, total_iters=2), 3) == [0.5, 0.5, 1.0, 1.0]
    assert _lrs(lr_scheduler.LinearLR(_one(), start_factor=0.25, total_iters=3), 4) == pytest.approx(
        [0.25, 0.5, 0.75, 1.0, 1.0])
    assert _lrs(lr_scheduler.LinearLR(_one(), start_factor=1.0, end_factor=0.5, total_iters=2), 3) == pytest.approx(
        [1.0, 0.75, 0.5, 0.5])


def test_polynomial_decay():
    assert _lrs(lr_scheduler.PolynomialLR(_one(), total_iters=4), 5) == pytest.approx([1, 0.75, 0.5, 0.25, 0, 0])
    assert _lrs(lr_scheduler.PolynomialLR(_one(), total_iters=4, power=2.0), 2) == pytest.approx([1, 0.5625, 0.25])


def test_sequential_restarts_the_next_scheduler_at_the_milestone():
    opt = _one()
    sched = lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=10),
                                            lr_scheduler.ExponentialLR(opt, gamma=0.5)], milestones=[2])
    assert _lrs(sched, 4) == [0.5, 0.5, 1.0, 0.5, 0.25]


def test_chained_scheduler_composes():
    opt = _one()
    sched = lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2),
                                           lr_scheduler.ExponentialLR(opt, gamma=0.5)])
    assert _lrs(sched, 3) == [0.5, 0.25, 0.25, 0.125]


def test_cyclic_lr_and_momentum():
    opt = _one(momentum=0.5)
    sched = lr_scheduler.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=2)
    moms = [opt.param_groups[0]["momentum"]]
    lrs = [sched.get_last_lr()[0]]
    for _ in range(4):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    assert lrs == pytest.approx([0.1, 0.55, 1.0, 0.55, 0.1])
    assert moms == pytest.approx([0.9, 0.85, 0.8, 0.85, 0.9])  # inverse to the lr
    tri2 = lr_scheduler.CyclicLR(_one(), 0.1, 1.0, step_size_up=2, mode="triangular2")
    assert _lrs(tri2, 6)[2::2] == pytest.approx([1.0, 0.1, 0.55])  # the second peak is half as high
    adam = _one(name="Adam", betas=(0.9, 0.99))
    lr_scheduler.CyclicLR(adam, 0.1, 1.0, step_size_up=1, base_momentum=0.7, max_momentum=0.8).step()
    beta1, beta2 = adam.param_groups[0]["betas"]
    assert beta1 == pytest.approx(0.7) and beta2 == 0.99


def test_one_cycle_peak_final_and_overrun():
    opt = _one(momentum=0.9)
    sched = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)  # pct_start 0.3: peak at step 2
    assert opt.param_groups[0]["initial_lr"] == 1.0 / 25.0
    lrs, moms = [sched.get_last_lr()[0]], [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    assert lrs[0] == pytest.approx(0.04) and moms[0] == pytest.approx(0.95)
    assert lrs[2] == 1.0 == max(lrs) and moms[2] == 0.85
    assert lrs[9] == 0.04 / 1e4 and moms[9] == 0.95  # final lr = initial_lr / final_div_factor
    assert all(a < b for a, b in zip(lrs[:2], lrs[1:3])) and all(a > b for a, b in zip(lrs[2:9], lrs[3:10]))
    sched.step()  # step total_steps is still allowed (as torch)
    with pytest.raises(ValueError, match="OneCycleLR: Tried to step 11 times. The specified number of total "
                                         "steps is 10"):
        sched.step()
    three = lr_scheduler.OneCycleLR(_one(), max_lr=1.0, total_steps=10, pct_start=0.25, three_phase=True,
                                    anneal_strategy="linear", cycle_momentum=False)
    lrs = _lrs(three, 9)
    # phases end at steps 1.5, 3 and 9: up to 0.68 of max_lr, back to initial_lr, down to min_lr
    assert lrs[0] == pytest.approx(0.04) and lrs[9] == pytest.approx(0.04 / 1e4)
    assert lrs[1] == pytest.approx(0.68) and lrs[2] == pytest.approx(0.68) and max(lrs) == pytest.approx(0.68)
    assert lrs[3] == pytest.approx(0.04)


def test_reduce_on_plateau_patience_cooldown_min_lr():
    sched = lr_scheduler.ReduceLROnPlateau(_one(), factor=0.5, patience=2)
    # the first epoch sets the best; patience + 1 = 3 bad epochs then reduce
    assert _lrs(sched, 5, [1.0] * 5) == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    assert sched.num_bad_epochs == 1 and sched.best == 1.0
    cool = lr_scheduler.ReduceLROnPlateau(_one(), factor=0.5, patience=0, cooldown=2)
    assert _lrs(cool, 7, [1.0] * 7) == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]
    floor = lr_scheduler.ReduceLROnPlateau(_one(), factor=0.1, patience=0, min_lr=0.3)
    assert _lrs(floor, 4, [1.0] * 4) == [1.0, 1.0, 0.3, 0.3, 0.3]
    better = lr_scheduler.ReduceLROnPlateau(_one(), mode="max", patience=0, threshold=0.1, threshold_mode="abs")
    assert _lrs(better, 3, [1.0, 1.2, 1.25]) == [1.0, 1.0, 1.0, 0.1]  # +0.05 is below the threshold
    rel = lr_scheduler.ReduceLROnPlateau(_one(), patience=0, threshold=0.1)
    assert _lrs(rel, 3, [fastdl.tensor(1.0), 0.85, 0.8]) == pytest.approx([1.0, 1.0, 1.0, 0.1])  # a 0-d tensor too
    p1, p2 = fastdl.nn.Parameter(fastdl.zeros(1)), fastdl.nn.Parameter(fastdl.zeros(1))
    opt = optim.SGD([{"params": [p1], "lr": 1.0}, {"params": [p2], "lr": 0.1}])
    groups = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.5, 0.0])
    for m in (1.0, 1.0, 1.0):
        groups.step(m)
    assert groups.get_last_lr() == pytest.approx([0.5, 0.001])
    assert groups.state_dict()["best"] == 1.0 and "optimizer" not in groups.state_dict()


def test_reduce_on_plateau_eps_ignores_tiny_reductions():
    sched = lr_scheduler.ReduceLROnPlateau(_one(1e-8), patience=0, eps=1e-8)
    assert _lrs(sched, 2, [1.0, 1.0]) == [1e-8, 1e-8, 1e-8]


def test_warm_restarts_values():
    assert _lrs(lr_scheduler.CosineAnnealingWarmRestarts(_one(), T_0=2), 4) == pytest.approx(
        [1.0, 0.5, 1.0, 0.5, 1.0])
    # T_0=1, T_mult=2: restarts at epochs 1 and 3
    assert _lrs(lr_scheduler.CosineAnnealingWarmRestarts(_one(), T_0=1, T_mult=2), 4) == pytest.approx(
        [1.0, 1.0, 0.5, 1.0, (1 + math.cos(math.pi / 4)) / 2])
    sched = lr_scheduler.CosineAnnealingWarmRestarts(_one(), T_0=2, eta_min=0.1)
    sched.step(0.5)
    assert sched.get_last_lr()[0] == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2)
    assert sched.last_epoch == 0
    sched.step(2.0)  # a restart
    assert sched.get_last_lr() == [pytest.approx(1.0)] and sched.T_cur == 0.0


class _Plain(optim.Optimizer):
    """An optimizer with neither momentum nor betas."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))


@pytest.mark.parametrize("make,exc,match", [
    (lambda o: lr_scheduler.ConstantLR(o, factor=1.5), ValueError, r"ConstantLR.*1\.5"),
    (lambda o: lr_scheduler.ConstantLR(o, factor=-0.1), ValueError, r"ConstantLR.*-0\.1"),
    (lambda o: lr_scheduler.LinearLR(o, start_factor=0), ValueError, r"LinearLR: Starting.*got 0"),
    (lambda o: lr_scheduler.LinearLR(o, end_factor=2.0), ValueError, r"LinearLR: Ending.*got 2\.0"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, 0.9), TypeError, "MultiplicativeLR.*function.*float"),
    (lambda o: lr_scheduler.MultiplicativeLR(o, [abs, abs]), ValueError, "MultiplicativeLR: Expected 1 lr_lambdas, "
                                                                        "but got 2"),
    (lambda o: lr_scheduler.SequentialLR(o, [], milestones=[]), ValueError, "SequentialLR expects at least one"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ExponentialLR(o, 0.9)] * 2, milestones=[]), ValueError,
     "SequentialLR.*number of schedulers 2.*milestones to be equal to 0"),
    (lambda o: lr_scheduler.SequentialLR(o, [object()], milestones=[]), TypeError, "SequentialLR at index 0.*object"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ExponentialLR(_one(), 0.9)], milestones=[]), ValueError,
     "SequentialLR expects all schedulers to belong to the same optimizer.*ExponentialLR at index 0"),
    (lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], milestones=[]), ValueError,
     "SequentialLR does not support `ReduceLROnPlateau`"),
    (lambda o: lr_scheduler.ChainedScheduler([]), ValueError, "ChainedScheduler expects at least one"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ReduceLROnPlateau(o)]), ValueError,
     "ChainedScheduler does not support `ReduceLROnPlateau`"),
    (lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ExponentialLR(o, 0.9),
                                              lr_scheduler.ExponentialLR(_one(), 0.9)]), ValueError,
     "ChainedScheduler.*same optimizer.*index 1"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, r"ReduceLROnPlateau: Factor should be < 1\.0, "
                                                                        r"but got 1\.0"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="avg"), ValueError, "ReduceLROnPlateau: mode 'avg' is unknown"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError,
     "ReduceLROnPlateau: threshold mode 'pct' is unknown"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError,
     "ReduceLROnPlateau: expected 1 min_lrs, got 2"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(object()), TypeError, "ReduceLROnPlateau: object is not an Optimizer"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError, "CyclicLR: mode 'sine' is invalid"),
    (lambda o: lr_scheduler.CyclicLR(o, [0.1, 0.2], 1.0), ValueError, "CyclicLR: base_lr must have the same length "
                                                                     "as optimizer.param_groups. base_lr has 2"),
    (lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, max_momentum=[0.9, 0.95]), ValueError, "CyclicLR: max_momentum"),
    (lambda o: lr_scheduler.CyclicLR(_Plain([fastdl.zeros(1)]), 0.1, 1.0), ValueError,
     "CyclicLR: optimizer must support momentum or beta1.*_Plain"),
    (lambda o: lr_scheduler.CyclicLR(object(), 0.1, 1.0), TypeError, "CyclicLR: object is not an Optimizer"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0), ValueError, "OneCycleLR: You must define either total_steps OR"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, epochs=3), ValueError, "OneCycleLR: You must define"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=0), ValueError, "OneCycleLR.*total_steps, but got 0"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=2.5), ValueError, r"total_steps, but got 2\.5"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, epochs=-1, steps_per_epoch=3), ValueError,
     "OneCycleLR: Expected positive integer epochs, but got -1"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=0), ValueError,
     "OneCycleLR: Expected positive integer steps_per_epoch, but got 0"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, pct_start=1), ValueError,
     "OneCycleLR: Expected float between 0 and 1 pct_start, but got 1"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5), ValueError, r"pct_start, but got 1\.5"),
    (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"), ValueError,
     "OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda o: lr_scheduler.OneCycleLR(_Plain([fastdl.zeros(1)]), 1.0, total_steps=10), ValueError,
     "OneCycleLR: optimizer must support momentum or beta1"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "CosineAnnealingWarmRestarts: Expected positive integer T_0, but got 0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError, r"T_0, but got 2\.5"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError,
     "CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got 0"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"), ValueError,
     "CosineAnnealingWarmRestarts: Expected float or int eta_min, but got 0 of type str"),
    (lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2).step(-1), ValueError,
     "CosineAnnealingWarmRestarts: Expected non-negative epoch, but got -1"),
    (lambda o: lr_scheduler.ExponentialLR(object(), 0.9), TypeError, "ExponentialLR: object is not an Optimizer"),
    (lambda o: lr_scheduler.LinearLR(o, last_epoch=3), KeyError, "initial_lr"),
])
def test_argument_errors(make, exc, match):
    with pytest.raises(exc, match=match):
        make(_one(momentum=0.9))


def test_no_momentum_cycle_needed_without_cycle_momentum():
    opt = _Plain([fastdl.zeros(1)])
    sched = lr_scheduler.CyclicLR(opt, 0.1, 1.0, step_size_up=1, cycle_momentum=False)
    sched.step()
    assert sched.get_last_lr() == [1.0] and "momentum" not in opt.param_groups[0]
    one = lr_scheduler.OneCycleLR(_Plain([fastdl.zeros(1)]), 1.0, total_steps=4, cycle_momentum=False)
    assert one.get_last_lr() == [pytest.approx(0.04)]


def test_exports():
    for name in ("MultiplicativeLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
                 "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR", "OneCycleLR",
                 "CosineAnnealingWarmRestarts"):
        assert name in lr_scheduler.__all__
        assert issubclass(getattr(lr_scheduler, name), lr_scheduler.LRScheduler)
