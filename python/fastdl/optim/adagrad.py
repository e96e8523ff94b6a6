"""optim.Adagrad: torch.optim.Adagrad (lr decay, weight decay, initial accumulator,
maximize), torch's single-tensor update written with fastdl tensor ops."""
from ..tensor import full_like
from ._common import TorchFlags, check_lr, invalid, number
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(TorchFlags, Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_lr("Adagrad", lr)
        if not 0.0 <= lr_decay:
            raise invalid("Adagrad", f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise invalid("Adagrad", f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise invalid("Adagrad", f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise invalid("Adagrad", f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        # as torch: the state of every parameter exists from the start (step 0, sum filled)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p, value):
        state = self.state[p]
        state["step"] = 0
        state["sum"] = full_like(p.detach(), value)
        return state

    def _step_group(self, params, group):
        lr, lr_decay = number(group["lr"]), group["lr_decay"]
        weight_decay, eps, maximize = group["weight_decay"], group["eps"], group["maximize"]
        for param in params:
            grad = self._check_grad(param)
            state = self.state[param]
            if not state:  # a parameter added later: torch takes the constructor's value
                state = self._init_state(param, self.defaults["initial_accumulator_value"])
            state_sum = state["sum"]
            state["step"] += 1
            step = state["step"]
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)
            state_sum.add_(grad * grad)  # addcmul_(grad, grad, value=1)
            std = state_sum.sqrt()
            std.add_(eps)
            param.add_(grad * -clr / std)  # addcdiv_(grad, std, value=-clr)
