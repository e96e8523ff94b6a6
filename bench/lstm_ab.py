"""LSTM / GRU rows of fastdl vs torch in one process: interleaved rounds, the median of
the per-round ratios t_torch / t_fastdl (> 1: fastdl faster) with [min, max]. CPU time
(time.process_time) at 1 thread, wall time otherwise.

    PYTHONPATH=python python3 bench/lstm_ab.py THREADS ROUNDS [lstm] [lstmfwd] [clf] [gru]

lstm / gru: one layer T50 B64 64->128, forward + backward (fastdl.bench's LSTM row);
lstmfwd: the LSTM layer's forward under no_grad; clf: fastdl.bench's "train step LSTM
clf" (2-layer LSTM(28 -> 128) classifier, batch 64, Adam). To compare two builds,
alternate processes with PYTHONPATH pointing at a copy of the old python/ tree."""
import sys, time, statistics, os
import numpy as np
import torch
import fastdl
from fastdl import bench as fb

threads, rounds = int(sys.argv[1]), int(sys.argv[2])
which = sys.argv[3:] or ["lstm", "lstmfwd", "clf", "gru"]
fastdl.set_num_threads(threads); torch.set_num_threads(threads)
clock = time.process_time if threads == 1 else time.perf_counter

def tm(fn, reps):
    t0 = clock()
    for _ in range(reps): fn()
    return (clock() - t0) / reps

def ab(name, fd, tt, reps):
    for _ in range(3): fd(); tt()
    rs, a, b = [], [], []
    for _ in range(rounds):
        x = tm(fd, reps); y = tm(tt, reps)
        a.append(x); b.append(y); rs.append(y / x)
    print(f"{name:28s} fastdl {1e3*statistics.median(a):7.3f} ms  torch {1e3*statistics.median(b):7.3f} ms  "
          f"ratio {statistics.median(rs):.3f} [{min(rs):.2f},{max(rs):.2f}]", flush=True)

def layer(kind, grad):
    T, B, I, H = 50, 64, 64, 128
    rng = np.random.default_rng(3)
    x = rng.standard_normal((T, B, I), np.float32); gy = rng.standard_normal((T, B, H), np.float32)
    F, Tm = getattr(fastdl.nn, kind), getattr(torch.nn, kind)
    torch.manual_seed(0); tl = Tm(I, H); fl = F(I, H); fb._copy_params(tl, fl)
    fx = fastdl.tensor(x).requires_grad_(grad); tx = torch.from_numpy(x).requires_grad_(grad)
    fgy, tgy = fastdl.tensor(gy), torch.from_numpy(gy)
    def f():
        if grad:
            fx.grad = None; fl.zero_grad(set_to_none=True); y, _ = fl(fx); y.backward(fgy)
        else:
            with fastdl.no_grad(): fl(fx)
    def t():
        if grad:
            tx.grad = None; tl.zero_grad(set_to_none=True); y, _ = tl(tx); y.backward(tgy)
        else:
            with torch.no_grad(): tl(tx)
    return f, t

def clf():
    rng = np.random.default_rng(4)
    img = rng.standard_normal((64, 28, 28), np.float32); labels = rng.integers(0, 10, 64).astype(np.int64)
    out = []
    for lib, conv in ((fastdl, fastdl.tensor), (torch, torch.from_numpy)):
        if lib is torch: torch.manual_seed(0)
        m = fb.lstm_classifier(lib); opt = lib.optim.Adam(m.parameters(), lr=1e-3)
        out.append(fb._step_fn(lib, m, opt, conv(img), conv(labels), "nll"))
    return out

print(f"threads {threads} rounds {rounds} load {os.getloadavg()[0]:.2f}", flush=True)
for w in which:
    if w == "lstm": ab("LSTM layer f+b", *layer("LSTM", True), 5)
    if w == "lstmfwd": ab("LSTM layer fwd no-grad", *layer("LSTM", False), 10)
    if w == "clf": ab("train step LSTM clf", *clf(), 5)
    if w == "gru": ab("GRU layer f+b", *layer("GRU", True), 5)
print(f"load after {os.getloadavg()[0]:.2f}")
