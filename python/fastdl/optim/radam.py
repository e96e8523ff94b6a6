"""optim.RAdam: torch.optim.RAdam (variance rectification, L2 or decoupled weight
decay, maximize), torch's single-tensor update written with fastdl tensor ops."""
from ._common import TorchFlags, check_adam_like, lerp_, number, zero_state
from .optimizer import Optimizer

__all__ = ["RAdam"]


class RAdam(TorchFlags, Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_adam_like("RAdam", lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, params, group):
        beta1, beta2 = group["betas"]
        lr, eps, weight_decay = number(group["lr"]), group["eps"], group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        for param in params:
            grad = self._check_grad(param)
            if group["maximize"]:
                grad = -grad
            state = self.state[param]
            exp_avg, exp_avg_sq = zero_state(state, param, "exp_avg", "exp_avg_sq")
            state["step"] += 1
            step = state["step"]
            if weight_decay != 0:
                if decoupled:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(param, alpha=weight_decay)
            lerp_(exp_avg, grad, 1 - beta1)
            exp_avg_sq.mul_(beta2)
            exp_avg_sq.add_(grad * (1 - beta2) * grad)  # addcmul_(grad, grad, value=1 - beta2)
            bias_correction1 = 1 - beta1 ** step
            bias_correction2 = 1 - beta2 ** step
            bias_corrected_exp_avg = exp_avg / bias_correction1
            # maximum length of the approximated SMA, and its length at this step
            rho_inf = 2 / (1 - beta2) - 1
            rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
            if rho_t > 5.0:
                rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                exp_avg_sq_sqrt = exp_avg_sq.sqrt()
                exp_avg_sq_sqrt.add_(eps)
                adaptive_lr = (bias_correction2 ** 0.5) / exp_avg_sq_sqrt
                param.sub_(bias_corrected_exp_avg * lr * adaptive_lr * rect)  # add_(..., alpha=-1.0)
            else:
                param.sub_(bias_corrected_exp_avg * lr)
