"""fastdl.multiprocessing: torch.multiprocessing's names. Python's multiprocessing,
plus torch's sharing-strategy queries and spawn(); a CPU tensor made shared with
share_memory_() travels between processes by the name of its shared-memory block
(tensor_shared.py), any other tensor by a copy of its values."""
import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403

from . import tensor_shared as _tensor_shared  # noqa: F401  (the pickling of shared tensors)

__all__ = list(getattr(_mp, "__all__", [])) + ["set_sharing_strategy", "get_sharing_strategy",
                                               "get_all_sharing_strategies", "spawn", "ProcessRaisedException"]

_STRATEGIES = {"file_system"}  # shared-memory blocks are named files in /dev/shm
_strategy = ["file_system"]


def get_all_sharing_strategies():
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _strategy[0]


def set_sharing_strategy(new_strategy):
    if new_strategy not in _STRATEGIES | {"file_descriptor"}:
        raise ValueError(f"set_sharing_strategy: unknown strategy {new_strategy!r}, expected one of "
                         f"{sorted(_STRATEGIES | {'file_descriptor'})}")
    _strategy[0] = "file_system"  # 'file_descriptor' is accepted; blocks are shared by name either way


class ProcessRaisedException(Exception):
    """spawn(): a worker process raised."""


def _wrap(fn, i, args):
    fn(i, *args)


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """torch.multiprocessing.spawn: runs fn(i, *args) for i in range(nprocs) in new
    processes; with join, waits and raises ProcessRaisedException if one failed."""
    ctx = _mp.get_context(start_method)
    procs = [ctx.Process(target=_wrap, args=(fn, i, args), daemon=daemon) for i in range(nprocs)]
    for p in procs:
        p.start()
    if not join:
        return procs
    for p in procs:
        p.join()
    bad = [(i, p.exitcode) for i, p in enumerate(procs) if p.exitcode != 0]
    if bad:
        raise ProcessRaisedException(f"spawn: process {bad[0][0]} terminated with exit code {bad[0][1]}")
    return None
