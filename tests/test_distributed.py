"""fastdl.distributed (one process: rank 0 of world_size 1) and nn.parallel's
DistributedDataParallel: each call's world-1 result and argument errors, errors before
init_process_group, torch parity against a real one-process gloo group, and a DDP
training step equal to the plain module's."""
import os
import pickle
import socket
import subprocess
import sys
import warnings
from datetime import timedelta

import numpy as np
import pytest

import fastdl
import fastdl.distributed as dist
from fastdl import nn

URL = "tcp://127.0.0.1:29500"  # fastdl opens no socket: one process has nobody to meet


@pytest.fixture
def pg():
    dist.init_process_group("gloo", init_method=URL, rank=0, world_size=1)
    try:
        yield dist.group.WORLD
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


@pytest.fixture
def tdist():
    """torch.distributed with a one-process gloo group on localhost (destroyed after)."""
    torch = pytest.importorskip("torch")
    import torch.distributed as td
    if not td.is_available():
        pytest.skip("torch built without distributed")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        td.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    try:
        yield torch, td
    finally:
        td.destroy_process_group()


def t(values, dtype=None):
    return fastdl.tensor(values, dtype=dtype)


# ---- before init_process_group ----

BEFORE_INIT = {
    "get_rank": lambda: dist.get_rank(),
    "get_world_size": lambda: dist.get_world_size(),
    "get_backend": lambda: dist.get_backend(),
    "new_group": lambda: dist.new_group(),
    "barrier": lambda: dist.barrier(),
    "monitored_barrier": lambda: dist.monitored_barrier(),
    "all_reduce": lambda: dist.all_reduce(t([1.0])),
    "reduce": lambda: dist.reduce(t([1.0]), 0),
    "broadcast": lambda: dist.broadcast(t([1.0]), 0),
    "all_gather": lambda: dist.all_gather([t([0.0])], t([1.0])),
    "all_gather_into_tensor": lambda: dist.all_gather_into_tensor(t([0.0]), t([1.0])),
    "all_gather_object": lambda: dist.all_gather_object([None], 1),
    "broadcast_object_list": lambda: dist.broadcast_object_list([1], 0),
    "gather": lambda: dist.gather(t([1.0]), [t([0.0])], 0),
    "scatter": lambda: dist.scatter(t([0.0]), [t([1.0])], 0),
    "reduce_scatter": lambda: dist.reduce_scatter(t([0.0]), [t([1.0])]),
    "reduce_scatter_tensor": lambda: dist.reduce_scatter_tensor(t([0.0]), t([1.0])),
    "all_to_all": lambda: dist.all_to_all([t([0.0])], [t([1.0])]),
    "all_to_all_single": lambda: dist.all_to_all_single(t([0.0]), t([1.0])),
    "send": lambda: dist.send(t([1.0]), 0),
    "recv": lambda: dist.recv(t([1.0]), 0),
    "isend": lambda: dist.isend(t([1.0]), 0),
    "irecv": lambda: dist.irecv(t([1.0]), 0),
    "DistributedDataParallel": lambda: nn.parallel.DistributedDataParallel(nn.Linear(2, 2)),
    "DistributedSampler": lambda: fastdl.data.DistributedSampler(list(range(4))),
}


@pytest.mark.parametrize("name", sorted(BEFORE_INIT))
def test_every_call_before_init_raises_torchs_error(name):
    assert not dist.is_initialized() and dist.group.WORLD is None
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        BEFORE_INIT[name]()
    with pytest.raises(ValueError, match="Default process group has not been initialized"):  # torch's type
        BEFORE_INIT[name]()


def test_torch_raises_the_same_before_init():
    torch = pytest.importorskip("torch")
    import torch.distributed as td
    assert not td.is_initialized()
    for call in (td.get_rank, td.barrier, lambda: td.all_reduce(torch.ones(1)),
                 lambda: td.all_gather([torch.zeros(1)], torch.ones(1))):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            call()


