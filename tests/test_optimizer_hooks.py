"""optim.Optimizer's hooks (optim/_hooks.py) and state_dict format: the same programs run
with torch and fastdl record the same call sequences, arguments and results."""
import pytest

import fastdl
from fastdl import optim


def step_hook_program(lib):
    """Per-optimizer and global step hooks: order, arguments, replaced args, removal."""
    topt = lib.optim
    log = []
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    opt = topt.SGD([w], lr=0.5)

    def record(tag):
        def hook(o, args, kwargs):
            log.append((tag, o is opt, len(args), args[0] is opt, sorted(kwargs)))
        return hook

    import importlib
    optimizer_mod = importlib.import_module(lib.__name__ + ".optim.optimizer")
    hs = [optimizer_mod.register_optimizer_step_pre_hook(record("gpre")),
          optimizer_mod.register_optimizer_step_post_hook(record("gpost")),
          opt.register_step_pre_hook(record("pre")), opt.register_step_post_hook(record("post"))]
    try:
        w.grad = lib.ones(2)
        opt.step()
        log.append(("w", w.tolist()))

        def closure_swap(o, args, kwargs):  # replaces the closure: the step returns the new one's loss
            return (args[0],), {"closure": lambda: 42.0}

        h = opt.register_step_pre_hook(closure_swap)
        log.append(("loss", opt.step()))
        h.remove()
        bad = opt.register_step_pre_hook(lambda o, a, k: 3)
        try:
            opt.step()
        except RuntimeError as e:
            log.append(("error", "must return None or a tuple of (new_args, new_kwargs)" in str(e)))
        bad.remove()
        for handle in hs:
            handle.remove()
        opt.step()
        log.append(("after-remove", len(log)))

        class Custom(topt.SGD):  # a subclass's own step calling super().step(): the hooks run once
            def step(self, closure=None):
                log.append("custom-step")
                return super().step(closure)

        c = Custom([w], lr=0.1)
        c.register_step_pre_hook(lambda o, a, k: log.append("custom-pre"))
        c.register_step_post_hook(lambda o, a, k: log.append("custom-post"))
        c.step()
    finally:
        for handle in hs:
            handle.remove()
    return log


def test_step_hooks_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = step_hook_program(fastdl), step_hook_program(torch)
    # torch runs the hooks a second time when a subclass's step calls super().step() of a
    # class that was instantiated before (its lazily patched step); fastdl runs them once
    assert ours[:-3] == theirs[:-5]
    assert theirs[-5:] == ["custom-pre", "custom-step", "custom-pre", "custom-post", "custom-post"]


def test_step_hooks_exact():
    log = step_hook_program(fastdl)
    assert log[:4] == [("gpre", True, 1, True, []), ("pre", True, 1, True, []), ("post", True, 1, True, []),
                       ("gpost", True, 1, True, [])]
    assert log[4] == ("w", [0.5, 1.5])
    assert ("loss", 42.0) in log and ("error", True) in log
    assert log[-3:] == ["custom-pre", "custom-step", "custom-post"]


def state_hook_program(lib):
    topt = lib.optim
    log = []
    a = lib.tensor([1.0], requires_grad=True)
    b = lib.tensor([2.0, 3.0], requires_grad=True)
    opt = topt.Adam([{"params": [a]}, {"params": [b], "lr": 0.1}], lr=0.01)
    a.grad, b.grad = lib.ones(1), lib.ones(2)
    opt.step()
    opt.register_state_dict_pre_hook(lambda o: log.append(("sd-pre", o is opt)))
    opt.register_state_dict_pre_hook(lambda o: log.append(("sd-pre-first",)), prepend=True)

    def sd_post(o, sd):
        log.append(("sd-post", sorted(sd), sorted(sd["state"]), [g["params"] for g in sd["param_groups"]]))
        sd["extra"] = 1

    opt.register_state_dict_post_hook(sd_post)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "replaced": True})
    sd = opt.state_dict()
    log.append(("sd", sorted(sd), sorted(sd["state"][1])))

    def load_pre(o, sd):
        log.append(("load-pre", sorted(sd)))
        sd2 = dict(sd)
        groups = [dict(g) for g in sd2["param_groups"]]
        groups[1]["lr"] = 0.5
        sd2["param_groups"] = groups
        return sd2

    opt.register_load_state_dict_pre_hook(load_pre)
    opt.register_load_state_dict_post_hook(lambda o: log.append(("load-post", [g["lr"] for g in o.param_groups])))
    opt.load_state_dict(sd)
    log.append(("sd-untouched", sd["param_groups"][1]["lr"]))
    return log


