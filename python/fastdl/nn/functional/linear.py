"""linear(input, weight, bias): input @ weight^T + bias, weight (out_features, in_features).
Forward is one fused kernel (GEMM with the bias as its initial output); backward is
one kernel call too (two GEMMs and the bias sum), on every device.
float16 / bfloat16 run as matmul GEMMs (ops/linalg.gemm_into: tensor cores on CUDA,
float32 on the CPU), each result rounded once to the input dtype.

linear_activation(input, weight, bias, "relu" | "tanh" | "sigmoid") is the layer and
its activation as one op: on the CPU the activation is the GEMM's epilogue, applied to
each tile of the output while it is in cache; its backward is the activation's
gradient kernel, then linear's. The arithmetic is that of linear followed by the
activation op, so results are bit-identical. nn.Sequential uses it for a Linear
followed by ReLU, Tanh or Sigmoid."""
from ... import _C
from ... import dtypes as _dt
from ...autograd import Function, _state, is_grad_enabled
from ...ops._util import backend, check_tensor, desc, empty, expand_view, same_device, scalar_tensor, transposed_view
from ...ops.elementwise import binary_kernel, unary_kernel
from ...ops.linalg import gemm_into
from ...amp import autocast_mode as _amp

__all__ = ["linear"]

ACTIVATIONS = ("relu", "tanh", "sigmoid")  # what linear_activation fuses
# csrc/bind/bind_linalg_new.cpp: 2-D float CPU operands in one C++ call (None: not that case)
_cpu_linear_new = _C.cpu_linear_new


class _Linear(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, activation="none"):
        sx, n = tuple(x._shape), tuple(weight._shape)[0]  # tuples: Size's [] is Python code
        x2 = x if len(sx) == 2 else x.reshape(-1, sx[-1])
        out = _cpu_linear_new(x2, weight, bias, activation, True)  # float CPU operands: one C++ call
        if out is None:
            out = empty((tuple(x2._shape)[0], n), x._dtype, x._device)
            if x._dtype in _dt.HALF:
                _half_linear(x2, weight, bias, out)
                if activation != "none":  # computed in float32 and rounded, as the activation op does
                    out = unary_kernel(activation, out)
            else:
                backend(x, "linear").linear(x2, weight, bias, out, activation)
        needs = ctx.needs_input_grad
        res = out if len(sx) == 2 else out.reshape(sx[:-1] + (n,))
        # x and the returned output themselves (not 2-D views): a recorded backward
        # (create_graph) differentiates through them
        ctx.save_for_backward(x if needs[1] else None, weight if needs[0] else None,
                              res if activation != "none" else None)  # the activations' gradients read y
        ctx.x_shape, ctx.activation = sx, activation
        return res

    @staticmethod
    def backward(ctx, g):
        x, weight, y = ctx.saved_tensors
        needs, x_shape = ctx.needs_input_grad, ctx.x_shape
        if is_grad_enabled():  # create_graph: differentiable ops
            return _linear_grad_recorded(ctx, x, weight, y, g)
        sg = tuple(g._shape)
        g2 = g if len(sg) == 2 else g.reshape(-1, sg[-1])  # any strides will do
        x2 = x if x is None or len(x_shape) == 2 else x.reshape(-1, x_shape[-1])
        if y is not None:  # the activation op's own gradient kernel (relu_backward, ...)
            y = y if len(x_shape) == 2 else y.reshape(-1, sg[-1])
            g2 = binary_kernel(ctx.activation + "_backward", g2, y)
        (rows, n), dt, dev = tuple(g2._shape), g._dtype, g._device
        gx = empty((rows, x_shape[-1]), dt, dev) if needs[0] else None
        gw = empty((n, x_shape[-1]), dt, dev) if needs[1] else None
        gb = empty((n,), dt, dev) if needs[2] else None
        if dt in _dt.HALF:
            _half_linear_backward(g2, x2, weight, gx, gw, gb)
        else:
            backend(g, "linear").linear_backward(g2, x2, weight, gx, gw, gb)
        if gx is not None and len(x_shape) != 2:
            gx = gx.reshape(x_shape)
        return gx, gw, gb, None


