"""GPU layer benchmarks: fastdl's own CUDA kernels vs torch (cuDNN / CUDA) on the same
device and, through DLPack, the same buffers.

Cases (issue #6 targets in brackets):
  conv2d forward on the MNIST-CNN shapes vs cuDNN (fp32, TF32 off)   [>= 50% of cuDNN],
    once per fastdl.backends.cuda.conv.algorithm (im2col, implicit_gemm; the "auto"
    rule picks between them by workspace size and should be tuned from these rows)
  max_pool2d 2x2 and elementwise add / relu as % of the device-to-device copy
    bandwidth measured in the same run                               [>= 80%]
  LSTM layer forward + backward vs torch.nn.LSTM (cuDNN)             [>= 70% of cuDNN]
  a full training step of the PyTorch-MNIST CNN (Adam) vs torch      [within 1.5x]
Each case is validated against torch before and after timing; times are medians of
CUDA-event-timed repetitions after warm-up, with L2 flushed (a 256 MB write) before
each repetition. Prints a table and, last, `RESULT <json>` for bench/gpu_check.sh
(bench/gpu_layers.py); `fastdl bench --device cuda` runs it too.

--dry-run runs every case on the CPU with tiny shapes and torch CPU as the reference:
it checks the script's logic (DLPack sharing, weight copies, validation) on a machine
without a GPU; its times mean nothing.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np

import fastdl
import fastdl.nn as fnn
import fastdl.nn.functional as fF


def torch_view(t):
    """The torch tensor over a fastdl tensor's memory (DLPack, no copy)."""
    import torch
    return torch.from_dlpack(t.detach())


class Clock:
    """Median milliseconds of fn(): CUDA events on the default stream (which both
    libraries use) on a GPU, perf_counter on the CPU."""

    def __init__(self, torch, cuda, reps):
        self.torch, self.cuda, self.reps = torch, cuda, reps
        self.flush = torch.empty(64 << 20, device="cuda") if cuda else None  # 256 MB > the H200's 60 MB L2

    def __call__(self, fn, warmup=3):
        torch = self.torch
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(self.reps):
            if self.cuda:
                self.flush.zero_()
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)


def check(name, got, want, rtol, atol):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol, err_msg=name)


def conv_cases(torch, dev, clock, small):
    tF = torch.nn.functional
    rows = []
    batch = 4 if small else 64
    flags = fastdl.backends.cuda.conv
    for name, x_shape, w_shape in [("conv2d 1->32 3x3", (batch, 1, 28, 28), (32, 1, 3, 3)),
                                   ("conv2d 32->64 3x3", (batch, 32, 26, 26), (64, 32, 3, 3))]:
        x, w, b = fastdl.randn(*x_shape, device=dev), fastdl.randn(*w_shape, device=dev) * 0.1, \
            fastdl.randn(w_shape[0], device=dev)
        tx, tw, tb = torch_view(x), torch_view(w), torch_view(b)
        ours = lambda: fF.conv2d(x, w, b)  # noqa: E731
        theirs = lambda: tF.conv2d(tx, tw, tb)  # noqa: E731
        t_theirs = clock(theirs)
        for algo in ("im2col", "implicit_gemm"):  # only CUDA reads the setting; on the CPU both rows time one path
            flags.algorithm = algo
            try:
                check(f"{name} {algo}", torch_view(ours()).cpu(), theirs().cpu(), 1e-4, 1e-4)
                t_ours = clock(ours)
                check(f"{name} {algo} (after timing)", torch_view(ours()).cpu(), theirs().cpu(), 1e-4, 1e-4)
            finally:
                flags.algorithm = "auto"
            rows.append(dict(case=f"{name} {algo}", shape=f"x{x_shape} w{w_shape}", fastdl_ms=t_ours,
                             torch_ms=t_theirs, ratio=t_theirs / t_ours, target=0.5))
    return rows


def bandwidth_cases(torch, dev, clock, small):
    """Pooling and elementwise as a fraction of the device-to-device copy bandwidth."""
    n = 1 << (16 if small else 24)
    src, dst = torch.rand(n, device=dev), torch.empty(n, device=dev)
    t_copy = clock(lambda: dst.copy_(src))
    copy_gbs = 2 * 4 * n / t_copy / 1e6
    rows = [dict(case="d2d copy (torch)", shape=f"({n},)", fastdl_ms=None, torch_ms=t_copy, gbs=copy_gbs)]
    a, b = fastdl.from_dlpack(src), fastdl.from_dlpack(dst)
    pool_shape = (4, 64, 24, 24) if small else (64, 64, 96, 96)
    x = fastdl.randn(*pool_shape, device=dev)
    tx = torch_view(x)
    out_elems = x.numel() // 4
    cases = [("add f32", 3 * 4 * n, lambda: a + b, lambda: src + dst),
             ("relu f32", 2 * 4 * n, lambda: fF.relu(a), lambda: torch.relu(src)),
             ("max_pool2d 2x2 fwd", 4 * x.numel() + (4 + 8) * out_elems,  # x read; out + int64 indices written
              lambda: fF.max_pool2d(x, 2), lambda: torch.nn.functional.max_pool2d(tx, 2, return_indices=True)[0])]
    for name, nbytes, ours, theirs in cases:
        check(name, torch_view(ours()).cpu(), theirs().cpu(), 1e-6, 1e-6)
        t_ours, t_theirs = clock(ours), clock(theirs)
        gbs = nbytes / t_ours / 1e6
        rows.append(dict(case=name, shape=str(pool_shape if "pool" in name else (n,)), fastdl_ms=t_ours,
                         torch_ms=t_theirs, ratio=t_theirs / t_ours, gbs=gbs, of_copy=gbs / copy_gbs, target=0.8))
    return rows


