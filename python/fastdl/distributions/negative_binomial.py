"""NegativeBinomial(total_count, probs | logits): failures before total_count successes
of Bernoulli(1 - probs) trials (torch's convention: probs is the failure probability)."""
from ..autograd import no_grad
from ..nn.functional.activation import logsigmoid
from ..ops import exp, lgamma, where
from ..ops.random_more import poisson
from ..tensor import Size
from . import constraints
from ._gamma_sampling import standard_gamma
from ._params import TotalCountProbsDistribution


class NegativeBinomial(TotalCountProbsDistribution):
    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        self._init_total_count("NegativeBinomial", total_count, probs, logits, validate_args)

    @property
    def mean(self):
        return self.total_count * exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * exp(self.logits)).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / (1 - self.probs)

    def sample(self, sample_shape=Size()):
        # a Gamma(total_count, rate = e^-logits)-mixed Poisson
        shape = self._extended_shape(sample_shape)
        with no_grad():
            conc = self.total_count.detach().expand(shape)
            g = where(conc > 0, standard_gamma(where(conc > 0, conc, 1.0)), 0.0)
            return poisson(g * exp(self.logits.detach()).expand(shape))

    def log_prob(self, value):
        value = self._value(value)
        n = self.total_count
        log_unnormalized = n * logsigmoid(-self.logits) + value * logsigmoid(self.logits)
        log_normalization = -lgamma(n + value) + lgamma(1.0 + value) + lgamma(n)
        # total_count + value = 0 is the certain outcome: lgamma(0) would be inf
        log_normalization = where(n + value == 0.0, 0.0, log_normalization)
        return log_unnormalized - log_normalization
