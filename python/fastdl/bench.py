"""CPU benchmark of fastdl against NumPy/OpenBLAS (GEMM) and PyTorch CPU (everything).

    python -m fastdl.bench [--quick] [--json bench/results/cpu.json] [--threads N]
    fastdl bench --device cpu [--quick] [--json PATH]

Machines here are shared, so every figure is a ratio measured side by side: after a
warm-up, fastdl and each reference are timed in interleaved rounds (fastdl, numpy,
torch, fastdl, numpy, torch, ...) and each round gives one ratio t_ref / t_fastdl
(> 1: fastdl is faster); the table shows the median over rounds with [min, max].
Every result is checked against the reference before and after timing. The same
thread count is used by fastdl, OpenBLAS (threadpoolctl) and torch.set_num_threads.
"""
import argparse
import inspect
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

import fastdl
from fastdl import _C

QUICK_SQUARE = [256, 512, 1024, 2048]
FULL_SQUARE = QUICK_SQUARE + [4096]
MODEL_GEMMS = [(64, 784, 128), (64, 512, 256), (32, 64, 64)]  # M, K, N


# ---- timing ---------------------------------------------------------------------------

def _time(fn, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def _settle(fn, seconds):
    """Calls fn untimed for about `seconds` (at least once)."""
    end = time.perf_counter() + seconds
    fn()
    while time.perf_counter() < end:
        fn()


def interleaved(fns, rounds, sample_s, settle_s=0.0):
    """fns: {"fastdl": f, ref: g, ...}. Times each for `reps` calls per sample, in
    interleaved rounds after a warm-up; returns median times and per-round ratios.

    settle_s > 0 runs each library untimed that long before each of its samples. With
    several threads the previous library's idle workers keep spinning for a while
    (OpenBLAS's for tens of ms) and this VM's idle vCPU needs ~30 ms to run at speed
    again, so without it each sample would time the tail of the other library's
    spin-wait or a cold core, not the library itself."""
    for f in fns.values():
        f()
    t_one = min(_time(f, 1) for f in fns.values())
    reps = max(1, int(sample_s / max(t_one, 1e-7)))
    for _ in range(2 if reps > 1 else 1):
        for f in fns.values():
            _time(f, reps)
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            if settle_s:
                _settle(f, settle_s)
            times[k].append(_time(f, reps))
    out = {"rounds": rounds, "calls_per_sample": reps,
           "fastdl_ms": 1e3 * statistics.median(times["fastdl"])}
    for k in fns:
        if k == "fastdl":
            continue
        ratios = [r / f for r, f in zip(times[k], times["fastdl"])]
        out[f"{k}_ms"] = 1e3 * statistics.median(times[k])
        out[f"vs_{k}"] = {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}
    return out


def relerr(a, b):
    """max |a - b| / max |b| (0 for empty or all-zero b with equal a)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return math.inf
    scale = float(np.max(np.abs(b))) if b.size else 0.0
    diff = float(np.max(np.abs(a - b))) if b.size else 0.0
    return diff / scale if scale else diff


def _np(t):
    """A fastdl or torch tensor as a NumPy array."""
    return t.detach().numpy()


# ---- the benchmark context ------------------------------------------------------------

class Bench:
    def __init__(self, threads, quick, torch):
        self.threads, self.quick, self.torch = threads, quick, torch
        self.rounds = 5 if quick else 9
        self.sample_s = 0.02 if quick else 0.05
        self.rows = []
        # Measured float32 FMA ceiling on these threads: GEMM rows quote a % of it.
        self.fma_peak = _C.cpu.fma_peak_gflops(threads) if _C.cpu_has_avx2_fma() else None

    def run(self, name, shape, fns, check, work=None, unit=None, tol=1e-4, peak=None):
        """Validates, times, validates again; records one row. check() -> max rel error.
        With `peak` (GFLOP/s), the row also gives the rate as a % of it."""
        fns = {k: v for k, v in fns.items() if v is not None}
        err0 = float(check())
        timing = interleaved(fns, self.rounds if "4096" not in shape else 3, self.sample_s,
                             settle_s=0.1 if self.threads > 1 else 0.0)
        err1 = float(check())
        row = {"kernel": name, "shape": shape, "threads": self.threads, "valid": bool(max(err0, err1) <= tol),
               "max_rel_err": max(err0, err1), **timing}
        if work is not None:
            row[unit] = work / (timing["fastdl_ms"] * 1e-3) / 1e9
        if peak:
            row["pct_fma_peak"] = 100.0 * row[unit] / peak
        self.rows.append(row)
        _print_row(row)
        return row

    def t(self, a, grad=False):
        """NumPy array -> torch tensor (or None without torch)."""
        if self.torch is None:
            return None
        x = self.torch.from_numpy(np.ascontiguousarray(a))
        return x.requires_grad_(grad)


def f(a, grad=False):
    x = fastdl.tensor(np.ascontiguousarray(a))
    return x.requires_grad_(grad) if grad else x


def _print_header():
    print(f"{'kernel':<22} {'shape':<34} {'fastdl ms':>10} {'rate':>12} {'vs numpy':>20} {'vs torch':>20}  ok")


def _fmt_ratio(r):
    return f"{r['median']:5.2f} [{r['min']:4.2f},{r['max']:5.2f}]" if r else ""


def _print_row(r):
    rate = next((f"{r[u]:7.1f} {u[:-2] if u.endswith('_s') else u}" for u in ("GFLOP/s", "GB/s") if u in r), "")
    print(f"{r['kernel']:<22} {r['shape']:<34} {r['fastdl_ms']:10.3f} {rate:>12} "
          f"{_fmt_ratio(r.get('vs_numpy')):>20} {_fmt_ratio(r.get('vs_torch')):>20}  "
          f"{'yes' if r['valid'] else 'NO (err %.1e)' % r['max_rel_err']}"
          + (f"  {r['pct_fma_peak']:.0f}% of FMA peak" if "pct_fma_peak" in r else ""), flush=True)


# ---- kernels --------------------------------------------------------------------------

def bench_gemm(b, m, k, n, label):
    rng = np.random.default_rng(0)
    a, bb = rng.standard_normal((m, k), np.float32), rng.standard_normal((k, n), np.float32)
    fa, fb, ta, tb = f(a), f(bb), b.t(a), b.t(bb)
    torch = b.torch
    out = {}

    def run_fd():
        out["y"] = fa @ fb

    def check():
        run_fd()
        ref = a.astype(np.float64) @ bb.astype(np.float64)
        bound = np.abs(a).astype(np.float64) @ np.abs(bb).astype(np.float64)
        # error relative to the sum of |terms|, in units of k * eps
        return float(np.max(np.abs(out["y"].numpy() - ref) / (bound + 1e-30))) / (k * np.finfo(np.float32).eps)

    fns = {"fastdl": run_fd, "numpy": lambda: a @ bb,
           "torch": (lambda: torch.matmul(ta, tb)) if torch else None}
    return b.run(label, f"{m}x{k} @ {k}x{n} f32", fns, check, 2.0 * m * n * k, "GFLOP/s", tol=1.0,
                 peak=b.fma_peak)


def _grads_err(pairs):
    return max(relerr(_np(x), _np(y)) for x, y in pairs)


def bench_conv(b, cin, cout, hw, need_input_grad):
    F, torch = fastdl.nn.functional, b.torch
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, cin, hw, hw), np.float32)
    w = (rng.standard_normal((cout, cin, 3, 3)) / math.sqrt(9 * cin)).astype(np.float32)
    bias = rng.standard_normal(cout).astype(np.float32)
    gy = rng.standard_normal((64, cout, hw - 2, hw - 2), np.float32)
    fx, fw, fbias, fgy = f(x, need_input_grad), f(w, True), f(bias, True), f(gy)
    tx, tw, tbias, tgy = b.t(x, need_input_grad), b.t(w, True), b.t(bias, True), b.t(gy)
    st = {}

    def run_fd():
        fx.grad = fw.grad = fbias.grad = None
        st["y"] = F.conv2d(fx, fw, fbias)
        st["y"].backward(fgy)

    def run_t():
        tx.grad = tw.grad = tbias.grad = None
        st["ty"] = torch.nn.functional.conv2d(tx, tw, tbias)
        st["ty"].backward(tgy)

    def check():
        run_fd()
        if torch is None:
            return 0.0
        run_t()
        pairs = [(st["y"], st["ty"]), (fw.grad, tw.grad), (fbias.grad, tbias.grad)]
        return _grads_err(pairs + ([(fx.grad, tx.grad)] if need_input_grad else []))

    flop = 2.0 * 64 * cout * (hw - 2) ** 2 * cin * 9 * (3 if need_input_grad else 2)
    return b.run(f"conv2d {cin}->{cout} f+b", f"x(64,{cin},{hw},{hw}) w({cout},{cin},3,3)",
                 {"fastdl": run_fd, "torch": run_t if torch else None}, check, flop, "GFLOP/s", tol=1e-4)


def bench_maxpool(b):
    F, torch = fastdl.nn.functional, b.torch
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 64, 24, 24), np.float32)
    gy = rng.standard_normal((64, 64, 12, 12), np.float32)
    fx, fgy, tx, tgy = f(x, True), f(gy), b.t(x, True), b.t(gy)
    st = {}

    def run_fd():
        fx.grad = None
        st["y"] = F.max_pool2d(fx, 2)
        st["y"].backward(fgy)

    def run_t():
        tx.grad = None
        st["ty"] = torch.nn.functional.max_pool2d(tx, 2)
        st["ty"].backward(tgy)

    def check():
        run_fd()
        if torch is None:
            return 0.0
        run_t()
        return _grads_err([(st["y"], st["ty"]), (fx.grad, tx.grad)])

    nbytes = 4.0 * 2 * (x.size + gy.size)  # forward reads x, writes y; backward reads gy, writes gx
    return b.run("max_pool2d 2x2 f+b", "x(64,64,24,24)", {"fastdl": run_fd, "torch": run_t if torch else None},
                 check, nbytes, "GB/s", tol=0.0)


def _copy_params(tmod, fmod):
    """Loads a torch module's weights into the fastdl module of the same structure."""
    fmod.load_state_dict({k: fastdl.tensor(v.detach().numpy().copy()) for k, v in tmod.state_dict().items()})


def bench_lstm_layer(b):
    torch = b.torch
    T, B, I, H = 50, 64, 64, 128
    rng = np.random.default_rng(3)
    x = rng.standard_normal((T, B, I), np.float32)
    gy = rng.standard_normal((T, B, H), np.float32)
    flstm = fastdl.nn.LSTM(I, H)
    tlstm = None
    if torch:
        torch.manual_seed(0)
        tlstm = torch.nn.LSTM(I, H)
        _copy_params(tlstm, flstm)
    fx, fgy, tx, tgy = f(x, True), f(gy), b.t(x, True), b.t(gy)
    st = {}

    def run_fd():
        fx.grad = None
        flstm.zero_grad(set_to_none=True)
        st["y"], _ = flstm(fx)
        st["y"].backward(fgy)

    def run_t():
        tx.grad = None
        tlstm.zero_grad(set_to_none=True)
        st["ty"], _ = tlstm(tx)
        st["ty"].backward(tgy)

    def check():
        run_fd()
        if torch is None:
            return 0.0
        run_t()
        fp, tp = dict(flstm.named_parameters()), dict(tlstm.named_parameters())
        return _grads_err([(st["y"], st["ty"]), (fx.grad, tx.grad)] + [(fp[k].grad, tp[k].grad) for k in tp])

    flop = 3 * T * 2.0 * B * (I + H) * 4 * H
    return b.run("LSTM layer f+b", f"T{T} B{B} {I}->{H}", {"fastdl": run_fd, "torch": run_t if torch else None},
                 check, flop, "GFLOP/s", tol=1e-3)


# ---- per-op overhead ------------------------------------------------------------------

def bench_small_ops(b):
    """What one small op costs beyond its arithmetic: c = a * b and d = c + b on (32, 64)
    float32 tensors that require grad (forward + autograd record), and the same with
    d.backward(g) added (grads reset to None each time, as zero_grad does). The rows
    give the time per call of the whole snippet; per_op_us divides it by its op count."""
    rng = np.random.default_rng(1)
    A, B, G = (rng.standard_normal((32, 64), np.float32) for _ in range(3))
    fa, fb, fg = f(A, grad=True), f(B, grad=True), f(G)
    ta, tb, tg = b.t(A, grad=True), b.t(B, grad=True), b.t(G)

    def forward(x, y):
        return x * y + y

    def with_backward(x, y, g):
        def step():
            x.grad = y.grad = None
            forward(x, y).backward(g)
        return step

    def check_forward():
        ref = _np(forward(ta, tb)) if ta is not None else A * B + B
        return relerr(_np(forward(fa, fb)), ref)

    def check_backward():
        with_backward(fa, fb, fg)()
        if ta is None:
            return relerr(_np(fa.grad), G * B)
        with_backward(ta, tb, tg)()
        return max(relerr(_np(fa.grad), _np(ta.grad)), relerr(_np(fb.grad), _np(tb.grad)))

    rows = [
        b.run("small op overhead", "(32,64) a*b, +b: fwd+record", {
            "fastdl": lambda: forward(fa, fb), "torch": (lambda: forward(ta, tb)) if ta is not None else None},
            check_forward),
        b.run("small op + backward", "(32,64) (a*b+b).backward(g)", {
            "fastdl": with_backward(fa, fb, fg), "torch": with_backward(ta, tb, tg) if ta is not None else None},
            check_backward),
    ]
    for row, n_ops in zip(rows, (2, 3)):
        for k in ("fastdl", "torch"):
            if f"{k}_ms" in row:
                row[f"{k}_per_op_us"] = row[f"{k}_ms"] * 1e3 / n_ops


# ---- whole training steps -------------------------------------------------------------

def mnist_cnn(lib):
    """The PyTorch MNIST example's network, written once for torch and fastdl."""
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            F = lib.nn.functional
            x = F.relu(self.conv1(x))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = lib.flatten(self.dropout1(x), 1)
            x = self.dropout2(F.relu(self.fc1(x)))
            return F.log_softmax(self.fc2(x), dim=1)
    return Net()


def lstm_classifier(lib):
    """Row-by-row MNIST: a 2-layer LSTM over 28 rows of 28 pixels, then a linear head."""
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, num_layers=2, batch_first=True)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):
            out, _ = self.lstm(x)
            return lib.nn.functional.log_softmax(self.fc(out[:, -1]), dim=1)
    return Net()


