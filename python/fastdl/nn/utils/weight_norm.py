"""torch.nn.utils.weight_norm / remove_weight_norm (the forward-pre-hook API, deprecated
in torch for parametrizations.weight_norm): weight = g * v / ||v||, with g and v the
parameters weight_g and weight_v. Also the two helpers both APIs share (torch's
norm_except_dim and _weight_norm)."""
import warnings

from ...ops.norms import vector_norm
from ...tensor import Tensor
from ..parameter import Parameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """The pow-norm of v over every dimension but dim (kept, the others of size 1);
    dim=-1 means over all of v (a 0-d result), as torch.norm_except_dim."""
    if not isinstance(v, Tensor):
        raise TypeError(f"norm_except_dim: expected a Tensor, got {type(v).__name__}")
    if dim == -1:
        return vector_norm(v, pow)
    if not -v.ndim <= dim < v.ndim:
        raise IndexError(f"norm_except_dim: dim {dim} is out of range for a tensor of shape {list(v.shape)}")
    dim %= v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:  # a 1-D v: each entry is its own group
        return v.abs()
    return vector_norm(v, pow, others, keepdim=True)


def _weight_norm(v, g, dim=0):
    """v * (g / ||v||), the norm over every dimension of v but dim (torch._weight_norm)."""
    return v * (g / norm_except_dim(v, 2, dim))


def _hooks(module, cls, name):
    """module's forward pre-hooks of class cls for the parameter `name` (a list)."""
    return [h for h in (module.__dict__.get("_forward_pre_hooks") or {}).values()
            if isinstance(h, cls) and h.name == name]


def _remove_hook(module, cls, name, what):
    """remove_weight_norm / remove_spectral_norm: undoes the first such hook, else ValueError."""
    for hook in _hooks(module, cls, name):
        hook.remove(module)
        hook.handle.remove()
        return module
    raise ValueError(f"{what} of '{name}' not found in {module}")


class WeightNorm:
    """The forward pre-hook that recomputes module.<name> from <name>_g and <name>_v."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim
        self.handle = None

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=3)
        if _hooks(module, WeightNorm, name):
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"weight_norm: module {type(module).__name__} has no parameter '{name}'")
        fn = WeightNorm(name, dim)
        delattr(module, name)
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        fn.handle = module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Replaces module.<name> by <name>_g (its norm over every dim but `dim`; dim=None:
    over the whole tensor) and <name>_v (its direction), recombined before each forward."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    return _remove_hook(module, WeightNorm, name, "weight_norm")
