"""optim.Adafactor: torch.optim.Adafactor (torch 2.5+; factored second moments for
>= 2-D parameters, relative step size, update clipping, decoupled weight decay,
maximize), torch's single-tensor update written with fastdl tensor ops.

State per parameter, with torch's keys: step (a 0-d float tensor in torch's scalar
dtype, as torch keeps it), then row_var (..., R, 1) and col_var (..., 1, C) for a
parameter of >= 2 dims, or variance (its shape) otherwise."""
from .. import dtypes as _dt
from ..tensor import Tensor, tensor, zeros, zeros_like
from ._common import lerp_, number, scalar_dtype
from .optimizer import Optimizer

__all__ = ["Adafactor"]

_EPS = {_dt.float64: 2.220446049250313e-16, _dt.float32: 1.1920928955078125e-07, _dt.float16: 0.0009765625,
        _dt.bfloat16: 0.0078125}  # torch.finfo(dtype).eps


class Adafactor(Optimizer):
    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Adafactor: Tensor lr must be 1-element")
        if not 0.0 <= number(lr):
            raise ValueError(f"Adafactor: Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"Adafactor: beta2_decay should be <= 0 but is: {beta2_decay}")
        if not isinstance(eps, (tuple, list)) or len(eps) != 2:
            raise ValueError(f"Adafactor: eps must be a pair (eps1 or None, eps2), got {eps!r}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"Adafactor: epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"Adafactor: epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Adafactor: Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Adafactor: weight_decay should be >= 0 but is: {weight_decay}")
        if foreach:
            raise ValueError("Adafactor: foreach=True is not supported: fastdl runs torch's single-tensor update")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    @staticmethod
    def _init_state(state, param):
        state["step"] = tensor(0.0, dtype=scalar_dtype())
        if param.ndim > 1:
            shape = tuple(param.shape)
            state["row_var"] = zeros(shape[:-1] + (1,), dtype=param.dtype, device=param.device)
            state["col_var"] = zeros(shape[:-2] + (1, shape[-1]), dtype=param.dtype, device=param.device)
        else:
            state["variance"] = zeros_like(param.detach())

    def _step_group(self, params, group):
        lr, d, beta2_decay = number(group["lr"]), group["d"], group["beta2_decay"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        eps1, eps2 = group["eps"]
        for param in params:
            grad = self._check_grad(param)
            if maximize:
                grad = -grad
            state = self.state[param]
            if not state:
                self._init_state(state, param)
            if eps1 is None:  # set once per group from its first parameter, as torch's loop does
                eps1 = _EPS[param.dtype]
            step_t = state["step"]
            step_t.add_(1)
            step = step_t.item()
            one_minus_beta2_t = step ** beta2_decay
            rho_t = min(lr, 1 / (step ** 0.5))
            alpha = max(eps2, param.norm(2).item() / (param.numel() ** 0.5)) * rho_t
            if weight_decay != 0:
                param.mul_(1 - lr * weight_decay)
            if grad.ndim > 1:
                row_var, col_var = state["row_var"], state["col_var"]
                row_mean = grad.norm(dim=-1, keepdim=True).square_().div_(grad.shape[-1])
                lerp_(row_var, row_mean, one_minus_beta2_t)
                col_mean = grad.norm(dim=-2, keepdim=True).square_().div_(grad.shape[-2])
                lerp_(col_var, col_mean, one_minus_beta2_t)
                var_estimate = row_var @ col_var
                var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
            else:
                variance = state["variance"]
                lerp_(variance, grad * grad, one_minus_beta2_t)
                var_estimate = variance.clone()
            update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_()
            update.mul_(grad)
            denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))
            param.add_(update, alpha=-alpha / denom)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for s in self.state.values():  # the base class loads step as an int; torch keeps a 0-d float tensor
            if "step" in s and not isinstance(s["step"], Tensor):
                s["step"] = tensor(float(s["step"]), dtype=scalar_dtype())
