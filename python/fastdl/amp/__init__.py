"""fastdl.amp (torch.amp): autocast, GradScaler, custom_fwd / custom_bwd.
Only autocast_mode is imported by the ops (their one-line hooks); nothing here imports
the ops at import time."""
from .autocast_mode import (autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled,  # noqa: F401
                            set_autocast_enabled)
from .grad_scaler import GradScaler  # noqa: F401
from .custom import custom_bwd, custom_fwd  # noqa: F401

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]