def cartpole_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))


def _step_fn(lib, model, opt, x, y, loss):
    F = lib.nn.functional

    def step():
        opt.zero_grad(set_to_none=True)
        out = model(x)
        l = F.nll_loss(out, y) if loss == "nll" else F.mse_loss(out, y)
        l.backward()
        opt.step()
        return l
    return step


def bench_train(b, name, shape, build, x, y, loss):
    """One training step (zero_grad, forward, loss, backward, Adam step). Validated by
    syncing torch's weights into fastdl and comparing one step in eval mode (dropout off):
    loss, every gradient, and the parameters after the Adam step, from the initial weights."""
    torch = b.torch
    fmodel = build(fastdl)
    fopt = fastdl.optim.Adam(fmodel.parameters(), lr=1e-3)
    fx, fy = f(x), f(y)
    fd_step = _step_fn(fastdl, fmodel, fopt, fx, fy, loss)
    t_step = tmodel = None
    if torch:
        torch.manual_seed(0)
        tmodel = build(torch)
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        t_step = _step_fn(torch, tmodel, topt, b.t(x), b.t(y), loss)
        # both checks start from these weights: after the timed steps have fitted the
        # batch, gradients are ~0 and Adam's sign-like first step would compare noise
        initial = {k: v.detach().clone() for k, v in tmodel.state_dict().items()}

    def check():
        if torch is None:
            fmodel.train()
            fd_step()
            return 0.0
        # fresh optimisers so both take a first Adam step from the same state
        fmodel.eval(), tmodel.eval()
        tmodel.load_state_dict(initial)
        _copy_params(tmodel, fmodel)
        fo = fastdl.optim.Adam(fmodel.parameters(), lr=1e-3)
        to = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        lf = _step_fn(fastdl, fmodel, fo, fx, fy, loss)()
        lt = _step_fn(torch, tmodel, to, b.t(x), b.t(y), loss)()
        fp, tp = dict(fmodel.named_parameters()), dict(tmodel.named_parameters())
        err = max(relerr(lf.item(), lt.item()), _grads_err([(fp[k].grad, tp[k].grad) for k in tp]))
        # Adam's first step is ~lr * sign(grad): a gradient that is ~0 may flip sign, so
        # allow a few such entries but no systematic difference.
        flipped = sum(int(np.sum(np.abs(_np(fp[k]) - _np(tp[k])) > 1e-5)) for k in tp)
        total = sum(p.numel() for p in tp.values())
        fmodel.train(), tmodel.train()
        return err if flipped <= 1e-3 * total else math.inf

    return b.run(name, shape, {"fastdl": fd_step, "torch": t_step}, check, tol=2e-3)


