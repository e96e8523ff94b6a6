"""fastdl.linalg (torch.linalg): norms, factorizations and solves, and matmul under its
linalg name. The ops live in fastdl/ops (ops/norms.py, ops/linalg.py, ops/linalg_factor.py);
this module only gives them torch's names."""
from .ops.linalg import matmul
from .ops.linalg_factor import (LinAlgError, cholesky, det, eigh, inv, lu_factor, qr, slogdet, solve,
                                solve_triangular)
from .ops.norms import linalg_norm as norm, matrix_norm, vector_norm

__all__ = ["LinAlgError", "cholesky", "det", "eigh", "inv", "lu_factor", "matmul", "matrix_norm", "norm", "qr", "slogdet",
           "solve", "solve_triangular", "vector_norm"]
