"""GPU elementwise throughput of fastdl._C.cuda vs torch (when importable).

Run by `fastdl bench --device cuda` and by bench/gpu_check.sh (bench/gpu_elementwise.py)
on the GPU machine. Prints a table and, last, one line
`RESULT <json>` that gpu_check.sh collects. Effective bandwidth counts each element
read and written once.
"""
import json
import sys
import time

import numpy as np

from fastdl import _C


class Dev:
    """A contiguous float32 stand-in for a fastdl.Tensor on cuda:0."""

    class _DT:
        code = 0

    def __init__(self, shape, strides=None, buf=None):
        n = int(np.prod(shape))
        self._buf = buf if buf is not None else _C.Buffer(4 * n, 1)
        self._dtype, self._shape, self._offset = Dev._DT(), tuple(shape), 0
        self._strides = tuple(strides) if strides else (shape[1], 1) if len(shape) == 2 else (1,)


def timeit(fn, sync, min_time=0.2):
    for _ in range(3):
        fn()
    sync()
    iters, t0 = 0, time.perf_counter()
    while True:
        for _ in range(10):
            fn()
        iters += 10
        sync()
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return dt / iters


def measure():
    """The table's rows as a result dict."""
    try:
        import torch
        have_torch = torch.cuda.is_available()
    except ImportError:
        have_torch = False
    rows = []
    print(f"device: {_C.cuda.device_name(0)}; torch: {'yes' if have_torch else 'no'}")
    print(f"{'case':28s} {'n':>10s} {'fastdl us':>10s} {'GB/s':>7s} {'torch us':>9s} {'GB/s':>7s}")
    for n in (1 << 20, 1 << 24, 1 << 26):
        side = int(np.sqrt(n))
        a, b, c = Dev((n,)), Dev((n,)), Dev((n,))
        sq = Dev((side, side))
        sq_t = Dev((side, side), strides=(1, side), buf=sq._buf)  # transposed view
        sq_out = Dev((side, side))
        for t in (a, b, sq):
            _C.cuda.fill(t, 0.5)
        cases = [
            ("add f32", 3 * 4 * n, lambda: _C.cuda.binary("add", a, b, c)),
            ("exp f32", 2 * 4 * n, lambda: _C.cuda.unary("exp", a, c)),
            ("copy f32 transposed", 2 * 4 * side * side, lambda: _C.cuda.copy(sq_t, sq_out)),
        ]
        if have_torch:
            ta, tb, tc = (torch.zeros(n, device="cuda") for _ in range(3))
            tsq, tsq_out = torch.zeros(side, side, device="cuda"), torch.empty(side, side, device="cuda")
            torch_fns = [lambda: torch.add(ta, tb, out=tc), lambda: torch.exp(ta, out=tc),
                         lambda: tsq_out.copy_(tsq.t())]
        for i, (name, nbytes, fn) in enumerate(cases):
            t = timeit(fn, _C.cuda.synchronize)
            row = {"case": name, "n": n, "fastdl_us": t * 1e6, "fastdl_gbs": nbytes / t / 1e9}
            if have_torch:
                tt = timeit(torch_fns[i], torch.cuda.synchronize)
                row.update(torch_us=tt * 1e6, torch_gbs=nbytes / tt / 1e9)
            rows.append(row)
            print(f"{name:28s} {n:>10d} {row['fastdl_us']:>10.1f} {row['fastdl_gbs']:>7.0f} "
                  f"{row.get('torch_us', float('nan')):>9.1f} {row.get('torch_gbs', float('nan')):>7.0f}")
        del a, b, c, sq, sq_t, sq_out
        if have_torch:
            del ta, tb, tc, tsq, tsq_out
    return {"bench": "gpu_elementwise", "rows": rows}


def main():
    print("RESULT " + json.dumps(measure()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
