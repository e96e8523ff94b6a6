"""optim.RMSprop: torch.optim.RMSprop (centered, momentum, weight decay, maximize)."""
from ..ops._util import backend
from ..tensor import zeros_like
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        momentum, centered = float(group["momentum"]), bool(group["centered"])
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like(param)
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = zeros_like(param)
        if centered and "grad_avg" not in state:
            state["grad_avg"] = zeros_like(param)
        state["step"] += 1
        grad_avg = state["grad_avg"] if centered else None
        buf = state["momentum_buffer"] if momentum > 0 else None
        backend(param, "RMSprop").rmsprop_step(
            param, grad, state["square_avg"], grad_avg, buf, float(group["lr"]), float(group["alpha"]),
            float(group["eps"]), float(group["weight_decay"]), momentum, centered, bool(group["maximize"]))
        return tuple(t for t in (state["square_avg"], grad_avg, buf) if t is not None)
