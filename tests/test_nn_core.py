"""fastdl.nn modules: parity with torch.nn (weights copied across through state_dict,
outputs and gradients compared in float64), BatchNorm running statistics, the Module
API (parameter names and order, state_dict, load_state_dict errors, modes, repr),
containers, initialisation, gradient clipping, and a small end-to-end training run."""
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
from fastdl.nn.utils import clip_grad_norm_, clip_grad_value_

try:
    import torch
except ImportError:  # parity tests skip cleanly without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
# torch warns about the legacy size_average / reduce arguments that a parity case uses
pytestmark = pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated:UserWarning")


# ---- moving tensors and state between the libraries --------------------------------------

def to_torch_state(module):
    return OrderedDict((k, torch.from_numpy(np.array(v))) for k, v in module.state_dict().items())


def to_fastdl_state(tmodule):
    return OrderedDict((k, fastdl.tensor(v.detach().numpy())) for k, v in tmodule.state_dict().items())


def make_pair(ctor):
    """The same module in both libraries (float64), torch's carrying fastdl's weights."""
    ours = ctor(nn, lambda d: fastdl.tensor(d, dtype=fastdl.float64)).double()
    theirs = ctor(torch.nn, lambda d: torch.tensor(d, dtype=torch.float64)).double()
    theirs.load_state_dict(to_torch_state(ours))
    return ours, theirs


# ---- parity table ------------------------------------------------------------------------------

@dataclass
class ModCase:
    name: str
    ctor: Callable       # ctor(nn, T) with nn = fastdl.nn or torch.nn, T(data) -> float64 tensor
    inputs: Callable     # rng -> list of arrays; the first, if float, is differentiated
    train: bool = True


def R(rng, *shape):
    return rng.standard_normal(shape)


def _target(rng, C, *shape):
    return rng.integers(0, C, shape)


