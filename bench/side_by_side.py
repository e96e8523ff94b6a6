"""The timing loop that bench_elementwise.py and bench_ops.py share: each named case run by
fastdl and by torch in the interleaved rounds of fastdl.bench, at each thread count, after
a check of fastdl's result against torch's; a printed table and JSON rows."""
import argparse
import json
import platform

import fastdl
from fastdl.bench import interleaved


def run_cases(fd_cases, t_cases, threads_list, rounds, sample_s, check, title, check_name, width=22):
    """rows of {"op", "threads", check_name, timing...}; check(name) -> a number printed and kept."""
    import torch
    rows = []
    for threads in threads_list:
        fastdl.set_num_threads(threads)
        torch.set_num_threads(threads)
        print(f"\n{threads} thread(s){title}")
        print(f"{'op':{width}s} {'fastdl ms':>10s} {'torch ms':>10s} {'torch/fastdl':>13s}  [min, max]   {check_name}")
        for name in fd_cases:
            err = check(name)
            r = interleaved({"fastdl": fd_cases[name], "torch": t_cases[name]}, rounds, sample_s, settle_s=0.02)
            v = r["vs_torch"]
            print(f"{name:{width}s} {r['fastdl_ms']:10.3f} {r['torch_ms']:10.3f} {v['median']:13.2f}  "
                  f"[{v['min']:.2f}, {v['max']:.2f}]  {err:.1e}")
            rows.append({"op": name, "threads": threads, check_name: err, **r})
    return rows


def write_json(path, rows):
    import torch
    with open(path, "w") as f:
        json.dump({"machine": platform.processor() or platform.machine(), "torch": torch.__version__,
                   "avx2": bool(fastdl._C.use_avx2()), "rows": rows}, f, indent=1)


def parse_args(sample_s=0.05, extra=None):
    """The shared command line: --threads 1,2 --rounds 9 --sample-s S --json OUT; extra(parser)
    adds a script's own options."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--sample-s", type=float, default=sample_s)
    ap.add_argument("--json")
    if extra:
        extra(ap)
    return ap.parse_args()


def run_and_write(a, fd_cases, t_cases, check, check_name="check_vs_torch", width=22):
    """run_cases at the parsed thread counts and rounds, then the JSON when --json was given."""
    rows = run_cases(fd_cases, t_cases, [int(t) for t in a.threads.split(",")], a.rounds, a.sample_s, check, "",
                     check_name, width=width)
    if a.json:
        write_json(a.json, rows)
    return rows
