"""RelaxedBernoulli(temperature, probs | logits): the binary Concrete / Gumbel-softmax
relaxation, sigmoid of a LogitRelaxedBernoulli sample; reparameterised."""
import numbers

from ..ops import exp, log, log1p, rand
from ..tensor import Size
from . import constraints
from ._transformed_family import TransformedFamily
from .distribution import Distribution
from .transforms import SigmoidTransform
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs, probs_to_logits


class LogitRelaxedBernoulli(Distribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        name = type(self).__name__
        if (probs is None) == (logits is None):
            raise ValueError(f"{name}: either `probs` or `logits` must be specified, but not both")
        param = probs if probs is not None else logits
        (value,) = broadcast_all(name, param)
        if probs is not None:
            self.probs = value
        else:
            self.logits = value
        self._param = value
        self.temperature = temperature if not isinstance(temperature, numbers.Number) else value.new_zeros(()) + \
            float(temperature)
        super().__init__(Size() if isinstance(param, numbers.Number) else value.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogitRelaxedBernoulli, _instance)
        batch_shape = Size(tuple(batch_shape))
        new.temperature = self.temperature
        for key in ("probs", "logits"):
            if key in self.__dict__:
                new.__dict__[key] = self.__dict__[key].expand(batch_shape)
                new._param = new.__dict__[key]
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

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


class RelaxedBernoulli(TransformedFamily):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=False)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    def _given_parameters(self):
        key = "probs" if "probs" in self.base_dist.__dict__ else "logits"
        return {key: getattr(self.base_dist, key)}

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs
