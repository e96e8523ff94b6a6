"""matmul / @ with NumPy's rules for 1-D operands and broadcast batch dimensions.

float16 / bfloat16: the CUDA GEMM takes them (tensor cores, fp32 accumulation); on the
CPU the operands are converted to float32, multiplied there and the result rounded
once to the input dtype, as torch's CPU path does."""
import functools

from .. import _C
from .. import dtypes as _dt
from ..autograd import Function, is_grad_enabled
from ._util import (backend, broadcast_shapes, cast, check_tensor, desc, empty, expand_view, same_device,
                    transposed_view, unbroadcast)
from ..amp import autocast_mode as _amp
from .out_arg import with_out as _with_out
from ..tensor import Tensor as _Tensor

_cpu_matmul_new = _C.cpu_matmul_new  # csrc/bind/bind_linalg_new.cpp: 2-D float CPU operands in one call


def gemm_into(a, b, out, alpha=1.0, beta=0.0, batch=None):
    """out = alpha * a @ b + beta * out (the matmul kernel's contract), a and b broadcast
    to the batch dims `batch` (default: out's); half dtypes on the CPU via float32."""
    so = tuple(out._shape)
    if batch == () and out._dtype not in _dt.HALF:  # 2-D: the operands are the kernel's views already
        backend(a, "matmul").matmul(a, b, out, alpha, beta)
        return out
    batch = so[:-2] if batch is None else batch
    M, N = so[-2], so[-1]
    if out._dtype in _dt.HALF and out._device.type == "cpu":
        f32 = _dt.float32
        acc = cast(out, f32) if beta != 0 else empty(out.shape, f32, out.device)
        gemm_into(cast(a, f32), cast(b, f32), acc, alpha, beta, batch)
        backend(out, "matmul").copy(acc, out)
        return out
    K = tuple(a._shape)[-1]
    backend(a, "matmul").matmul(expand_view(a, batch + (M, K)), expand_view(b, batch + (K, N)), out, alpha, beta)
    return out


class _Matmul(Function):
    """(..., M, K) @ (..., K, N) -> (broadcast batch..., M, N); both operands >= 2-D."""

    @staticmethod
    def forward(ctx, a, b):
        sa, sb = a._shape, b._shape
        if len(sa) == 2 and len(sb) == 2:  # the common case without the batch bookkeeping
            out = _cpu_matmul_new(a, b, True)
            if out is None:
                (M, _), (_, N) = sa, sb
                out = gemm_into(a, b, empty((M, N), a._dtype, a._device), batch=())
        else:
            batch = broadcast_shapes("matmul", sa[:-2], sb[:-2])
            out = gemm_into(a, b, empty(batch + (sa[-2], sb[-1]), a._dtype, a._device))
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[0] else None)
        ctx.shapes = (sa, sb)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        # raw transposed views when backward records nothing; the transpose op with create_graph
        tv = transposed_view if not is_grad_enabled() else (lambda t: t.transpose(-2, -1))
        ga = unbroadcast(_Matmul.apply(g, tv(b)), sa) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(_Matmul.apply(tv(a), g), sb) if ctx.needs_input_grad[1] else None
        return ga, gb


