"""torch.utils.hooks: RemovableHandle, the handle every register_*_hook of fastdl's
nn.Module returns (the same class)."""
from ..nn.module import RemovableHandle

__all__ = ["RemovableHandle"]