def train_steps(b):
    rng = np.random.default_rng(4)
    img = rng.standard_normal((64, 1, 28, 28), np.float32)
    labels = rng.integers(0, 10, 64).astype(np.int64)
    bench_train(b, "train step MNIST CNN", "batch 64, Adam", mnist_cnn, img, labels, "nll")
    bench_train(b, "train step LSTM clf", "batch 64, 28x28 rows, 2x128", lstm_classifier,
                img.reshape(64, 28, 28), labels, "nll")
    obs = rng.standard_normal((32, 4), np.float32)
    target = rng.standard_normal((32, 2), np.float32)
    bench_train(b, "train step MLP (small)", "4-64-64-2 batch 32, Adam", cartpole_mlp, obs, target, "mse")


# ---- subprocess measurements: import time, peak RSS, live buffers ----------------------

_IMPORT_PROBE = "import time; t0 = time.perf_counter(); import {mod}; print(time.perf_counter() - t0)"

_RSS_PROBE = r"""
import sys, numpy as np
sys.path.insert(0, {path!r})
lib = __import__({mod!r})
{defs}
lib.set_num_threads({threads})
rng = np.random.default_rng(0)
x = lib.tensor(rng.standard_normal((64, 1, 28, 28), np.float32))
y = lib.tensor(rng.integers(0, 10, 64).astype(np.int64))
model = mnist_cnn(lib)
step = _step_fn(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y, "nll")
live = {{}}
for i in range(1, {steps} + 1):
    step()
    if {mod!r} == "fastdl" and i in {marks}:
        live[i] = lib._C.live_buffers()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork+exec
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(rss, *[live[k] for k in sorted(live)])
"""

