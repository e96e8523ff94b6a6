"""optim.Adadelta: torch.optim.Adadelta (rho, eps, weight decay, maximize), torch's
single-tensor update written with fastdl tensor ops."""
from ._common import TorchFlags, check_lr, invalid, number, zero_state
from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(TorchFlags, Optimizer):
    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_lr("Adadelta", lr)
        if not 0.0 <= rho <= 1.0:
            raise invalid("Adadelta", f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise invalid("Adadelta", f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise invalid("Adadelta", f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _step_group(self, params, group):
        lr, rho, eps = number(group["lr"]), group["rho"], group["eps"]
        weight_decay, maximize = group["weight_decay"], group["maximize"]
        for param in params:
            grad = self._check_grad(param)
            state = self.state[param]
            square_avg, acc_delta = zero_state(state, param, "square_avg", "acc_delta")
            state["step"] += 1
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            square_avg.mul_(rho)
            square_avg.add_(grad * (1 - rho) * grad)  # addcmul_(grad, grad, value=1 - rho)
            std = square_avg + eps
            std.sqrt_()
            delta = acc_delta + eps
            delta.sqrt_()
            delta.div_(std)
            delta.mul_(grad)
            acc_delta.mul_(rho)
            acc_delta.add_(delta * (1 - rho) * delta)
            param.add_(delta * -lr)  # add_(delta, alpha=-lr)
