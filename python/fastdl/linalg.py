"""fastdl.linalg (torch.linalg): norms, and matmul under its linalg name. The ops live in
fastdl/ops (ops/norms.py, ops/linalg.py); this module only gives them torch's names."""
from .ops.linalg import matmul
from .ops.norms import linalg_norm as norm, matrix_norm, vector_norm

__all__ = ["matmul", "matrix_norm", "norm", "vector_norm"]
