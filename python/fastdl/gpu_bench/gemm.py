"""fastdl's own GEMMs vs cuBLAS through torch.matmul on the same GPU, four times per case:
fp32 (fastdl's SIMT SGEMM vs cuBLAS with TF32 off, both full fp32 arithmetic), TF32
(fastdl.backends.cuda.matmul.allow_tf32 = True, fastdl's tensor-core kernel, vs cuBLAS
with torch.backends.cuda.matmul.allow_tf32 = True), and fp16 / bf16 inputs and output
(fastdl's tensor-core kernel, cuda/gemm_half.cu, vs cuBLAS with torch's "reduced
precision reduction" off: both accumulate in fp32). On a compute 9.0 GPU, the bf16
square cases of WGMMA_CASES run once more with fastdl.backends.cuda.matmul.allow_wgmma
on (cuda/gemm_wgmma.cu, experimental: wgmma + TMA), in a second table beside the
mma.sync and cuBLAS times of the same case (fields bf16_wgmma_*); then a third table
(result field wgmma_rows) times the wgmma kernel's TF32 path (allow_tf32 and
allow_wgmma; B stored (N, K) and used transposed, as in x @ W^T: TF32 wgmma takes only
K-major operands) and batched bf16 / TF32 products against the mma.sync kernel with
the switch off and cuBLAS (torch.matmul, TF32 on for the TF32 rows).

Run by `fastdl bench --device cuda` and by bench/gpu_check.sh (bench/gpu_gemm.py) on the
GPU machine. Each case: results are checked before
and after timing (fp32: fastdl vs cuBLAS; TF32: both against cuBLAS's fp32 result,
with a TF32-sized tolerance; fp16 / bf16: both against the fp32 product of the rounded
inputs, within the output format's rounding); each timed run is preceded by a write of
a 256 MiB buffer that evicts L2 (60 MB on an H200); times are CUDA-event medians after
warm-up. Prints a table and, last, `RESULT <json>`; with $OUT set (gpu_check.sh) the
JSON also goes to $OUT/gpu_gemm.json.
"""
import json
import os
import sys

import numpy as np

import fastdl
from fastdl import _C

try:
    import torch
except ImportError:
    torch = None


class TorchView:
    """A float32 fastdl kernel argument on cuda:0 (row-major, or `strides` given).

    The kernels need a fastdl Buffer, so one is allocated and torch's data is copied
    in once per case (outside the timed region); results are copied out to validate.
    """

    class _DT:
        code = 0  # float32

    def __init__(self, shape, strides=None, buf=None):
        n = int(np.prod(shape))
        self._buf = buf if buf is not None else _C.Buffer(4 * n, 1)
        self._dtype, self._shape, self._offset = TorchView._DT(), tuple(shape), 0
        self._strides = tuple(strides) if strides else (shape[1], 1)


def upload(dst, t):
    """Copies the contiguous float32 torch tensor t into dst's Buffer (device to device)."""
    host = t.contiguous().cpu().numpy()  # through the host: once per case, not timed
    _C.cuda.copy(fastdl.tensor(np.ascontiguousarray(host)), dst)


def to_fastdl(t, dtype):
    """A fastdl tensor on cuda:0 holding the bits of the contiguous fp16 / bf16 / fp32 torch tensor t."""
    host = fastdl.empty(tuple(t.shape), dtype=dtype)
    if t.dtype == torch.float32:
        host._np_view()[...] = t.contiguous().cpu().numpy()
    else:
        host._np_view().view(np.int16)[...] = t.contiguous().view(torch.int16).cpu().numpy()
    return host.cuda()


def download(v):
    out = fastdl.empty(*v._shape)
    _C.cuda.copy(v, out)
    return out.numpy()


def time_ms(fn, flush, iters):
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    for _ in range(3):  # warm-up
        fn()
    for i in range(iters):
        flush()
        starts[i].record()
        fn()
        ends[i].record()
    torch.cuda.synchronize()
    return float(np.median([s.elapsed_time(e) for s, e in zip(starts, ends)]))


CASES = [  # (name, M, K, N, transpose_b)
    ("square 1024", 1024, 1024, 1024, False),
    ("square 2048", 2048, 2048, 2048, False),
    ("square 4096", 4096, 4096, 4096, False),
    ("square 8192", 8192, 8192, 8192, False),
    ("linear fwd 4096x768 @ W^T(3072)", 4096, 768, 3072, True),
    ("linear fwd 8192x3072 @ W^T(768)", 8192, 3072, 768, True),
    ("mlp 256x784 @ W^T(512)", 256, 784, 512, True),
    ("conv-as-gemm 64x576 @ 576x12544", 64, 576, 12544, False),
]


def set_tf32(on):
    fastdl.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cuda.matmul.allow_tf32 = on


def rel_err(got, want):
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30))