def matmul(a, b):
    """matmul(a, b): the matrix product with NumPy's rules (1-D operands, broadcast batch dimensions)."""
    if _amp.on and _amp.here(): return _amp.run("matmul", matmul, a, b)  # autocast
    check_tensor("matmul", a)
    check_tensor("matmul", b, "other")
    same_device("matmul", a, b)
    if a._dtype.category == 3 or b._dtype.category == 3:  # four real products (ops/complex_math.py)
        from .complex_math import matmul as complex_matmul
        return complex_matmul(a, b)
    # shapes as plain tuples: fastdl.Size's Python __getitem__ costs more than this op's checks
    sa, sb = tuple(a._shape), tuple(b._shape)
    if not sa or not sb:
        raise ValueError(f"matmul: both arguments need at least 1 dimension, got {desc(a)} and {desc(b)}")
    if a.dtype is not b.dtype:
        raise TypeError(f"matmul: expected both operands to have the same dtype, got {desc(a)} @ {desc(b)}")
    if a.dtype is _dt.bool_:
        raise TypeError(f"matmul: not implemented for bool tensors ({desc(a)})")
    inner_b = sb[-2 if len(sb) > 1 else 0]
    if sa[-1] != inner_b:
        raise ValueError(f"matmul: shape mismatch {desc(a)} @ {desc(b)} "
                         f"(inner dimensions {sa[-1]} and {inner_b} differ)")
    if a.dtype in _dt.NARROW_INT:  # int64 products, wrapped back (integers need no graph)
        return matmul(cast(a, _dt.int64), cast(b, _dt.int64)).to(a.dtype)
    if len(sa) == 2 and len(sb) == 2:
        return _Matmul.apply(a, b)
    a2 = a.unsqueeze(0) if len(sa) == 1 else a
    b2 = b.unsqueeze(-1) if len(sb) == 1 else b
    out = _Matmul.apply(a2, b2)
    if b.ndim == 1:
        out = out.squeeze(-1)
    if a.ndim == 1:
        out = out.squeeze(-2 if b.ndim > 1 else -1)
    return out


def _product_into(a, b, out):
    """a @ b written straight into out, as torch's mm_out does, when a and b are 2-D float32 /
    float64 CPU tensors of out's dtype, out is contiguous with the product's shape, shares no
    memory with a or b, and no graph is recorded (nothing requires grad, or no_grad); False
    where out= takes the general path (compute, then copy into out, with its checks)."""
    if not (isinstance(a, _Tensor) and isinstance(b, _Tensor) and isinstance(out, _Tensor)) or \
            (_amp.on and _amp.here()):
        return False
    dt = out._dtype
    if a._dtype is not dt or b._dtype is not dt or dt not in (_dt.float32, _dt.float64):
        return False
    if out._device.type != "cpu" or a._device != out._device or b._device != out._device:
        return False
    sa, sb = tuple(a._shape), tuple(b._shape)
    if len(sa) != 2 or len(sb) != 2 or sa[1] != sb[0] or tuple(out._shape) != (sa[0], sb[1]):
        return False
    if is_grad_enabled() and (a._requires_grad or b._requires_grad or out._requires_grad):
        return False
    if out._buf is a._buf or out._buf is b._buf or not out.is_contiguous():
        return False
    gemm_into(a, b, out, batch=())
    out._buf.version += 1
    return True


def _with_direct_out(fn, op):
    """fn with torch's out= keyword, writing 2-D float products straight into out."""
    general = _with_out(fn, op)

    @functools.wraps(general)
    def with_direct_out(*args, out=None, **kw):
        if out is not None and len(args) == 2 and not kw and _product_into(args[0], args[1], out):
            return out
        return general(*args, out=out, **kw)
    return with_direct_out


# 2-D float CPU operands that need no graph (the operands need no grad, or no_grad) run as
# one C++ call; the Python matmul above otherwise (csrc/bind/bind_front_method.cpp).
matmul = _C.front_method(_cpu_matmul_new, _with_direct_out(matmul, "matmul"), 2)  # out=: keywords take the fallback