MOD_CASES = [
    ModCase("Linear", lambda nn, T: nn.Linear(4, 3), lambda g: [R(g, 5, 4)]),
    ModCase("Linear-nobias-3d", lambda nn, T: nn.Linear(4, 2, bias=False), lambda g: [R(g, 2, 3, 4)]),
    ModCase("Linear-batch1", lambda nn, T: nn.Linear(6, 1), lambda g: [R(g, 1, 6)]),
    ModCase("Identity", lambda nn, T: nn.Identity(3, unused=True), lambda g: [R(g, 2, 3)]),
    ModCase("ReLU", lambda nn, T: nn.ReLU(), lambda g: [R(g, 3, 4)]),
    ModCase("LeakyReLU", lambda nn, T: nn.LeakyReLU(0.2), lambda g: [R(g, 3, 4)]),
    ModCase("Tanh", lambda nn, T: nn.Tanh(), lambda g: [R(g, 3, 4)]),
    ModCase("Sigmoid", lambda nn, T: nn.Sigmoid(), lambda g: [R(g, 3, 4)]),
    ModCase("GELU", lambda nn, T: nn.GELU(), lambda g: [R(g, 3, 4)]),
    ModCase("GELU-tanh", lambda nn, T: nn.GELU(approximate="tanh"), lambda g: [R(g, 3, 4)]),
    ModCase("SiLU", lambda nn, T: nn.SiLU(), lambda g: [R(g, 3, 4)]),
    ModCase("ELU", lambda nn, T: nn.ELU(alpha=0.5), lambda g: [R(g, 3, 4)]),
    ModCase("Softplus", lambda nn, T: nn.Softplus(beta=2.0, threshold=1.0), lambda g: [R(g, 3, 4)]),
    ModCase("Softmax", lambda nn, T: nn.Softmax(dim=1), lambda g: [R(g, 3, 4, 2)]),
    ModCase("LogSoftmax", lambda nn, T: nn.LogSoftmax(dim=-1), lambda g: [R(g, 3, 4)]),
    ModCase("Dropout-eval", lambda nn, T: nn.Dropout(0.3), lambda g: [R(g, 3, 4)], train=False),
    ModCase("Dropout-p0", lambda nn, T: nn.Dropout(0.0), lambda g: [R(g, 3, 4)]),
    ModCase("Flatten", lambda nn, T: nn.Flatten(), lambda g: [R(g, 2, 3, 4)]),
    ModCase("Flatten-range", lambda nn, T: nn.Flatten(0, 1), lambda g: [R(g, 2, 3, 4)]),
    ModCase("Unflatten", lambda nn, T: nn.Unflatten(1, (2, 3)), lambda g: [R(g, 4, 6)]),
    ModCase("Embedding", lambda nn, T: nn.Embedding(10, 4, padding_idx=1),
            lambda g: [np.array([[1, 2, 3], [9, 1, 2]])]),
    ModCase("BatchNorm1d-train", lambda nn, T: nn.BatchNorm1d(3), lambda g: [R(g, 6, 3) * 2 + 1]),
    ModCase("BatchNorm1d-train-3d", lambda nn, T: nn.BatchNorm1d(3, momentum=None), lambda g: [R(g, 2, 3, 5)]),
    ModCase("BatchNorm1d-eval", lambda nn, T: nn.BatchNorm1d(3), lambda g: [R(g, 4, 3)], train=False),
    ModCase("BatchNorm1d-noaffine", lambda nn, T: nn.BatchNorm1d(3, affine=False), lambda g: [R(g, 4, 3)]),
    ModCase("BatchNorm2d-train", lambda nn, T: nn.BatchNorm2d(2, eps=1e-3, momentum=0.5), lambda g: [R(g, 3, 2, 4, 4)]),
    ModCase("BatchNorm2d-eval-batch1", lambda nn, T: nn.BatchNorm2d(2), lambda g: [R(g, 1, 2, 3, 3)], train=False),
    ModCase("BatchNorm2d-untracked-eval", lambda nn, T: nn.BatchNorm2d(2, track_running_stats=False),
            lambda g: [R(g, 2, 2, 3, 3)], train=False),
    ModCase("BatchNorm1d-nobias", lambda nn, T: nn.BatchNorm1d(3, bias=False), lambda g: [R(g, 5, 3)]),
    ModCase("LayerNorm", lambda nn, T: nn.LayerNorm((3, 4)), lambda g: [R(g, 2, 3, 4)]),
    ModCase("LayerNorm-int-noaffine", lambda nn, T: nn.LayerNorm(5, elementwise_affine=False), lambda g: [R(g, 3, 5)]),
    ModCase("LayerNorm-nobias", lambda nn, T: nn.LayerNorm(4, bias=False), lambda g: [R(g, 1, 4)]),
    ModCase("Sequential-MLP", lambda nn, T: nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                                          nn.Linear(8, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 2)),
            lambda g: [R(g, 7, 5)]),
    ModCase("Sequential-inplace-activations",
            lambda nn, T: nn.Sequential(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 4),
                                        nn.LeakyReLU(0.1, inplace=True), nn.Linear(4, 4), nn.ELU(inplace=True),
                                        nn.Linear(4, 4), nn.SiLU(inplace=True), nn.Dropout(0.0, inplace=True)),
            lambda g: [R(g, 5, 3)]),
    ModCase("CrossEntropyLoss", lambda nn, T: nn.CrossEntropyLoss(), lambda g: [R(g, 5, 4), _target(g, 4, 5)]),
    ModCase("CrossEntropyLoss-args",
            lambda nn, T: nn.CrossEntropyLoss(weight=T([1.0, 2.0, 0.5, 1.5]), ignore_index=0, label_smoothing=0.1),
            lambda g: [R(g, 6, 4), np.array([0, 1, 2, 3, 0, 2])]),
    ModCase("MSELoss-sum", lambda nn, T: nn.MSELoss(reduction="sum"), lambda g: [R(g, 3, 4), R(g, 3, 4)]),
    ModCase("NLLLoss", lambda nn, T: nn.NLLLoss(weight=T([0.5, 1.0, 2.0]), reduction="sum"),
            lambda g: [R(g, 4, 3), _target(g, 3, 4)]),
    ModCase("BCELoss", lambda nn, T: nn.BCELoss(weight=T([1.0, 2.0, 3.0])),
            lambda g: [g.uniform(0.05, 0.95, (4, 3)), g.uniform(0, 1, (4, 3))]),
    ModCase("BCEWithLogitsLoss", lambda nn, T: nn.BCEWithLogitsLoss(pos_weight=T([1.0, 3.0])),
            lambda g: [R(g, 5, 2), g.uniform(0, 1, (5, 2))]),
    ModCase("KLDivLoss", lambda nn, T: nn.KLDivLoss(reduction="batchmean", log_target=True),
            lambda g: [R(g, 3, 4), R(g, 3, 4)]),
    ModCase("SmoothL1Loss", lambda nn, T: nn.SmoothL1Loss(beta=0.5), lambda g: [R(g, 3, 4), R(g, 3, 4)]),
    ModCase("L1Loss-legacy-reduce", lambda nn, T: nn.L1Loss(reduce=False), lambda g: [R(g, 3, 4), R(g, 3, 4)]),
    ModCase("L1Loss-legacy-size_average", lambda nn, T: nn.L1Loss(size_average=False), lambda g: [R(g, 2, 4), R(g, 2, 4)]),
]


