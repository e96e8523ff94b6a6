"""RelaxedBernoulli(temperature, probs | logits): the binary Concrete / Gumbel-softmax
relaxation, sigmoid of a LogitRelaxedBernoulli sample; reparameterised."""
import numbers

from ..ops import exp, log, log1p, rand
from ..tensor import Size
from . import constraints
from ._params import BinaryProbsLogitsMixin, ProbsLogitsMixin
from ._transformed_family import RelaxedFamily
from .distribution import Distribution
from .transforms import SigmoidTransform
from .utils import broadcast_all, clamp_probs


class LogitRelaxedBernoulli(ProbsLogitsMixin, BinaryProbsLogitsMixin, Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        batch_shape = self._init_probs_or_logits(probs, logits)
        value = self._param
        self.temperature = temperature if not isinstance(temperature, numbers.Number) else value.new_zeros(()) + \
            float(temperature)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_logits(LogitRelaxedBernoulli, batch_shape, _instance, keep=("temperature",))

    @property
    def param_shape(self):
        return self._param.shape

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(rand(shape, dtype=probs.dtype, device=probs.device))
        # logistic noise plus the logits, sharpened by 1 / temperature
        return (log(u) - log1p(-u) + log(probs) - log1p(-probs)) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(type(self).__name__, self.logits, value)
        diff = logits - value * self.temperature
        return log(self.temperature) + diff - 2 * log1p(exp(diff))


class RelaxedBernoulli(RelaxedFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _base, _transform = LogitRelaxedBernoulli, SigmoidTransform