# ---- init_process_group, groups, queries ----

@pytest.mark.parametrize("backend,config", [("gloo", "cpu:gloo,cuda:gloo"), ("nccl", "cuda:nccl"),
                                            ("GLOO", "cpu:gloo,cuda:gloo"), ("cpu:gloo,cuda:nccl",
                                                                             "cpu:gloo,cuda:nccl")])
def test_init_backends_and_queries(backend, config):
    assert dist.is_available() and not dist.is_initialized()
    dist.init_process_group(backend, init_method=URL, rank=0, world_size=1)
    try:
        assert dist.is_initialized() and dist.group.WORLD is not None
        assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
        assert dist.get_backend() == backend.lower() and dist.get_backend_config() == config
        assert dist.get_world_size(dist.group.WORLD) == 1 and dist.get_process_group_ranks(dist.group.WORLD) == [0]
        with pytest.raises(ValueError, match="twice"):
            dist.init_process_group(backend, init_method=URL, rank=0, world_size=1)
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized() and dist.group.WORLD is None
    with pytest.raises(ValueError, match="Process group cannot be None"):
        dist.destroy_process_group()


def test_init_env_reads_rank_world_size_master(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match="env:// rendezvous: environment variable RANK expected"):
        dist.init_process_group("gloo")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(ValueError, match="MASTER_ADDR"):
        dist.init_process_group("gloo")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29501")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(RuntimeError, match="world_size=2"):
        dist.init_process_group("nccl")
    monkeypatch.setenv("WORLD_SIZE", "1")
    dist.init_process_group()  # env:// and no backend: torch's "undefined"
    try:
        assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "undefined")
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(init_method=URL, rank=0, world_size=4), RuntimeError, "world_size=4"),
    (dict(init_method=URL, rank=1, world_size=1), RuntimeError, "rank=1"),
    (dict(init_method="tcp://127.0.0.1:29500?rank=0&world_size=8"), RuntimeError, "world_size=8"),
    (dict(init_method="foo://x", rank=0, world_size=1), RuntimeError, "No rendezvous handler for foo://"),
    (dict(init_method="tcp://127.0.0.1", rank=0, world_size=1), ValueError, "port number missing"),
    (dict(init_method=URL, world_size=1), ValueError, "rank parameter missing"),
    (dict(init_method="file:///tmp/x", rank=0), ValueError, "world size parameter missing"),
    (dict(init_method=URL, rank=0, world_size=1, timeout=5), TypeError, "timedelta"),
    (dict(init_method=URL, store=dist.HashStore(), rank=0, world_size=1), ValueError, "both init_method and store"),
    (dict(store=dist.HashStore(), rank=0), ValueError, "world_size must be positive"),
    (dict(backend="foo", init_method=URL, rank=0, world_size=1), ValueError, "Unknown backend type foo"),
])
def test_init_errors(kwargs, exc, match):
    kwargs.setdefault("backend", "gloo")
    with pytest.raises(exc, match=match):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_init_with_store_file_and_mpi():
    store = dist.HashStore()
    dist.init_process_group("gloo", store=store, rank=0, world_size=1, timeout=timedelta(seconds=5))
    dist.destroy_process_group()
    dist.init_process_group("gloo", init_method="file:///tmp/fastdl_dist_rdzv?rank=0&world_size=1")
    dist.destroy_process_group()
    with pytest.warns(UserWarning, match="ignored"):
        dist.init_process_group("mpi", world_size=1, rank=0)
    assert dist.get_backend() == "mpi" and dist.get_world_size() == 1
    dist.destroy_process_group()
    store.set("k", "v")
    assert store.get("k") == b"v" and store.add("n", 3) == 3 and store.add("n", 2) == 5 and store.num_keys() == 2
    with pytest.raises(RuntimeError, match="not set"):
        store.get("missing")