@needs_torch
@pytest.mark.parametrize("case", MOD_CASES, ids=[c.name for c in MOD_CASES])
def test_module_matches_torch(case):
    ours, theirs = make_pair(case.ctor)
    ours.train(case.train)
    theirs.train(case.train)
    arrays = case.inputs(np.random.default_rng(sum(map(ord, case.name))))
    floats = [a.dtype.kind == "f" for a in arrays]
    xs = [fastdl.tensor(a, dtype=fastdl.float64, requires_grad=(i == 0)) if f else fastdl.tensor(a)
          for i, (a, f) in enumerate(zip(arrays, floats))]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=(i == 0)) if f else torch.tensor(a)
          for i, (a, f) in enumerate(zip(arrays, floats))]
    out, ref = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    w = np.random.default_rng(1).standard_normal(tuple(out.shape))
    (out * fastdl.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    if floats[0]:
        np.testing.assert_allclose(xs[0].grad.numpy(), ts[0].grad.numpy(), rtol=1e-9, atol=1e-12)
    tparams = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(tparams)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    # buffers after the step: running statistics, num_batches_tracked
    theirs_state = theirs.state_dict()
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(np.array(v), theirs_state[k].numpy(), rtol=1e-12, atol=1e-15, err_msg=k)


@needs_torch
@pytest.mark.parametrize("ctor,shape", [(lambda nn: nn.BatchNorm1d(4), (16, 4)),
                                        (lambda nn: nn.BatchNorm1d(4, momentum=None), (8, 4, 3)),
                                        (lambda nn: nn.BatchNorm2d(3, momentum=0.3), (4, 3, 5, 5))])
def test_batchnorm_running_stats_follow_torch_over_training_steps(ctor, shape):
    ours, theirs = ctor(nn).double(), ctor(torch.nn).double()
    rng = np.random.default_rng(0)
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        ours(fastdl.tensor(x)).sum().backward()
        theirs(torch.tensor(x)).sum().backward()
        with fastdl.no_grad():  # a plain SGD step, the same on both sides
            for p in ours.parameters():
                p.sub_(p.grad * 0.1)
        with torch.no_grad():
            for p in theirs.parameters():
                p.sub_(p.grad * 0.1)
        ours.zero_grad()
        theirs.zero_grad()
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(np.array(ours.state_dict()[k]), v.numpy(), rtol=1e-12, err_msg=k)
    assert int(ours.num_batches_tracked) == 4
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(ours(fastdl.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


# ---- the Module API ----------------------------------------------------------------------------

def small_model(nn):
    return nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(4, 6)), ("bn", nn.BatchNorm1d(6)), ("act", nn.ReLU()),
        ("block", nn.Sequential(nn.Linear(6, 6), nn.LayerNorm(6), nn.Dropout(0.1))), ("head", nn.Linear(6, 3))]))


