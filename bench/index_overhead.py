"""Per-call cost of indexing, .item() and nll_loss on small tensors, fastdl next to torch,
by CPU time of this thread at 1 thread (time.thread_time), each case timed for both
libraries in the same process, alternating, minimum of 11 rounds. These are the
patterns of PyTorch tutorials and RL code: `loss.item()`, `x[0]`, `q[range(n), actions]`,
`x[mask]`, `emb[ids]`, `nll_loss(log_softmax(x), t)` at batch 1.

    PYTHONPATH=python python3 bench/index_overhead.py [--json OUT]

Prints microseconds per call and torch / fastdl (above 1: fastdl faster).
"""
import argparse
import json
import time


def per_call_us(f, n=2000, rounds=11):
    for _ in range(100):
        f()
    best = float("inf")
    for _ in range(rounds):
        t = time.thread_time()
        for _ in range(n):
            f()
        best = min(best, (time.thread_time() - t) / n * 1e6)
    return best


def cases(lib):
    F = lib.nn.functional
    lib.manual_seed(0)
    x = lib.randn(8, 59, requires_grad=True)
    loss = (x * 2).sum()
    flat = lib.randn(59)
    idx = lib.tensor([3])
    q = lib.randn(32, 2, requires_grad=True)
    rows, acts = lib.arange(32), lib.randint(0, 2, (32,))
    y = lib.randn(64, 10)
    mask = y > 0
    emb, ids = lib.randn(100, 16), lib.randint(0, 100, (8, 5))
    logits = lib.randn(1, 59, requires_grad=True)
    logp = F.log_softmax(logits, 1).detach()
    target = lib.tensor([3])

    def nll_step():
        F.nll_loss(F.log_softmax(logits, 1), target).backward()

    def put():
        y[mask] = 0.0

    return {
        "loss.item()": lambda: loss.item(),
        "x[0]": lambda: x[0],
        "x[:, 1:3]": lambda: x[:, 1:3],
        "flat[idx]": lambda: flat[idx],
        "q[rows, acts]": lambda: q[rows, acts],
        "y[mask]": lambda: y[mask],
        "emb[ids]": lambda: emb[ids],
        "y[mask] = 0": put,
        "take(x, idx)": lambda: lib.take(x, idx),
        "nll_loss (1, 59)": lambda: F.nll_loss(logp, target),
        "log_softmax + nll_loss + backward": nll_step,
    }


def compare(make_cases, json_path=None):
    """Times every case of make_cases(lib) for fastdl and (where installed) torch at 1
    thread, prints a row each and writes them to json_path."""
    import fastdl
    fastdl.set_num_threads(1)
    libs = {"fastdl": make_cases(fastdl)}
    try:
        import torch
        torch.set_num_threads(1)
        libs["torch"] = make_cases(torch)
    except ImportError:
        pass
    rows = []
    for name in libs["fastdl"]:
        us = {lib: per_call_us(fns[name]) for lib, fns in libs.items()}
        ratio = us["torch"] / us["fastdl"] if "torch" in us else None
        rows.append({"case": name, **{f"{lib}_us": round(v, 2) for lib, v in us.items()},
                     "torch_over_fastdl": None if ratio is None else round(ratio, 2)})
        print(f"{name:36s} fastdl {us['fastdl']:8.2f} us" + (f"   torch {us['torch']:7.2f} us   {ratio:5.2f}"
                                                             if ratio else ""), flush=True)
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"threads": 1, "rows": rows}, f, indent=1)


def main(make_cases=cases):
    """The command line of this bench and of op_overhead.py: [--json OUT]."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    compare(make_cases, ap.parse_args().json)


if __name__ == "__main__":
    main()