def test_backend_and_reduce_op_names():
    assert dist.Backend("GLOO") == dist.Backend.GLOO == "gloo" and dist.Backend.NCCL == "nccl"
    assert dist.Backend.MPI == "mpi" and "gloo" in dist.Backend.backend_list
    with pytest.raises(ValueError, match="string"):
        dist.Backend(3)
    for name in ("SUM", "PRODUCT", "MIN", "MAX", "AVG", "BAND", "BOR", "BXOR", "PREMUL_SUM"):
        assert getattr(dist.ReduceOp, name).name == name
    assert dist.ReduceOp(dist.ReduceOp.MAX) == dist.ReduceOp.MAX and dist.ReduceOp.SUM != dist.ReduceOp.AVG


def test_new_group(pg):
    for ranks in (None, [], [0]):
        g = dist.new_group(ranks)
        assert dist.get_rank(g) == 0 and dist.get_world_size(g) == 1 and dist.get_backend(g) == "gloo"
        x = t([1.0, 2.0])
        dist.all_reduce(x, group=g)
        np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    assert dist.get_backend(dist.new_group(backend="nccl")) == "nccl"
    assert dist.get_global_rank(g, 0) == 0 and dist.get_group_rank(g, 0) == 0
    with pytest.raises(ValueError, match=r"Rank 1 is out of range.*world_size=1"):
        dist.new_group([1])
    with pytest.raises(ValueError, match="duplicate"):
        dist.new_group([0, 0])
    with pytest.raises(ValueError, match="not initialized in the world group map"):
        dist.all_reduce(t([1.0]), group=3)
    dist.destroy_process_group(g)
    with pytest.raises(ValueError, match="not initialized in the world group map"):
        dist.get_rank(g)


# ---- collectives: world-1 values ----

ALL_OPS = ["SUM", "AVG", "PRODUCT", "MIN", "MAX"]


