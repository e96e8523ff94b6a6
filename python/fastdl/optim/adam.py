"""optim.Adam: torch.optim.Adam (bias correction, AMSGrad, maximize, L2 or decoupled
weight decay)."""
from ..ops._util import backend
from ..tensor import contiguous_strides, zeros_like
from .optimizer import _HALF, Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    @staticmethod
    def _advance(param, state, amsgrad):
        """Creates the state on first use and counts this step; returns the state."""
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like(param)
            state["exp_avg_sq"] = zeros_like(param)
        if amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = zeros_like(param)
        state["step"] += 1
        return state

    @staticmethod
    def _hyper(group):
        beta1, beta2 = group["betas"]
        return (float(group["lr"]), float(beta1), float(beta2), float(group["eps"]), float(group["weight_decay"]),
                bool(group["amsgrad"]), bool(group["maximize"]), bool(group["decoupled_weight_decay"]))

    def _update(self, param, grad, state, group):
        amsgrad = bool(group["amsgrad"])
        state = self._advance(param, state, amsgrad)
        written = (state["exp_avg"], state["exp_avg_sq"]) + ((state["max_exp_avg_sq"],) if amsgrad else ())
        backend(param, type(self).__name__).adam_step(
            param, grad, state["exp_avg"], state["exp_avg_sq"], state["max_exp_avg_sq"] if amsgrad else None,
            state["step"], *self._hyper(group))
        return written

    def _step_group(self, params, group):
        """One kernel call per device type (CPU, CUDA) for every parameter whose
        parameter and gradient are contiguous (the usual case); any other parameter (a half one
        too: optimizer.py's _step_half) goes through _step_param."""
        amsgrad = bool(group["amsgrad"])
        batches = {}  # device type -> (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps)
        for p in params:
            grad = self._check_grad(p)
            if not _plainly_contiguous(p) or not _plainly_contiguous(grad) or p._dtype in _HALF:
                self._step_param(p, group)
                continue
            state = self._advance(p, self.state[p], amsgrad)
            ps, gs, ms, vs, vmaxs, steps = batches.setdefault(p._device.type, ([], [], [], [], [], []))
            ps.append(p)
            gs.append(grad)
            ms.append(state["exp_avg"])
            vs.append(state["exp_avg_sq"])
            if amsgrad:
                vmaxs.append(state["max_exp_avg_sq"])
            steps.append(state["step"])
        for ps, *rest in batches.values():  # bumps the version of every tensor it writes
            backend(ps[0], type(self).__name__).adam_step_multi(ps, *rest, *self._hyper(group))


def _plainly_contiguous(t):
    """Row-major strides exactly (a cheap test that implies is_contiguous())."""
    return t._strides == contiguous_strides(t._shape)
