"""fastdl.distributed: torch.distributed for a world of one process. init_process_group
accepts torch's backends ("gloo", "nccl", "mpi", ...) and init methods (env://, tcp://,
file://, a store) and makes this process rank 0 of world_size 1; the collectives check
their arguments as torch does and do what they do with one rank (all_reduce leaves the
tensor as it is, all_gather fills the one slot, ...). fastdl has no transport between
processes: asking for world_size > 1 raises a RuntimeError instead of hanging."""
from .c10d import *  # noqa: F401,F403
from .c10d import _make_nccl_premul_sum, DefaultGroupError  # noqa: F401
from .init import init_process_group  # noqa: F401
from .collectives import *  # noqa: F401,F403
from .p2p import *  # noqa: F401,F403
from .p2p import SelfRankError  # noqa: F401
from .work import Work, Future  # noqa: F401
from .store import Store, HashStore  # noqa: F401
