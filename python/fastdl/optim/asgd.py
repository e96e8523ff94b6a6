"""optim.ASGD: torch.optim.ASGD (averaged SGD: lambd, alpha, t0, weight decay,
maximize), torch's single-tensor update written with fastdl tensor ops. eta and mu are
0-d tensors in torch's scalar dtype (float32 unless float64 is the default), as torch
keeps them, so the step sizes are rounded as torch rounds them."""
from ..tensor import tensor, zeros_like
from ._common import TorchFlags, check_lr, in_dtype, invalid, number, scalar_dtype
from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(TorchFlags, Optimizer):
    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        check_lr("ASGD", lr)
        if not 0.0 <= weight_decay:
            raise invalid("ASGD", f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _step_group(self, params, group):
        lr, lambd, alpha, t0 = number(group["lr"]), group["lambd"], group["alpha"], group["t0"]
        weight_decay = group["weight_decay"]
        for param in params:
            grad = self._check_grad(param)
            if group["maximize"]:
                grad = -grad
            state = self.state[param]
            if not state:
                state["step"] = 0
                state["eta"] = tensor(float(lr), dtype=scalar_dtype())
                state["mu"] = tensor(1.0, dtype=scalar_dtype())
                state["ax"] = zeros_like(param.detach())
            eta, mu, ax = state["eta"], state["mu"], state["ax"]
            state["step"] += 1
            step = state["step"]
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            eta_value = eta.item()
            param.mul_(1 - lambd * eta_value)  # decay term
            param.add_(grad * -eta_value)  # add_(grad, alpha=-eta)
            # averaging
            mu_value = mu.item()
            if mu_value != 1:
                diff = param - ax
                diff.mul_(mu_value)
                ax.add_(diff)
            else:
                ax.copy_(param)
            # torch.as_tensor(value): rounded to the default dtype, whatever eta's dtype. step as
            # a float, as torch's float step tensor gives it: with int lr, lambd and alpha the
            # power was exact integer arithmetic (ASGD(lr=2, lambd=2**31, alpha=2**31) hung).
            try:
                eta_next = lr / ((1 + lambd * lr * float(step)) ** alpha)
            except OverflowError:
                raise OverflowError(f"ASGD.step: the step size lr / (1 + lambd * lr * step) ** alpha overflows "
                                    f"(lr={lr}, lambd={lambd}, alpha={alpha}, step={step})") from None
            eta.fill_(in_dtype(eta_next, scalar_dtype()))
            mu.fill_(in_dtype(1 / max(1, step - t0), scalar_dtype()))
