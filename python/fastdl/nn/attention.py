"""torch.nn.attention: choosing scaled_dot_product_attention's backend. fastdl has one
implementation (F.scaled_dot_product_attention: the math composition, on every device),
so `sdpa_kernel` checks its argument as torch does and changes nothing, and the fused
kernels' capability checks answer False."""
import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel", "can_use_flash_attention", "can_use_efficient_attention"]


class SDPBackend(enum.IntEnum):
    """torch's backend names and values; fastdl always runs MATH."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Context manager: the backends scaled_dot_product_attention may use inside it. In
    fastdl every call runs the math implementation whatever is chosen."""
    items = list(backends) if isinstance(backends, (list, tuple, set)) else [backends]
    if not items or not all(isinstance(b, SDPBackend) for b in items):
        raise TypeError(f"sdpa_kernel: backends must be an SDPBackend or a list of them, got {backends!r}")
    if not isinstance(set_priority, bool):
        raise TypeError(f"sdpa_kernel: set_priority must be a bool, got {set_priority!r}")
    yield


def can_use_flash_attention(params=None, debug=False):
    """False: fastdl has no fused flash-attention kernel."""
    return False


def can_use_efficient_attention(params=None, debug=False):
    """False: fastdl has no fused memory-efficient attention kernel."""
    return False
