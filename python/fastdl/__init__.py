"""fastdl: a compact deep-learning library with its own C++/CUDA kernels and a
PyTorch-shaped API (Tensor, autograd, nn, optim)."""
__version__ = "0.1.0"

import importlib as _importlib

from . import _C
from .dtypes import float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool_, complex64, complex128, cfloat, cdouble, get_default_dtype, set_default_dtype, DType as dtype_cls
from .device import device
from .tensor import (Tensor, Size, tensor, as_tensor, from_numpy, empty, zeros, ones, full, zeros_like, ones_like,
                     full_like, empty_like, arange, linspace, eye)
from . import _methods  # noqa: F401  (installs Tensor methods and operators)
from .ops import *  # noqa: F401,F403
from .ops import __dict__ as _ops_dict
from .autograd import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode,
                       is_inference_mode_enabled)
from . import autograd, testing, cpu, cuda, backends
# fastdl.linalg (torch.linalg). Not `from . import linalg`: that would return the
# fastdl.ops.linalg module, which `from .ops import *` has bound to the name
linalg = _importlib.import_module(".linalg", __name__)
from .dlpack import from_dlpack

bool = bool_  # fastdl.bool, as torch.bool
float = float32  # noqa: A001
half = float16
double = float64
long = int64
int = int32  # noqa: A001  (torch.int is int32)
short = int16
char = int8
byte = uint8
dtype = dtype_cls


def set_num_threads(n):
    """Threads used by the CPU kernels (default: the machine's cores, or FASTDL_NUM_THREADS)."""
    if not isinstance(n, __builtins__["int"] if isinstance(__builtins__, dict) else __builtins__.int) or n < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {n!r}")
    _C.set_num_threads(n)


def get_num_threads():
    return _C.get_num_threads()


def is_tensor(x):
    return isinstance(x, Tensor)


def numel(x):
    return x.numel()

from .serialization import save, load  # noqa: E402
from . import nn, optim  # noqa: E402
from . import fft  # noqa: E402  (torch.fft; cplx branch)
from .fft._stft import istft, stft  # noqa: E402
from ._lazy import lazy_submodules as _lazy_submodules  # noqa: E402

# Imported on first use (fastdl.data.DataLoader, fastdl.distributions.Normal, ...).
__getattr__, __dir__ = _lazy_submodules(__name__, ("data", "utils", "distributions", "special", "func", "jit",
                                                   "accelerator", "version", "profiler",
                                                   "distributed",
                                                   "xpu", "mps", "onnx", "multiprocessing", "hub"), globals())  # distributed: dist branch; xpu/mps/onnx: ex1


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """torch.vmap: fastdl.func.vmap (imported on first use, as fastdl.func itself)."""
    from .func import vmap as _vmap
    return _vmap(func, in_dims, out_dims, randomness, chunk_size=chunk_size)


from .ops.promotion import range  # noqa: E402,A001  (deprecated torch.range; after the builtins used above)
from ._format import set_printoptions, get_printoptions  # noqa: E402
# ---- torch's top-level long tail (toplevel branch): functional aliases, utilities, flags, dtype limits ----
from .ops.toplevel_aliases import *  # noqa: E402,F401,F403
from .ops.toplevel_utils import *  # noqa: E402,F401,F403
from .ops.windows import *  # noqa: E402,F401,F403
from .ops.view_copies import *  # noqa: E402,F401,F403
from .ops import view_copies as _view_copies  # noqa: E402
from .flags import *  # noqa: E402,F401,F403
from .dtype_info import finfo, iinfo  # noqa: E402
from .tensor_extras import layout, strided, install as _install_tensor_extras  # noqa: E402

_view_copies.install_methods()
_install_tensor_extras()
from .tensor_storage import UntypedStorage, TypedStorage, install as _install_storage  # noqa: E402 (ext branch)
_install_storage()
# ---- automatic mixed precision (amp branch): fastdl.amp, fastdl.autocast, fastdl.{cpu,cuda}.amp ----
from . import amp  # noqa: E402
from .amp import autocast  # noqa: E402
from .amp.autocast_mode import (clear_autocast_cache, get_autocast_dtype, is_autocast_cache_enabled,  # noqa: E402
                                is_autocast_enabled, set_autocast_cache_enabled, set_autocast_dtype,
                                set_autocast_enabled)
from .amp.deprecated import cpu_amp as _cpu_amp, cuda_amp as _cuda_amp  # noqa: E402
cpu.amp, cuda.amp = _cpu_amp, _cuda_amp
# ---- training-utilities area: torch.compile shim; fastdl.random is torch.random (not ops.random,
# which `from .ops import *` bound to the name); fastdl.jit is lazy (above) ----
from .compile_shim import compile  # noqa: E402,A001
random = _importlib.import_module(".random", __name__)
# ---- misc branch: anomaly mode at the top level (torch.is_anomaly_enabled, ...) ----
from .autograd_anomaly import is_anomaly_enabled, is_anomaly_check_nan_enabled, set_anomaly_enabled  # noqa: E402
from .misc_tail import *  # noqa: E402,F401,F403
# ---- perm branch: top-level fronts stricter than their Tensor methods (torch.flip(x, 0) refuses the int) ----
from .ops.toplevel_strict import *  # noqa: E402,F401,F403
# ---- memory formats (torch.channels_last, ...: fastdl/_memory_format.py) and torch's math constants ----
from ._memory_format import (memory_format, contiguous_format, channels_last, channels_last_3d,  # noqa: E402
                             preserve_format)
import math as _math  # noqa: E402
pi, e, inf, nan, newaxis = _math.pi, _math.e, _math.inf, _math.nan, None
# ---- torch's legacy tensor types (FloatTensor, ...; fastdl.cuda.FloatTensor, ...) ----
from .legacy_types import *  # noqa: E402,F401,F403
from .legacy_types import CUDA_TYPES as _CUDA_TYPES  # noqa: E402
for _name, _type in _CUDA_TYPES.items():
    setattr(cuda, _name, _type)
# ---- torch.cuda's API tail (cuda.py, cuda_streams.py): errors, the device-module lookup ----
from ._C import OutOfMemoryError  # noqa: E402  (a RuntimeError: an allocation failed after the cache was freed)
from .ops.random import default_generator  # noqa: E402


def get_device_module(device=None):
    """torch.get_device_module: fastdl.cuda for a CUDA device (or None: the accelerator),
    fastdl.cpu for the CPU."""
    from .device import device as device_type  # (the parameter hides the class's name)
    if device is not None and not isinstance(device, (str, device_type)):
        raise RuntimeError(f"get_device_module: invalid value of device {device!r}, expected a fastdl.device, a "
                           "str or None")
    kind = device if isinstance(device, str) else getattr(device, "type", None)
    if device is None or (kind or "").split(":")[0] == "cuda":
        return cuda
    if (kind or "").split(":")[0] == "cpu":
        return cpu
    raise RuntimeError(f"get_device_module: unknown device {device!r}; fastdl has 'cpu' and 'cuda'")


# ---- gaps branch: torch's out= keyword on the top-level fronts that lack it (ops/out_arg.py) ----
from .ops.out_arg import install as _install_out  # noqa: E402
_install_out(globals())
