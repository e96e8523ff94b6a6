"""optim.SGD: torch.optim.SGD (momentum, dampening, Nesterov, weight decay, maximize)."""
from ..ops._util import backend
from ..tensor import empty_like
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        momentum = group["momentum"]
        buf, init = None, False
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # torch starts the buffer at the first (decayed) gradient
                buf, init = empty_like(param), True
                state["momentum_buffer"] = buf
        backend(param, "SGD").sgd_step(param, grad, buf, float(group["lr"]), float(momentum),
                                       float(group["dampening"]), float(group["weight_decay"]),
                                       bool(group["nesterov"]), bool(group["maximize"]), init)
        return () if buf is None else (buf,)