def _linear_grad_recorded(ctx, x, weight, y, g):
    """_Linear's gradients in differentiable ops (matmul, the activation's gradient Function)."""
    from ...ops.elementwise import _ReluBackward, _SigmoidBackward, _TanhBackward
    needs, x_shape = ctx.needs_input_grad, ctx.x_shape
    n = g.shape[-1]
    g2 = g.reshape(-1, n)
    if y is not None:
        act = {"relu": _ReluBackward, "tanh": _TanhBackward, "sigmoid": _SigmoidBackward}[ctx.activation]
        g2 = act.apply(g2, y.reshape(-1, n))
    gx = (g2 @ weight).reshape(x_shape) if needs[0] else None
    gw = g2.t() @ x.reshape(-1, x_shape[-1]) if needs[1] else None
    gb = g2.sum(0) if needs[2] else None
    return gx, gw, gb, None


def _half_linear(x2, weight, bias, out):
    if bias is not None:  # the GEMM adds onto the bias rows
        backend(out, "linear").copy(expand_view(bias, out.shape), out)
    gemm_into(x2, transposed_view(weight), out, 1.0, 0.0 if bias is None else 1.0)


def _half_linear_backward(g2, x2, weight, gx, gw, gb):
    if gx is not None:
        gemm_into(g2, weight, gx)
    if gw is not None:
        gemm_into(transposed_view(g2), x2, gw)
    if gb is not None:  # the bias sum as a GEMM: ones(1, rows) @ g2, accumulated in fp32
        ones = expand_view(scalar_tensor(1, g2.dtype, g2.device), (1, g2.shape[0]))
        gemm_into(ones, g2, gb._view((1, gb.shape[0]), (gb.shape[0], 1)))


def linear(input, weight, bias=None):
    if _amp.on and _amp.here(): return _amp.run("linear", linear, input, weight, bias)  # autocast
    out = _cpu_linear_new(input, weight, bias, "none", not _state.enabled)
    if out is not None:
        return out
    if getattr(input, "_dtype", None) is not None and input._dtype.category == 3:  # complex: ops/complex_more.py
        from ...ops.complex_more import linear as clinear
        return clinear(input, weight, bias)
    _check_linear(input, weight, bias)
    return _Linear.apply(input, weight, bias)


def linear_activation(input, weight, bias, activation):
    """activation(linear(input, weight, bias)) as one op; activation in ACTIVATIONS."""
    if _amp.on and _amp.here(): return _amp.run("linear_activation", linear_activation, input, weight, bias, activation)  # autocast
    if activation not in ACTIVATIONS:
        raise ValueError(f"linear: unknown activation {activation!r} (expected one of {', '.join(ACTIVATIONS)})")
    out = _cpu_linear_new(input, weight, bias, activation, not _state.enabled)
    if out is not None:
        return out
    _check_linear(input, weight, bias)
    return _Linear.apply(input, weight, bias, activation)


def _check_linear(input, weight, bias):
    check_tensor("linear", input)
    check_tensor("linear", weight, "weight")
    same_device("linear", input, weight, bias)
    sx, sw = tuple(input._shape), tuple(weight._shape)  # tuples: Size's [] is Python code
    if len(sw) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got {desc(weight)}")
    if not sx:
        raise ValueError(f"linear: input must have at least 1 dimension, got {desc(input)}")
    if sx[-1] != sw[1]:
        raise ValueError(f"linear: input {desc(input)} has {sx[-1]} features but weight {desc(weight)} "
                         f"expects {sw[1]} (in_features)")
    if bias is not None and tuple(bias._shape) != sw[:1]:
        raise ValueError(f"linear: bias must have shape [{sw[0]}], got {desc(bias)}")
    for t in (weight, bias):
        if t is not None and t._dtype is not input._dtype:
            raise TypeError(f"linear: expected input, weight and bias of one dtype, got {desc(input)}, "
                            f"{desc(weight)}" + ("" if bias is None else f", {desc(bias)}"))
    if input._dtype.category != 2:
        raise TypeError(f"linear: expected a floating point input, got {desc(input)}")
