"""fastdl.linalg (torch.linalg): norms, factorizations and solves, and matmul under its
linalg name. The ops live in fastdl/ops (ops/norms.py, ops/linalg.py, ops/linalg_factor.py);
this module only gives them torch's names."""
from .ops.linalg import matmul
from .ops.linalg_factor import (LinAlgError, cholesky, det, eigh, inv, lu_factor, qr, slogdet, solve,
                                solve_triangular)
from .ops.norms import linalg_norm as norm, matrix_norm, vector_norm

__all__ = ["LinAlgError", "cholesky", "det", "eigh", "inv", "lu_factor", "matmul", "matrix_norm", "norm", "qr", "slogdet",
           "solve", "solve_triangular", "vector_norm"]

# products, matrix functions and LU / *_ex / cond (math branch: ops/linalg_more.py, ops/linalg_factor_more.py)
from .ops.linalg_more import (linalg_cross as cross, linalg_diagonal as diagonal, linalg_vander as vander, matrix_exp,
                              matrix_power, multi_dot, vecdot)
from .ops.linalg_factor_more import (cholesky_ex, cond, eigvalsh, inv_ex, linalg_lu as lu, linalg_lu_solve as lu_solve,
                                     lu_factor_ex, solve_ex, tensorinv, tensorsolve)

from .ops.linalg_svd import matrix_rank, pinv, svd, svdvals

__all__ += ["matrix_rank", "pinv", "svd", "svdvals", "cholesky_ex", "cond", "cross", "diagonal", "eigvalsh", "inv_ex", "lu", "lu_factor_ex", "lu_solve",
            "matrix_exp", "matrix_power", "multi_dot", "solve_ex", "tensorinv", "tensorsolve", "vander",
            "vecdot"]

# least squares and Householder products (linalg/optim branch: ops/linalg_lstsq.py, ops/linalg_householder.py)
from .ops.linalg_lstsq import lstsq
from .ops.linalg_householder import householder_product

__all__ += ["lstsq", "householder_product"]
from .ops.linalg_ldl import ldl_factor, ldl_factor_ex, ldl_solve

__all__ += ["ldl_factor", "ldl_factor_ex", "ldl_solve"]
