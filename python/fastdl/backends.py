"""fastdl.backends: switches of the compute backends, named as in torch.backends.

``fastdl.backends.cuda.matmul.allow_tf32`` (default False, as in PyTorch): when True,
float32 matrix products on CUDA (matmul, linear, and the GEMMs inside the conv and RNN
layers) may round their inputs to TF32 (10 mantissa bits, round to nearest) and run on
the tensor cores of sm_80+ GPUs, accumulating in fp32: much faster, with a relative
error of about 1e-3 per product instead of 1e-7. Operands whose layout the tensor-core
kernel does not take (no unit-stride dim, misaligned) and older GPUs keep full fp32.
"""
from . import _C

__all__ = ["cuda"]


class _MatmulFlags:
    """``fastdl.backends.cuda.matmul``: the CUDA matmul switches."""

    __slots__ = ("_allow_tf32",)

    def __init__(self):
        self._allow_tf32 = False  # the flag when CUDA is not compiled in

    @property
    def allow_tf32(self):
        return bool(_C.cuda.allow_tf32()) if _C.cuda_built else self._allow_tf32

    @allow_tf32.setter
    def allow_tf32(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"fastdl.backends.cuda.matmul.allow_tf32 must be a bool, got {type(value).__name__}")
        if _C.cuda_built:
            _C.cuda.set_allow_tf32(value)
        self._allow_tf32 = value

    def __repr__(self):
        return f"fastdl.backends.cuda.matmul(allow_tf32={self.allow_tf32})"


class _CudaBackend:
    """``fastdl.backends.cuda``."""

    __slots__ = ("matmul",)

    def __init__(self):
        self.matmul = _MatmulFlags()


cuda = _CudaBackend()