@pytest.mark.parametrize("op", ALL_OPS)
def test_all_reduce_float_ops_leave_one_rank_value(pg, op):
    x = t([[1.5, -2.0], [3.0, 0.25]])
    assert dist.all_reduce(x, op=getattr(dist.ReduceOp, op)) is None
    np.testing.assert_array_equal(x.numpy(), [[1.5, -2.0], [3.0, 0.25]])
    y = t([1.0, 2.0])
    dist.reduce(y, 0, op=getattr(dist.ReduceOp, op))
    np.testing.assert_array_equal(y.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("op", ["SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"])
def test_all_reduce_integral_ops(pg, op):
    x = t([5, 6, -7])
    dist.all_reduce(x, op=getattr(dist.ReduceOp, op))
    assert x.dtype == fastdl.int64 and x.tolist() == [5, 6, -7]
    b = t([True, False])
    dist.all_reduce(b, op=getattr(dist.ReduceOp, op))
    assert b.tolist() == [True, False]


def test_all_reduce_premul_async_and_grad_leaf(pg):
    x = t([1.0, -3.0])
    work = dist.all_reduce(x, op=dist._make_nccl_premul_sum(2.5), async_op=True)
    np.testing.assert_array_equal(x.numpy(), [2.5, -7.5])
    assert work.wait() is True and work.is_completed() and work.is_success() and work.exception() is None
    assert work.result()[0] is x and work.get_future().wait()[0] is x
    p = fastdl.ones(3, requires_grad=True)  # torch's collectives write leaves without autograd
    dist.all_reduce(p, op=dist.ReduceOp.AVG)
    assert p.requires_grad and p.grad_fn is None
    xs = [t([1.0]), t([2.0])]
    dist.all_reduce_coalesced(xs, op=dist._make_nccl_premul_sum(3.0))
    assert [v.item() for v in xs] == [3.0, 6.0]


@pytest.mark.parametrize("call,exc,match", [
    (lambda: dist.all_reduce(t([1.0]), op=dist.ReduceOp.BAND), RuntimeError, "BAND with non-integral dtype"),
    (lambda: dist.all_reduce(t([1.0]), op=dist.ReduceOp.BXOR), RuntimeError, "BXOR with non-integral"),
    (lambda: dist.all_reduce(t([3]), op=dist.ReduceOp.AVG), RuntimeError, "can't be cast"),
    (lambda: dist.all_reduce(t([True]), op=dist.ReduceOp.AVG), RuntimeError, "can't be cast"),
    (lambda: dist.all_reduce(t([1.0]), op=dist.ReduceOp.PREMUL_SUM), RuntimeError, "PREMUL_SUM needs a factor"),
    (lambda: dist.all_reduce(t([1]), op=dist._make_nccl_premul_sum(2.0)), RuntimeError, "floating-point"),
    (lambda: dist.all_reduce(t([1.0]), op="sum"), TypeError, "op must be a ReduceOp"),
    (lambda: dist.all_reduce([t([1.0])]), TypeError, "Expected parameter `tensor`"),
    (lambda: dist.all_reduce(3), TypeError, "Expected parameter `tensor`"),
    (lambda: dist.reduce(t([1.0]), 1), RuntimeError, "invalid root rank"),
    (lambda: dist.reduce(t([1.0]), -1), RuntimeError, "invalid root rank"),
    (lambda: dist.reduce(t([1.0])), ValueError, "Must specify global_rank or group_rank"),
    (lambda: dist.reduce(t([1.0]), 0, op=dist.ReduceOp.BAND), RuntimeError, "non-integral"),
    (lambda: dist.broadcast(t([1.0]), 1), RuntimeError, "invalid root rank"),
    (lambda: dist.broadcast(t([1.0])), ValueError, "Must specify"),
    (lambda: dist.broadcast(t([1.0]), 0, group_src=0), ValueError, "Can't specify both"),
    (lambda: dist.all_gather([t([0.0])] * 2, t([1.0])), RuntimeError, "list size 2: expected length 1"),
    (lambda: dist.all_gather([], t([1.0])), RuntimeError, "list size 0"),
    (lambda: dist.all_gather([t([0.0, 0.0])], t([1.0])), RuntimeError, r"expected \(1,\), got \(2,\)"),
    (lambda: dist.all_gather([t([0])], t([1.0])), ValueError, "different dtypes"),
    (lambda: dist.all_gather(t([0.0]), t([1.0])), TypeError, "List"),
    (lambda: dist.all_gather_into_tensor(t([0.0, 0.0, 0.0, 0.0]), t([1.0, 2.0])), RuntimeError,
     "invalid tensor size"),
    (lambda: dist.all_gather_into_tensor(t([0, 0]), t([1.0, 2.0])), RuntimeError, "invalid tensor type"),
    (lambda: dist.all_gather_object([], 1), IndexError, "slots"),
    (lambda: dist.broadcast_object_list([1], 1), RuntimeError, "invalid root rank"),
    (lambda: dist.gather(t([1.0])), ValueError, "must be specified on destination rank"),
    (lambda: dist.gather(t([1.0]), [t([0.0])] * 2, 0), RuntimeError, "list size 2"),
    (lambda: dist.gather(t([1.0]), [t([0.0, 0.0])], 0), RuntimeError, "invalid tensor size"),
    (lambda: dist.gather(t([1.0]), [t([0.0])], 1), ValueError, "must NOT be specified on non-destination"),
    (lambda: dist.gather(t([1.0]), [t([0])], 0), ValueError, "different dtypes"),
    (lambda: dist.scatter(t([1.0]), None, 0), ValueError, "must be specified on source rank"),
    (lambda: dist.scatter(t([1.0]), [t([0.0])] * 2, 0), RuntimeError, "list size 2"),
    (lambda: dist.scatter(t([1.0]), [t([0.0, 1.0])], 0), RuntimeError, "invalid tensor size"),
    (lambda: dist.reduce_scatter(t([1.0]), [t([0.0])] * 2), RuntimeError, "list size 2"),
    (lambda: dist.reduce_scatter(t([1.0]), [t([0.0, 1.0])]), RuntimeError, "invalid tensor size"),
    (lambda: dist.reduce_scatter(t([1.0]), [t([0])]), ValueError, "different dtypes"),
    (lambda: dist.reduce_scatter(t([1.0]), [t([0.0])], op=dist.ReduceOp.BOR), RuntimeError, "non-integral"),
    (lambda: dist.reduce_scatter_tensor(t([1.0, 2.0, 3.0]), t([5.0, 6.0])), RuntimeError, "invalid tensor size"),
    (lambda: dist.reduce_scatter_tensor(t([1.0, 2.0]), t([5, 6])), RuntimeError, "invalid tensor type"),
    (lambda: dist.all_to_all([t([0.0])], [t([1.0])] * 2), RuntimeError, "list size 2"),
    (lambda: dist.all_to_all([t([0.0, 0.0])], [t([1.0])]), RuntimeError, "invalid tensor size"),
    (lambda: dist.all_to_all([t([0])], [t([1.0])]), ValueError, "different dtypes"),
    (lambda: dist.all_to_all_single(t([0.0, 0.0, 0.0]), t([1.0, 2.0])), RuntimeError, "same number of elements"),
    (lambda: dist.all_to_all_single(t([0.0, 0.0]), t([1.0, 2.0]), [1], [1]), RuntimeError, "Split sizes"),
    (lambda: dist.all_to_all_single(t([0.0, 0.0]), t([1.0, 2.0]), [1, 1], [1, 1]), RuntimeError,
     "Number of tensor splits"),
    (lambda: dist.all_to_all_single(t([0, 0]), t([1.0, 2.0])), ValueError, "different dtypes"),
    (lambda: dist.barrier(device_ids=0), TypeError, "device_ids"),
    (lambda: dist.barrier(timeout=3), TypeError, "timedelta"),
])
def test_collective_argument_errors(pg, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_gathers_scatters_and_all_to_all_fill_the_one_slot(pg):
    x = t([[1.0, 2.0], [3.0, 4.0]])
    outs = [fastdl.zeros(2, 2)]
    assert dist.all_gather(outs, x) is None
    np.testing.assert_array_equal(outs[0].numpy(), x.numpy())
    for shape in ((2, 2), (1, 2, 2)):  # concatenated or stacked along dim 0
        out = fastdl.zeros(*shape)
        dist.all_gather_into_tensor(out, x)
        np.testing.assert_array_equal(out.numpy().reshape(2, 2), x.numpy())
    g = [fastdl.zeros(2, 2)]
    dist.gather(x, g)
    np.testing.assert_array_equal(g[0].numpy(), x.numpy())
    s = fastdl.zeros(2, 2)
    work = dist.scatter(s, [x * 2], src=0, async_op=True)
    assert work.wait() and work.result()[0] is s
    np.testing.assert_array_equal(s.numpy(), 2 * x.numpy())
    r = fastdl.zeros(2, 2)
    dist.reduce_scatter(r, [x], op=dist.ReduceOp.AVG)
    np.testing.assert_array_equal(r.numpy(), x.numpy())
    dist.reduce_scatter_tensor(r, x * 3, op=dist._make_nccl_premul_sum(0.5))
    np.testing.assert_array_equal(r.numpy(), 1.5 * x.numpy())
    dist.reduce_scatter_single(r, x * 5)
    np.testing.assert_array_equal(r.numpy(), 5 * x.numpy())
    dist.all_gather_single(r, x * 6)
    np.testing.assert_array_equal(r.numpy(), 6 * x.numpy())
    a = [fastdl.zeros(2, 2)]
    dist.all_to_all(a, [x + 1])
    np.testing.assert_array_equal(a[0].numpy(), x.numpy() + 1)
    single = fastdl.zeros(4)
    dist.all_to_all_single(single, x.reshape(4), [4], [4])
    np.testing.assert_array_equal(single.numpy(), [1.0, 2.0, 3.0, 4.0])
    dist.broadcast(x, 0)
    np.testing.assert_array_equal(x.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    assert dist.barrier() is None and dist.barrier(async_op=True).is_completed() and dist.monitored_barrier() is None


def test_object_collectives_copy_as_pickling_does(pg):
    obj = {"loss": 1.5, "names": ["a"], "t": t([1.0, 2.0])}
    got = [None]
    dist.all_gather_object(got, obj)
    assert got[0] is not obj and got[0]["names"] == ["a"] and got[0]["t"].tolist() == [1.0, 2.0]
    objs = [1, "two", None]
    dist.broadcast_object_list(objs, src=0)
    assert objs == [1, "two", None]
    gathered = [None]
    dist.gather_object(5, gathered, dst=0)
    assert gathered == [5]
    out = [None]
    dist.scatter_object_list(out, [[7]], src=0)
    assert out == [[7]]
    with pytest.raises(ValueError, match="object_gather_list"):
        dist.gather_object(5)
    with pytest.raises(ValueError, match="at least 1"):
        dist.scatter_object_list([], [1])
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError), match="pickle"):
        dist.all_gather_object([None], lambda: 0)  # as torch: objects must pickle


def test_monitored_barrier_needs_gloo():
    dist.init_process_group("nccl", init_method=URL, rank=0, world_size=1)
    try:
        with pytest.raises(ValueError, match="only implemented for GLOO"):
            dist.monitored_barrier()
    finally:
        dist.destroy_process_group()


# ---- point to point ----

def test_point_to_point_has_no_peer(pg):
    x = t([1.0])
    with pytest.raises(ValueError, match="destination rank should not be the same as the rank"):
        dist.send(x, 0)
    for call in (lambda: dist.isend(x, 0), lambda: dist.recv(x, 0), lambda: dist.irecv(x, 0),
                 lambda: dist.send_object_list([1], 0), lambda: dist.recv_object_list([None], 0)):
        with pytest.raises(RuntimeError, match="should not be the same as the rank of the current process"):
            call()
    with pytest.raises(RuntimeError, match="invalid destination rank 1.*world_size 1"):
        dist.send(x, 1)
    with pytest.raises(RuntimeError, match="would wait forever"):
        dist.recv(x)
    with pytest.raises(ValueError, match="Must specify"):
        dist.send(x)
    with pytest.raises(TypeError, match="Expected parameter `tensor`"):
        dist.send([x], 0)
    with pytest.raises(ValueError, match="Invalid ``op``"):
        dist.P2POp(dist.send, x, 0)
    with pytest.raises(ValueError, match="p2p_op_list"):
        dist.batch_isend_irecv([])
    with pytest.raises(ValueError, match="should not be the same"):
        dist.batch_isend_irecv([dist.P2POp(dist.isend, x, 0)])


# ---- torch parity on a real one-process gloo group ----

def _scenarios(d, lib):
    """The same calls on torch.distributed (lib = torch) or fastdl.distributed (lib =
    fastdl); returns the tensors' values afterwards."""
    def T(v, dt="float"):
        return lib.tensor(v, dtype=getattr(lib, dt))
    x = T([[1.0, -2.0], [0.5, 4.0]])
    d.all_reduce(x)
    d.all_reduce(x, op=d.ReduceOp.AVG)
    d.all_reduce(x, op=d.ReduceOp.MAX)
    i = T([6, 3], "int64")
    d.all_reduce(i, op=d.ReduceOp.BAND)
    d.all_reduce(i, op=d.ReduceOp.PRODUCT)
    b = T([True, False], "bool")
    d.all_reduce(b)
    out = [T([[0.0, 0.0], [0.0, 0.0]])]
    d.all_gather(out, x)
    cat = T([[0.0, 0.0], [0.0, 0.0]])
    d.all_gather_into_tensor(cat, x * 2)
    g = [T([[0.0, 0.0], [0.0, 0.0]])]
    d.gather(x + 1, g, 0)
    s = T([[0.0, 0.0], [0.0, 0.0]])
    d.scatter(s, [x - 1], 0)
    r = T([[0.0, 0.0], [0.0, 0.0]])
    d.reduce_scatter(r, [x * 3])
    rt = T([[0.0, 0.0], [0.0, 0.0]])
    d.reduce_scatter_tensor(rt, x * 4)
    a = [T([[0.0, 0.0], [0.0, 0.0]])]
    d.all_to_all(a, [x * 5])
    single = T([0.0, 0.0, 0.0, 0.0])
    d.all_to_all_single(single, T([9.0, 8.0, 7.0, 6.0]), [4], [4])
    objs = [None]
    d.all_gather_object(objs, {"k": [1, 2]})
    return [v.tolist() for v in (x, i, b, out[0], cat, g[0], s, r, rt, a[0], single)] + [objs]


def test_values_match_torch(tdist, pg):
    torch, td = tdist
    assert _scenarios(dist, fastdl) == _scenarios(td, torch)
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (td.get_rank(), td.get_world_size(),
                                                                           td.get_backend())


ERROR_PARITY = [
    lambda d, L: d.all_reduce(L.ones(1), op=d.ReduceOp.BAND),
    lambda d, L: d.all_reduce(L.tensor([3]), op=d.ReduceOp.AVG),
    lambda d, L: d.all_reduce([L.ones(1)]),
    lambda d, L: d.reduce(L.ones(1), 1),
    lambda d, L: d.broadcast(L.ones(1), 1),
    lambda d, L: d.broadcast(L.ones(1)),
    lambda d, L: d.all_gather([L.zeros(1)] * 2, L.ones(1)),
    lambda d, L: d.all_gather([L.zeros(2)], L.ones(1)),
    lambda d, L: d.all_gather([L.zeros(1, dtype=L.int64)], L.ones(1)),
    lambda d, L: d.all_gather_into_tensor(L.zeros(4), L.ones(2)),
    lambda d, L: d.gather(L.ones(1)),
    lambda d, L: d.gather(L.ones(1), [L.zeros(1)] * 2, 0),
    lambda d, L: d.gather(L.ones(1), [L.zeros(1)], 1),
    lambda d, L: d.scatter(L.ones(1), None, 0),
    lambda d, L: d.scatter(L.ones(1), [L.zeros(2)], 0),
    lambda d, L: d.reduce_scatter(L.ones(1), [L.zeros(1)] * 2),
    lambda d, L: d.all_to_all([L.zeros(1)] * 2, [L.ones(1)]),
    lambda d, L: d.all_to_all_single(L.zeros(2), L.ones(2), [1, 1], [1, 1]),
    lambda d, L: d.all_to_all_single(L.zeros(2), L.ones(2), [1], [1]),
    lambda d, L: d.send(L.ones(1), 0),
    lambda d, L: d.new_group([1]),
    lambda d, L: d.new_group([0, 0]),
    lambda d, L: d.init_process_group("gloo"),
]


@pytest.mark.parametrize("i", range(len(ERROR_PARITY)))
def test_errors_match_torch(tdist, pg, i):
    torch, td = tdist
    with pytest.raises(Exception) as theirs:
        ERROR_PARITY[i](td, torch)
    with pytest.raises(Exception) as ours:
        ERROR_PARITY[i](dist, fastdl)
    assert isinstance(ours.value, type(theirs.value)), (ours.value, theirs.value)


# ---- DistributedDataParallel ----

def _model():
    fastdl.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_ddp_training_step_equals_plain_module(pg):
    plain, wrapped = _model(), _model()
    ddp = nn.parallel.DistributedDataParallel(wrapped)
    assert ddp.module is wrapped and isinstance(ddp, nn.Module)
    rng = np.random.default_rng(0)
    opts = [fastdl.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (plain, ddp)]
    for step in range(3):
        x = fastdl.tensor(rng.standard_normal((6, 4)), dtype=fastdl.float32)
        y = fastdl.tensor(rng.integers(0, 3, 6))
        for m, opt in zip((plain, ddp), opts):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(m(x), y)
            if step == 1:
                with ddp.no_sync():  # local accumulation: the same gradients with one process
                    assert not ddp.require_backward_grad_sync
                    loss.backward()
                assert ddp.require_backward_grad_sync
            else:
                loss.backward()
        for (n1, p1), (n2, p2) in zip(plain.named_parameters(), ddp.named_parameters()):
            assert "module." + n1 == n2
            np.testing.assert_array_equal(p1.grad.numpy(), p2.grad.numpy())
        for opt in opts:
            opt.step()
    for a, b in zip(plain.state_dict().values(), ddp.module.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_ddp_state_dict_attributes_and_errors(pg):
    ddp = nn.parallel.DistributedDataParallel(_model(), bucket_cap_mb=10, find_unused_parameters=True)
    keys = list(ddp.state_dict())
    assert keys == ["module." + k for k in ddp.module.state_dict()] and "module.1.running_mean" in keys
    fresh = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(),
                                                              nn.Linear(8, 3)))
    fresh.load_state_dict(ddp.state_dict())
    np.testing.assert_array_equal(fresh.module[0].weight.detach().numpy(), ddp.module[0].weight.detach().numpy())
    assert ddp.device_ids is None and ddp.output_device is None and ddp.dim == 0 and ddp.broadcast_buffers
    assert ddp.process_group is dist.group.WORLD and ddp.find_unused_parameters
    assert ddp.bucket_bytes_cap == 10 * 1024 * 1024 and not ddp.static_graph
    with ddp.join():
        pass
    assert nn.parallel.DistributedDataParallel(nn.Linear(2, 2), process_group=dist.new_group([0]))
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        nn.parallel.DistributedDataParallel(nn.ReLU())
    with pytest.raises(ValueError, match=r"device_ids and output_device arguments only work"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(TypeError, match="nn.Module"):
        nn.parallel.DistributedDataParallel(3)
    with pytest.raises(ValueError, match="not initialized in the world group map"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2), process_group="g")


