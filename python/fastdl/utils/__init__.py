"""torch.utils's layout for code ported from PyTorch: fastdl.utils.data is fastdl.data;
.checkpoint (activation checkpointing), .hooks (RemovableHandle), .benchmark (Timer) and
.tensorboard (SummaryWriter) load on first use."""
from . import data  # noqa: F401
from .._lazy import lazy_submodules as _lazy_submodules

__getattr__, __dir__ = _lazy_submodules(__name__, ("checkpoint", "hooks", "benchmark", "tensorboard"), globals())
