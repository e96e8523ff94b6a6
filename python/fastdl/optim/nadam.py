"""optim.NAdam: torch.optim.NAdam (momentum decay, L2 or decoupled weight decay,
maximize), torch's single-tensor update written with fastdl tensor ops. mu_product is
a 0-d tensor in torch's scalar dtype (float32 unless float64 is the default), as torch
keeps it, so its rounding matches."""
from ..tensor import tensor, zeros_like
from ._common import TorchFlags, check_adam_like, invalid, lerp_, number, scalar_dtype
from .optimizer import Optimizer

__all__ = ["NAdam"]


class NAdam(TorchFlags, Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_adam_like("NAdam", lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise invalid("NAdam", f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, params, group):
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = number(group["lr"]), group["eps"], group["weight_decay"]
        momentum_decay, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
        for param in params:
            grad = self._check_grad(param)
            if group["maximize"]:
                grad = -grad
            state = self.state[param]
            if not state:
                state["step"] = 0
                state["mu_product"] = tensor(1.0, dtype=scalar_dtype())
                state["exp_avg"] = zeros_like(param.detach())
                state["exp_avg_sq"] = zeros_like(param.detach())
            exp_avg, exp_avg_sq, mu_product = state["exp_avg"], state["exp_avg_sq"], state["mu_product"]
            state["step"] += 1
            step = state["step"]
            bias_correction2 = 1 - beta2 ** step
            if weight_decay != 0:
                if decoupled:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(param, alpha=weight_decay)
            mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
            mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
            mu_product.mul_(mu)
            lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq.mul_(beta2)
            exp_avg_sq.add_(grad * (1 - beta2) * grad)  # addcmul_(grad, grad, value=1 - beta2)
            denom = exp_avg_sq / bias_correction2
            denom.sqrt_()
            mu_prod = mu_product.item()
            mu_product_next = mu_prod * mu_next
            denom.add_(eps)
            param.add_(grad * (-lr * (1.0 - mu) / (1.0 - mu_prod)) / denom)
            param.add_(exp_avg * ((-lr * mu_next) / (1.0 - mu_product_next)) / denom)
