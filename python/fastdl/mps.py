"""fastdl.mps: torch.mps's queries for a device fastdl does not have, so a script that
asks `torch.mps.is_available()` before picking its device runs (and picks another)."""

__all__ = ["is_available", "device_count"]


def is_available():
    return False


def device_count():
    return 0