# Max |error| / max |C| allowed: fp32 against fp32; TF32 (10-bit mantissas, about 1e-3
# per product, averaging out over K) against the fp32 result; fp16 / bf16 (the output
# rounded once: 2^-11 / 2^-8 relative) against the fp32 product of the rounded inputs.
TOL = {False: 1e-4, True: 1e-2}
HALF_TOL = {"fp16": 2e-3, "bf16": 1e-2}


def half_case(key, a, b_store, tb, row, flush, iters, flops, wgmma=False):
    """The fp16 or bf16 column of one case (a, b_store: its fp32 operands); fills `row`
    with the `key`_ fields (`key`_wgmma_ with wgmma: fastdl on the experimental sm_90a
    kernel, which must actually run) and returns the table cell."""
    tdt, fdt = {"fp16": (torch.float16, fastdl.float16), "bf16": (torch.bfloat16, fastdl.bfloat16)}[key]
    a16, b16_store = a.to(tdt), b_store.to(tdt)
    b16 = b16_store.t() if tb else b16_store
    ref = torch.matmul(a16.float(), b16.float()).cpu().numpy()  # TF32 is off here
    fa, fb_store = to_fastdl(a16, fdt), to_fastdl(b16_store, fdt)
    fb = fb_store.mT if tb else fb_store
    fc = fastdl.empty((a.shape[0], b16.shape[1]), dtype=fdt, device="cuda")
    c16 = torch.empty((a.shape[0], b16.shape[1]), dtype=tdt, device=a.device)

    def ours():
        _C.cuda.matmul(fa, fb, fc)

    def theirs():
        torch.matmul(a16, b16, out=c16)

    fastdl.backends.cuda.matmul.allow_wgmma = wgmma
    launched = _C.cuda.wgmma_launches()

    def check(when):
        ours()
        theirs()
        torch.cuda.synchronize()
        errs = (rel_err(fc.cpu().float().numpy(), ref), rel_err(c16.float().cpu().numpy(), ref))
        for who, err in zip(("fastdl", "cuBLAS"), errs):
            if not err < HALF_TOL[key]:
                raise SystemExit(f"gpu_gemm: {row['case']} {key}: {who} is off by {err:.2e} (max rel) {when} timing")
        return errs[0]

    err = check("before")
    t_ours = time_ms(ours, flush, iters)
    t_blas = time_ms(theirs, flush, iters)
    err = max(err, check("after"))
    fastdl.backends.cuda.matmul.allow_wgmma = False
    if wgmma and _C.cuda.wgmma_launches() == launched:
        raise SystemExit(f"gpu_gemm: {row['case']} {key}: the wgmma kernel did not run")
    k = key + ("_wgmma_" if wgmma else "_")
    row.update({f"{k}fastdl_ms": t_ours, f"{k}cublas_ms": t_blas, f"{k}fastdl_tflops": flops / t_ours / 1e9,
                f"{k}cublas_tflops": flops / t_blas / 1e9, f"{k}pct_of_cublas": 100.0 * t_blas / t_ours,
                f"{k}max_rel_err": err})
    return (f"{t_ours:8.3f} {flops / t_ours / 1e9:8.2f} {t_blas:8.3f} {flops / t_blas / 1e9:8.2f} "
            f"{100.0 * t_blas / t_ours:7.1f}% {err:8.1e}")


WGMMA_CASES = ("square 4096", "square 8192")  # bf16 on the sm_90a wgmma kernel too


def case_operands(m, k, n, tb, dev):
    """A case's fp32 operands: A (m, k) and B stored (n, k) when transposed, else (k, n)."""
    g = torch.Generator(device=dev).manual_seed(0)
    a = torch.rand((m, k), device=dev, generator=g) - 0.5
    return a, torch.rand((n, k) if tb else (k, n), device=dev, generator=g) - 0.5


def wgmma_table(rows, dev, flush, head):
    """The bf16 WGMMA_CASES again on the experimental wgmma kernel, after the main table
    (so a failing kernel costs no other figure), beside the mma.sync kernel's time."""
    print(f"\n{'bf16, wgmma + TMA (experimental)':36s} {head} {'mma.sync ms':>12s}")
    for row in rows:
        if row["case"] not in WGMMA_CASES:
            continue
        m, k, n, tb = row["M"], row["K"], row["N"], row["transpose_b"]
        a, b_store = case_operands(m, k, n, tb, dev)
        flops = 2.0 * m * n * k
        try:
            cell = half_case("bf16", a, b_store, tb, row, flush, 5 if flops > 5e11 else 20, flops, wgmma=True)
        except SystemExit as e:  # a wrong result: recorded, the run goes on
            fastdl.backends.cuda.matmul.allow_wgmma = False
            row["bf16_wgmma_error"] = str(e)
            cell = f"FAILED: {e}"
        print(f"{row['case']:36s} {cell} {row['bf16_fastdl_ms']:12.3f}")


