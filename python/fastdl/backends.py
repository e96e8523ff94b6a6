"""fastdl.backends: switches of the compute backends, named as in torch.backends.

``fastdl.backends.cuda.matmul.allow_tf32`` (default False, as in PyTorch): when True,
float32 matrix products on CUDA (matmul, linear, and the GEMMs inside the conv and RNN
layers) may round their inputs to TF32 (10 mantissa bits, round to nearest) and run on
the tensor cores of sm_80+ GPUs, accumulating in fp32: much faster, with a relative
error of about 1e-3 per product instead of 1e-7. Operands whose layout the tensor-core
kernel does not take (no unit-stride dim, misaligned) and older GPUs keep full fp32.

``fastdl.backends.cuda.conv.algorithm`` (default "auto"): how conv2d's forward pass runs
on CUDA. "im2col" unfolds the input into a column workspace and multiplies;
"implicit_gemm" runs one GEMM kernel that reads the columns straight from the input
(float32, one group, not 1x1; other convolutions keep im2col); "auto" takes the
implicit GEMM where it applies and the batch's columns would not fit the im2col
workspace (8 MB) at once. Results agree to float32 rounding; only speed and memory differ.
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


class _ConvFlags:
    """``fastdl.backends.cuda.conv``: the CUDA convolution switches."""

    __slots__ = ("_algorithm",)
    ALGORITHMS = ("auto", "im2col", "implicit_gemm")

    def __init__(self):
        self._algorithm = "auto"  # the setting when CUDA is not compiled in

    @property
    def algorithm(self):
        return _C.cuda.conv_algo() if _C.cuda_built else self._algorithm

    @algorithm.setter
    def algorithm(self, value):
        if value not in self.ALGORITHMS:
            raise ValueError(f"fastdl.backends.cuda.conv.algorithm must be one of {self.ALGORITHMS}, got {value!r}")
        if _C.cuda_built:
            _C.cuda.set_conv_algo(value)
        self._algorithm = value

    def __repr__(self):
        return f"fastdl.backends.cuda.conv(algorithm={self.algorithm!r})"


class _CudaBackend:
    """``fastdl.backends.cuda``."""

    __slots__ = ("matmul", "conv")

    def __init__(self):
        self.matmul = _MatmulFlags()
        self.conv = _ConvFlags()


cuda = _CudaBackend()
