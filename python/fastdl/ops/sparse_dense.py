"""torch.sparse_coo_tensor / Tensor.to_sparse / to_dense / torch.spmm, as PyTorch
scripts use them to build and multiply by a graph's adjacency matrix (examples/gcn).

fastdl has no sparse layout: these build and return ordinary (strided) tensors holding
the same values, so every product and reduction that follows gives torch's numbers,
with dense memory and time. `is_sparse` stays False, and the layout is fastdl.strided."""
import numbers

from .. import dtypes as _dt
from ..tensor import Tensor, as_tensor, zeros

__all__ = ["sparse_coo_tensor", "spmm", "to_sparse", "to_dense"]


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None, requires_grad=False,
                      check_invariants=None, is_coalesced=None):
    """The dense tensor with values[k] added at indices[:, k] (duplicates sum, as in a
    coalesced COO tensor). Differentiable with respect to values."""
    indices = indices if isinstance(indices, Tensor) else as_tensor(indices)
    values = values if isinstance(values, Tensor) else as_tensor(values)
    if indices.dtype.is_floating_point or indices.dtype == _dt.bool_ or indices.ndim != 2:
        raise ValueError(f"sparse_coo_tensor: indices must be a 2-D integer tensor (ndim x nnz), got "
                         f"{indices.dtype.name}{list(indices.shape)}")
    ndim_sparse, nnz = indices.shape
    if values.ndim == 0 or values.shape[0] != nnz:
        raise ValueError(f"sparse_coo_tensor: values must have one row per index column: indices have nnz={nnz}, "
                         f"values have shape {list(values.shape)}")
    indices = indices.long()
    if dtype is not None:
        values = values.to(_dt.to_dtype(dtype))
    if size is None:
        if nnz == 0:
            raise ValueError("sparse_coo_tensor: size is needed when there are no indices")
        size = tuple(int(v) + 1 for v in indices.amax(dim=1).tolist()) + tuple(values.shape[1:])
    size = tuple(size)
    if any(not isinstance(s, numbers.Integral) or s < 0 for s in size) or len(size) != ndim_sparse + values.ndim - 1:
        raise ValueError(f"sparse_coo_tensor: size {list(size)} does not fit {ndim_sparse} index dims and values "
                         f"of shape {list(values.shape)}")
    if nnz:
        lo, hi = indices.amin(dim=1).tolist(), indices.amax(dim=1).tolist()
        for d in range(ndim_sparse):
            if lo[d] < 0 or hi[d] >= size[d]:
                raise IndexError(f"sparse_coo_tensor: indices in dim {d} span [{lo[d]}, {hi[d]}], outside size "
                                 f"{size[d]}")
    dev = values.device if device is None else device
    out = zeros(size, dtype=values.dtype, device=dev)
    out = out.index_put(tuple(indices.to(dev)[d] for d in range(ndim_sparse)), values.to(dev), accumulate=True)
    return out.requires_grad_(True) if requires_grad and not out.requires_grad else out


def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
    """Tensor.to_sparse(): the same values (fastdl keeps them strided), after torch's
    checks of sparse_dim."""
    if sparse_dim is not None:
        if not isinstance(sparse_dim, numbers.Integral) or isinstance(sparse_dim, bool):
            raise TypeError(f"to_sparse: sparse_dim must be an int, got {type(sparse_dim).__name__}")
        if not 0 <= sparse_dim <= self.ndim:
            raise RuntimeError(f"to_sparse: sparse_dim must be in [0, {self.ndim}], got {sparse_dim}")
        if sparse_dim == 0 and self.ndim > 0:
            raise RuntimeError(f"to_sparse: sparse_dim must be > 0 for a tensor of {self.ndim} dims")
    return self


def to_dense(self, dtype=None, *, masked_grad=None):
    """Tensor.to_dense(): the tensor itself (or cast to dtype)."""
    return self if dtype is None else self.to(dtype)


def spmm(input, mat2):
    """torch.spmm(sparse, dense): the matrix product."""
    for name, t in (("input", input), ("mat2", mat2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"spmm: {name} must be a Tensor, got {type(t).__name__}")
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"spmm: expected 2-D matrices, got {list(input.shape)} and {list(mat2.shape)}")
    return input.mm(mat2)