@needs_torch
def test_names_order_and_state_dict_keys_match_torch():
    ours, theirs = small_model(nn), small_model(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]


@needs_torch
def test_state_dict_round_trip_from_torch():
    ours, theirs = small_model(nn).double(), small_model(torch.nn).double()
    theirs.train()
    theirs(torch.randn(5, 4, dtype=torch.float64))  # non-trivial running stats
    result = ours.load_state_dict(to_fastdl_state(theirs))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert int(ours.bn.num_batches_tracked) == 1
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(ours(fastdl.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


@needs_torch
def test_load_state_dict_errors_and_non_strict_match_torch():
    ours, theirs = small_model(nn), small_model(torch.nn)
    state, tstate = ours.state_dict(), theirs.state_dict()
    for d in (state, tstate):
        del d["head.bias"]
        d["extra.weight"] = d["fc1.weight"]
    for model, d in ((ours, state), (theirs, tstate)):
        with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "head.bias"'):
            model.load_state_dict(d)
        with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra.weight"'):
            model.load_state_dict(d)
    r, tr = ours.load_state_dict(state, strict=False), theirs.load_state_dict(tstate, strict=False)
    assert (r.missing_keys, r.unexpected_keys) == (tr.missing_keys, tr.unexpected_keys)
    # a size mismatch is an error even when not strict
    bad, tbad = ours.state_dict(), theirs.state_dict()
    bad["fc1.bias"], tbad["fc1.bias"] = fastdl.zeros(5), torch.zeros(5)
    for model, d in ((ours, bad), (theirs, tbad)):
        with pytest.raises(RuntimeError, match="size mismatch for fc1.bias"):
            model.load_state_dict(d, strict=False)


def test_load_state_dict_copies_values_in_place():
    m = nn.Linear(3, 2)
    w = m.weight
    m.load_state_dict({"weight": fastdl.ones(2, 3), "bias": fastdl.zeros(2)})
    assert m.weight is w and m.weight.tolist() == [[1.0] * 3] * 2 and m.weight.requires_grad


def test_train_eval_propagate_and_switch_dropout_and_batchnorm():
    model = small_model(nn)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    x = fastdl.randn(4, 4)
    before = model.bn.running_mean.tolist()
    y1, y2 = model(x), model(x)
    np.testing.assert_array_equal(y1.detach().numpy(), y2.detach().numpy())  # no dropout, fixed statistics
    assert model.bn.running_mean.tolist() == before
    model.train()
    assert all(m.training for m in model.modules())
    model(x)
    assert model.bn.running_mean.tolist() != before
    with pytest.raises(ValueError, match="train: mode is expected to be a bool"):
        model.train("no")


def test_train_calls_each_childs_train():
    class FrozenNorm(nn.BatchNorm1d):
        def train(self, mode=True):  # a common pattern: keep the statistics frozen
            return super().train(False)

    model = nn.Sequential(nn.Linear(2, 3), FrozenNorm(3))
    model.train()
    assert model.training and model[0].training and not model[1].training


def test_zero_grad_and_requires_grad():
    model = small_model(nn)
    model(fastdl.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.fc1.requires_grad_(False)
    assert not any(p.requires_grad for p in model.fc1.parameters())
    model(fastdl.randn(5, 4)).sum().backward()
    assert model.fc1.weight.grad is None and model.head.weight.grad is not None
    assert model.requires_grad_() is model
    assert all(p.requires_grad for p in model.parameters())


@needs_torch
def test_reassigning_a_parameter_keeps_its_position():
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ours.weight = nn.Parameter(fastdl.zeros(2, 2))
    theirs.weight = torch.nn.Parameter(torch.zeros(2, 2))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]
    seq, tseq = nn.Sequential(nn.ReLU(), nn.Tanh()), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Tanh())
    seq[0], tseq[0] = nn.Sigmoid(), torch.nn.Sigmoid()
    assert repr(seq) == repr(tseq)


def _reprs_cases(nn):
    return [
        nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Dropout(), nn.BatchNorm1d(3), nn.LayerNorm(3)),
        small_model(nn),
        nn.Sequential(nn.Flatten(), nn.Unflatten(1, (2, 5)), nn.Embedding(10, 3, padding_idx=0), nn.Identity(),
                      nn.ReLU(inplace=True), nn.LeakyReLU(), nn.LeakyReLU(0.2, inplace=True), nn.GELU("tanh"),
                      nn.SiLU(), nn.ELU(), nn.Softplus(), nn.Softmax(dim=1), nn.LogSoftmax(), nn.Tanh(),
                      nn.Sigmoid(), nn.BatchNorm2d(4, affine=False, track_running_stats=False, momentum=None),
                      nn.LayerNorm([2, 3], elementwise_affine=False), nn.Linear(2, 2, bias=False)),
        nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.Sequential(nn.Tanh(), nn.Tanh())]),
        nn.ModuleList(),
        nn.ModuleDict({"a": nn.ReLU(), "b": nn.Sequential(nn.Linear(1, 1))}),
        nn.Sequential(nn.CrossEntropyLoss(), nn.MSELoss(), nn.NLLLoss(), nn.BCELoss(), nn.BCEWithLogitsLoss(),
                      nn.KLDivLoss(), nn.SmoothL1Loss(), nn.L1Loss()),
    ]


