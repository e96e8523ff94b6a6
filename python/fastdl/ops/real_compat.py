"""torch's complex-number API on fastdl's real dtypes (it has no complex ones): conj and
its kin return the tensor itself, as torch does for real tensors; adjoint is a transpose."""


def conj(x):
    """torch.conj: fastdl has no complex dtypes, so the tensor itself (as torch for real ones)."""
    return x.conj()


def resolve_conj(x):
    return x


def resolve_neg(x):
    return x


def adjoint(x):
    """The conjugate transpose of the last two dims (a transpose for real tensors)."""
    return x.transpose(-2, -1)
