"""Fuzz driver (a script, not a pytest module): calls the public API with edge-case
arguments and compares with torch.

    FASTDL_CUDA=OFF PYTHONPATH=python:tests python3 tests/fuzz_ops.py [--only SUBSTR] [--out report.txt]

Covers every op of tests/op_table.py (its samples with edge-case variants), every
`fastdl.X` callable, `Tensor` methods, `nn.functional` functions and nn modules' forward.
FUZZ_ABORT_AT=i / FUZZ_HANG_AT=i make case i abort / hang (a self-test of the supervisor).
Cases run in child processes that report each case before running it, so a segfault,
abort or hang (per-case watchdog) is attributed to its case and the next child resumes
after it. Flags: crash / hang, torch raises but fastdl returns (possible garbage),
shape / dtype / value mismatches, odd exception types (AttributeError, KeyError, ...
leaking from the implementation) and inputs changed by a call that raised.
"""
import argparse
import inspect
import os
import resource
import selectors
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASE_TIMEOUT = 10.0
# names whose calls touch global state, files or the process, or whose values are random
SKIP = {"save", "load", "set_default_dtype", "set_num_threads", "set_printoptions", "set_rng_state", "seed",
        "manual_seed", "vmap", "compile", "cli", "bench", "share_memory_", "register_hook", "backward",
        "set_grad_enabled", "inference_mode", "no_grad", "enable_grad", "pin_memory", "apply_", "map_",
        "from_file", "use_deterministic_algorithms", "set_flush_denormal", "set_", "record_stream"}
RANDOM_WORDS = ("rand", "normal", "bernoulli", "multinomial", "poisson", "dropout", "exponential", "cauchy",
                "geometric", "log_normal", "uniform", "random", "empty", "gumbel", "rrelu", "Dropout", "RReLU",
                "new_empty", "fractional", "FractionalMaxPool", "new", "data_ptr")
OK_EXC = ("ValueError", "TypeError", "IndexError", "RuntimeError", "NotImplementedError", "ZeroDivisionError",
          "MemoryError", "OverflowError", "LinAlgError", "AssertionError_torch")


# ---------------------------------------------------------------- inputs ----------

def tensor_specs(np):
    """name -> numpy recipe; each case builds fresh fastdl and torch tensors from it."""
    rng = np.random.default_rng(0)
    a34 = rng.standard_normal((3, 4)).astype(np.float32)
    nanv = a34.copy()
    nanv[0, 1], nanv[1, 2], nanv[2, 3] = np.nan, np.inf, -np.inf
    return {
        "f32": ("plain", a34),
        "f64_0d": ("plain", np.asarray(0.7, dtype=np.float64)),
        "empty": ("plain", np.zeros((0, 3), np.float32)),
        "size1": ("plain", rng.standard_normal((1, 5)).astype(np.float32)),
        "transposed": ("transposed", a34),
        "strided": ("strided", a34),
        "expanded": ("expanded", a34[:1]),
        "i64": ("plain", rng.integers(0, 3, (3, 4)).astype(np.int64)),
        "bool": ("plain", rng.integers(0, 2, (3, 4)).astype(bool)),
        "nan": ("plain", nanv),
        "f32_3d": ("plain", rng.standard_normal((2, 3, 4)).astype(np.float32)),
        "f32_4d": ("plain", rng.standard_normal((2, 3, 5, 5)).astype(np.float32)),
        "f64": ("plain", a34.astype(np.float64)),
        "f32_4": ("plain", rng.standard_normal((4,)).astype(np.float32)),
        "f32_5": ("plain", rng.standard_normal((5,)).astype(np.float32)),
        "idx_ok": ("plain", np.array([[0, 2], [1, 3], [3, 0]], np.int64)),
        "idx_oob": ("plain", np.array([[0, 7], [1, 3], [3, 0]], np.int64)),
        "idx_neg": ("plain", np.array([[0, -9], [1, 3], [3, 0]], np.int64)),
        "sq": ("plain", (rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.float32)),
    }


