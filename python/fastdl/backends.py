"""fastdl.backends: switches of the compute backends, named as in torch.backends.

``fastdl.backends.cuda.matmul.allow_tf32`` (default False, as in PyTorch): when True,
float32 matrix products on CUDA (matmul, linear, and the GEMMs inside the conv and RNN
layers) may round their inputs to TF32 (10 mantissa bits, round to nearest) and run on
the tensor cores of sm_80+ GPUs, accumulating in fp32: much faster, with a relative
error of about 1e-3 per product instead of 1e-7. Operands whose layout the tensor-core
kernel does not take (no unit-stride dim, misaligned) and older GPUs keep full fp32.

``fastdl.backends.cuda.matmul.allow_wgmma`` (default False; EXPERIMENTAL, UNVERIFIED:
compiled but not yet run on a GPU): when True, float16 / bfloat16 matmul on a compute
9.0 GPU (H100 / H200) runs the sm_90a kernel on wgmma + TMA (cuda/gemm_wgmma.cu)
instead of the mma.sync one, for operands whose starts, leading strides and batch
strides are 16-byte aligned (batch dims that merge into one; a broadcast operand's
stride 0 is fine); with allow_tf32 on as well, so does float32 (TF32 inputs, truncated
rather than rounded) when both operands are contiguous along K (x @ W^T). Everything
else keeps the mma.sync path. Also turned on by FASTDL_CUDA_WGMMA=1 in the
environment at import.

``fastdl.backends.cuda.conv.algorithm`` (default "auto"): how conv2d's forward pass runs
on CUDA. "im2col" unfolds the input into a column workspace and multiplies;
"implicit_gemm" runs one GEMM kernel that reads the columns straight from the input
(float32, one group, not 1x1; other convolutions keep im2col); "auto" takes the
implicit GEMM where it applies and the batch's columns would not fit the im2col
workspace (8 MB) at once. Results agree to float32 rounding; only speed and memory differ.
"""
from . import _C

__all__ = ["cuda"]


def _bool_switch(name, getter, setter):
    """A bool property of fastdl.backends.cuda.matmul kept by _C.cuda (getter / setter
    names) when CUDA is compiled in, else in the instance's `_<name>` slot."""

    def get(self):
        return bool(getattr(_C.cuda, getter)()) if _C.cuda_built else getattr(self, "_" + name)

    def set_(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"fastdl.backends.cuda.matmul.{name} must be a bool, got {type(value).__name__}")
        if _C.cuda_built:
            getattr(_C.cuda, setter)(value)
        setattr(self, "_" + name, value)

    return property(get, set_)


class _MatmulFlags:
    """``fastdl.backends.cuda.matmul``: the CUDA matmul switches."""

    __slots__ = ("_allow_tf32", "_allow_wgmma")

    def __init__(self):
        self._allow_tf32 = False  # the flags when CUDA is not compiled in
        self._allow_wgmma = False

    allow_tf32 = _bool_switch("allow_tf32", "allow_tf32", "set_allow_tf32")
    allow_wgmma = _bool_switch("allow_wgmma", "wgmma_enabled", "set_wgmma")  # experimental, unverified

    def __repr__(self):
        # allow_wgmma (experimental) is left out, so the established repr does not change
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

# cudnn / mps / mkldnn / mkl / openmp as importable submodules (backends_more.py)
__path__ = []  # lets `import fastdl.backends.cudnn` find the modules registered in sys.modules
from . import backends_more as _more  # noqa: E402
_more.install(__import__(__name__, fromlist=["_"]))
