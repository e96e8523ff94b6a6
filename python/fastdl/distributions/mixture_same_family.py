"""MixtureSameFamily(mixture_distribution, component_distribution): a Categorical over
the K components that the rightmost batch dim of component_distribution holds."""
from ..autograd import no_grad
from ..ops import gather, log_softmax, logsumexp
from ..tensor import Size
from .categorical import Categorical
from .distribution import Distribution


class MixtureSameFamily(Distribution):
    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        name = "MixtureSameFamily"
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError(f"{name}: mixture_distribution must be a Categorical, got "
                             f"{type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError(f"{name}: component_distribution must be a Distribution, got "
                             f"{type(component_distribution).__name__}")
        mdbs = tuple(mixture_distribution.batch_shape)
        cdbs = tuple(component_distribution.batch_shape)[:-1]
        if len(component_distribution.batch_shape) < 1:
            raise ValueError(f"{name}: component_distribution needs a batch dim holding the components, got "
                             f"batch_shape {list(component_distribution.batch_shape)}")
        for size1, size2 in zip(reversed(mdbs), reversed(cdbs)):
            if size1 != 1 and size2 != 1 and size1 != size2:
                raise ValueError(f"{name}: mixture_distribution batch_shape {list(mdbs)} does not match "
                                 f"component_distribution batch_shape {list(cdbs)}")
        km = mixture_distribution.logits.shape[-1]
        kc = component_distribution.batch_shape[-1]
        if km != kc:
            raise ValueError(f"{name}: mixture_distribution has {km} components but component_distribution has "
                             f"{kc} (its rightmost batch dim)")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = km
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(Size(cdbs), component_distribution.event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        batch_shape = tuple(batch_shape)
        new = self._get_checked_instance(MixtureSameFamily, _instance)
        new._component_distribution = self._component_distribution.expand(batch_shape + (self._num_component,))
        new._mixture_distribution = self._mixture_distribution.expand(batch_shape)
        new._num_component, new._event_ndims = self._num_component, self._event_ndims
        Distribution.__init__(new, Size(batch_shape), self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def support(self):
        return self._component_distribution.support

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    def _pad_mix(self, t):
        """mixture probs (..., K) -> (..., K, 1, ..., 1) against the component's event dims."""
        return t.reshape(tuple(t.shape) + (1,) * self._event_ndims)

    def _pad(self, x):
        return x.unsqueeze(-1 - self._event_ndims)

    @property
    def mean(self):
        probs = self._pad_mix(self._mixture_distribution.probs)
        return (probs * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self):
        probs = self._pad_mix(self._mixture_distribution.probs)
        d = -1 - self._event_ndims
        mean_cond_var = (probs * self._component_distribution.variance).sum(d)
        var_cond_mean = (probs * (self._component_distribution.mean - self._pad(self.mean)) ** 2).sum(d)
        return mean_cond_var + var_cond_mean

    def cdf(self, x):
        x = self._pad(x)
        cdf_x = self._component_distribution.cdf(x)
        return (cdf_x * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        x = self._pad(x)
        log_prob_x = self._component_distribution.log_prob(x)  # sample + batch + (K,)
        log_mix = log_softmax(self._mixture_distribution.logits, -1)
        return logsumexp(log_prob_x + log_mix, -1)

    def sample(self, sample_shape=Size()):
        with no_grad():
            sample_shape = tuple(sample_shape)
            mix = self._mixture_distribution.sample(sample_shape)  # sample + batch
            comp = self._component_distribution.sample(sample_shape)  # sample + batch + (K,) + event
            es = tuple(self.event_shape)
            idx = mix.reshape(tuple(mix.shape) + (1,) + (1,) * len(es))
            idx = idx.expand(tuple(mix.shape) + (1,) + es).contiguous()
            return gather(comp.expand(tuple(mix.shape) + (self._num_component,) + es), mix.ndim, idx).squeeze(mix.ndim)
