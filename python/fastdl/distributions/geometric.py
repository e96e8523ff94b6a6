"""Geometric(probs | logits): the number of failures before the first success."""
from ..autograd import no_grad
from ..nn.functional.loss import binary_cross_entropy_with_logits
from ..ops import floor, log, log1p, rand, where
from ..tensor import Size
from . import constraints
from ._params import BinaryProbsLogitsMixin, ParamDistribution, probs_or_logits
from .utils import broadcast_all, finfo_tiny


class Geometric(BinaryProbsLogitsMixin, ParamDistribution):
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs=None, logits=None, validate_args=None):
        which, value = probs_or_logits("Geometric", probs, logits)
        self._param_names = (which,)
        self._init_params(validate_args, value)

    def _check_parameters(self):
        super()._check_parameters()
        if "probs" in self.__dict__ and not bool((self.probs > 0).all()):
            raise ValueError(f"Geometric: expected parameter probs to be in (0, 1], but found {self.probs}")

    @property
    def mean(self):
        return 1.0 / self.probs - 1.0

    @property
    def mode(self):
        return self.probs.new_zeros(self.probs.shape)

    @property
    def variance(self):
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with no_grad():
            p = self.probs.detach()
            u = rand(shape, dtype=p.dtype, device=p.device).clamp(min=finfo_tiny(p.dtype))
            return floor(log(u) / log1p(-p))

    def log_prob(self, value):
        value = self._value(value)
        value, probs = broadcast_all("Geometric", value, self.probs)
        # p = 1 with k = 0 is certain: 0 * log(0) would be nan
        q = where((probs == 1) & (value == 0), 0.0, probs)
        return value * log1p(-q) + log(self.probs)

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
