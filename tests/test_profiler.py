"""fastdl.profiler / fastdl.autograd.profiler: nesting and self time, recorded names,
torch's schedule state machine, chrome trace JSON, the table layout, and the zero-cost path
(no wrapper is installed while no profile records)."""
import json
import time
import warnings

import pytest

import fastdl
import fastdl.nn as nn
from fastdl.profiler import (ProfilerAction, ProfilerActivity, profile, record_function, schedule,
                             tensorboard_trace_handler)
from fastdl.profiler import _hooks


def _by_name(events, name):
    return [e for e in events if e.name == name]


def test_nesting_and_self_time_on_sleeps():
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with record_function("outer"):
            time.sleep(0.02)
            with record_function("inner"):
                time.sleep(0.03)
            with record_function("inner"):
                time.sleep(0.01)
    events = prof.events()
    outer, = _by_name(events, "outer")
    inners = _by_name(events, "inner")
    assert len(inners) == 2 and all(e.cpu_parent is outer for e in inners)
    assert outer.cpu_children == inners
    # times are microseconds; sleeps only ever run long, so lower bounds are exact
    assert inners[0].cpu_time_total >= 30000 and inners[1].cpu_time_total >= 10000
    assert outer.cpu_time_total >= 60000
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - inners[0].cpu_time_total - inners[1].cpu_time_total)
    assert outer.self_cpu_time_total >= 20000
    avg = {a.key: a for a in prof.key_averages()}
    assert avg["inner"].count == 2
    assert avg["inner"].cpu_time_total == pytest.approx(sum(e.cpu_time_total for e in inners))
    assert avg["inner"].cpu_time == pytest.approx(avg["inner"].cpu_time_total / 2)
    assert avg["outer"].self_cpu_time_total == pytest.approx(outer.self_cpu_time_total)
    # the children's ranges lie inside the parent's
    for e in inners:
        assert outer.time_range.start <= e.time_range.start <= e.time_range.end <= outer.time_range.end


def test_record_function_decorator_and_inactive():
    @record_function("deco")
    def f(x):
        return x * 2

    assert f(fastdl.ones(2)).tolist() == [2.0, 2.0]  # no profile: runs, records nothing
    with profile() as prof:
        f(fastdl.ones(2))
    deco, = _by_name(prof.events(), "deco")
    assert [c.name for c in deco.cpu_children] == ["aten::mul"]
    with pytest.raises(TypeError, match="record_function"):
        record_function(3)


def test_model_forward_backward_step_names():
    fastdl.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3))
    opt = fastdl.optim.Adam(model.parameters(), lr=0.01)
    x = fastdl.randn(4, 1, 4, 4)
    with profile(record_shapes=True, with_modules=True) as prof:
        loss = fastdl.nn.functional.cross_entropy(model(x), fastdl.tensor([0, 1, 2, 0]))
        loss.backward()
        opt.step()
        opt.zero_grad()
        y = (x * x + x).relu() @ fastdl.ones(4, 2)
    names = {e.name for e in prof.events()}
    for n in ("aten::conv2d", "aten::linear", "aten::cross_entropy_loss", "aten::mul", "aten::add", "aten::relu",
              "aten::matmul", "aten::ones", "Optimizer.step#Adam.step", "Optimizer.zero_grad#Adam.zero_grad",
              "torch::autograd::AccumulateGrad", "nn.Module: Sequential_0", "nn.Module: Conv2d_0",
              "nn.Module: Linear_0"):
        assert n in names, n
    assert any(n.endswith("Backward0") for n in names)
    # module nesting: the conv op runs inside its module inside the Sequential
    conv, = _by_name(prof.events(), "aten::conv2d")
    assert conv.cpu_parent.name == "nn.Module: Conv2d_0"
    assert conv.cpu_parent.cpu_parent.name == "nn.Module: Sequential_0"
    assert conv.input_shapes[:2] == [[4, 1, 4, 4], [2, 1, 3, 3]]
    assert y.shape == (4, 1, 4, 2)
    assert not _hooks.installed()


def test_matches_torch_names_for_same_program():
    torch = pytest.importorskip("torch")
    import torch.profiler as tp

    def program(lib):
        a = lib.ones(3, 4, requires_grad=True)
        b = lib.ones(4, 5)
        out = (lib.relu(a * 2.0) @ b).sum()
        out.backward()

    with tp.profile(activities=[tp.ProfilerActivity.CPU]) as tprof:
        program(torch)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        program(fastdl)
    torch_names = {e.key for e in tprof.key_averages()}
    ours = {e.key for e in prof.key_averages()}
    for n in ("aten::ones", "aten::mul", "aten::relu", "aten::matmul", "aten::sum"):
        assert n in torch_names and n in ours, n
    for n in ("ReluBackward0", "MulBackward0", "SumBackward0"):
        assert n in torch_names and n in ours, n


