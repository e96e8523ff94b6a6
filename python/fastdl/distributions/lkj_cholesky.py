"""LKJCholesky(dim, concentration): the Cholesky factor of an LKJ-distributed correlation
matrix (density prop. to det(R)^(concentration - 1)); sampled by the onion method
(Ghosh and Henderson), as torch."""
import math

from ..ops import cat, lgamma, log, mvlgamma, randn, sqrt
from ..tensor import arange
from ..tensor import Size
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all, finfo_tiny


class LKJCholesky(Distribution):
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2:
            raise ValueError(f"LKJCholesky: expected dim to be an integer greater than or equal to 2. Found "
                             f"dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all("LKJCholesky", concentration)
        c = self.concentration
        marginal_conc = c + 0.5 * (dim - 2)
        offset = arange(dim - 1, dtype=c.dtype, device=c.device)
        offset = cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset, validate_args=False)
        super().__init__(c.shape, (dim, dim), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(tuple(batch_shape))
        new.dim = self.dim
        new.concentration = self.concentration.expand(tuple(batch_shape))
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=Size()):
        # row i: sqrt(y_i) times a uniform direction in its first i coordinates, with
        # y_i ~ Beta(i/2, conc + (dim - 2 - i)/2 ...) and the diagonal closing the unit norm
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u = randn(self._extended_shape(sample_shape), dtype=y.dtype, device=y.device).tril(-1)
        norm = sqrt((u * u).sum(-1, keepdim=True))
        row0 = (arange(self.dim, device=y.device) == 0).reshape(self.dim, 1)
        from ..ops import where
        u_hypersphere = where(row0, 0.0, u / where(row0, 1.0, norm))
        w = sqrt(y) * u_hypersphere
        diag = sqrt((1 - (w * w).sum(-1)).clamp(min=finfo_tiny(w.dtype)))
        return w + diag.diag_embed()

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(0, -1, -2)[..., 1:]
        order = arange(2, self.dim + 1, dtype=value.dtype, device=value.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * log(diag_elems)).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalize = 0.5 * dm1 * math.log(math.pi) + mvlgamma(alpha - 0.5, dm1) - lgamma(alpha) * dm1
        return unnormalized - normalize