@needs_torch
def test_repr_matches_torch():
    for ours, theirs in zip(_reprs_cases(nn), _reprs_cases(torch.nn)):
        assert repr(ours) == repr(theirs)


# ---- containers -------------------------------------------------------------------------------

@needs_torch
def test_sequential_container_api_matches_torch():
    def build(nn):
        s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4))
        s.append(nn.Tanh())
        s.insert(1, nn.Sigmoid())
        s.insert(-1, nn.GELU())
        popped = s.pop(0)
        del s[-2]
        tail = s[1:]
        return s, popped, tail

    (s, popped, tail), (ts, tpopped, ttail) = build(nn), build(torch.nn)
    assert repr(s) == repr(ts) and repr(popped) == repr(tpopped) and repr(tail) == repr(ttail)
    assert len(s) == len(ts) == 4
    assert [type(m).__name__ for m in s] == [type(m).__name__ for m in ts]
    assert isinstance(tail, nn.Sequential) and s[-1] is list(s)[-1] and s[1] is tail[0]
    named = nn.Sequential(OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert [n for n, _ in named.named_children()] == ["enc", "act"] and named[0] is named.enc
    assert list(named[1:]._modules) == ["act"]
    with pytest.raises(IndexError, match="Sequential: index 5 is out of range"):
        s[5]
    with pytest.raises(TypeError, match="Sequential: int is not a Module subclass"):
        s.append(3)


def test_sequential_forward_chains_modules():
    s = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    x = fastdl.randn(2, 3)
    np.testing.assert_array_equal(s(x).detach().numpy(), s[1](s[0](x)).detach().numpy())
    assert nn.Sequential()(x) is x


@needs_torch
def test_module_list_and_dict_api_match_torch():
    def build(nn):
        ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
        ml.append(nn.Tanh())
        ml.extend([nn.Sigmoid(), nn.GELU()])
        ml.insert(1, nn.SiLU())
        ml += [nn.ELU()]
        del ml[0]
        ml[0] = nn.Softplus()
        md = nn.ModuleDict({"x": nn.ReLU()})
        md["y"] = nn.Linear(2, 2)
        md.update([("z", nn.Tanh())])
        popped = md.pop("x")
        return ml, ml[1:3], md, popped

    ours, theirs = build(nn), build(torch.nn)
    for a, b in zip(ours, theirs):
        assert repr(a) == repr(b)
    ml, _, md, _ = ours
    assert len(ml) == 6 and [type(m).__name__ for m in ml][:2] == ["Softplus", "ReLU"]
    assert list(md) == list(md.keys()) == ["y", "z"] and "y" in md and len(md) == 2
    model = nn.Module()
    model.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    assert [n for n, _ in model.named_parameters()] == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                                                         "layers.1.bias"]


