"""Crash / hang fuzzer for the public API by random argument combinations (not collected by
pytest; tests/test_fuzz_api.py runs a small sample of it in CI). tests/fuzz_ops.py is the
other driver: fixed edge-case variants of each op's samples, compared with torch. This one
compares nothing; it reaches what that one does not: random positional and keyword
combinations, backward through every result, and the classes (module constructors,
optimizers with random hyperparameters, LR schedulers over many steps).

Every public callable of `fastdl` and `fastdl.nn.functional`, every Tensor method, every
nn.Module / optimizer / LR-scheduler class is called with random combinations of awkward
arguments (tensors of 0-4 dims incl. empty, int64 / bool / float64 / bfloat16, transposed,
expanded, NaN / inf; scalars, 2**40, negative sizes, strings, None), each name in its own
process under a 6 GiB address-space limit. A Python exception is the expected outcome of a
bad call; a process that dies (signal, abort) or outlives --timeout is reported with the
last call it logged. Session 30 ran all five modes (over 400k calls): one hang, ASGD's
integer-power step size, fixed.

    PYTHONPATH=python python3 tests/fuzz_api.py --modes positional methods keywords grad classes
    PYTHONPATH=python python3 tests/fuzz_api.py --modes grad --only conv2d max_pool2d --combos 100
"""
import argparse
import inspect
import os
import random
import subprocess
import sys
import tempfile

MODES = ("positional", "methods", "keywords", "grad", "classes")
# Process-wide state, file and network access, or waiting by design: not fuzzed.
SKIP = {"load", "save", "manual_seed", "seed", "compile", "set_default_device", "set_default_dtype",
        "set_num_threads", "set_num_interop_threads", "set_printoptions", "set_rng_state", "set_grad_enabled",
        "use_deterministic_algorithms", "set_float32_matmul_precision", "set_anomaly_enabled", "set_warn_always",
        "from_file", "set_autocast_enabled", "set_deterministic_debug_mode", "set_default_tensor_type",
        "set_autocast_dtype", "set_autocast_cache_enabled", "frombuffer", "from_dlpack"}
SKIP_METHODS = {"register_hook", "backward", "share_memory_", "numpy", "tolist", "item"}
OPERATORS = ("__getitem__", "__setitem__", "__add__", "__matmul__", "__pow__", "__truediv__", "__floordiv__",
             "__mod__", "__and__", "__lshift__", "__rshift__", "__eq__", "__lt__", "__iadd__", "__imul__",
             "__ipow__", "__neg__", "__abs__", "__invert__", "__len__", "__iter__", "__bool__", "__float__",
             "__int__", "__index__", "__contains__", "__rpow__", "__rsub__", "__rtruediv__", "__rmatmul__")
KEYWORDS = ("dim", "keepdim", "dtype", "out", "reduction", "weight", "bias", "stride", "padding", "dilation",
            "groups", "kernel_size", "p", "eps", "momentum", "training", "inplace", "ignore_index",
            "label_smoothing", "size", "scale_factor", "mode", "align_corners", "output_size", "return_indices",
            "ceil_mode", "value", "index", "src", "other", "alpha", "beta", "min", "max", "start", "end", "steps")


def targets(modes):
    import fastdl
    from fastdl import nn, optim
    from fastdl.optim import lr_scheduler
    F = fastdl.nn.functional

    def functions(mod, where):
        return [(mod, n) for n in dir(where) if not n.startswith("_") and n not in SKIP
                and callable(getattr(where, n)) and not inspect.isclass(getattr(where, n))
                and not inspect.ismodule(getattr(where, n))]

    out = []
    for mode in modes:
        if mode in ("positional", "keywords", "grad"):
            out += [(mode,) + t for t in functions("fastdl", fastdl) + functions("F", F)]
        elif mode == "methods":
            names = [n for n in dir(fastdl.Tensor) if not n.startswith("_") and n not in SKIP_METHODS
                     and callable(getattr(fastdl.Tensor, n, None))]
            out += [(mode, "Tensor", n) for n in names + list(OPERATORS)]
        elif mode == "classes":
            out += [(mode, "nn", n) for n in dir(nn) if inspect.isclass(getattr(nn, n))
                    and issubclass(getattr(nn, n), nn.Module) and n != "Module"]
            out += [(mode, "optim", n) for n in dir(optim) if inspect.isclass(getattr(optim, n))
                    and issubclass(getattr(optim, n), optim.Optimizer) and n != "Optimizer"]
            out += [(mode, "sched", n) for n in dir(lr_scheduler) if inspect.isclass(getattr(lr_scheduler, n))
                    and n not in ("LRScheduler", "_LRScheduler", "Optimizer", "Counter")]
    return out


