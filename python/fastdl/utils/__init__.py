"""torch.utils's layout for code ported from PyTorch: fastdl.utils.data is fastdl.data."""
from . import data  # noqa: F401
