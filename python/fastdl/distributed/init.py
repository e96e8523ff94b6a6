"""init_process_group: torch's argument handling and env:// / tcp:// / file:// rendezvous
(ranks and world size from the URL query, the arguments or RANK / WORLD_SIZE /
MASTER_ADDR / MASTER_PORT), then a world of one process. No socket is opened: with one
process there is nobody to meet, and more than one is refused with an error naming
world_size, since fastdl has no transport between processes."""
import os
import warnings
from urllib.parse import urlparse

from . import c10d
from .c10d import Backend, _world

__all__ = ["init_process_group"]


def _query(url):
    return dict(p.split("=", 1) for p in filter(None, urlparse(url).query.split("&")) if "=" in p)


def _rendezvous(url, rank, world_size):
    """(rank, world_size) as torch's rendezvous handlers resolve them."""
    if not isinstance(url, str):
        raise RuntimeError(f"`url` must be a string. {type(url)}: {url}")
    if not isinstance(rank, int) or isinstance(rank, bool):
        raise RuntimeError(f"`rank` must be an integer. {rank}")
    if not isinstance(world_size, int) or isinstance(world_size, bool):
        raise RuntimeError(f"`world_size` must be an integer. {world_size}")
    parsed, query = urlparse(url), _query(url)
    if (rank != -1 or world_size != -1) and ("rank" in query or "world_size" in query):
        raise ValueError(f"The url: {url} has node-specific arguments(rank, world_size) already.")
    if rank != -1:
        query["rank"] = str(rank)
    if world_size != -1:
        query["world_size"] = str(world_size)
    scheme = parsed.scheme
    if scheme not in ("env", "tcp", "file"):
        raise RuntimeError(f"No rendezvous handler for {scheme}://")

    def error(msg):
        return ValueError(f"Error initializing torch.distributed using {scheme}:// rendezvous: {msg}")

    def env(var):
        value = os.environ.get(var)
        if not value:
            raise error(f"environment variable {var} expected, but not set")
        return value

    if scheme == "env":
        rank = int(query["rank"]) if "rank" in query else int(env("RANK"))
        world_size = int(query["world_size"]) if "world_size" in query else int(env("WORLD_SIZE"))
        env("MASTER_ADDR")
        port = int(env("MASTER_PORT"))
    else:
        if scheme == "tcp" and not parsed.port:
            raise error("port number missing")
        if scheme == "file" and not (parsed.netloc or parsed.path):
            raise error("path missing")
        if "rank" not in query:
            raise error("rank parameter missing")
        if "world_size" not in query:
            raise error("world size parameter missing")
        rank, world_size = int(query["rank"]), int(query["world_size"])
        port = parsed.port if scheme == "tcp" else 0
    if not 0 <= port <= 65535:
        raise ValueError(f"port must have value from 0 to 65535 but was {port}.")
    return rank, world_size


def _check_one_process(rank, world_size):
    if world_size != 1:
        raise RuntimeError(f"init_process_group: world_size={world_size} asks for {world_size} processes, but "
                           "fastdl.distributed runs one process only (it has no multi-process backend); "
                           "use world_size=1 (rank 0), or torch.distributed for multi-process training")
    if rank != 0:
        raise RuntimeError(f"init_process_group: rank={rank} is not a rank of a world_size=1 group "
                           "(the only rank is 0)")


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """torch.distributed.init_process_group for a world of one process (rank 0 of 1)."""
    if _world.default_pg is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None and init_method is not None:
        raise ValueError("init_process_group: Cannot specify both init_method and store.")
    if store is not None:
        if not world_size > 0:
            raise ValueError("init_process_group: world_size must be positive if using store")
        if not rank >= 0:
            raise ValueError("init_process_group: rank must be non-negative if using store")
    elif init_method is None:
        init_method = "env://"
    if device_id is not None:
        from ..device import device as _device
        if isinstance(device_id, int) and not isinstance(device_id, bool):
            device_id = _device("cuda", device_id)
        elif not isinstance(device_id, _device):
            raise TypeError(f"init_process_group: device_id must be a fastdl.device or an int, "
                            f"got {type(device_id).__name__}")
        if device_id.type != "cpu" and device_id.index is None:
            raise ValueError("Please use a device_id with index.")
        if backend is None:
            backend = Backend.default_device_backend_map.get(device_id.type)
    backend = Backend("undefined" if backend is None else backend)
    c10d._backend_config(backend)  # validates the name before anything else
    timeout = c10d.default_pg_timeout if timeout is None else timeout
    c10d._check_timeout(timeout)
    if backend == Backend.MPI:
        if world_size != -1 or rank != -1:
            warnings.warn(f"For MPI backend, world_size ({world_size}) and rank ({rank}) are ignored since they "
                          "are assigned by the MPI runtime.", stacklevel=2)
        rank, world_size = 0, 1  # the MPI runtime of a single process
    elif store is None:
        rank, world_size = _rendezvous(init_method, rank, world_size)
    _check_one_process(rank, world_size)
    _world.default_pg = c10d._register(backend, [0], timeout, "default_pg", device_id)
    _world.init_method = init_method
