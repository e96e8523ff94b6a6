"""embedding: rows of a (num_embeddings, embedding_dim) weight picked by integer
indices. The gradient scatters back into the rows used; the padding_idx row gets none."""
from ...autograd import Function, is_grad_enabled
from ...ops._util import backend, check_tensor, index_backend, desc, empty, same_device
from ...ops.int_narrow import index_int64
from ... import dtypes as _dt

__all__ = ["embedding"]


class _Embedding(Function):
    @staticmethod
    def forward(ctx, weight, index, padding_idx):
        out = empty((index.shape[0], weight.shape[1]), weight.dtype, weight.device)
        index_backend(weight, "embedding").index_select(weight, 0, index, out)
        ctx.save_for_backward(index)
        ctx.meta = (weight.shape, padding_idx)
        return out

    @staticmethod
    def backward(ctx, g):
        index, = ctx.saved_tensors
        shape, padding_idx = ctx.meta
        if is_grad_enabled():  # create_graph: the scatter as a Function of its own
            return _EmbeddingBackward.apply(g, index, shape, padding_idx), None, None
        return _EmbeddingBackward.forward(None, g, index, shape, padding_idx), None, None


class _EmbeddingBackward(Function):
    """g's rows added into the rows used (none into padding_idx); linear in g, so its
    derivative is the lookup again, with the padding row's gradient dropped."""

    @staticmethod
    def forward(ctx, g, index, shape, padding_idx):
        from ...tensor import zeros
        if ctx is not None:
            ctx.save_for_backward(index)
            ctx.padding_idx = padding_idx
        gw = zeros(shape, dtype=g.dtype, device=g.device)
        index_backend(g, "embedding_backward").index_add(gw, 0, index, g)
        if padding_idx is not None:
            gw[padding_idx].fill_(0)
        return gw

    @staticmethod
    def backward(ctx, ggw):
        index, = ctx.saved_tensors
        rows = ggw.index_select(0, index)
        if ctx.padding_idx is not None:
            rows = rows * (index != ctx.padding_idx).unsqueeze(1).to(rows.dtype)
        return rows, None, None, None


def embedding(input, weight, padding_idx=None):
    """weight[input]: output shape input.shape + (embedding_dim,)."""
    op = "embedding"
    check_tensor(op, input)
    check_tensor(op, weight, "weight")
    same_device(op, input, weight)
    input = index_int64(op, input, expected="expected int64 indices")
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got {desc(weight)}")
    n = weight.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"{op}: padding_idx must be within num_embeddings ({n}), got {padding_idx}")
        padding_idx %= n
    flat = input.reshape(-1)
    if flat.numel():
        if flat._device.type == "cpu":  # read on the host: two reductions as ops cost ~15 us a call
            v = flat._np_view()
            lo, hi = int(v.min()), int(v.max())
        else:
            lo, hi = int(flat.min()), int(flat.max())
        if lo < 0 or hi >= n:
            raise IndexError(f"{op}: index {lo if lo < 0 else hi} is out of range for {n} embeddings")
    return _Embedding.apply(weight, flat, padding_idx).reshape(tuple(input.shape) + (weight.shape[1],))
