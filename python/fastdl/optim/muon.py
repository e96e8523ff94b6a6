"""optim.Muon: torch.optim.Muon (torch 2.9+): momentum (Nesterov by default), then the
update orthogonalised by a quintic Newton-Schulz iteration run in bfloat16 as torch
runs it, decoupled weight decay and torch's shape-dependent lr adjustment. 2-D
parameters only. State: momentum_buffer, torch's key."""
import math

from .. import dtypes as _dt
from ..ops.linalg import addmm
from ..tensor import Tensor, zeros_like
from ._common import lerp_, number
from .optimizer import Optimizer

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """X ~ U S' V^T with S' near 1 for grad = U S V^T: ns_steps of
    X <- a X + (b G + c G^2) X, G = X X^T, from X = grad / ||grad|| (wide orientation)."""
    if ns_steps >= 100:
        raise ValueError("Muon: Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Muon: Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Muon: Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = grad.to(_dt.bfloat16)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    x = x / x.norm().clamp(min=eps)
    for _ in range(ns_steps):
        gram = x @ x.T
        gram_update = addmm(gram, gram, gram, beta=b, alpha=c)
        x = addmm(x, gram_update, x, beta=a)
    return x.T if tall else x


def _adjust_lr(lr, adjust_lr_fn, param_shape):
    A, B = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, A / B))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(A, B))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Muon: Tensor lr must be 1-element")
        if not 0.0 <= number(lr):
            raise ValueError(f"Muon: Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"Muon: momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Muon: weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Muon: Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{tuple(p.shape)}")

    def _step_group(self, params, group):
        lr, weight_decay, momentum = number(group["lr"]), group["weight_decay"], group["momentum"]
        for param in params:
            grad = self._check_grad(param)
            if grad.ndim != 2:
                raise ValueError("Muon: Param gradient must be a 2D matrix")
            state = self.state[param]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = zeros_like(grad)
            buf = state["momentum_buffer"]
            lerp_(buf, grad, 1 - momentum)
            update = lerp_(grad.clone(), buf, momentum) if group["nesterov"] else buf
            update = _zeropower_via_newtonschulz(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
            adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], param.shape)
            param.mul_(1 - lr * weight_decay)
            param.add_(update.to(param.dtype), alpha=-adjusted_lr)
