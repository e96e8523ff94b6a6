"""RelaxedOneHotCategorical(temperature, probs | logits): the Concrete / Gumbel-softmax
relaxation of a one-hot category, exp of an ExpRelaxedCategorical sample; and
OneHotCategoricalStraightThrough, whose rsample is the one-hot sample with the
gradient of the probabilities (the straight-through estimator)."""
import numbers

from ..ops import log, logsumexp, rand
from ..tensor import Size
from . import constraints
from ._transformed_family import RelaxedFamily
from .categorical import CategoricalWrapperMixin
from .distribution import Distribution
from .one_hot_categorical import OneHotCategorical
from .transforms import ExpTransform
from .utils import clamp_probs


class ExpRelaxedCategorical(CategoricalWrapperMixin, Distribution):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self._init_categorical(type(self).__name__, probs, logits)
        p = self._categorical._param
        self.temperature = temperature if not isinstance(temperature, numbers.Number) else p.new_zeros(()) + \
            float(temperature)
        self._init_event_shape(validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_categorical(ExpRelaxedCategorical, batch_shape, _instance, keep=("temperature",))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = clamp_probs(rand(shape, dtype=self.logits.dtype, device=self.logits.device))
        gumbels = -log(-log(u))
        scores = (self.logits + gumbels) / self.temperature
        return scores - logsumexp(scores, -1, keepdim=True)

    def log_prob(self, value):
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        log_scale = (self.temperature.new_zeros(self.temperature.shape) + k).lgamma() \
            + (k - 1) * log(self.temperature)
        score = self.logits - value * self.temperature
        score = (score - logsumexp(score, -1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(RelaxedFamily):
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    _base, _transform = ExpRelaxedCategorical, ExpTransform


class OneHotCategoricalStraightThrough(OneHotCategorical):
    has_rsample = True

    def rsample(self, sample_shape=Size()):
        samples = self.sample(sample_shape)
        probs = self._categorical.probs  # cached: the gradient reaches the parameters through it
        return samples + (probs - probs.detach())


