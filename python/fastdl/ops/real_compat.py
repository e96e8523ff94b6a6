"""torch's complex-number API on real dtypes: conj and its kin return the tensor itself,
as torch does for real tensors; adjoint is a transpose. (Complex tensors: ops/complex_*.py.)"""


def conj(x):
    """torch.conj: the conjugate (a real tensor itself, as torch's)."""
    return x.conj()


def resolve_conj(x):
    return x


def resolve_neg(x):
    return x


def adjoint(x):
    """The conjugate transpose of the last two dims (a transpose for real tensors)."""
    return x.transpose(-2, -1).conj()  # (conj: the tensor itself when real)
