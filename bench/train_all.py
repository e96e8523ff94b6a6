"""Full-budget wall-clock runs of every model family, one after another, on N threads.

Each family runs as `python -m fastdl.cli train FAMILY --out OUT/FAMILY --quiet` in its own
process (its DEFAULTS unless --set/--epochs/--steps say otherwise), with
FASTDL_NUM_THREADS=N. Recorded per family: wall seconds of the process, its user+system
CPU seconds, the run's own training seconds from metrics.json, the load average before
it, and the summary figures from metrics.json. Written to a JSON file and printed as a
Markdown table, so the figures in the docs come from one command:

    PYTHONPATH=python python3 bench/train_all.py --threads 2 --out /tmp/train_all
    PYTHONPATH=python python3 bench/train_all.py --families cnn,vae --epochs 1   # a quick try
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

LONG_TEXT = 40  # summary strings longer than this (sampled text, vocabularies) stay in the JSON only


def families():
    from fastdl.models import FAMILIES
    return list(FAMILIES)


def package_root():
    """The folder holding the fastdl this script imported: the runs use the same build
    (an installed wheel, or python/ with a dev build under PYTHONPATH)."""
    import fastdl
    return os.path.dirname(os.path.dirname(os.path.abspath(fastdl.__file__)))


def child_cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_family(family, args):
    out_dir = os.path.join(args.out, family)
    os.makedirs(out_dir, exist_ok=True)
    cmd = [sys.executable, "-m", "fastdl.cli", "train", family, "--out", out_dir, "--quiet",
           "--seed", str(args.seed)]
    for flag in ("epochs", "steps"):
        if getattr(args, flag) is not None:
            cmd += [f"--{flag}", str(getattr(args, flag))]
    for kv in args.set or []:
        cmd += ["--set", kv]
    env = dict(os.environ, FASTDL_NUM_THREADS=str(args.threads),
               PYTHONPATH=os.pathsep.join(filter(None, [package_root(), os.environ.get("PYTHONPATH")])))
    load = os.getloadavg()[0]
    cpu0, t0 = child_cpu_seconds(), time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, child_cpu_seconds() - cpu0
    row = {"family": family, "command": " ".join(cmd[1:]), "returncode": proc.returncode,
           "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "load_before": round(load, 2)}
    metrics = os.path.join(out_dir, "metrics.json")
    if proc.returncode == 0 and os.path.exists(metrics):
        with open(metrics) as f:
            record = json.load(f)
        row.update(train_s=record.get("seconds"), threads=record.get("threads"), summary=record.get("summary"))
    else:
        row["error"] = (proc.stderr or proc.stdout)[-2000:]
    return row


def headline(summary):
    """The summary's short figures, for the table (the JSON keeps everything)."""
    parts = []
    for key, value in (summary or {}).items():
        if isinstance(value, float):
            parts.append(f"{key} {value:.4g}")
        elif isinstance(value, (int, bool)) or (isinstance(value, str) and len(value) <= LONG_TEXT):
            parts.append(f"{key} {value}")
        elif isinstance(value, list) and len(value) <= 4 and all(isinstance(v, (int, float)) for v in value):
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def markdown(rows):
    lines = ["| family | wall s | CPU s | training s (metrics.json) | load before | result |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        result = headline(r.get("summary")) if "error" not in r else f"FAILED (rc {r['returncode']})"
        lines.append(f"| {r['family']} | {r['wall_s']} | {r['cpu_s']} | {r.get('train_s', '')} | "
                     f"{r['load_before']} | {result} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--families", help="comma-separated subset (default: every family)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="passed to every family's run")
    p.add_argument("--out", default="/tmp/fastdl_train_all", help="folder for each family's run")
    p.add_argument("--json", default=None, help="results file (default: OUT/train_all.json)")
    args = p.parse_args(argv)
    chosen = args.families.split(",") if args.families else families()
    unknown = sorted(set(chosen) - set(families()))
    if unknown:
        p.error(f"unknown families {unknown}; choose from {families()}")
    rows = []
    for family in chosen:
        rows.append(run_family(family, args))
        r = rows[-1]
        print(f"{family}: {r['wall_s']} s wall, {r['cpu_s']} s CPU  {headline(r.get('summary')) or r.get('error', '')[-300:]}",
              flush=True)
    path = args.json or os.path.join(args.out, "train_all.json")
    with open(path, "w") as f:
        json.dump({"threads": args.threads, "seed": args.seed, "cpu_count": os.cpu_count(), "rows": rows}, f, indent=1)
    print(markdown(rows))
    print(f"results: {path}")
    return 0 if all(r["returncode"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
