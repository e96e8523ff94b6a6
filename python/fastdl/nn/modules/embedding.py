"""Embedding: a lookup table of num_embeddings vectors, initialised N(0, 1) with the
padding_idx row (if any) zero and never updated by gradients."""
from ...autograd import no_grad
from ...tensor import empty
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Embedding"]


class _EmbeddingTable(Module):
    """Embedding / EmbeddingBag's (num_embeddings, embedding_dim) weight: padding_idx checked
    and made non-negative, the table N(0, 1) with that row zero, or the given _weight;
    `name` is the class named in the errors."""

    def _init_table(self, name, num_embeddings, embedding_dim, padding_idx, _weight, device, dtype):
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"{name}: padding_idx must be within num_embeddings ({num_embeddings}), "
                                 f"got {padding_idx}")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(empty((num_embeddings, embedding_dim), dtype=dtype, device=device))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"{name}: _weight must have shape [{num_embeddings}, {embedding_dim}], "
                                 f"got {list(_weight.shape)}")
            self.weight = Parameter(_weight)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    @staticmethod
    def _pretrained_shape(name, embeddings):
        """from_pretrained's (rows, cols) of the 2-D `embeddings`."""
        if embeddings.ndim != 2:
            raise ValueError(f"{name}.from_pretrained: embeddings must be 2-D, got {list(embeddings.shape)}")
        return embeddings.shape


class Embedding(_EmbeddingTable):
    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None, dtype=None, _weight=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self._init_table("Embedding", num_embeddings, embedding_dim, padding_idx, _weight, device, dtype)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding whose weight is `embeddings` (2-D), frozen unless freeze=False."""
        rows, cols = cls._pretrained_shape("Embedding", embeddings)
        emb = cls(rows, cols, padding_idx=padding_idx, _weight=embeddings.detach())
        emb.weight.requires_grad_(not freeze)
        return emb

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