def test_ddp_state_dict_keys_match_torch(tdist, pg):
    torch, td = tdist
    theirs = torch.nn.parallel.DistributedDataParallel(
        torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3)))
    ours = nn.parallel.DistributedDataParallel(_model())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours).splitlines()[:2] == repr(theirs).splitlines()[:2]


def test_nn_parallel_exports_and_data_parallel():
    assert nn.parallel.DataParallel is nn.DataParallel
    m = _model().eval()
    x = fastdl.ones(2, 4)
    with fastdl.no_grad():
        np.testing.assert_array_equal(nn.parallel.data_parallel(m, x).numpy(), m(x).numpy())
        np.testing.assert_array_equal(nn.parallel.data_parallel(m, (x,), module_kwargs={}).numpy(), m(x).numpy())


def test_sampler_takes_replicas_and_rank_from_the_group(pg):
    s = fastdl.data.DistributedSampler(list(range(7)), shuffle=False)
    assert (s.num_replicas, s.rank, list(s)) == (1, 0, list(range(7)))


def test_distributed_is_a_lazy_submodule():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    code = ("import sys, fastdl; a = 'fastdl.distributed' in sys.modules; import fastdl.distributed as d; "
            "print(a, fastdl.distributed is d, 'distributed' in dir(fastdl))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]