def build(lib, spec, np, requires_grad=False):
    kind, a = spec
    if lib.__name__ == "torch":
        mk = lambda x: lib.tensor(x)  # noqa: E731
    else:
        mk = lambda x: lib.tensor(x)  # noqa: E731
    if kind == "plain":
        t = mk(a)
    elif kind == "transposed":
        t = mk(np.ascontiguousarray(a.T)).t()
    elif kind == "strided":
        big = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), a.dtype)
        big[..., ::2] = a
        t = mk(big)[..., ::2]
    elif kind == "expanded":
        t = mk(a).expand(3, a.shape[-1])
    if requires_grad:
        t.requires_grad_(True)
    return t


# argument patterns: tuples of spec names (strings starting with '@'), Python values, or kw dicts
T = lambda n: "@" + n  # noqa: E731
ONE_TENSOR = ["f32", "f64_0d", "empty", "size1", "transposed", "strided", "expanded", "i64", "bool", "nan",
              "f32_3d", "f32_4d"]
PATTERNS = (
    [((T(n),), {}) for n in ONE_TENSOR]
    + [((T(n), d), {}) for n in ("f32", "f64_0d", "empty", "i64", "f32_3d") for d in (0, -1, 5)]
    + [((T(n),), {"dim": d}) for n in ("f32", "empty", "f64_0d") for d in (5, -3)]
    + [((T("f32"),), {"dim": 1, "keepdim": True})]
    + [((T(a), T(b)), {}) for a, b in [("f32", "f32"), ("f32", "f64"), ("f32", "f32_4"), ("f32", "f32_5"),
                                       ("i64", "f32"), ("bool", "bool"), ("empty", "size1"),
                                       ("expanded", "transposed"), ("f64_0d", "f32"), ("nan", "f32"),
                                       ("f32", "i64"), ("f32_3d", "f32"), ("sq", "sq"), ("f32_4d", "f32_4d"),
                                       ("i64", "i64")]]
    + [((T("f32"), 2.5), {}), ((T("i64"), 0), {}), ((T("f32"), -1.5), {}), ((T("f32"), float("nan")), {})]
    + [((T(a), T(b), T(c)), {}) for a, b, c in [("f32", "f32", "f32"), ("f32", "f64", "f32"), ("sq", "sq", "sq")]]
    + [((T("f32"), d, T(i)), {}) for d in (1, 0, 3) for i in ("idx_ok", "idx_oob", "idx_neg")]
    + [((T("f32"), 1, T("idx_ok"), T("f32")), {}), ((T("f32"), 1, T("idx_oob"), T("f32")), {})]
    + [((T("f32"), T("f32_4")), {"out": T("f32")}), ((T("f32"),), {"out": T("f32_5")}),
       ((T("f32"),), {"out": T("i64")}), ((T("f32"), T("f32")), {"out": T("f32_5")})]
    + [((T("f32_4d"), T("f32_4d")), {"dim": 1}), ((T("f32_4d"), 3), {}), ((T("f32_4d"), 0), {})]
)
CREATION_PATTERNS = [((-1,), {}), ((2, -3), {}), ((2 ** 62,), {}), ((2 ** 31, 2 ** 31, 4), {}), ((0,), {}),
                     (((2, 3),), {}), ((2.5,), {}), ((3,), {"device": "cuda"}), ((3,), {"dtype": "bad"}),
                     ((3,), {"device": "meta_nope"}), ((), {}), ((3, 2), {"dtype": "@int64"})]
MODULE_CTORS = [(), (4,), (3,), (4, 3), (3, 4, 3), (2,), (3, 4), (0.5,)]
MODULE_INPUTS = ["f32", "f32_3d", "f32_4d", "empty", "f64_0d", "i64", "transposed", "nan", "f32_4"]


# ---------------------------------------------------------------- case list ----------

