"""torch.version: fastdl's version and the CUDA toolkit it was compiled with (None
without CUDA)."""
from . import _C, __version__  # noqa: F401

cuda = _C.cuda.runtime_version() if _C.cuda_built else None
hip = None
debug = False
git_version = "unknown"
