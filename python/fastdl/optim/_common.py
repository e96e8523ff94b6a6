"""Shared pieces of the optimizers written with fastdl tensor ops (Adagrad, Adadelta,
Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS), which follow torch's single-tensor
(foreach=False) code paths op for op: argument checks with torch's messages, the
torch-only flags (foreach, fused, differentiable, capturable), torch's two-branch lerp
and the dtype torch keeps scalar state (NAdam's mu_product, ASGD's eta and mu) in."""

from .. import dtypes as _dt
from ..ops._util import in_dtype  # noqa: F401 (re-exported: the optimizers' scalar rounding)
from ..tensor import Tensor, zeros_like

__all__ = ["TorchFlags", "check_adam_like", "check_lr", "invalid", "number", "scalar_dtype", "in_dtype", "lerp_",
           "zero_state"]

# the values fastdl accepts for torch's implementation-choice flags (torch's defaults)
_FLAGS = {"foreach": (None, False), "fused": (None, False), "differentiable": (False,), "capturable": (False,)}


def invalid(name, message):
    """ValueError with torch's message, prefixed by the optimizer's name."""
    return ValueError(f"{name}: {message}")


def check_lr(name, lr):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise invalid(name, "Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise invalid(name, f"Invalid learning rate: {lr}")


def check_adam_like(name, lr, eps, betas, weight_decay):
    """lr, eps, betas and weight_decay as Adam checks them, with its messages."""
    check_lr(name, lr)
    if not 0.0 <= eps:
        raise invalid(name, f"Invalid epsilon value: {eps}")
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise invalid(name, f"Invalid beta parameter at index {i}: {betas[i]}")
    if not 0.0 <= weight_decay:
        raise invalid(name, f"Invalid weight_decay value: {weight_decay}")


def check_flags(name, group):
    for key, allowed in _FLAGS.items():
        if key not in group:
            continue
        value = group[key]
        if isinstance(value, Tensor) or not any(value is a or (a is not None and value == a and
                                                                    not isinstance(value, str)) for a in allowed):
            raise ValueError(f"{name}: {key}={value!r} is not supported: fastdl runs torch's single-tensor "
                             f"(foreach=False) update; leave {key} at its default ({allowed[0]})")


class TorchFlags:
    """Mixin (before Optimizer in the bases): checks the torch-only flags of every group
    added, and of the groups a state_dict brings."""

    def add_param_group(self, param_group):
        if isinstance(param_group, dict):
            check_flags(type(self).__name__, {**self.defaults, **param_group})
        super().add_param_group(param_group)

    def load_state_dict(self, state_dict):
        if isinstance(state_dict, dict):
            for g in state_dict.get("param_groups") or ():
                if isinstance(g, dict):
                    check_flags(type(self).__name__, g)
        super().load_state_dict(state_dict)


def number(x):
    """A hyperparameter as a Python number (a 1-element tensor lr gives its value)."""
    return x.item() if isinstance(x, Tensor) else x


def scalar_dtype():
    """torch's _get_scalar_dtype(): float64 when that is the default dtype, else float32."""
    return _dt.float64 if _dt.get_default_dtype() is _dt.float64 else _dt.float32


def lerp_(t, end, weight):
    """t.lerp_(end, weight) for a number weight with torch's CPU formula:
    t + w * (end - t) when |w| < 0.5, else end - (end - t) * (1 - w), w and 1 - w taken
    in t's dtype (Tensor.lerp_: one kernel pass where it can)."""
    return t.lerp_(end, weight)



def zero_state(state, param, *names):
    """A parameter's state, made on its first step as torch makes it (step 0, then zero
    buffers shaped like the parameter, in this key order); returns the named buffers."""
    if not state:
        state["step"] = 0
        for name in names:
            state[name] = zeros_like(param.detach())
    return tuple(state[name] for name in names)