def enumerate_cases():
    """Deterministic list of (kind, name, pattern index) without importing torch."""
    import fastdl
    import fastdl.nn as nn
    import fastdl.nn.functional as F
    sys.path.insert(0, HERE)
    import op_table
    cases = []
    for i, op in enumerate(op_table.OPS):
        for v in range(len(OPTABLE_VARIANTS)):
            cases.append(("optable", str(i), v))

    def public(mod):
        return sorted(n for n in dir(mod) if not n.startswith("_") and n not in SKIP)
    for n in public(fastdl):
        obj = getattr(fastdl, n)
        if inspect.ismodule(obj) or inspect.isclass(obj) or not callable(obj):
            continue
        cases += [("top", n, p) for p in range(len(PATTERNS))]
        if n in CREATION_NAMES:
            cases += [("create", n, p) for p in range(len(CREATION_PATTERNS))]
    for n in public(fastdl.Tensor):
        if callable(getattr(fastdl.Tensor, n, None)):
            cases += [("method", n, p) for p in range(len(PATTERNS))]
            if n.endswith("_"):
                cases += [("inplace", n, p) for p in range(3)]
    for n in public(F):
        obj = getattr(F, n)
        if callable(obj) and not inspect.isclass(obj) and not inspect.ismodule(obj):
            cases += [("F", n, p) for p in range(len(PATTERNS))]
    for n in public(nn):
        obj = getattr(nn, n)
        if inspect.isclass(obj) and issubclass(obj, nn.Module):
            cases += [("module", n, p) for p in range(len(MODULE_INPUTS))]
    return cases


CREATION_NAMES = {"zeros", "ones", "empty", "full", "rand", "randn", "arange", "eye", "linspace", "logspace",
                  "randint", "randperm", "tensor", "as_tensor", "empty_strided", "range"}
OPTABLE_VARIANTS = ["orig", "int64", "nan", "transposed", "expanded", "empty", "f32_f64_mix", "scalar0d"]


# ---------------------------------------------------------------- child ----------

def child(start, stride, only):
    import faulthandler
    import warnings
    import numpy as np
    faulthandler.enable()
    warnings.simplefilter("ignore")
    # a case that tries to allocate terabytes must fail, not swap the shared machine
    resource.setrlimit(resource.RLIMIT_AS, (12 << 30, 12 << 30))
    import torch
    torch.set_num_threads(1)
    import fastdl
    import fastdl.nn as fnn
    import fastdl.nn.functional as F
    import op_table
    cases = enumerate_cases()
    specs = tensor_specs(np)
    out = sys.stdout
    for i in range(start, len(cases), stride):
        kind, name, p = cases[i]
        if only and only not in f"{kind}:{name}":
            continue
        desc = describe_case(kind, name, p, op_table)
        out.write(f"S {i} {desc}".replace("\n", " ") + "\n")
        out.flush()
        if os.environ.get("FUZZ_ABORT_AT") == str(i):  # self-test of the supervisor
            os.abort()
        if os.environ.get("FUZZ_HANG_AT") == str(i):
            time.sleep(3600)
        try:
            status, info = run_case(kind, name, p, np, torch, fastdl, fnn, F, op_table, specs)
        except BaseException as e:  # the driver's own bug: report it, keep going
            status, info = "driver", f"{type(e).__name__}: {e}"[:300]
        out.write(f"R {i} {status} {desc} :: {info}".replace("\n", " ")[:700] + "\n")
        out.flush()
    out.write("DONE\n")
    out.flush()


def describe_case(kind, name, p, op_table):
    if kind == "optable":
        return f"optable:{op_table.OPS[int(name)].name}[{OPTABLE_VARIANTS[p]}]"
    if kind == "create":
        return f"create:{name}{CREATION_PATTERNS[p]}"
    if kind == "inplace":
        return f"inplace:{name}[{('leaf_requires_grad', 'expanded', 'view_of_leaf')[p]}]"
    if kind == "module":
        return f"module:{name}({MODULE_INPUTS[p]})"
    args, kw = PATTERNS[p]
    return f"{kind}:{name}{args}{kw if kw else ''}"


