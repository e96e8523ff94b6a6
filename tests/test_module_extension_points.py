"""nn.Module's extension points (nn/_module_state.py, nn/_module_extras.py): the same
small programs run with torch and with fastdl must record the same call sequences,
arguments, keys, metadata and errors."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import fastdl
from fastdl import nn


def _norm(msg):
    return str(msg).replace("torch.", "fastdl.")


# ---- one program, two libraries ---------------------------------------------------


def hook_program(lib):
    """Every state-dict / load hook kind on a two-level model: the recorded events."""
    tnn = lib.nn
    log = []

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc = tnn.Linear(2, 3)
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)

    net = Net()
    with lib.no_grad():
        net.fc.weight.copy_(lib.arange(6.0).reshape(3, 2))
        net.fc.bias.fill_(0.5)
    net.register_state_dict_pre_hook(lambda m, prefix, keep_vars: log.append(("pre", type(m).__name__, prefix,
                                                                               keep_vars)))
    net.fc.register_state_dict_pre_hook(lambda m, prefix, keep_vars: log.append(("pre", type(m).__name__, prefix,
                                                                                  keep_vars)))

    def post(m, sd, prefix, meta):
        log.append(("post", type(m).__name__, prefix, dict(meta), list(sd)))

    net.register_state_dict_post_hook(post)
    net.fc.register_state_dict_post_hook(lambda m, sd, prefix, meta: log.append(("post", type(m).__name__, prefix,
                                                                                 dict(meta), list(sd))))
    sd = net.state_dict()
    log.append(("keys", list(sd), {k: dict(v) for k, v in sd._metadata.items()}))
    net.state_dict(prefix="root.", keep_vars=True)

    def lpre(m, state, prefix, meta, strict, missing, unexpected, errors):
        log.append(("lpre", type(m).__name__, prefix, dict(meta), strict, sorted(state), list(missing),
                    list(unexpected), list(errors)))

    def lpost(m, keys):
        log.append(("lpost", type(m).__name__, list(keys.missing_keys), list(keys.unexpected_keys)))
        keys.unexpected_keys.clear()  # editable: what strict then checks

    net.register_load_state_dict_pre_hook(lpre)
    net.fc.register_load_state_dict_pre_hook(lpre)
    net.register_load_state_dict_post_hook(lpost)
    net.fc.register_load_state_dict_post_hook(lpost)
    net._register_load_state_dict_pre_hook(lambda state, prefix, *rest: log.append(("old-pre", prefix)))
    sd2 = OrderedDict(sd)
    sd2["extra"] = lib.ones(1)
    sd2._metadata = sd._metadata
    res = net.load_state_dict(sd2)  # the post hook clears the unexpected key: no error
    log.append(("result", list(res.missing_keys), list(res.unexpected_keys), repr(res)))
    del sd2["fc.bias"]
    try:
        net.load_state_dict(sd2)
    except RuntimeError as e:
        log.append(("error", _norm(e)))
    res = net.load_state_dict(sd2, strict=False)
    log.append(("result", list(res.missing_keys), list(res.unexpected_keys), repr(res)))
    return log


def test_hook_call_sequences_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = hook_program(fastdl), hook_program(torch)
    assert len(ours) > 15
    assert ours == theirs


def test_hooks_recorded_sequence_exact():
    log = hook_program(fastdl)  # independent of torch: the order torch documents
    assert log[:4] == [("pre", "Net", "", False), ("pre", "Linear", "fc.", False),
                       ("post", "Linear", "fc.", {"version": 1}, ["steps", "fc.weight", "fc.bias"]),
                       ("post", "Net", "", {"version": 1}, ["steps", "fc.weight", "fc.bias"])]
    assert log[4] == ("keys", ["steps", "fc.weight", "fc.bias"], {"": {"version": 1}, "fc": {"version": 1}})
    assert ("result", [], [], "<All keys matched successfully>") in log
    err = [e for e in log if e[0] == "error"][0][1]
    assert err == 'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "fc.bias". '


# ---- old keys, extra state ----------------------------------------------------------


def migrating_program(lib):
    tnn = lib.nn

    class Scale(tnn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.gain = tnn.Parameter(lib.ones(3))  # version 1 called it "weight"

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
            if local_metadata.get("version", 1) < 2 and prefix + "weight" in state_dict:
                state_dict[prefix + "gain"] = state_dict.pop(prefix + "weight")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)

    class Counter(tnn.Module):
        def __init__(self):
            super().__init__()
            self.count = 0
            self.lin = tnn.Linear(1, 1)

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    model = tnn.Sequential(Scale(), Counter())
    old = OrderedDict([("0.weight", lib.tensor([1.0, 2.0, 3.0])), ("1.lin.weight", lib.ones(1, 1)),
                       ("1.lin.bias", lib.zeros(1)), ("1._extra_state", {"count": 7})])
    old._metadata = OrderedDict([("", {"version": 1}), ("0", {"version": 1}), ("1", {"version": 1}),
                                 ("1.lin", {"version": 1})])
    out = [repr(model.load_state_dict(old)), model[0].gain.tolist(), model[1].count]
    sd = model.state_dict()
    out.append((list(sd), {k: v["version"] for k, v in sd._metadata.items()}, sd["1._extra_state"]))
    plain = Counter()
    try:
        plain.load_state_dict({"lin.weight": lib.ones(1, 1), "lin.bias": lib.zeros(1)})
    except RuntimeError as e:
        out.append(_norm(e))
    return out


def test_override_load_from_state_dict_migrates_old_key():
    out = migrating_program(fastdl)
    assert out[:3] == ["<All keys matched successfully>", [1.0, 2.0, 3.0], 7]
    assert out[3] == (["0.gain", "1._extra_state", "1.lin.weight", "1.lin.bias"],
                      {"": 1, "0": 2, "1": 1, "1.lin": 1}, {"count": 7})
    assert 'Missing key(s) in state_dict: "_extra_state"' in out[4]


def test_migration_and_extra_state_match_torch():
    torch = pytest.importorskip("torch")
    assert migrating_program(fastdl) == migrating_program(torch)


def test_extra_state_round_trips_through_save_load(tmp_path):
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.meta = {}

        def get_extra_state(self):
            return self.meta

        def set_extra_state(self, state):
            self.meta = state

    a = Counter()
    a.meta = {"steps": 12, "name": "run", "hist": [1.5, 2.5]}
    fastdl.save(a.state_dict(), tmp_path / "m.fdl")
    b = Counter()
    assert repr(b.load_state_dict(fastdl.load(tmp_path / "m.fdl"))) == "<All keys matched successfully>"
    assert b.meta == a.meta
    assert np.array_equal(b.lin.weight.detach().numpy(), a.lin.weight.detach().numpy())


def test_saved_bytes_unchanged_by_metadata(tmp_path):
    """_metadata is an attribute, not an entry: the checkpoint is what the plain dict gives."""
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    sd = m.state_dict()
    assert hasattr(sd, "_metadata")
    fastdl.save(sd, tmp_path / "a")
    fastdl.save(dict(sd), tmp_path / "b")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


# ---- load_state_dict: errors, assign --------------------------------------------------


def error_program(lib):
    tnn = lib.nn
    out = []
    m = tnn.Sequential(tnn.Linear(2, 3))
    good = m.state_dict()
    for bad, strict in [({**good, "0.weight": lib.zeros(2, 2)}, True), ({**good, "0.weight": lib.zeros(2, 2)}, False),
                        ({**good, "x.y": lib.zeros(1), "1.weight": lib.zeros(1)}, True), ({}, True),
                        ({**good, "0.bias": "nope"}, True)]:
        try:
            r = m.load_state_dict(bad, strict=strict)
            out.append(("ok", list(r.missing_keys), list(r.unexpected_keys)))
        except RuntimeError as e:
            out.append(_norm(e))
    try:
        m.load_state_dict([1, 2])
    except TypeError as e:
        out.append(("TypeError", _norm(e).replace("<class 'list'>", "list")))
    return out


def test_load_errors_match_torch():
    torch = pytest.importorskip("torch")
    assert error_program(fastdl) == error_program(torch)


def test_load_errors_exact():
    out = error_program(fastdl)
    assert out[0] == ("Error(s) in loading state_dict for Sequential:\n\tsize mismatch for 0.weight: copying a param "
                      "with shape fastdl.Size([2, 2]) from checkpoint, the shape in current model is "
                      "fastdl.Size([3, 2]).")
    assert out[1] == out[0]  # a size mismatch raises even when not strict
    assert out[2] == ('Error(s) in loading state_dict for Sequential:\n\tUnexpected key(s) in state_dict: "x.y", '
                      '"1.weight". ')
    assert out[3].endswith('Missing key(s) in state_dict: "0.weight", "0.bias". ')
    assert 'While copying the parameter named "0.bias", expected fastdl.Tensor' in out[4]


def test_assign_keeps_requires_grad_and_takes_the_tensors():
    m = nn.Linear(2, 2)
    m.weight.requires_grad_(False)
    w, b = fastdl.ones(2, 2, dtype=fastdl.float64), fastdl.zeros(2)
    m.load_state_dict({"weight": w, "bias": b}, assign=True)
    assert isinstance(m.weight, nn.Parameter) and m.weight.dtype == fastdl.float64
    assert not m.weight.requires_grad and m.bias.requires_grad
    assert m.weight.data_ptr() == w.data_ptr()
    m2 = nn.Linear(2, 2)
    m2.load_state_dict({"weight": w, "bias": b})  # copy: the module keeps its dtype and memory
    assert m2.weight.dtype == fastdl.float32 and m2.weight.data_ptr() != w.data_ptr()


def test_one_element_into_zero_dim_and_numpy_entries():
    m = nn.Module()
    m.s = nn.Parameter(fastdl.tensor(1.0))
    m.load_state_dict({"s": fastdl.tensor([4.0])})  # torch's 0.3 compatibility path
    assert m.s.item() == 4.0
    m.load_state_dict({"s": np.array(5.0, dtype=np.float32)})  # fastdl: arrays are tensors
    assert m.s.item() == 5.0


def test_hook_return_value_rules():
    m = nn.Linear(1, 1)
    m.register_state_dict_post_hook(lambda *a: {"x": 1})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        m.state_dict()
    m = nn.Linear(1, 1)
    m._register_state_dict_hook(lambda mod, sd, prefix, meta: {"replaced": 1})  # the old form: honoured at the root
    assert m.state_dict() == {"replaced": 1}
    seq = nn.Sequential(m)
    assert list(seq.state_dict()) == ["0.weight", "0.bias"]  # ... and ignored below it, as torch
    m = nn.Linear(1, 1)

    def pub(*a):
        return None

    m.register_state_dict_post_hook(pub)
    with pytest.raises(RuntimeError, match="Cannot register the same function"):
        m._register_state_dict_hook(pub)
    m.register_load_state_dict_post_hook(lambda mod, keys: 1)
    with pytest.raises(AssertionError, match="not expected to return new values"):
        m.load_state_dict(m.state_dict())


def test_hook_handles_remove():
    m = nn.Linear(1, 1)
    calls = []
    h = m.register_state_dict_pre_hook(lambda *a: calls.append(1))
    g = m.register_load_state_dict_post_hook(lambda *a: calls.append(2))
    m.load_state_dict(m.state_dict())
    h.remove()
    g.remove()
    m.load_state_dict(m.state_dict())
    assert calls == [1, 2]


def test_state_dict_positional_args_warn_and_destination():
    m = nn.Linear(1, 1)
    dest = {}
    with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
        out = m.state_dict(dest, "p.")
    assert out is dest and list(dest) == ["p.weight", "p.bias"]


# ---- lookups ----------------------------------------------------------------------------


def lookup_program(lib):
    tnn = lib.nn
    out = []
    m = tnn.Sequential(tnn.Linear(1, 1), tnn.BatchNorm1d(2))
    out.append(tuple(m.get_parameter("0.weight").shape))
    out.append(tuple(m.get_buffer("1.running_mean").shape))
    for call in [lambda: m.get_parameter("0.nothing"), lambda: m.get_parameter("1.running_mean"),
                 lambda: m.get_buffer("0.weight"), lambda: m.get_buffer("1.zzz"),
                 lambda: m.set_submodule("", tnn.ReLU()), lambda: m.set_submodule("0", 3),
                 lambda: m.set_submodule("0.weight", tnn.ReLU()), lambda: m.set_submodule("0.new", tnn.ReLU(), True)]:
        try:
            call()
        except (AttributeError, ValueError) as e:
            out.append((type(e).__name__, _norm(e).replace("<class 'int'>", "int")))
    m.set_submodule("0", tnn.Tanh())
    m.set_submodule("1.added", tnn.ReLU())
    out.append((type(m[0]).__name__, type(m[1].added).__name__, m._get_name()))
    return out


def test_lookups_and_errors_match_torch():
    torch = pytest.importorskip("torch")
    assert lookup_program(fastdl) == lookup_program(torch)


def test_lookups_exact():
    out = lookup_program(fastdl)
    assert out[:2] == [(1, 1), (2,)]
    assert out[2] == ("AttributeError", "Linear has no attribute `nothing`")
    assert out[3] == ("AttributeError", "`running_mean` is not an nn.Parameter")
    assert out[4] == ("AttributeError", "`weight` is not a buffer")
    assert out[6] == ("ValueError", "Cannot set the submodule without a target name!")
    assert out[-1] == ("Tanh", "ReLU", "Sequential")


# ---- _apply and the conversions on it ----------------------------------------------


def test_apply_is_the_conversion_path_and_children_first():
    order = []

    class Rec(nn.Module):
        def __init__(self, name, child=None):
            super().__init__()
            self.name = name
            self.w = nn.Parameter(fastdl.ones(2))
            if child is not None:
                self.child = child

        def _apply(self, fn, recurse=True):
            out = super()._apply(fn, recurse)
            order.append(self.name)
            return out

    m = Rec("outer", Rec("inner"))
    w = m.w
    m.w.grad = fastdl.ones(2)
    assert m.double() is m
    assert order == ["inner", "outer"]
    assert m.w is w and w.dtype == fastdl.float64 and w.grad.dtype == fastdl.float64
    m.type(fastdl.float32)
    assert m.child.w.dtype == fastdl.float32
    m.type("fastdl.DoubleTensor")
    assert m.child.w.dtype == fastdl.float64
    seen = []
    m._apply(lambda t: seen.append(tuple(t.shape)) or t, recurse=False)
    assert seen == [(2,), (2,)]  # w and its grad, not the child's


def test_to_empty_share_memory_compile():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = m[0].weight
    assert m.to_empty(device="cpu") is m
    assert m[0].weight is w and tuple(w.shape) == (3, 2) and w.dtype == fastdl.float32
    assert tuple(m[1].running_mean.shape) == (3,)
    m2 = nn.Sequential(nn.Linear(2, 3))
    before = m2[0].weight.data_ptr()
    m2.to_empty(device="cpu", recurse=False)  # Sequential itself has no tensors
    assert m2[0].weight.data_ptr() == before
    assert m.share_memory() is m
    x = fastdl.ones(4, 2)
    ref = m(x)
    assert m.compile() is None and m.compile(mode="max-autotune") is None
    # (to_empty left the weights uninitialised, NaN possibly: the same NaNs both times)
    assert np.array_equal(m(x).detach().numpy(), ref.detach().numpy(), equal_nan=True)
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        m.compile(mode="fastest")


def test_call_super_init_and_class_attributes():
    with pytest.raises(TypeError, match="unexpected keyword argument 'a'"):
        nn.Module(a=1)
    with pytest.raises(TypeError, match="takes 1 positional argument but 2 were given"):
        nn.Module(1)

    class Base:
        def __init__(self, *args, **kwargs):
            self.got = (args, kwargs)

    class Mixed(nn.Module, Base):
        call_super_init = True

    m = Mixed(1, k=2)
    assert m.got == ((1,), {"k": 2}) and m.training
    assert nn.Module.dump_patches is False and nn.Module.call_super_init is False
    assert nn.Module.T_destination.__bound__ is not None
    assert nn.Module._version == 1
    assert isinstance(nn.Linear(1, 1)._non_persistent_buffers_set, set)


# ---- register_backward_hook (deprecated) ----------------------------------------------


def backward_hook_program(lib):
    tnn = lib.nn
    out = []

    class Mul(tnn.Module):
        def __init__(self):
            super().__init__()
            self.w = tnn.Parameter(lib.tensor([3.0, 4.0]))

        def forward(self, x):
            return x * self.w

    m = Mul()

    def hook(mod, grad_input, grad_output):
        out.append((type(mod).__name__, [None if g is None else g.tolist() for g in grad_input],
                    [g.tolist() for g in grad_output]))
        return (grad_input[0] * 2, grad_input[1])

    m.register_backward_hook(hook)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y = m(x)
    out.append(sorted({str(i.category.__name__) for i in w}))
    y.sum().backward()
    out.append((x.grad.tolist(), m.w.grad.tolist()))
    try:
        m.register_full_backward_hook(hook)
    except RuntimeError as e:
        out.append(str(e))
    return out


def test_register_backward_hook_matches_torch():
    torch = pytest.importorskip("torch")
    assert backward_hook_program(fastdl) == backward_hook_program(torch)


def test_register_backward_hook_exact():
    out = backward_hook_program(fastdl)
    assert out[0] == ["FutureWarning"]  # the leaf inputs' AccumulateGrad nodes: torch's multiple-nodes warning
    assert out[1] == ("Mul", [[3.0, 4.0], [1.0, 2.0]], [[1.0, 1.0]])
    assert out[2] == ([6.0, 8.0], [1.0, 2.0])  # the hook's replacement grad_input was used
    assert out[3].startswith("Cannot use both regular backward hooks and full backward hooks")
