"""repr(Tensor) in PyTorch's style."""
import numpy as np

from . import dtypes as _dt


def format_tensor(t):
    arr = t._host_values()
    if arr.dtype == np.float16:  # NumPy's float16 arithmetic (the rounding checks below) overflows
        arr = arr.astype(np.float32)
    opts = dict(separator=", ", prefix="tensor(", threshold=1000, edgeitems=3, max_line_width=80)
    if t.dtype.is_floating_point:
        finite = arr[np.isfinite(arr)]
        integral = finite.size == 0 or np.all(finite == np.round(finite))
        big = finite.size and (np.abs(finite).max() >= 1e8 or (np.abs(finite[finite != 0]).min(initial=1) < 1e-4))
        if big:
            opts.update(formatter={"float_kind": lambda v: f"{v:.4e}"})
        elif integral:
            opts.update(formatter={"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)})
        else:
            opts.update(precision=4, floatmode="fixed")
    if t.dtype is _dt.bool_:
        opts.update(formatter={"bool": lambda v: "True" if v else "False"})
    body = np.array2string(arr, **opts) if arr.size else "[]"
    extras = []
    if t.device.type != "cpu":
        extras.append(f"device='{t.device}'")
    if t.numel() == 0 and t.ndim != 1:
        extras.append(f"size={tuple(t.shape)}")
    if t.dtype not in (_dt.get_default_dtype(), _dt.int64, _dt.bool_) or (arr.size == 0 and t.dtype is _dt.int64):
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