_LIVE_PROBE = r"""
import sys, numpy as np
sys.path.insert(0, {path!r})
import fastdl
from fastdl.bench import cartpole_mlp, _step_fn
rng = np.random.default_rng(0)
x, y = fastdl.tensor(rng.standard_normal((32, 4), np.float32)), fastdl.tensor(rng.standard_normal((32, 2), np.float32))
model = cartpole_mlp(fastdl)
step = _step_fn(fastdl, model, fastdl.optim.Adam(model.parameters(), lr=1e-3), x, y, "mse")
live = []
for i in range(1, 1001):
    step()
    if i in (100, 1000):
        live.append(fastdl._C.live_buffers())
print(*live)
"""


def _python(code, env=None):
    env = dict(os.environ) if env is None else env
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=env).stdout.split()


def _bytecode_env(cache_dir):
    """The environment with compiled bytecode cached in cache_dir, as an installed package
    has its .pyc files: a source tree run under PYTHONDONTWRITEBYTECODE=1 would otherwise
    compile every module on every import (most of fastdl's import time), and torch's .pyc
    files from its installation would make the comparison unfair."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=cache_dir)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def import_time(b):
    import tempfile
    runs = 3 if b.quick else 7
    fd, tt = [], []
    mods = ["fastdl"] + (["torch"] if b.torch else [])
    with tempfile.TemporaryDirectory() as cache:
        env = _bytecode_env(cache)
        for mod in mods:  # writes the bytecode cache
            _python(_IMPORT_PROBE.format(mod=mod), env)
        for _ in range(runs):  # interleaved fresh interpreters
            fd.append(float(_python(_IMPORT_PROBE.format(mod="fastdl"), env)[0]))
            if b.torch:
                tt.append(float(_python(_IMPORT_PROBE.format(mod="torch"), env)[0]))
    r = {"kernel": "import", "fastdl_ms": 1e3 * statistics.median(fd), "runs": runs}
    if tt:
        ratios = [t / f_ for t, f_ in zip(tt, fd)]
        r["torch_ms"] = 1e3 * statistics.median(tt)
        r["vs_torch"] = {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}
    print(f"import fastdl: {r['fastdl_ms']:.0f} ms" + (f"  torch: {r['torch_ms']:.0f} ms  ratio "
                                                        f"{_fmt_ratio(r['vs_torch'])}" if tt else ""))
    return r


def memory(b):
    path = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # the model code travels as source so that the torch run does not import fastdl
    defs = "\n".join(inspect.getsource(fn) for fn in (mnist_cnn, _step_fn))
    steps = 60 if b.quick else 300
    marks = (10, steps)
    r = {"cnn_steps": steps}
    out = _python(_RSS_PROBE.format(defs=defs, path=path, mod="fastdl", threads=b.threads, steps=steps, marks=marks))
    r["fastdl_peak_rss_mb"] = float(out[0])
    r["cnn_live_buffers"] = {str(marks[0]): int(out[1]), str(marks[1]): int(out[2])}
    if b.torch:
        r["torch_peak_rss_mb"] = float(_python(_RSS_PROBE.format(defs=defs, path=path, mod="torch", threads=b.threads,
                                                                 steps=steps, marks=marks))[0])
    live = _python(_LIVE_PROBE.format(path=path))
    r["mlp_live_buffers"] = {"100": int(live[0]), "1000": int(live[1])}
    r["no_growth"] = live[0] == live[1] and out[1] == out[2]
    print(f"peak RSS, CNN training {steps} steps: fastdl {r['fastdl_peak_rss_mb']:.0f} MB"
          + (f", torch {r['torch_peak_rss_mb']:.0f} MB" if b.torch else "")
          + f"; live buffers CNN {r['cnn_live_buffers']}, MLP {r['mlp_live_buffers']} "
          f"({'no growth' if r['no_growth'] else 'GROWTH'})")
    return r


# ---- driver ---------------------------------------------------------------------------

def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "avx2": bool(_C.use_avx2())}


def remeasure_fma_peak(b, info, probe):
    """Measures the FMA peak once more after the rows (on this shared VM one probe read
    half of it: a vCPU stolen by the host for the whole probe) and, if higher, quotes
    every row's % of peak against it. Both readings go into `info`."""
    if not b.fma_peak:
        return
    end_peak = probe(b.threads)
    info["fma_peak_gflops_start"], info["fma_peak_gflops_end"] = b.fma_peak, end_peak
    if end_peak <= b.fma_peak:
        return
    print(f"FMA peak re-measured after the rows: {end_peak:.0f} GFLOP/s (before them {b.fma_peak:.0f}); "
          f"the JSON's % of peak uses it", flush=True)
    b.fma_peak = info["fma_peak_gflops"] = end_peak
    for row in b.rows:
        if "pct_fma_peak" in row:
            row["pct_fma_peak"] = 100.0 * row["GFLOP/s"] / end_peak


