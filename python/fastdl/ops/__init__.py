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
from .elementwise_more import (absolute, acos, arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, asin, atan, bitwise_and, bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift, bitwise_xor, clamp_max, clamp_min, copysign, divide, exp2, float_power, fmax, fmin, frexp, gcd, greater, greater_equal, heaviside, is_complex, is_floating_point, is_nonzero, is_signed, isneginf, isposinf, isreal, lcm, ldexp, less, less_equal, multiply, negative, nextafter, not_equal, positive, sgn, signbit, subtract, tan, true_divide)  # noqa: E501
# ---- shape_more / scatter_more (shape, indexing and scatter ops) ----
from .shape_more import (argwhere, as_strided, atleast_1d, atleast_2d, atleast_3d, broadcast_shapes, broadcast_tensors,  # noqa: E501
                         broadcast_to, column_stack, dsplit, dstack, fliplr, flipud, hsplit, hstack, meshgrid, movedim,
                         moveaxis, msort, narrow_copy, ravel, repeat_interleave, roll, rot90, row_stack, select,
                         split_with_sizes, sum_to_size, swapaxes, swapdims, tensor_split, tile, unravel_index, vsplit,
                         vstack)
from .scatter_more import (block_diag, cartesian_prod, combinations, diagflat, diagonal_scatter, index_add, index_copy,  # noqa: E501
                           index_put, index_put_, index_reduce, isin, masked_scatter, masked_select, put, scatter_add,
                           scatter_reduce, select_scatter, slice_scatter, take)
# reductions, statistics and linear-algebra compositions (math branch)
from .reduce_more import aminmax, nanmean, nansum, prod, std_mean
from .stats_more import (cdist, corrcoef, cov, cumulative_trapezoid, dist, gradient, histogram, logspace, pdist, renorm,
                         trapezoid, trapz)
from .linalg_more import (addbmm, addmv, addr, baddbmm, chain_matmul, cross, ger, inner, kron, matrix_exp, matrix_power,
                          mv, tensordot, vander, vdot)
from .linalg_factor_more import cholesky_inverse, lu, lu_solve, lu_unpack, triangular_solve
from .linalg_svd import pinverse, svd_legacy as svd
from .random_more import poisson  # distributions area: torch.poisson

from .real_compat import adjoint, conj, resolve_conj, resolve_neg
# ---- long tail (tail branch): incomplete gamma ----
from .igamma import igamma, igammac
from .promotion import can_cast, empty_strided, promote_types, result_type
# ---- special branch: torch.round(input, *, decimals=0) (ops/special_misc.py) ----
from .special_misc import round  # noqa: E402,F811
# ---- Householder products (linalg/optim branch: ops/linalg_householder.py) ----
from .linalg_householder import geqrf, orgqr, ormqr
# ---- randomized low-rank SVD / PCA (linalg/optim branch: ops/lowrank.py) ----
from .lowrank import pca_lowrank, svd_lowrank
# ---- complex dtypes (cplx branch: ops/complex_views.py, ops/complex_math.py) ----
from .complex_views import complex, imag, polar, real, view_as_complex, view_as_real  # noqa: E402
from .complex_math import angle, conj, conj_physical, sgn  # noqa: E402,F811
# ---- sparse COO entry points, dense-backed (ex1 branch: ops/sparse_dense.py) ----
from .sparse_dense import sparse_coo_tensor, spmm  # noqa: E402