@pytest.mark.parametrize("params", [
    dict(wait=1, warmup=1, active=2),
    dict(wait=1, warmup=1, active=2, repeat=2),
    dict(wait=0, warmup=2, active=1, repeat=1, skip_first=3),
    dict(wait=2, warmup=1, active=3, repeat=0, skip_first=1, skip_first_wait=1),
    dict(wait=3, warmup=0, active=1, repeat=3),
])
def test_schedule_matches_torch(params):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = schedule(**params), torch.profiler.schedule(**params)
    assert [ours(i).name for i in range(40)] == [theirs(i).name for i in range(40)]


def test_schedule_bad_arguments_and_warmup_warning():
    with pytest.raises(AssertionError, match="active"):
        schedule(wait=0, warmup=1, active=0)
    with pytest.warns(UserWarning, match="warmup"):
        schedule(wait=0, warmup=0, active=1)


def test_profile_with_schedule_steps_and_trace_ready():
    ready = []

    def on_ready(p):
        ready.append((p.step_num, sorted({e.name for e in p.events() if e.name.startswith("ProfilerStep")})))

    sched = schedule(wait=1, warmup=1, active=2, repeat=2)
    actions = []
    with profile(schedule=sched, on_trace_ready=on_ready) as prof:
        for step in range(10):
            actions.append(prof.current_action)
            fastdl.ones(2) + 1
            prof.step()
    A = ProfilerAction
    assert actions[:8] == [A.NONE, A.WARMUP, A.RECORD, A.RECORD_AND_SAVE] * 2
    assert actions[8:] == [A.NONE, A.NONE]
    # each cycle hands on the steps it recorded (the active ones), then the wrappers go
    assert ready == [(4, ["ProfilerStep#2", "ProfilerStep#3"]), (8, ["ProfilerStep#6", "ProfilerStep#7"])]
    assert not _hooks.installed()


def test_start_stop_step_api_and_nested_profile_error():
    prof = profile()
    prof.start()
    assert _hooks.installed()
    with pytest.raises(RuntimeError, match="already"):
        profile().start()
    fastdl.zeros(3).exp()
    prof.step()
    prof.stop()
    assert not _hooks.installed()
    assert "aten::exp" in {e.name for e in prof.events()}


def test_chrome_trace_is_valid_json(tmp_path):
    with profile(record_shapes=True) as prof:
        with record_function("block"):
            fastdl.ones(4, 4).sum()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    assert {e["name"] for e in events} >= {"block", "aten::ones", "aten::sum"}
    for e in events:
        assert e["ph"] == "X" and isinstance(e["ts"], (int, float)) and e["dur"] >= 0
        assert isinstance(e["tid"], int) and "pid" in e
    block = next(e for e in events if e["name"] == "block")
    s = next(e for e in events if e["name"] == "aten::sum")
    assert block["ts"] <= s["ts"] and s["ts"] + s["dur"] <= block["ts"] + block["dur"] + 1e-3
    assert s["args"]["Input Dims"] == [[4, 4]]


def test_tensorboard_trace_handler_writes_a_trace(tmp_path):
    with profile(schedule=schedule(wait=0, warmup=1, active=1),
                 on_trace_ready=tensorboard_trace_handler(str(tmp_path / "tb"), worker_name="w")) as prof:
        for _ in range(2):
            fastdl.ones(2).neg()
            prof.step()
    files = list((tmp_path / "tb").iterdir())
    assert len(files) == 1 and files[0].name.startswith("w.") and files[0].name.endswith(".pt.trace.json")
    assert "aten::neg" in {e["name"] for e in json.loads(files[0].read_text())["traceEvents"]}


def test_table_columns_like_torch():
    torch = pytest.importorskip("torch")
    import torch.profiler as tp

    def header_columns(table):
        lines = table.splitlines()
        return [c.strip() for c in lines[1].split("  ") if c.strip()], lines[-1].split(":")[0]

    with tp.profile(activities=[tp.ProfilerActivity.CPU], profile_memory=True, record_shapes=True) as tprof:
        torch.ones(8, 8).mul(2)
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True) as prof:
        fastdl.ones(8, 8).mul(2)
    for grouped in (False, True):
        theirs = tprof.key_averages(group_by_input_shape=grouped).table(sort_by="cpu_time_total", row_limit=5)
        ours = prof.key_averages(group_by_input_shape=grouped).table(sort_by="cpu_time_total", row_limit=5)
        assert header_columns(ours) == header_columns(theirs)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=1)
    assert len([ln for ln in table.splitlines() if "aten::" in ln]) == 1  # row_limit
    mul = next(a for a in prof.key_averages() if a.key == "aten::mul")
    assert mul.cpu_memory_usage == 8 * 8 * 4 and mul.count == 1  # one new float32 8x8 result


