"""fastdl.distributions: torch.distributions' API for the distributions RL and VAE code
uses, composed from fastdl's differentiable tensor ops (any device; log_prob, entropy,
rsample and kl_divergence carry gradients to the parameters). Samples come from fastdl's
generator, so fastdl.manual_seed makes them reproducible."""
from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal
from .one_hot_categorical import OneHotCategorical

__all__ = ["Bernoulli", "Categorical", "Distribution", "Independent", "Normal", "OneHotCategorical", "constraints",
           "kl_divergence", "register_kl"]
