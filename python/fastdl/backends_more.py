"""fastdl.backends.cudnn / mps / mkldnn / openmp / mkl: the backend switches PyTorch
scripts read or set (``torch.backends.cudnn.benchmark = True``, ``torch.backends.mps
.is_available()``). fastdl has no cuDNN, MPS, oneDNN or MKL: the flags are kept so a
script can set and read them back, and they change nothing. They are real modules in
sys.modules, so ``import fastdl.backends.cudnn as cudnn`` works as torch's does."""
import importlib.machinery
import sys
import types


def _module(name, doc, **attrs):
    full = "fastdl.backends." + name
    mod = sys.modules.get(full)
    if mod is None:
        mod = types.ModuleType(full, doc)
        mod.__spec__ = importlib.machinery.ModuleSpec(full, None)
        sys.modules[full] = mod
    mod.__dict__.update(attrs)
    return mod


def _false():
    return False


def _true():
    return True


def install(backends):
    """Makes the modules and puts them on the `fastdl.backends` module."""
    backends.cudnn = _module(
        "cudnn", "cuDNN switches (fastdl has no cuDNN: accepted and ignored).",
        enabled=True, benchmark=False, deterministic=False, allow_tf32=True, benchmark_limit=10,
        is_available=_false, version=lambda: None)
    backends.mps = _module("mps", "Apple MPS (not in fastdl).", is_available=_false, is_built=_false)
    backends.mkldnn = _module("mkldnn", "oneDNN (not in fastdl).", enabled=True, is_available=_false)
    backends.mkl = _module("mkl", "MKL (not in fastdl).", is_available=_false)
    backends.openmp = _module("openmp", "OpenMP: fastdl's CPU kernels are threaded with it.",
                              is_available=_true)
