"""nn.Module mirrors its parameters, buffers and children in the instance __dict__, so
that self.weight is a plain attribute read (nn/module.py _set_member). The mirror must
never go stale: after every kind of write, each stored name reads back as the store's
object, and no name outside the stores keeps a mirror."""
from collections import OrderedDict

import pytest

import fastdl
from fastdl import nn

STORES = ("_parameters", "_buffers", "_modules")


def assert_mirrors_consistent(module):
    for m in module.modules():
        stored = {}
        for store in STORES:
            stored.update(getattr(m, store))
        for name, value in stored.items():
            assert getattr(m, name) is value, (type(m).__name__, name)
            assert m.__dict__.get(name, value) is value
        for name in m.__dict__:
            if name in ("training", "_non_persistent") + STORES:
                continue
            assert name in stored or not isinstance(m.__dict__[name], (fastdl.Tensor, nn.Module)) \
                or name in type(m).__dict__.get("__annotations__", {}), (type(m).__name__, name)


def test_assign_replace_and_delete_members():
    m = nn.Module()
    m.w = nn.Parameter(fastdl.ones(2))
    m.register_buffer("b", fastdl.zeros(3))
    m.child = nn.Linear(2, 2)
    assert_mirrors_consistent(m)
    m.w = nn.Parameter(fastdl.zeros(2))         # replaced in place (same position)
    m.w = None
    m.b = fastdl.ones(3)
    m.child = None
    assert_mirrors_consistent(m)
    assert m.w is None and m.child is None and list(m._parameters) == ["w"]
    m.child = nn.Parameter(fastdl.ones(1))      # a name moves from one store to another
    assert_mirrors_consistent(m)
    assert "child" not in m._modules and m.child is m._parameters["child"]
    del m.child, m.b
    assert_mirrors_consistent(m)
    with pytest.raises(AttributeError):
        m.child
    with pytest.raises(AttributeError):
        m.b
    m.register_parameter("p", None)
    m.add_module("sub", nn.ReLU())
    assert_mirrors_consistent(m)


def test_containers_renumber_and_delete():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    del seq[0]
    seq.insert(1, nn.Tanh())
    seq.append(nn.Sigmoid())
    seq[0] = nn.Identity() if hasattr(nn, "Identity") else nn.ReLU()
    assert_mirrors_consistent(seq)
    assert [type(x).__name__ for x in seq][1:] == ["Tanh", "Linear", "Sigmoid"]
    assert not hasattr(seq, "4") and getattr(seq, "3") is seq[3]
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
    del ml[0:2]
    ml.insert(0, nn.Linear(1, 1))
    assert_mirrors_consistent(ml)
    assert len(ml) == 2 and not hasattr(ml, "2")
    md = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    del md["a"]
    assert_mirrors_consistent(md)
    assert not hasattr(md, "a") and md.b is md["b"]
    with pytest.raises(KeyError):
        del md["a"]
    md.clear()
    assert_mirrors_consistent(md)
    assert not hasattr(md, "b") and len(md) == 0


def test_to_and_state_dict_keep_mirrors():
    net = nn.Sequential(OrderedDict(fc=nn.Linear(4, 3), bn=nn.BatchNorm1d(3)))
    net.double()
    assert_mirrors_consistent(net)
    assert net.fc.weight.dtype is fastdl.float64 and net.bn.running_mean.dtype is fastdl.float64
    other = nn.Sequential(OrderedDict(fc=nn.Linear(4, 3), bn=nn.BatchNorm1d(3))).double()
    other.load_state_dict(net.state_dict())
    assert_mirrors_consistent(other)
    assert (other.fc.weight == net.fc.weight).all()