def run(quick=False, json_path=None, threads=None):
    try:
        import torch
    except ImportError:
        torch = None
    threads = threads or fastdl.get_num_threads()
    fastdl.set_num_threads(threads)
    if torch:
        torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(threads, user_api="blas")
    except ImportError:
        limiter = None
    b = Bench(threads, quick, torch)
    info = {**machine(), "threads": threads, "torch": torch.__version__ if torch else None,
            "quick": quick, "load_before": os.getloadavg(),
            "ratio": "t_ref / t_fastdl per interleaved round (> 1: fastdl faster); median [min, max]",
            "blas_threads_limited": limiter is not None, "fma_peak_gflops": b.fma_peak}
    peak = f"FMA peak {b.fma_peak:.0f} GFLOP/s" if b.fma_peak else "no AVX2+FMA"
    print(f"fastdl bench: {info['cpu']}, {threads} threads, {peak}, load {info['load_before'][0]:.2f}, "
          f"torch {info['torch']}, {'quick' if quick else 'full'}")
    _print_header()
    for n in (QUICK_SQUARE if quick else FULL_SQUARE):
        bench_gemm(b, n, n, n, "sgemm square")
    for m, k, n in MODEL_GEMMS:
        bench_gemm(b, m, k, n, "sgemm model")
    bench_conv(b, 1, 32, 28, False)
    bench_conv(b, 32, 64, 26, True)
    bench_maxpool(b)
    bench_lstm_layer(b)
    bench_small_ops(b)
    train_steps(b)
    remeasure_fma_peak(b, info, _C.cpu.fma_peak_gflops)
    result = {"machine": info, "results": b.rows, "import": import_time(b), "memory": memory(b)}
    info["load_after"] = os.getloadavg()
    json_path = json_path or os.path.join("bench", "results", "cpu.json")
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, "w") as fh:
        json.dump(result, fh, indent=1)
    print(f"wrote {json_path}")
    return 0 if all(r["valid"] for r in b.rows) and result["memory"]["no_growth"] else 1


def add_arguments(p):
    p.add_argument("--quick", action="store_true", help="skip n=4096 and time fewer rounds")
    p.add_argument("--json", default=None, help="results file (default bench/results/cpu.json)")
    p.add_argument("--threads", type=int, default=None, help="threads for every library (default: fastdl's)")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m fastdl.bench", description=__doc__.split("\n\n")[0])
    add_arguments(ap)
    args = ap.parse_args(argv)
    return run(args.quick, args.json, args.threads)


if __name__ == "__main__":
    sys.exit(main())