# The third table: (name, mode, batch, M, K, N); B is stored (batch, N, K) and used
# transposed (K-major), A (batch, M, K) row-major; batch 1 runs 2-D operands.
WGMMA_EXTRA = [("tf32 4096 @ B^T", "tf32", 1, 4096, 4096, 4096),
               ("tf32 8192 @ B^T", "tf32", 1, 8192, 8192, 8192),
               ("batched bf16 16 x 2048 @ B^T", "bf16", 16, 2048, 2048, 2048),
               ("batched tf32 16 x 2048 @ B^T", "tf32", 16, 2048, 2048, 2048)]
EXTRA_TOL = {"tf32": TOL[True], "bf16": HALF_TOL["bf16"]}


def wgmma_extra_case(name, mode, batch, m, k, n, dev, flush):
    """One WGMMA_EXTRA row: fastdl with the wgmma kernel, fastdl with it off (mma.sync),
    cuBLAS; each checked before and after timing against the fp32 product of the
    (rounded) inputs. Raises SystemExit on a wrong result or if wgmma did not run."""
    lead = (batch,) if batch > 1 else ()
    g = torch.Generator(device=dev).manual_seed(0)
    tdt, fdt = {"tf32": (torch.float32, fastdl.float32), "bf16": (torch.bfloat16, fastdl.bfloat16)}[mode]
    a = (torch.rand(lead + (m, k), device=dev, generator=g) - 0.5).to(tdt)
    b_store = (torch.rand(lead + (n, k), device=dev, generator=g) - 0.5).to(tdt)
    b = b_store.mT
    set_tf32(False)
    ref = torch.matmul(a.float(), b.float()).cpu().numpy()
    fa, fb = to_fastdl(a, fdt), to_fastdl(b_store, fdt).mT
    fc = fastdl.empty(lead + (m, n), dtype=fdt, device="cuda")
    c = torch.empty(lead + (m, n), dtype=tdt, device=dev)
    set_tf32(mode == "tf32")
    flags = fastdl.backends.cuda.matmul

    def ours():
        _C.cuda.matmul(fa, fb, fc)

    def theirs():
        torch.matmul(a, b, out=c)

    def check(fn, out, who, when):
        fn()
        torch.cuda.synchronize()
        err = rel_err(out(), ref)
        if not err < EXTRA_TOL[mode]:
            raise SystemExit(f"gpu_gemm: {name}: {who} is off by {err:.2e} (max rel) {when} timing")
        return err

    mine = lambda: fc.cpu().float().numpy()  # noqa: E731
    blas = lambda: c.float().cpu().numpy()  # noqa: E731
    flops = 2.0 * batch * m * n * k
    iters = 5 if flops > 5e11 else 20
    row = dict(case=name, mode=mode, batch=batch, M=m, K=k, N=n)
    try:
        launched = _C.cuda.wgmma_launches()
        flags.allow_wgmma = True
        err = check(ours, mine, "fastdl wgmma", "before")
        t_wgmma = time_ms(ours, flush, iters)
        err = max(err, check(ours, mine, "fastdl wgmma", "after"))
        if _C.cuda.wgmma_launches() == launched:
            raise SystemExit(f"gpu_gemm: {name}: the wgmma kernel did not run")
        flags.allow_wgmma = False
        check(ours, mine, "fastdl mma.sync", "before")
        t_mma = time_ms(ours, flush, iters)
        check(theirs, blas, "cuBLAS", "before")
        t_blas = time_ms(theirs, flush, iters)
    finally:
        flags.allow_wgmma = False
        set_tf32(False)
    row.update(wgmma_ms=t_wgmma, mma_sync_ms=t_mma, cublas_ms=t_blas, wgmma_tflops=flops / t_wgmma / 1e9,
               cublas_tflops=flops / t_blas / 1e9, pct_of_cublas=100.0 * t_blas / t_wgmma, max_rel_err=err)
    return row


def wgmma_extra_table(dev, flush):
    """The WGMMA_EXTRA rows (a failing case is recorded, the run goes on)."""
    print(f"\n{'wgmma + TMA (experimental): TF32, batched':36s} {'ms':>8s} {'TFLOP/s':>8s} {'cuBLAS':>8s} "
          f"{'TFLOP/s':>8s} {'%cuBLAS':>8s} {'err':>8s} {'mma.sync ms':>12s}")
    rows = []
    for case in WGMMA_EXTRA:
        try:
            r = wgmma_extra_case(*case, dev, flush)
            print(f"{r['case']:36s} {r['wgmma_ms']:8.3f} {r['wgmma_tflops']:8.2f} {r['cublas_ms']:8.3f} "
                  f"{r['cublas_tflops']:8.2f} {r['pct_of_cublas']:7.1f}% {r['max_rel_err']:8.1e} "
                  f"{r['mma_sync_ms']:12.3f}")
        except SystemExit as e:  # a wrong result: recorded, the run goes on
            r = dict(case=case[0], mode=case[1], batch=case[2], M=case[3], K=case[4], N=case[5], error=str(e))
            print(f"{case[0]:36s} FAILED: {e}")
        rows.append(r)
    return rows