def child(mode, mod, name, seed, combos, log_path):
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
    import numpy as np
    import fastdl
    from fastdl import nn, optim
    from fastdl.optim import lr_scheduler
    F = fastdl.nn.functional
    log = open(log_path, "w", buffering=1)
    rng = random.Random(seed)

    def t(shape, dt, grad=False):
        a = np.random.RandomState(0).standard_normal(shape)
        a = (a * 3).astype(np.int64) if dt == "int64" else a > 0 if dt == "bool" else a.astype(dt)
        return lambda: fastdl.tensor(a, requires_grad=grad)

    pool = []
    dtypes = ("float32", "float64") if mode == "grad" else ("float32", "float64", "int64", "bool")
    for shape in [(), (0,), (3,), (2, 3), (2, 0, 3), (1, 3, 4, 4), (2, 3, 5, 5), (4, 1), (1, 2, 6)]:
        for dt in dtypes:
            pool.append((f"T{shape}{dt}", t(shape, dt, mode == "grad")))
    grad = mode == "grad"
    pool += [("T(3,4).t()", lambda: fastdl.tensor(np.ones((3, 4), np.float32), requires_grad=grad).t()),
             ("T(3,).expand(4,3)", lambda: fastdl.tensor(np.ones(3, np.float32), requires_grad=grad).expand(4, 3)),
             ("T(5,) nan/inf", lambda: fastdl.tensor(np.array([np.nan, np.inf, -np.inf, 0, 1], np.float32))),
             ("T(2,) bf16", lambda: fastdl.tensor(np.ones(2, np.float32)).to(fastdl.bfloat16))]
    scalars = [0, -1, 2, 1.5, 1e30, float("nan"), 2 ** 40, -(2 ** 40), None, "x", (2, 3), (-1,), [], True, -3,
               (0,), [1, 0]]
    pool += [(repr(v), (lambda v=v: v)) for v in scalars]

    def finish(r, args):
        outs = r if isinstance(r, (tuple, list)) else [r]
        for o in outs:
            if not isinstance(o, fastdl.Tensor):
                continue
            if grad and o.requires_grad and o.is_floating_point():
                o.sum().backward(retain_graph=True)
                for a in args:
                    if isinstance(a, fastdl.Tensor) and a.grad is not None:
                        a.grad.numpy()
            elif o.numel() < 10 ** 6:
                (o.float() if o.dtype == fastdl.bfloat16 else o).numpy()

    if mode == "classes":
        cls = getattr({"nn": nn, "optim": optim, "sched": lr_scheduler}[mod], name)
        ctor = [0, 1, 2, 3, 4, -1, 16, 2 ** 31, 0.5, True, None, "same", (2, 2), (0, 1), 1e30, float("nan")]
        inputs = [p for p in pool if p[0].startswith("T")]
        for _ in range(combos):
            cargs = tuple(rng.choice(ctor) for _ in range(rng.randint(0, 4)))
            log.write(f"{name}{cargs}\n")
            p = fastdl.tensor(np.ones((3, 4), np.float32), requires_grad=True)
            try:
                if mod == "nn":
                    m = cls(*cargs)
                elif mod == "optim":
                    m = cls([p], *cargs)
                else:
                    o = optim.SGD([p], lr=0.1)
                    m = cls(o, *cargs)
            except Exception:
                continue
            for _ in range(4):
                key, make = rng.choice(inputs)
                log.write(f"    with {key}\n")
                try:
                    if mod == "nn":
                        out = m(make())
                        if isinstance(out, fastdl.Tensor) and out.requires_grad:
                            out.sum().backward()
                    elif mod == "optim":
                        p.grad = make() if rng.random() < 0.5 else fastdl.ones(3, 4)
                        m.step()
                    else:
                        for _ in range(50):
                            o.step()
                            m.step()
                        m.get_last_lr()
                except Exception:
                    pass
        log.write("DONE\n")
        return

    fn = getattr(fastdl if mod == "fastdl" else F, name) if mode != "methods" else None
    seen = set()
    for arity in range(0, 5) if mode != "grad" else range(1, 4):
        for _ in range(combos if arity else 1):
            combo = tuple(rng.choice(pool) for _ in range(arity))
            kw = {}
            if mode == "keywords" or (mode == "methods" and rng.random() < 0.3):
                for _ in range(rng.randint(1, 2)):
                    kw[rng.choice(KEYWORDS)] = rng.choice(scalars[:9] + [fastdl.float64, fastdl.int64, "mean"])
            key = (tuple(k for k, _ in combo), tuple(sorted(kw.items(), key=str)))
            if key in seen:
                continue
            seen.add(key)
            log.write(f"{name}{key[0]} {kw}\n")
            try:
                args = [make() for _, make in combo]
                if mode == "methods":
                    if not args or not isinstance(args[0], fastdl.Tensor):
                        continue
                    r = getattr(args[0], name)(*args[1:], **kw)
                else:
                    r = fn(*args, **kw)
                finish(r, args)
            except Exception:
                pass
    log.write("DONE\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--modes", nargs="+", default=["positional"], choices=MODES)
    ap.add_argument("--only", nargs="*", help="names to fuzz (default: all)")
    ap.add_argument("--combos", type=int, default=60, help="random argument tuples per arity")
    ap.add_argument("--timeout", type=float, default=90, help="seconds per name before it counts as a hang")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, mod, name, seed, combos, log_path = args.child
        return child(mode, mod, name, int(seed), int(combos), log_path)
    bad = 0
    todo = [t for t in targets(args.modes) if not args.only or t[2] in args.only]
    with tempfile.TemporaryDirectory() as logs:
        for mode, mod, name in todo:
            log_path = os.path.join(logs, f"{mode}.{mod}.{name}.log")
            cmd = [sys.executable, __file__, "--child", mode, mod, name, str(args.seed), str(args.combos), log_path]
            try:
                rc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout).returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
            if rc != 0:
                bad += 1
                last = open(log_path).read().splitlines()[-2:] if os.path.exists(log_path) else []
                print(f"{mode} {mod}.{name}: {rc}; last call logged: {last}", flush=True)
    print(f"fuzzed {len(todo)} names ({', '.join(args.modes)}): {bad} crashed or hung")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
