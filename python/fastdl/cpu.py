"""The CPU device: its memory cache (as fastdl.cuda has the device's).

Freed host buffers of 1 KiB and more are kept and handed out again for the next
tensor of the same size class, so a training loop stops paying a page fault for every
4 KiB it writes, and small ops stop paying glibc's free-list upkeep
(csrc/core/host_allocator.h). The cache holds at most `limit` bytes:
1 GiB, or FASTDL_HOST_CACHE_MB MiB from the environment (0 turns it off).
"""
from . import _C

__all__ = ["is_available", "synchronize", "memory_cached", "memory_stats", "empty_cache", "set_cache_limit"]


def is_available():
    return True


def synchronize():
    """CPU kernels finish before they return; kept for parity with fastdl.cuda."""


def memory_cached():
    """Bytes of freed tensors held for reuse."""
    return _C.host_cache_stats()["cached_bytes"]


def memory_stats():
    """The cache's counters: cached_bytes, limit_bytes, hits, misses, min_cached_bytes."""
    return dict(_C.host_cache_stats())


def empty_cache():
    """Returns every cached block to the C library (live tensors are untouched)."""
    _C.host_cache_empty()


def set_cache_limit(nbytes):
    """Caps the bytes the cache may hold; 0 turns caching off and empties it."""
    if isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 0:
        raise ValueError(f"set_cache_limit: expected a non-negative int of bytes, got {nbytes!r}")
    _C.host_cache_set_limit(nbytes)


def _check_environment():
    value = __import__("os").environ.get("FASTDL_HOST_CACHE_MB", "")
    if value and not (value.isdigit() and value.isascii()):
        __import__("warnings").warn(
            f"FASTDL_HOST_CACHE_MB={value!r} is not a whole number of MiB; the host cache keeps its default limit")


_check_environment()
