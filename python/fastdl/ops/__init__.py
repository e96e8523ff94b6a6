"""All tensor ops, grouped by family. `fastdl.<op>` and `Tensor.<op>` both come from here."""
from .creation import to
from .cumulative import cumprod, cumsum
from .einsum import einsum
from .elementwise import (abs, add, allclose, assign_, atan2, ceil, clamp, clip, cos, digamma, div, eq, equal, erf,
                          erfc, erfinv, exp, expm1, floor, floor_divide, ge, gt, i0, isclose, isfinite, isinf, isnan,
                          le, leaky_relu, lerp, lgamma, log, log10, log1p, log2, logical_and, logical_not, logical_or,
                          logical_xor, lt, maximum, minimum, mul, ne, neg, pow, reciprocal, relu, remainder, round,
                          rsqrt, sigmoid, sign, sin, sinc, sqrt, square, sub, tanh, where)
from .indexing import gather, getitem, index_add_, index_select, masked_fill, nonzero, one_hot, scatter_add_, setitem
from .linalg import addmm, bmm, dot, matmul, mm, outer
from .linalg_factor import cholesky_solve, det, inv as inverse, logdet, slogdet, _cholesky_top as cholesky
from .loss import cross_entropy, mse_loss
from .norms import norm
from .random import (Generator, bernoulli, get_rng_state, initial_seed, manual_seed, multinomial, normal, normal_, rand,
                     rand_like, randint, randint_like, randn, randn_like, randperm, seed, set_rng_state, uniform_)
from .reduce import (all, amax, amin, any, argmax, argmin, count_nonzero, log_softmax, logsumexp, max, mean, min,
                     softmax, std, sum, var, var_mean)
from .shape import (cat, chunk, clone, concat, concatenate, contiguous, expand, expand_as, flatten, flip, movedim, narrow,
                    permute, repeat, reshape, split, squeeze, stack, t, transpose, tril, triu, unbind, unflatten, unsqueeze,
                    view)
from .sorting import argsort, sort, topk
from .elementwise_extra import (acosh, addcdiv, addcmul, asinh, atanh, cosh, deg2rad, fix, fmod, frac, hypot, logaddexp, logaddexp2, logit, nan_to_num, rad2deg, sinh, trunc, xlogy)  # noqa: E501
from .indexing_extra import diag, diag_embed, diagonal, diff, index_fill, scatter, take_along_dim, trace, tril_indices, triu_indices  # noqa: E501
from .order_stats import cummax, cummin, kthvalue, logcumsumexp, median, mode, nanmedian, nanquantile, quantile
from .search import bucketize, searchsorted
from .counting import bincount, histc, unique, unique_consecutive
from .special_ops import mvlgamma, polygamma, xlog1py
from .random_more import poisson  # distributions area: torch.poisson
