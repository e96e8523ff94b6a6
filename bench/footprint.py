"""Footprint of fastdl: import time and resident memory of `import fastdl` in a fresh
interpreter (median of several runs), and the installed package's size on disk.
The same is measured for torch when it is installed, in the same run.

    python bench/footprint.py [--runs 7] [--json bench/results/footprint.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

PROBE = r"""
import time, resource, sys
t0 = time.perf_counter()
import {mod}
dt = time.perf_counter() - t0
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(dt, rss_kb)
"""


def measure(mod, runs, env):
    times, rss = [], []
    subprocess.run([sys.executable, "-c", PROBE.format(mod=mod)], capture_output=True, check=True, env=env)  # caches bytecode
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE.format(mod=mod)], capture_output=True, text=True, check=True,
                             env=env)
        t, kb = out.stdout.split()
        times.append(float(t))
        rss.append(int(kb) / 1024)
    return {"import_s_median": statistics.median(times), "import_s_min": min(times),
            "max_rss_mb_median": statistics.median(rss)}


def package_size_mb(mod):
    m = __import__(mod)
    root = os.path.dirname(m.__file__)
    total = 0
    for d, _, files in os.walk(root):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files)
    return total / 2**20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    res = {"python": sys.version.split()[0]}
    # bytecode cached as an installed package has it (fastdl.bench's import_time explains why)
    from fastdl.bench import _bytecode_env
    cache = tempfile.TemporaryDirectory()
    env = _bytecode_env(cache.name)
    for mod in ("fastdl", "torch"):
        try:
            __import__(mod)
        except ImportError:
            continue
        r = measure(mod, args.runs, env)
        r["package_mb"] = package_size_mb(mod)
        res[mod] = r
        print(f"{mod:7s} import {r['import_s_median']*1000:7.1f} ms (median of {args.runs}, min "
              f"{r['import_s_min']*1000:.1f})  max RSS {r['max_rss_mb_median']:6.1f} MB  package {r['package_mb']:7.1f} MB")
    import fastdl
    res["fastdl_cuda_built"] = fastdl.cuda.is_built()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
