"""StudentT(df, loc, scale): loc + scale * Z / sqrt(V / df), Z standard normal, V ~ Chi2(df)."""
import math

from ..ops import digamma, lgamma, log, log1p, randn, where
from ..tensor import Size
from . import constraints
from ._gamma_sampling import standard_gamma
from ._params import ParamDistribution


class StudentT(ParamDistribution):
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _param_names = ("df", "loc", "scale")

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self._init_params(validate_args, df, loc, scale)

    @property
    def mean(self):
        return where(self.df > 1, self.loc, math.nan)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale ** 2 * df / (df - 2).clamp(min=1e-30)
        return where(df > 2, finite, where(df > 1, math.inf, math.nan))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        z = randn(shape, dtype=self.df.dtype, device=self.df.device)
        v = 2 * standard_gamma(0.5 * self.df.expand(shape))  # Chi2(df)
        return self.loc + self.scale * z * (v / self.df).rsqrt()

    def log_prob(self, value):
        value = self._value(value)
        y = (value - self.loc) / self.scale
        df = self.df
        z = log(self.scale) + 0.5 * log(df) + 0.5 * math.log(math.pi) + lgamma(0.5 * df) - lgamma(0.5 * (df + 1.0))
        return -0.5 * (df + 1.0) * log1p(y ** 2 / df) - z

    def entropy(self):
        df = self.df
        lbeta = lgamma(0.5 * df) + math.lgamma(0.5) - lgamma(0.5 * (df + 1))
        return (log(self.scale) + 0.5 * (df + 1) * (digamma(0.5 * (df + 1)) - digamma(0.5 * df))
                + 0.5 * log(df) + lbeta)