def materialize(obj, lib, np, specs):
    if isinstance(obj, str) and obj.startswith("@"):
        key = obj[1:]
        if key in specs:
            return build(lib, specs[key], np)
        return getattr(lib, key)  # a dtype
    if isinstance(obj, tuple):
        return tuple(materialize(o, lib, np, specs) for o in obj)
    if isinstance(obj, dict):
        return {k: materialize(v, lib, np, specs) for k, v in obj.items()}
    return obj


def resolve(kind, name, lib, F, fnn):
    if kind in ("top", "create"):
        return getattr(lib, name, None)
    if kind == "F":
        return getattr(F, name, None)
    return None


def call_side(thunk):
    try:
        return ("ok", thunk())
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, KeyboardInterrupt):
            raise
        return ("raise", e)


def run_case(kind, name, p, np, torch, fastdl, fnn, F, op_table, specs):
    tF = torch.nn.functional
    snap_f = snap_t = None
    if kind == "optable":
        op = op_table.OPS[int(name)]
        fa, ta, kw = optable_args(op, OPTABLE_VARIANTS[p], np, fastdl, torch)
        if fa is None:
            return "skip", "variant n/a"
        ff = lambda: op.fn(*fa, **kw)  # noqa: E731
        tf = (lambda: op.torch_fn(torch, *ta, **kw)) if op.torch_fn else (
            (lambda: getattr(torch, op.name)(*ta, **kw)) if hasattr(torch, op.name) else None)
        ins_f = fa
        random = False
    elif kind == "module":
        return run_module(name, p, np, torch, fastdl, fnn, specs)
    elif kind == "inplace":
        variant = p
        def mk(lib):
            if variant == 0:
                return build(lib, specs["f32"], np, requires_grad=True)
            if variant == 1:
                return build(lib, specs["expanded"], np)
            leaf = build(lib, specs["f32"], np, requires_grad=True)
            return leaf[0]  # a view of a leaf that requires grad
        xf, xt = mk(fastdl), mk(torch)
        if not hasattr(xt, name):
            return "skip", "no torch method"
        extra_f, extra_t = inplace_extra(name, fastdl, torch, np, specs)
        ff = lambda: getattr(xf, name)(*extra_f)  # noqa: E731
        tf = lambda: getattr(xt, name)(*extra_t)  # noqa: E731
        ins_f = [xf]
        random = any(w in name for w in RANDOM_WORDS)
    else:
        if kind == "create":
            args, kw = CREATION_PATTERNS[p]
        else:
            args, kw = PATTERNS[p]
        fargs, fkw = materialize(args, fastdl, np, specs), materialize(kw, fastdl, np, specs)
        targs, tkw = materialize(args, torch, np, specs), materialize(kw, torch, np, specs)
        if kind == "method":
            if not args or not (isinstance(args[0], str) and args[0].startswith("@")):
                return "skip", "needs self"
            if not hasattr(torch.Tensor, name):
                tf = None
            else:
                tf = lambda: getattr(targs[0], name)(*targs[1:], **tkw)  # noqa: E731
            ff = lambda: getattr(fargs[0], name)(*fargs[1:], **fkw)  # noqa: E731
        else:
            fn_f = resolve(kind, name, fastdl, F, fnn)
            fn_t = resolve(kind, name, torch, tF, torch.nn)
            ff = lambda: fn_f(*fargs, **fkw)  # noqa: E731
            tf = (lambda: fn_t(*targs, **tkw)) if fn_t is not None else None
        ins_f = list(fargs) + list(fkw.values())
        random = any(w in name for w in RANDOM_WORDS)
    snap_f = snapshot(ins_f, np, fastdl)
    rf = call_side(ff)
    rt = call_side(tf) if tf is not None else None
    return classify(rf, rt, random, snap_f, ins_f, np, fastdl, torch)