# ---- initialisation ------------------------------------------------------------------------

def test_linear_init_follows_pytorch_bounds():
    fastdl.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) on fan_in 400
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound and abs(w.mean()) < 0.01 * bound
    fastdl.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.detach().numpy(), w)  # seeded
    assert nn.Linear(3, 2, dtype=fastdl.float64).weight.dtype is fastdl.float64


def test_embedding_init_and_from_pretrained():
    fastdl.manual_seed(0)
    e = nn.Embedding(500, 40, padding_idx=3)
    w = e.weight.detach().numpy()
    assert not w[3].any()
    rest = np.delete(w, 3, axis=0)
    assert abs(rest.mean()) < 0.02 and abs(rest.std() - 1) < 0.02
    pre = nn.Embedding.from_pretrained(fastdl.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert not pre.weight.requires_grad and pre(fastdl.tensor([1])).tolist() == [[3.0, 4.0]]
    assert repr(nn.Embedding(5, 2, padding_idx=-1)) == "Embedding(5, 2, padding_idx=4)"


def test_module_constructor_errors():
    with pytest.raises(ValueError, match="Dropout: probability has to be between 0 and 1"):
        nn.Dropout(1.2)
    with pytest.raises(ValueError, match="Embedding: padding_idx must be within num_embeddings"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(fastdl.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4D input \(got 2D input\)"):
        nn.BatchNorm2d(3)(fastdl.randn(2, 3))
    with pytest.raises(ValueError, match="linear: input .* has 5 features but weight"):
        nn.Linear(4, 2)(fastdl.randn(3, 5))


# ---- gradient clipping ------------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("norm_type,max_norm", [(2.0, 1.0), (1, 0.5), (math.inf, 0.3), (3.0, 100.0)])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = make_pair(lambda nn, T: nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2)))
    x = np.random.default_rng(0).standard_normal((6, 4))
    ours(fastdl.tensor(x)).pow(2).sum().backward()
    theirs(torch.tensor(x)).pow(2).sum().backward()
    total = clip_grad_norm_(ours.parameters(), max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm, norm_type=norm_type)
    np.testing.assert_allclose(float(total), float(ttotal), rtol=1e-12)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12, atol=1e-15)


@needs_torch
def test_clip_grad_value_and_single_tensor_match_torch():
    g = np.random.default_rng(1).standard_normal((3, 4)) * 3
    p, tp = fastdl.zeros(3, 4, dtype=fastdl.float64, requires_grad=True), torch.zeros(3, 4, dtype=torch.float64,
                                                                                     requires_grad=True)
    p.grad, tp.grad = fastdl.tensor(g), torch.tensor(g)
    clip_grad_value_(p, 1.5)
    torch.nn.utils.clip_grad_value_(tp, 1.5)
    np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())
    total = clip_grad_norm_(p, 0.1)
    np.testing.assert_allclose(float(total), float(torch.nn.utils.clip_grad_norm_(tp, 0.1)), rtol=1e-12)
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_edge_cases():
    assert float(clip_grad_norm_([nn.Parameter(fastdl.zeros(2))], 1.0)) == 0.0  # no gradients at all
    p = nn.Parameter(fastdl.zeros(2, dtype=fastdl.float64))
    p.grad = fastdl.tensor([float("inf"), 1.0], dtype=fastdl.float64)
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 for gradients is non-finite"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_fused_path_matches_float64_reference():
    # float32 contiguous grads take the one-call sum_squares_multi kernel; a transposed
    # (non-contiguous) or mixed-dtype list takes the per-gradient ops: same norm either way
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(7, 5), (5,), (3, 9), (1,)]]
    want = math.sqrt(sum(float((a.astype(np.float64) ** 2).sum()) for a in arrays))
    for layout in ("contiguous", "transposed", "mixed"):
        params = [nn.Parameter(fastdl.zeros(*a.shape)) for a in arrays]
        for p, a in zip(params, arrays):
            p.grad = fastdl.tensor(a)
        if layout == "transposed":
            params[0].grad = fastdl.tensor(np.ascontiguousarray(arrays[0].T)).t()
        if layout == "mixed":
            params[1].grad = fastdl.tensor(arrays[1].astype(np.float64))
        total = clip_grad_norm_(params, 0.5)
        assert total.dtype == fastdl.float32
        np.testing.assert_allclose(float(total), want, rtol=1e-6)
        for p, a in zip(params, arrays):
            np.testing.assert_allclose(p.grad.numpy(), a * (0.5 / (want + 1e-6)), rtol=1e-5, atol=1e-7)
    p = nn.Parameter(fastdl.zeros(3))
    p.grad = fastdl.tensor([1.0, float("nan"), 2.0])
    assert math.isnan(float(clip_grad_norm_(p, 1.0)))
    assert np.isnan(p.grad.numpy()).all()  # as torch: the NaN coefficient reaches every gradient


