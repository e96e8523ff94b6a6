"""optim.Rprop: torch.optim.Rprop (resilient backpropagation: etas, step size bounds,
maximize), torch's single-tensor update written with fastdl tensor ops."""
from ..tensor import full_like, zeros_like
from ._common import TorchFlags, check_lr, invalid, number
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(TorchFlags, Optimizer):
    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_lr("Rprop", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise invalid("Rprop", f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _step_group(self, params, group):
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for param in params:
            grad = self._check_grad(param)
            state = self.state[param]
            if not state:
                state["step"] = 0
                state["prev"] = zeros_like(param.detach())
                state["step_size"] = full_like(grad, number(group["lr"]))
            prev, step_size = state["prev"], state["step_size"]
            if group["maximize"]:
                grad = -grad
            state["step"] += 1
            sign = (grad * prev).sign()
            # in torch's order (masked assignments, so a NaN product stays NaN)
            sign.masked_fill_(sign > 0, etaplus)
            sign.masked_fill_(sign < 0, etaminus)
            sign.masked_fill_(sign == 0, 1)
            step_size.mul_(sign)
            step_size.clamp_(step_size_min, step_size_max)
            # where the gradient changed sign: no step now, and no sign change next time
            grad = grad.masked_fill(sign == etaminus, 0)
            param.sub_(grad.sign() * step_size)  # addcmul_(grad.sign(), step_size, value=-1)
            prev.copy_(grad)