class _Addmm(Function):
    """beta * input + alpha * (mat1 @ mat2) as one GEMM: input broadcast into the output,
    then the kernel's C = alpha * A @ B + beta * C."""

    @staticmethod
    def forward(ctx, input, mat1, mat2, beta, alpha):
        (M, _), (_, N) = tuple(mat1._shape), tuple(mat2._shape)
        out = empty((M, N), mat1._dtype, mat1._device)
        if beta != 0:  # beta == 0: input is not read (NaN in it is ignored, as in torch)
            backend(out, "addmm").copy(expand_view(input, (M, N)), out)
        gemm_into(mat1, mat2, out, alpha, beta, batch=())
        needs = ctx.needs_input_grad
        ctx.save_for_backward(mat1 if needs[2] else None, mat2 if needs[1] else None)
        ctx.input_shape, ctx.shapes, ctx.beta, ctx.alpha = tuple(input._shape), (M, mat1._shape[1], N), beta, alpha
        return out

    @staticmethod
    def backward(ctx, g):
        mat1, mat2 = ctx.saved_tensors
        needs, alpha, beta = ctx.needs_input_grad, ctx.alpha, ctx.beta
        gi = unbroadcast(g if beta == 1 else g * beta, ctx.input_shape) if needs[0] else None
        M, K, N = ctx.shapes
        if is_grad_enabled():  # create_graph: differentiable ops
            g1 = (g @ mat2.t()) * alpha if needs[1] else None
            g2 = (mat1.t() @ g) * alpha if needs[2] else None
            return gi, g1, g2, None, None
        # alpha rides in the GEMMs (the kernel's alpha): one kernel per gradient
        g1 = gemm_into(g, transposed_view(mat2), empty((M, K), g._dtype, g._device), alpha, batch=()) if needs[1] else None
        g2 = gemm_into(transposed_view(mat1), g, empty((K, N), g._dtype, g._device), alpha, batch=()) if needs[2] else None
        return gi, g1, g2, None, None


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), torch.addmm: mat1 (n, m), mat2 (m, p), input
    broadcastable to (n, p). One GEMM with input as its initial output (a layer's
    `x @ W + b` in one op)."""
    if _amp.on and _amp.here(): return _amp.run("addmm", addmm, input, mat1, mat2, beta=beta, alpha=alpha)  # autocast
    for t, name in ((input, "input"), (mat1, "mat1"), (mat2, "mat2")):
        check_tensor("addmm", t, name)
    same_device("addmm", input, mat1, mat2)
    s1, s2 = tuple(mat1._shape), tuple(mat2._shape)
    if len(s1) != 2 or len(s2) != 2:
        raise ValueError(f"addmm: mat1 and mat2 must be 2-D, got {desc(mat1)} and {desc(mat2)}")
    if s1[1] != s2[0]:
        raise ValueError(f"addmm: shape mismatch {desc(mat1)} @ {desc(mat2)} (inner dimensions {s1[1]} and {s2[0]} differ)")
    if not (input._dtype is mat1._dtype is mat2._dtype) or not input._dtype.is_floating_point:
        raise TypeError(f"addmm: expected input, mat1 and mat2 of one floating point dtype, got {desc(input)}, "
                        f"{desc(mat1)}, {desc(mat2)}")
    if len(input._shape) > 2 or broadcast_shapes("addmm", tuple(input._shape), (s1[0], s2[1])) != (s1[0], s2[1]):
        raise ValueError(f"addmm: input must broadcast to [{s1[0]}, {s2[1]}], got {desc(input)}")
    for v, name in ((beta, "beta"), (alpha, "alpha")):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"addmm: {name} must be a number, got {type(v).__name__}")
    return _Addmm.apply(input, mat1, mat2, float(beta), float(alpha))


def mm(a, b):
    """mm(a, b): the product of two 2-D tensors."""
    if _amp.on and _amp.here(): return _amp.run("mm", mm, a, b)  # autocast
    check_tensor("mm", a, "input")
    check_tensor("mm", b, "mat2")
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expected 2-D tensors, got {desc(a)} and {desc(b)}")
    return matmul(a, b)


mm = _C.front_method(_cpu_matmul_new, _with_direct_out(mm, "mm"), 2)  # as matmul: its fast case is 2-D


def bmm(a, b):
    if _amp.on and _amp.here(): return _amp.run("bmm", bmm, a, b)  # autocast
    check_tensor("bmm", a, "input")
    check_tensor("bmm", b, "mat2")
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: expected 3-D tensors with equal batch sizes, got {desc(a)} and {desc(b)}")
    return matmul(a, b)


def dot(a, b):
    if _amp.on and _amp.here(): return _amp.run("dot", dot, a, b)  # autocast
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: expected 1-D tensors, got {desc(a)} and {desc(b)}")
    return matmul(a, b)


def outer(a, b):
    check_tensor("outer", a, "input")
    check_tensor("outer", b, "vec2")
    if a.ndim != 1 or b.ndim != 1:  # torch refuses; flattening would return a silent wrong shape
        raise RuntimeError(f"outer: expected 1-D arguments, got {desc(a)} and {desc(b)}")
    return a.reshape(-1, 1) * b.reshape(1, -1)