def test_zero_cost_path_nothing_installed_outside_a_profile():
    from fastdl.autograd import Node
    originals = (fastdl.Tensor.__dict__["__mul__"], fastdl.Tensor.__dict__["exp"], fastdl.matmul, fastdl.relu,
                 nn.functional.linear, Node.apply, fastdl.optim.Adam.step)
    assert type(originals[0]).__name__ == "FunctionMethod"  # the C++ front of a * b
    assert not _hooks.installed()
    with profile():
        assert fastdl.Tensor.__dict__["__mul__"] is not originals[0]  # swapped in while recording
        assert fastdl.matmul is not originals[2]
    now = (fastdl.Tensor.__dict__["__mul__"], fastdl.Tensor.__dict__["exp"], fastdl.matmul, fastdl.relu,
           nn.functional.linear, Node.apply, fastdl.optim.Adam.step)
    assert all(a is b for a, b in zip(now, originals))
    assert not _hooks.installed()
    with pytest.raises(RuntimeError):  # an op failing inside a profile still removes the wrappers
        with profile():
            fastdl.ones(2, 3).view(7)
    assert fastdl.Tensor.__dict__["__mul__"] is originals[0]


def test_autocast_inside_profile_still_casts():
    x, w = fastdl.randn(4, 8), fastdl.randn(8, 3)
    with profile() as prof:
        with fastdl.autocast("cpu"):
            y = fastdl.matmul(x, w)
            z = x @ w
    assert y.dtype == fastdl.bfloat16 and z.dtype == fastdl.bfloat16
    assert "aten::matmul" in {e.name for e in prof.events()}
    with fastdl.autocast("cpu"):  # and after it
        assert fastdl.matmul(x, w).dtype == fastdl.bfloat16
    assert fastdl.matmul(x, w).dtype == fastdl.float32


def test_profile_memory_self_and_total():
    with profile(profile_memory=True) as prof:
        with record_function("alloc"):
            a = fastdl.zeros(10, 10)  # 400 bytes
            a.view(100)  # a view allocates nothing
    alloc, = _by_name(prof.events(), "alloc")
    view, = _by_name(prof.events(), "aten::view")
    assert alloc.cpu_memory_usage == 400 and alloc.self_cpu_memory_usage == 0
    assert view.cpu_memory_usage == 0


def test_with_flops_for_mm():
    with profile(with_flops=True) as prof:
        fastdl.mm(fastdl.ones(3, 4), fastdl.ones(4, 5))
    mm, = _by_name(prof.events(), "aten::mm")
    assert mm.flops == 2 * 3 * 4 * 5
    assert "FLOPs" in prof.key_averages().table()


def test_bad_arguments():
    with pytest.raises(TypeError, match="activities"):
        profile(activities=["cpu"])
    with pytest.raises(TypeError, match="schedule"):
        profile(schedule=3)
    with pytest.raises(AssertionError, match="not recorded"):
        profile().events()
    with profile() as prof:
        fastdl.ones(1)
    with pytest.raises(AttributeError, match="sort_by"):
        prof.key_averages().table(sort_by="no_such_column")


def test_autograd_profiler_module():
    from fastdl.autograd import profiler as ap
    import fastdl.autograd.profiler as ap2
    assert ap is ap2
    x = fastdl.ones(3, 3, requires_grad=True)
    with ap.profile(record_shapes=True) as prof:
        with ap.record_function("fwd"):
            y = (x * x).sum()
        y.backward()
    names = [e.name for e in prof.function_events]
    assert {"fwd", "aten::mul", "aten::sum", "MulBackward0", "SumBackward0"} <= set(names)
    assert isinstance(prof.function_events, ap.EventList)
    assert isinstance(prof.key_averages()[0], ap.FunctionEventAvg)
    assert "Self CPU time total" in prof.table()
    assert prof.total_average().count == len(names)
    with ap.profile(enabled=False) as off:
        fastdl.ones(1)
    with pytest.raises(RuntimeError, match="didn't finish"):
        off.key_averages()
    with ap.emit_nvtx():  # documented no-op
        z = fastdl.ones(2) * 3
    assert z.tolist() == [3.0, 3.0]
