"""fastdl.distributions: torch.distributions' API composed from fastdl's differentiable
tensor ops (any device; log_prob, entropy, rsample and kl_divergence carry gradients to
the parameters). Samples come from fastdl's generator, so fastdl.manual_seed makes them
reproducible."""
from . import constraints, transforms
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .chi2 import Chi2
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .pareto import Pareto
from .poisson import Poisson
from .relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from .relaxed_categorical import ExpRelaxedCategorical, OneHotCategoricalStraightThrough, RelaxedOneHotCategorical
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform, PowerTransform,
                         SigmoidTransform, SoftmaxTransform, TanhTransform, Transform, identity_transform)
from .uniform import Uniform
from .weibull import Weibull
from . import kl_more  # noqa: F401,E402  (registers the further KL pairs)
# the rest of torch.distributions (session 14, branch dist)
from . import constraint_registry  # noqa: E402
from .constraint_registry import biject_to, transform_to  # noqa: E402
from .exp_family import ExponentialFamily  # noqa: E402
from .fishersnedecor import FisherSnedecor  # noqa: E402
from .generalized_pareto import GeneralizedPareto  # noqa: E402
from .inverse_gamma import InverseGamma  # noqa: E402
from .kumaraswamy import Kumaraswamy  # noqa: E402
from .lkj_cholesky import LKJCholesky  # noqa: E402
from .logistic_normal import LogisticNormal  # noqa: E402
from .von_mises import VonMises  # noqa: E402
from .wishart import Wishart  # noqa: E402
from .transforms import (CatTransform, CorrCholeskyTransform, CumulativeDistributionTransform,  # noqa: E402
                         IndependentTransform, LowerCholeskyTransform, PositiveDefiniteTransform, ReshapeTransform,
                         SoftplusTransform, StackTransform, StickBreakingTransform)

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
           "ComposeTransform", "ContinuousBernoulli", "Dirichlet", "Distribution", "ExpRelaxedCategorical",
           "ExpTransform", "Exponential", "Gamma", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal", "Independent",
           "Laplace", "LogNormal", "LogitRelaxedBernoulli", "LowRankMultivariateNormal", "MixtureSameFamily",
           "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical",
           "OneHotCategoricalStraightThrough", "Pareto", "Poisson", "PowerTransform", "RelaxedBernoulli",
           "RelaxedOneHotCategorical", "SigmoidTransform", "SoftmaxTransform", "StudentT", "TanhTransform",
           "Transform", "TransformedDistribution", "Uniform", "Weibull", "constraints", "identity_transform",
           "kl_divergence", "register_kl", "transforms"]
__all__ += ["CatTransform", "CorrCholeskyTransform", "CumulativeDistributionTransform", "ExponentialFamily",
            "FisherSnedecor", "GeneralizedPareto", "IndependentTransform", "InverseGamma", "Kumaraswamy",
            "LKJCholesky", "LogisticNormal", "LowerCholeskyTransform", "PositiveDefiniteTransform",
            "ReshapeTransform", "SoftplusTransform", "StackTransform", "StickBreakingTransform", "VonMises",
            "Wishart", "biject_to", "constraint_registry", "transform_to"]
