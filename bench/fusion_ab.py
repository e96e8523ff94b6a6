"""Sequential's Linear + activation fusion (bench/README item 29): the fused nets against the
same modules called one by one, in one process, interleaved (15 rounds of 200 calls),
CPU time of this thread at 1 thread, forward + backward. Usage:

    PYTHONPATH=python python3 bench/fusion_ab.py
"""
import time

import numpy as np

import fastdl
from fastdl import nn

fastdl.set_num_threads(1)
cases = {
    "dqn 4-256-256-2 relu, batch 64": (nn.Sequential(nn.Linear(4, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 2)), (64, 4)),
    "ppo 4-64-64-2 tanh, batch 256": (nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2)), (256, 4)),
    "ae enc 64-256-128-8 relu, batch 64": (nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 8)), (64, 64)),
}


def one_by_one(m, x):
    for mod in m:
        x = mod(x)
    return x


for name, (m, shape) in cases.items():
    x = fastdl.randn(*shape)
    fns = {"fused": lambda: m(x).sum().backward(), "unfused": lambda: one_by_one(m, x).sum().backward()}
    res = {k: [] for k in fns}
    for f in fns.values():  # warm-up
        for _ in range(200):
            f()
    for _ in range(15):
        for k, f in fns.items():
            t = time.thread_time()
            for _ in range(200):
                f()
            res[k].append((time.thread_time() - t) / 200 * 1e6)
    fu, un = np.median(res["fused"]), np.median(res["unfused"])
    r = np.array(res["unfused"]) / np.array(res["fused"])
    print(f"{name}: fused {fu:.1f} us, unfused {un:.1f} us, ratio {np.median(r):.3f} [{r.min():.3f}, {r.max():.3f}]")