def test_sum_squares_multi_kernel():
    from fastdl import _C
    a, b = fastdl.randn(4, 6), fastdl.randn(11, dtype=fastdl.float64)
    want = float((a.numpy().astype(np.float64) ** 2).sum() + (b.numpy() ** 2).sum())
    np.testing.assert_allclose(_C.cpu.sum_squares_multi([a, b, fastdl.zeros(0)]), want, rtol=1e-12)
    assert _C.cpu.sum_squares_multi([]) == 0.0
    with pytest.raises(ValueError, match=r"sum_squares_multi: expected contiguous tensors, got float32\[6, 4\]"):
        _C.cpu.sum_squares_multi([a.t()])
    with pytest.raises(TypeError, match="sum_squares_multi"):
        _C.cpu.sum_squares_multi([fastdl.zeros(3, dtype=fastdl.int64)])


# ---- end to end ------------------------------------------------------------------------------

def test_mlp_with_batchnorm_and_dropout_learns_digits():
    pytest.importorskip("sklearn", reason="scikit-learn provides the digits data")
    from fastdl.data import load_digits
    t0 = time.perf_counter()
    xtr, ytr, xte, yte = load_digits(seed=0)
    Xtr, Ytr, Xte, Yte = (fastdl.tensor(a) for a in (xtr, ytr, xte, yte))
    fastdl.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 10))
    loss_fn = nn.CrossEntropyLoss()
    n, batch, lr = len(ytr), 64, 0.1
    for epoch in range(6):
        model.train()
        perm = fastdl.randperm(n)
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            if len(idx) < 2:
                continue  # BatchNorm needs more than one sample per channel
            loss = loss_fn(model(Xtr[idx]), Ytr[idx])
            model.zero_grad()
            loss.backward()
            with fastdl.no_grad():
                for p in model.parameters():
                    p.sub_(p.grad * lr)
    model.eval()
    with fastdl.no_grad():
        accuracy = float((model(Xte).argmax(dim=1) == Yte).float().mean())
    assert accuracy > 0.9, accuracy  # chance is 0.1
    assert time.perf_counter() - t0 < 20