def test_state_dict_hooks_match_torch():
    torch = pytest.importorskip("torch")
    assert state_hook_program(fastdl) == state_hook_program(torch)


def test_state_dict_hooks_exact():
    log = state_hook_program(fastdl)
    assert log[0] == ("sd-pre-first",) and log[1] == ("sd-pre", True)
    assert log[2] == ("sd-post", ["param_groups", "state"], [0, 1], [[0], [1]])
    assert log[3] == ("sd", ["extra", "param_groups", "replaced", "state"], ["exp_avg", "exp_avg_sq", "step"])
    assert log[-2:] == [("load-post", [0.01, 0.5]), ("sd-untouched", 0.1)]


def packing_program(lib):
    """Packed ids with a repeated parameter, zero_grad, add_param_group and its errors."""
    topt = lib.optim
    out = []
    a, b, c = (lib.ones(1, requires_grad=True) for _ in range(3))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = topt.SGD([{"params": [a, a, b]}, {"params": [c]}], lr=0.1)
    out.append([g["params"] for g in opt.state_dict()["param_groups"]])
    group = {"params": (lib.ones(1, requires_grad=True),), "lr": 0.3}
    opt.add_param_group(group)
    out.append((opt.param_groups[-1] is group, isinstance(group["params"], list), group["momentum"]))
    for bad in [[1], {"params": [a]}, {"params": [("n", lib.ones(1, requires_grad=True))]},
                {"params": [("n", lib.ones(1, requires_grad=True)), lib.ones(1, requires_grad=True)]}]:
        try:
            opt.add_param_group(bad)
        except (TypeError, ValueError) as e:
            out.append((type(e).__name__, str(e).replace("torch.", "fastdl.")))
    a.grad = lib.ones(1) * 3
    opt.zero_grad(set_to_none=False)
    out.append(a.grad.tolist())
    opt.zero_grad()
    out.append(a.grad)
    return out


def test_packing_and_param_groups_match_torch():
    torch = pytest.importorskip("torch")
    assert packing_program(fastdl) == packing_program(torch)


def test_packing_exact():
    out = packing_program(fastdl)
    assert out[0] == [[1, 1, 2], [3]]  # torch: ids start after the previous group's length; a repeat: its last
    assert out[1] == (True, True, 0)
    assert out[2] == ("TypeError", "param_group must be a dict, but got <class 'list'>")
    assert out[3] == ("ValueError", "some parameters appear in more than one parameter group")
    assert out[4][1].startswith("all optimizer param groups should be with/without names")
    assert out[5][1] == "all optimizer params should be with/without names. Some param names are missing"
    assert out[6:] == [[0.0], None]


def test_no_hook_fast_path_and_count():
    w = fastdl.ones(1, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    n = optim.optimizer._hooks._active.n
    h = opt.register_step_pre_hook(lambda *a: None)
    g = optim.optimizer.register_optimizer_step_post_hook(lambda *a: None)
    assert optim.optimizer._hooks._active.n == n + 2
    with h, g:  # handles are context managers
        pass
    h.remove()  # removing twice counts once
    assert optim.optimizer._hooks._active.n == n
    with pytest.raises(TypeError, match="hook must be callable"):
        opt.register_step_pre_hook(3)


def test_hooks_not_pickled_and_lbfgs_step_hooked():
    import copy
    w = fastdl.ones(2, requires_grad=True)
    opt = optim.LBFGS([w], lr=0.1)
    calls = []
    h = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(len(args)))

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert calls == [2]
    h.remove()
    state = opt.__getstate__()
    assert set(state) == {"defaults", "state", "param_groups"}
    clone = copy.deepcopy(opt)
    assert clone._optimizer_step_pre_hooks == {} and clone.param_groups[0]["lr"] == 0.1