def measure():
    """The table's rows as a result dict, or None without torch on CUDA (no reference)."""
    if torch is None or not torch.cuda.is_available():
        print("gpu_gemm: torch with CUDA is not available; nothing to compare against")
        return None
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda:0")
    flush_buf = torch.empty(64 << 20, dtype=torch.float32, device=dev)  # 256 MiB > 60 MB L2
    flush = lambda: flush_buf.fill_(1.0)  # noqa: E731
    rows = []
    print(f"device: {_C.cuda.device_name(0)}; torch {torch.__version__}")
    torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction = False  # cuBLAS: fp32 accumulation
    torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
    head = f"{'ms':>8s} {'TFLOP/s':>8s} {'cuBLAS':>8s} {'TFLOP/s':>8s} {'%cuBLAS':>8s} {'err':>8s}"
    print(f"{'':36s} {'fp32 (TF32 off)':^53s} | {'TF32':^53s} | {'fp16':^53s} | {'bf16':^53s}")
    print(f"{'case':36s} " + " | ".join([head] * 4))
    for name, m, k, n, tb in CASES:
        a, b_store = case_operands(m, k, n, tb, dev)
        b = b_store.t() if tb else b_store
        c = torch.empty((m, n), device=dev)
        fa, fb_store, fc = TorchView((m, k)), TorchView(tuple(b_store.shape)), TorchView((m, n))
        upload(fa, a)
        upload(fb_store, b_store)
        fb = TorchView((k, n), strides=(1, k) if tb else (n, 1), buf=fb_store._buf)
        set_tf32(False)
        fp32_ref = torch.matmul(a, b).cpu().numpy()

        def ours():
            _C.cuda.matmul(fa, fb, fc)

        def theirs():
            torch.matmul(a, b, out=c)

        def check(tf32, when):
            ours()
            theirs()
            torch.cuda.synchronize()
            got, want = download(fc), c.cpu().numpy()
            errs = (rel_err(got, fp32_ref), rel_err(want, fp32_ref))
            mode = "TF32" if tf32 else "fp32"
            if not errs[0] < TOL[tf32]:
                raise SystemExit(f"gpu_gemm: {name} {mode}: fastdl is off by {errs[0]:.2e} (max rel) {when} timing")
            if tf32 and not errs[1] < TOL[tf32]:
                raise SystemExit(f"gpu_gemm: {name} TF32: cuBLAS is off by {errs[1]:.2e} (max rel) {when} timing")
            return errs[0]

        row = dict(case=name, M=m, K=k, N=n, transpose_b=tb)
        flops = 2.0 * m * n * k
        iters = 5 if flops > 5e11 else 20
        cells = []
        for tf32, key in ((False, ""), (True, "tf32_")):
            set_tf32(tf32)
            err = check(tf32, "before")
            t_ours = time_ms(ours, flush, iters)
            t_blas = time_ms(theirs, flush, iters)
            err = max(err, check(tf32, "after"))
            row.update({f"{key}fastdl_ms": t_ours, f"{key}cublas_ms": t_blas,
                        f"{key}fastdl_tflops": flops / t_ours / 1e9, f"{key}cublas_tflops": flops / t_blas / 1e9,
                        f"{key}pct_of_cublas": 100.0 * t_blas / t_ours, f"{key}max_rel_err": err})
            cells.append(f"{t_ours:8.3f} {flops / t_ours / 1e9:8.2f} {t_blas:8.3f} {flops / t_blas / 1e9:8.2f} "
                         f"{100.0 * t_blas / t_ours:7.1f}% {err:8.1e}")
        set_tf32(False)
        for key in HALF_TOL:
            cells.append(half_case(key, a, b_store, tb, row, flush, iters, flops))
        rows.append(row)
        print(f"{name:36s} " + " | ".join(cells))
        del fa, fb, fb_store, fc
    result = dict(bench="gpu_gemm", device=_C.cuda.device_name(0), modes=["fp32", "tf32", "fp16", "bf16"], rows=rows)
    if _C.cuda.capability(0) == (9, 0):
        wgmma_table(rows, dev, flush, head)
        result["wgmma_rows"] = wgmma_extra_table(dev, flush)
    return result


def main():
    result = measure()
    if result is None:
        return 0
    if os.environ.get("OUT"):
        with open(os.path.join(os.environ["OUT"], "gpu_gemm.json"), "w") as f:
            json.dump(result, f, indent=1)
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
