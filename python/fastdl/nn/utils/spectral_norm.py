"""torch.nn.utils.spectral_norm / remove_spectral_norm (the forward-pre-hook API):
weight = weight_orig / sigma, sigma the largest singular value of weight_orig (as a
matrix, dim first) estimated by power iteration on the buffers weight_u / weight_v,
which are updated in training mode only."""
from ...autograd import no_grad
from ...ops.random import randn
from ..functional.vector_norm import normalize
from ...tensor import Tensor
from ..parameter import Parameter
from .weight_norm import _hooks, _remove_hook

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _to_matrix(weight, dim):
    """weight with `dim` moved first, flattened to (size(dim), -1)."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], -1)


def _check(name, module, weight, n_power_iterations, dim):
    if n_power_iterations <= 0:
        raise ValueError(f"Expected n_power_iterations to be positive, but got "
                         f"n_power_iterations={n_power_iterations}")
    if weight.ndim < 1 or not -weight.ndim <= dim < weight.ndim:
        raise IndexError(f"spectral_norm: dim {dim} is out of range for {name} of shape {list(weight.shape)}")


class SpectralNorm:
    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps
        self.handle = None

    def reshape_weight_to_matrix(self, weight):
        return _to_matrix(weight, self.dim)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():  # u, v are updated in place (the buffers), then cloned for autograd
                for _ in range(self.n_power_iterations):
                    v = normalize(weight_mat.t() @ u, dim=0, eps=self.eps, out=v)
                    u = normalize(weight_mat @ v, dim=0, eps=self.eps, out=u)
                u, v = u.clone(), v.clone()
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        if _hooks(module, SpectralNorm, name):
            raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None or missing")
        _check(name, module, weight, n_power_iterations, dim)
        fn = SpectralNorm(name, n_power_iterations, dim % weight.ndim, eps)
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = normalize(randn(h, dtype=weight.dtype, device=weight.device), dim=0, eps=eps)
            v = normalize(randn(w, dtype=weight.dtype, device=weight.device), dim=0, eps=eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        # a plain tensor (not a Parameter, which would be registered), until the first forward
        setattr(module, name, Tensor._make(weight._buf, weight._dtype, weight._shape, weight._strides,
                                           weight._offset, weight._device))
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        fn.handle = module.register_forward_pre_hook(fn)
        return fn


def _default_dim(module):
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d
    kinds = (ConvTranspose1d, ConvTranspose2d)
    try:
        from ..modules.conv import ConvTranspose3d
        kinds += (ConvTranspose3d,)
    except ImportError:
        pass
    return 1 if isinstance(module, kinds) else 0


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divides module.<name> by its spectral norm before each forward (dim: the output
    dimension, 0, or 1 for ConvTranspose)."""
    SpectralNorm.apply(module, name, n_power_iterations, _default_dim(module) if dim is None else dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    return _remove_hook(module, SpectralNorm, name, "spectral_norm")
