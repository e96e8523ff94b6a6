"""Dirichlet(concentration): a point of the simplex (event_shape (K,)), as normalised
Gamma(concentration_i, 1) draws; rsample carries their implicit gradients."""
from ..ops import digamma, lgamma, xlogy
from ..tensor import Size, Tensor
from . import constraints
from ._gamma_sampling import standard_gamma
from ._params import ParamDistribution
from .utils import finfo, finfo_tiny


class Dirichlet(ParamDistribution):
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True
    _param_names = ("concentration",)

    def __init__(self, concentration, validate_args=None):
        if not isinstance(concentration, Tensor) or concentration.ndim < 1:
            raise ValueError(f"Dirichlet: `concentration` must be at least one-dimensional (..., K), got "
                             f"{concentration!r}")
        self.concentration = concentration
        batch, event = concentration.shape[:-1], concentration.shape[-1:]
        super(ParamDistribution, self).__init__(batch, event, validate_args=validate_args)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        g = standard_gamma(self.concentration.expand(shape)).clamp(min=finfo_tiny(self.concentration.dtype))
        x = g / g.sum(-1, keepdim=True)
        eps = finfo(x.dtype)[0]
        return x.clamp(min=finfo_tiny(x.dtype), max=1 - eps)

    def log_prob(self, value):
        value = self._value(value)
        c = self.concentration
        return xlogy(c - 1.0, value).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        from ..ops import one_hot, where
        c = self.concentration
        cm1 = (c - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, keepdim=True)
        # every concentration < 1: the density peaks at the vertex of the largest one
        all_small = (c < 1).all(-1, keepdim=True)
        vertex = one_hot(c.argmax(-1), c.shape[-1]).to(c.dtype)
        return where(all_small, vertex, mode)

    @property
    def variance(self):
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0 ** 2 * (c0 + 1))

    def entropy(self):
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return lgamma(c).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0) - ((c - 1.0) * digamma(c)).sum(-1)