def copy_params(ours, theirs, torch):
    """torch module <- fastdl module's weights (PyTorch names and layouts)."""
    mine = dict(ours.named_parameters())
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch_view(mine[name]))


def lstm_case(torch, dev, clock, small):
    T, B, I, H = (5, 4, 8, 16) if small else (50, 64, 64, 128)
    ours = fnn.LSTM(I, H).to(dev)
    theirs = torch.nn.LSTM(I, H).to(dev)
    copy_params(ours, theirs, torch)
    x = fastdl.randn(T, B, I, device=dev, requires_grad=True)
    tx = torch_view(x).clone().requires_grad_(True)

    def run_ours():
        y, _ = ours(x)
        y.sum().backward()
        return y

    def run_theirs():
        y, _ = theirs(tx)
        y.sum().backward()
        return y

    check("LSTM forward", torch_view(run_ours().detach()).cpu(), run_theirs().detach().cpu(), 1e-4, 1e-5)
    check("LSTM input grad", torch_view(x.grad).cpu(), tx.grad.cpu(), 1e-4, 1e-5)
    t_ours, t_theirs = clock(run_ours), clock(run_theirs)
    check("LSTM forward (after timing)", torch_view(run_ours().detach()).cpu(), run_theirs().detach().cpu(), 1e-4, 1e-5)
    return [dict(case="LSTM layer f+b", shape=f"T{T} B{B} {I}->{H}", fastdl_ms=t_ours, torch_ms=t_theirs,
                 ratio=t_theirs / t_ours, target=0.7)]


def mnist_cnn(nn, flat):
    """The PyTorch examples' MNIST CNN (dropout left out: both sides must compute the same step)."""
    return nn.Sequential(nn.Conv2d(1, 32, 3, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(flat, 128), nn.ReLU(), nn.Linear(128, 10))


def train_step_case(torch, dev, clock, small):
    batch, side = (4, 12) if small else (64, 28)
    flat = 64 * ((side - 4) // 2) ** 2
    ours, theirs = mnist_cnn(fnn, flat).to(dev), mnist_cnn(torch.nn, flat).to(dev)
    copy_params(ours, theirs, torch)
    opt_ours = fastdl.optim.Adam(ours.parameters(), lr=1e-3)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    x = fastdl.randn(batch, 1, side, side, device=dev)
    y = fastdl.randint(0, 10, (batch,), device=dev)
    tx, ty = torch_view(x), torch_view(y)

    def step_ours():
        opt_ours.zero_grad()
        loss = fastdl.cross_entropy(ours(x), y)
        loss.backward()
        opt_ours.step()
        return loss

    def step_theirs():
        opt_theirs.zero_grad()
        loss = torch.nn.functional.cross_entropy(theirs(tx), ty)
        loss.backward()
        opt_theirs.step()
        return loss

    for _ in range(2):  # the same weights must give the same losses, step after step
        check("CNN train step loss", step_ours().item(), step_theirs().item(), 1e-4, 1e-5)
    t_ours, t_theirs = clock(step_ours), clock(step_theirs)
    check("CNN weights (after timing)", torch_view(ours[0].weight).cpu(), theirs[0].weight.detach().cpu(), 1e-3, 1e-4)
    return [dict(case="train step MNIST CNN (Adam)", shape=f"batch {batch}", fastdl_ms=t_ours, torch_ms=t_theirs,
                 ratio=t_theirs / t_ours, target=1 / 1.5)]


def measure(dry_run=False, reps=20):
    """The table's rows as a result dict, or None without a GPU visible to fastdl and torch."""
    import torch
    cuda = not dry_run
    if cuda and not (fastdl.cuda.is_available() and torch.cuda.is_available()):
        print("gpu_layers: needs a GPU visible to both fastdl and torch (use --dry-run on a CPU)")
        return None
    dev = "cuda" if cuda else "cpu"
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False  # fp32 against fp32
    torch.backends.cuda.matmul.allow_tf32 = False
    fastdl.manual_seed(0)
    torch.manual_seed(0)
    clock = Clock(torch, cuda, 3 if dry_run else reps)
    rows = []
    for case in (conv_cases, bandwidth_cases, lstm_case, train_step_case):
        rows += case(torch, dev, clock, dry_run)
    where = fastdl.cuda.get_device_name(0) if cuda and hasattr(fastdl.cuda, "get_device_name") else dev
    print(f"device: {where}  (ratio = t_torch / t_fastdl; target in brackets)")
    print(f"{'case':30s} {'shape':26s} {'fastdl ms':>10s} {'torch ms':>9s} {'ratio':>6s} {'GB/s':>7s} {'%copy':>6s}")
    for r in rows:
        fmt = lambda k, f: format(r[k], f) if r.get(k) is not None else "-"  # noqa: E731
        pct = f"{100 * r['of_copy']:.0f}%" if "of_copy" in r else "-"
        tgt = f" [{r['target']:.2f}]" if "target" in r else ""
        print(f"{r['case']:30s} {r['shape']:26s} {fmt('fastdl_ms', '.3f'):>10s} {fmt('torch_ms', '.3f'):>9s} "
              f"{fmt('ratio', '.2f'):>6s} {fmt('gbs', '.0f'):>7s} {pct:>6s}{tgt}")
    return {"bench": "gpu_layers", "dry_run": dry_run, "rows": rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="tiny shapes on the CPU: checks the script, not speed")
    ap.add_argument("--reps", type=int, default=20)
    args = ap.parse_args(argv)
    result = measure(args.dry_run, args.reps)
    if result is None:
        return 1
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
