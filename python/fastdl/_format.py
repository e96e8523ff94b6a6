"""repr(Tensor) in PyTorch's style."""
import numpy as np

from . import dtypes as _dt


_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80),
}
# what set_printoptions changes (torch._tensor_str.PRINT_OPTS); sci_mode None: chosen per tensor
PRINT_OPTS = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """torch.set_printoptions: how repr(tensor) prints (a profile first, then the given options)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be 'default', 'short' or 'full', got {profile!r}")
        PRINT_OPTS.update(_PROFILES[profile], sci_mode=None)
    for name, v in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                    ("linewidth", linewidth)):
        if v is not None:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (name != "threshold" and v != int(v)):
                raise ValueError(f"set_printoptions: {name} must be a non-negative int, got {v!r}")
            PRINT_OPTS[name] = v if name == "threshold" else int(v)
    if sci_mode is not None:
        if not isinstance(sci_mode, bool):
            raise TypeError(f"set_printoptions: sci_mode must be True, False or None, got {sci_mode!r}")
    PRINT_OPTS["sci_mode"] = sci_mode


def get_printoptions():
    """The current print options as a dict (torch._tensor_str.get_printoptions)."""
    return dict(PRINT_OPTS)


def format_tensor(t):
    arr = t._host_values()
    if arr.dtype == np.float16:  # NumPy's float16 arithmetic (the rounding checks below) overflows
        arr = arr.astype(np.float32)
    po = PRINT_OPTS
    threshold = po["threshold"] if po["threshold"] < 2 ** 62 else 2 ** 62  # NumPy wants an int ("full": inf)
    opts = dict(separator=", ", prefix="tensor(", threshold=int(threshold), edgeitems=po["edgeitems"],
                max_line_width=po["linewidth"])
    prec, sci = po["precision"], po["sci_mode"]
    if t.dtype.is_floating_point:
        # torch decides on the values it shows: the summarized ones of a long tensor
        shown = _summarized(arr, po["edgeitems"]) if arr.size > threshold else arr
        finite = shown[np.isfinite(shown)]
        integral = finite.size == 0 or np.all(finite == np.round(finite))
        nz = np.abs(finite[finite != 0])
        hi, lo = (nz.max(), nz.min()) if nz.size else (0.0, 1.0)
        # torch's _Formatter: scientific past 1e8, below 1e-4, or over a 1000x spread (not for integers)
        big = nz.size and (hi >= 1e8 or (not integral and (lo < 1e-4 or hi / lo > 1000.0)))
        if sci or (big and sci is None):
            opts.update(formatter={"float_kind": lambda v: f"{v:.{prec}e}"})
        elif sci is False and big:  # NumPy would switch to scientific notation by itself
            width = max(len(f"{v:.{prec}f}") for v in arr.reshape(-1).tolist())
            opts.update(formatter={"float_kind": lambda v: f"{v:.{prec}f}".rjust(width)})
        elif integral:
            opts.update(formatter={"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)})
        else:
            opts.update(precision=prec, floatmode="fixed")
    if t.dtype.category == 3:  # torch formats the real and the imaginary parts each as a float tensor
        opts.update(formatter={"complex_kind": _complex_formatter(arr, prec, sci)})
    if t.dtype is _dt.bool_:
        opts.update(formatter={"bool": lambda v: "True" if v else "False"})
    body = np.array2string(arr, **opts) if arr.size else "[]"
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if t.numel() == 0 and t.ndim != 1:
        extras.append(f"size={tuple(t.shape)}")
    if t.dtype not in (_dt.get_default_dtype(), _dt.to_complex(_dt.get_default_dtype()), _dt.int64, _dt.bool_) or (arr.size == 0 and t.dtype is _dt.int64):
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _summarized(arr, edge):
    """The elements a summarized print shows: the first and last `edge` along each long dim."""
    for axis, n in enumerate(arr.shape):
        if n > 2 * edge:
            arr = np.concatenate([arr.take(range(edge), axis), arr.take(range(n - edge, n), axis)], axis)
    return arr


def _part_formatter(vals, prec, sci):
    """How torch prints one part of complex values: as a float tensor of those values would."""
    finite = vals[np.isfinite(vals)]
    integral = finite.size == 0 or np.all(finite == np.round(finite))
    big = finite.size and (np.abs(finite).max() >= 1e8 or (np.abs(finite[finite != 0]).min(initial=1) < 1e-4))
    if sci or (big and sci is None):
        return lambda v: f"{v:.{prec}e}"
    if integral:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    return lambda v: f"{v:.{prec}f}" if np.isfinite(v) else str(v)


def _complex_formatter(arr, prec, sci):
    re_f, im_f = _part_formatter(arr.real.reshape(-1), prec, sci), _part_formatter(arr.imag.reshape(-1), prec, sci)
    width = max([len(re_f(v)) for v in arr.real.reshape(-1).tolist()] or [0])

    def fmt(v):
        im = im_f(abs(v.imag)) if not np.isnan(v.imag) else "nan"
        sign = "-" if np.signbit(v.imag) and not np.isnan(v.imag) else "+"
        return f"{re_f(v.real).rjust(width)}{sign}{im}j"
    return fmt