def inplace_extra(name, fastdl, torch, np, specs):
    base = name[:-1]
    if base in ("add", "sub", "mul", "div", "copy", "pow", "maximum", "minimum", "fmod", "remainder", "atan2",
                "hypot", "lerp", "clamp", "masked_fill", "fill", "index_add", "scatter"):
        if base in ("fill",):
            return (1.0,), (1.0,)
        if base == "lerp":
            return (build(fastdl, specs["f32"], np), 0.5), (build(torch, specs["f32"], np), 0.5)
        if base == "masked_fill":
            return (build(fastdl, specs["bool"], np), 1.0), (build(torch, specs["bool"], np), 1.0)
        if base in ("clamp",):
            return (-0.5, 0.5), (-0.5, 0.5)
        return (build(fastdl, specs["f32"], np),), (build(torch, specs["f32"], np),)
    return (), ()


def optable_args(op, variant, np, fastdl, torch):
    s = op.samples(np.random.default_rng(1))[0]
    arrays = [a for a in s.args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    if not arrays:
        return None, None, None
    fa, ta = [], []
    first = True
    for a in s.args:
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            fa.append(fastdl.tensor(a) if isinstance(a, np.ndarray) else a)
            ta.append(torch.tensor(a) if isinstance(a, np.ndarray) else a)
            continue
        a32 = a.astype(np.float32)
        if variant == "orig":
            mk = lambda lib, x=a32: lib.tensor(x)  # noqa: E731
        elif variant == "int64":
            mk = lambda lib, x=np.round(a * 2).astype(np.int64): lib.tensor(x)  # noqa: E731
        elif variant == "nan":
            b = a32.copy()
            if b.size:
                b.reshape(-1)[0] = np.nan
                b.reshape(-1)[-1] = np.inf
            mk = lambda lib, x=b: lib.tensor(x)  # noqa: E731
        elif variant == "transposed":
            if a.ndim < 2:
                return None, None, None
            mk = lambda lib, x=a32: lib.tensor(np.ascontiguousarray(x.swapaxes(0, 1))).transpose(0, 1)  # noqa: E731
        elif variant == "expanded":
            if a.ndim < 1 or a.shape[0] < 2:
                return None, None, None
            mk = lambda lib, x=a32: lib.tensor(x[:1]).expand(*x.shape)  # noqa: E731
        elif variant == "empty":
            if a.ndim < 1:
                return None, None, None
            mk = lambda lib, x=a32: lib.tensor(x[:0])  # noqa: E731
        elif variant == "f32_f64_mix":
            x = a32 if first else a
            mk = lambda lib, x=x: lib.tensor(x)  # noqa: E731
        elif variant == "scalar0d":
            mk = lambda lib, x=np.asarray(a32.reshape(-1)[0] if a32.size else 0.5, np.float32): lib.tensor(x)  # noqa: E731
        first = False
        fa.append(mk(fastdl))
        ta.append(mk(torch))
    return fa, ta, dict(s.kwargs)


def run_module(name, p, np, torch, fastdl, fnn, specs):
    fcls, tcls = getattr(fnn, name), getattr(torch.nn, name, None)
    if tcls is None:
        return "skip", "no torch module"
    fm = tm = None
    for ctor in MODULE_CTORS:
        try:
            tm = tcls(*ctor)
        except BaseException:  # noqa: BLE001
            continue
        try:
            fm = fcls(*ctor)
        except BaseException as e:  # noqa: BLE001
            return "gap", f"ctor{ctor} torch ok, fastdl raises {type(e).__name__}: {e}"
        break
    if fm is None:
        return "skip", "no simple ctor"
    try:  # same parameters, so values compare
        fm.load_state_dict({k: fastdl.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
        same = True
    except BaseException:  # noqa: BLE001
        same = False
    xf, xt = build(fastdl, specs[MODULE_INPUTS[p]], np), build(torch, specs[MODULE_INPUTS[p]], np)
    if hasattr(fm, "eval"):
        fm.eval()
        tm.eval()
    snap = snapshot([xf], np, fastdl)
    rf = call_side(lambda: fm(xf))
    rt = call_side(lambda: tm(xt))
    return classify(rf, rt, not same or any(w in name for w in RANDOM_WORDS), snap, [xf], np, fastdl, torch)


def to_np(x, np, lib):
    if lib.__name__ == "torch":
        x = x.detach().cpu()
        if x.dtype in (lib.bfloat16, lib.float16):
            x = x.float()
        if x.is_complex():
            return None
        return x.numpy()
    x = x.detach()
    if x.dtype in (lib.bfloat16, lib.float16):
        x = x.float()
    return x.numpy()


def dtype_name(d):
    return str(d).replace("fastdl.", "").replace("torch.", "").replace("bool_", "bool")


def snapshot(items, np, fastdl):
    out = []
    for t in items:
        if isinstance(t, fastdl.Tensor):
            try:
                out.append((t, to_np(t, np, fastdl).copy()))
            except BaseException:  # noqa: BLE001
                pass
    return out


def compare(a, b, np, fastdl, torch, random, path="out"):
    """None when a (fastdl) and b (torch) agree, else a description."""
    if isinstance(b, torch.Tensor):
        if not isinstance(a, fastdl.Tensor):
            return f"{path}: fastdl returned {type(a).__name__}, torch a Tensor"
        if tuple(a.shape) != tuple(b.shape):
            return f"{path}: shape {tuple(a.shape)} vs torch {tuple(b.shape)}"
        if dtype_name(a.dtype) != dtype_name(b.dtype):
            return f"{path}: dtype {dtype_name(a.dtype)} vs torch {dtype_name(b.dtype)}"
        if random:
            return None
        na, nb = to_np(a, np, fastdl), to_np(b, np, torch)
        if nb is None:
            return None
        if na.dtype.kind in "fc" or nb.dtype.kind in "fc":
            ok = np.allclose(na.astype(np.float64), nb.astype(np.float64), rtol=1e-3, atol=1e-4, equal_nan=True)
        else:
            ok = np.array_equal(na, nb)
        if not ok:
            return f"{path}: values differ (max abs diff {np.nanmax(np.abs(na.astype(float) - nb.astype(float))) if na.size else 0})"
        return None
    if isinstance(b, (tuple, list)) and not isinstance(b, torch.Size):
        if not isinstance(a, (tuple, list)) or len(a) != len(b):
            return f"{path}: fastdl {type(a).__name__} vs torch {type(b).__name__} of {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = compare(x, y, np, fastdl, torch, random, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(b, (bool, int, float)) and not random:
        if isinstance(a, fastdl.Tensor) or not isinstance(a, (bool, int, float)):
            return f"{path}: fastdl {type(a).__name__} vs torch {type(b).__name__}"
        if not (a == b or (a != a and b != b) or abs(a - b) <= 1e-4 * (1 + abs(b))):
            return f"{path}: {a!r} vs torch {b!r}"
    if isinstance(b, torch.Size):
        if tuple(a) != tuple(b):
            return f"{path}: {tuple(a)} vs torch {tuple(b)}"
    return None


def classify(rf, rt, random, snap, ins, np, fastdl, torch):
    if rf[0] == "raise":
        e = rf[1]
        for t, before in snap:  # a call that raised must leave its inputs as they were
            try:
                now = to_np(t, np, fastdl)
                if now.shape != before.shape or not np.array_equal(now, before, equal_nan=True):
                    return "corrupt", f"input changed by a raising call: {type(e).__name__}: {e}"[:300]
            except BaseException:  # noqa: BLE001
                return "corrupt", "input unreadable after a raising call"
        en = type(e).__name__
        msg = f"{en}: {e}"[:300]
        import builtins
        odd = not isinstance(e, tuple(getattr(builtins, n) for n in OK_EXC if hasattr(builtins, n)))
        if odd and "LinAlgError" not in en:
            return "odd_exc", msg
        if rt is None:
            return "raise_only", msg
        if rt[0] == "raise":
            return "both_raise", msg
        return "gap", f"fastdl raises, torch ok: {msg}"
    if rt is None:
        return "no_torch", type(rf[1]).__name__
    if rt[0] == "raise":
        te, tmsg = rt[1], str(rt[1])
        # torch's argument parser is stricter about Python types (int for a Tensor, Tensor for
        # a float) and some dtypes: fastdl accepting those is permissive, not garbage
        if isinstance(te, TypeError) or "not implemented for" in tmsg or "did not match" in tmsg:
            return "permissive", f"torch raises {type(te).__name__}: {tmsg[:200]}"
        return "garbage?", f"torch raises {type(te).__name__}: {tmsg[:200]}"
    try:
        d = compare(rf[1], rt[1], np, fastdl, torch, random)
    except BaseException as e:  # noqa: BLE001
        d = f"compare failed: {type(e).__name__}: {e}"
    return ("mismatch", d) if d else ("match", "")


# ---------------------------------------------------------------- parent ----------

def supervise(start_stride, only, results, log):
    start, stride = start_stride
    env = dict(os.environ, FASTDL_NUM_THREADS="1", OMP_NUM_THREADS="1", FASTDL_CUDA="OFF")
    pos = start
    while True:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", str(pos), str(stride)] + (
            ["--only", only] if only else [])
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        current, last = None, time.time()
        done = False
        while True:
            ready = sel.select(timeout=1.0)
            if ready:
                line = p.stdout.readline()
                if not line:
                    break
                line = line.rstrip("\n")
                if line.startswith("S "):
                    current, last = int(line.split()[1]), time.time()
                    cur_desc = line.split(" ", 2)[2] if line.count(" ") >= 2 else ""
                elif line.startswith("R "):
                    _, idx, status, rest = line.split(" ", 3)
                    results.append((int(idx), status, rest))
                    log.write(line + "\n")
                    current = None
                elif line == "DONE":
                    done = True
            limit = 120.0 if current is None else CASE_TIMEOUT  # startup imports torch and fastdl
            if time.time() - last > limit:
                p.kill()
                p.wait()
                results.append((current, "hang", f"{cur_desc} :: ran over {CASE_TIMEOUT}s"))
                log.write(f"R {current} hang (over {CASE_TIMEOUT}s)\n")
                break
        p.wait()
        err = p.stderr.read()
        if done:
            return
        if current is None:
            raise SystemExit(f"child died outside a case (rc {p.returncode}):\n{err[-3000:]}")
        if results[-1][0] != current or results[-1][1] != "hang":
            tail = err.strip().splitlines()[-6:]
            results.append((current, "crash", f"{cur_desc} :: rc {p.returncode}: " + " | ".join(tail)))
            log.write(f"R {current} crash rc {p.returncode}\n")
        log.flush()
        pos = current + stride


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=2, type=int)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default="fuzz_report.txt")
    ap.add_argument("--jobs", type=int, default=1)
    a = ap.parse_args()
    sys.path.insert(0, HERE)
    if a.child:
        child(a.child[0], a.child[1], a.only)
        return
    import threading
    t0 = time.time()
    results = []
    with open(a.out + ".log", "w") as log:
        threads = [threading.Thread(target=supervise, args=((j, a.jobs), a.only, results, log)) for j in range(a.jobs)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    counts = {}
    for _, s, _ in results:
        counts[s] = counts.get(s, 0) + 1
    flagged = ("crash", "hang", "corrupt", "odd_exc", "garbage?", "mismatch", "driver", "permissive")
    with open(a.out, "w") as f:
        f.write(f"{len(results)} cases in {time.time() - t0:.0f}s: {counts}\n")
        for s in flagged:
            for idx, st, info in sorted((r for r in results if r[1] == s), key=lambda r: r[0] or 0):
                f.write(f"{st}\t{idx}\t{info}\n")
    print(f"{len(results)} cases in {time.time() - t0:.0f}s: {counts}; report in {a.out}")


if __name__ == "__main__":
    main()
