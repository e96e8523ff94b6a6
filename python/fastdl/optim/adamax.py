"""optim.Adamax: torch.optim.Adamax (the infinity-norm Adam variant; weight decay,
maximize), torch's single-tensor update written with fastdl tensor ops."""
from ._common import TorchFlags, check_adam_like, lerp_, number, zero_state
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(TorchFlags, Optimizer):
    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_adam_like("Adamax", lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _step_group(self, params, group):
        beta1, beta2 = group["betas"]
        lr, eps = number(group["lr"]), group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for param in params:
            grad = self._check_grad(param)
            state = self.state[param]
            exp_avg, exp_inf = zero_state(state, param, "exp_avg", "exp_inf")
            if maximize:
                grad = -grad
            state["step"] += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            lerp_(exp_avg, grad, 1 - beta1)
            exp_inf.mul_(beta2)
            norm = grad.abs()
            norm.add_(eps)
            exp_inf.maximum_(norm)
            clr = lr / (1 - beta1 ** state["step"])
            param.add_(exp_avg * -clr / exp_inf)  # addcdiv_(exp_avg, exp_inf, value=-clr)
