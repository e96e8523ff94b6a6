"""torch.distributed's process-group state for one process: Backend, ReduceOp,
ProcessGroup, the default group (group.WORLD) and the functions that create, query
and destroy groups. fastdl has no transport between processes, so a group always has
world_size 1 and this process is its rank 0; asking for more is an error, not a hang."""
import enum
import os
from datetime import timedelta

__all__ = ["Backend", "ReduceOp", "ProcessGroup", "GroupMember", "group", "is_available", "is_initialized",
           "is_gloo_available", "is_nccl_available", "is_mpi_available", "is_ucc_available", "is_xccl_available",
           "is_backend_available", "is_torchelastic_launched", "get_rank", "get_world_size", "get_backend",
           "get_backend_config", "get_default_backend_for_device", "get_process_group_ranks", "get_global_rank",
           "get_group_rank", "get_node_local_rank", "new_group", "destroy_process_group", "default_pg_timeout"]

default_pg_timeout = timedelta(minutes=30)
_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class DefaultGroupError(ValueError, RuntimeError):
    """No default process group yet. torch raises ValueError; it is a RuntimeError too so
    code catching either (as torch's older releases raised RuntimeError) sees it."""


def _not_initialized():
    return DefaultGroupError(_NOT_INITIALIZED)


class Backend(str):
    """torch.distributed.Backend: lower-case backend names; Backend("GLOO") == "gloo".
    fastdl accepts every name torch knows and runs them all the same way (one process)."""
    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    FAKE = "fake"
    backend_list = [UNDEFINED, GLOO, NCCL, XCCL, UCC, MPI, FAKE]
    default_device_backend_map = {"cpu": GLOO, "cuda": NCCL, "xpu": XCCL, "mps": GLOO}
    backend_capability = {GLOO: ["cpu", "cuda"], NCCL: ["cuda"], XCCL: ["xpu"], UCC: ["cpu", "cuda"],
                          MPI: ["cpu", "cuda"], FAKE: ["cpu", "cuda", "hpu", "xpu"]}

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        return name.lower() if value == Backend.UNDEFINED else value


def _backend_config(backend):
    """torch's BackendConfig string ("cpu:gloo,cuda:gloo"), validating the name."""
    if backend == Backend.UNDEFINED:
        from .. import cuda
        return "cpu:gloo,cuda:nccl" if cuda.is_available() else "cpu:gloo"
    if ":" in backend:  # "cpu:gloo,cuda:nccl"
        pairs = [p.split(":") for p in backend.split(",")]
        if any(len(p) != 2 or Backend(p[1]) not in Backend.backend_capability for p in pairs):
            raise ValueError(f"init_process_group: invalid backend string {backend!r}: expected "
                             f"'<device>:<backend>,...' with backends from {Backend.backend_list[1:]}")
        return ",".join(f"{d.strip().lower()}:{Backend(b)}" for d, b in pairs)
    if backend not in Backend.backend_capability:
        raise ValueError(f"Unknown backend type {backend} (valid: {', '.join(Backend.backend_list[1:])})")
    return ",".join(f"{d}:{backend}" for d in Backend.backend_capability[backend])


class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """torch.distributed.ReduceOp: ReduceOp.SUM ... are RedOpType members (as torch's);
    ReduceOp(RedOpType.X) wraps one, and _make_nccl_premul_sum(factor) gives a PREMUL_SUM
    carrying its factor."""
    RedOpType = RedOpType
    SUM, AVG, PRODUCT = RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT
    MIN, MAX = RedOpType.MIN, RedOpType.MAX
    BAND, BOR, BXOR = RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM

    def __init__(self, op=RedOpType.SUM):
        self.op, self.factor = _red_op_type(op, "ReduceOp"), None

    def __eq__(self, other):
        if isinstance(other, ReduceOp):
            return self.op == other.op and self.factor is other.factor
        return self.factor is None and self.op == other

    def __hash__(self):
        return hash(self.op)

    def __repr__(self):
        return f"ReduceOp({self.op})" if self.factor is None else f"ReduceOp({self.op}, factor={self.factor})"


def _red_op_type(op, name):
    if isinstance(op, ReduceOp):
        return op.op
    if isinstance(op, RedOpType):
        return op
    raise TypeError(f"{name}: op must be a ReduceOp (e.g. ReduceOp.SUM), got {type(op).__name__} {op!r}")


def _make_nccl_premul_sum(factor):
    """ReduceOp.PREMUL_SUM scaling every input by `factor` (a number or a one-element
    tensor) before the sum, as torch's NCCL helper."""
    op = ReduceOp(RedOpType.PREMUL_SUM)
    op.factor = factor
    return op


class ProcessGroup:
    """A group of ranks of the one-process world: rank() 0, size() 1."""

    def __init__(self, backend, ranks, timeout, name, desc, device_id=None):
        self._backend, self._ranks, self._timeout = backend, list(ranks), timeout
        self._name, self._desc, self.bound_device_id = name, desc, device_id

    def rank(self):
        return 0

    def size(self):
        return len(self._ranks)

    def name(self):
        return self._name

    @property
    def group_name(self):
        return self._name

    @property
    def group_desc(self):
        return self._desc

    def _get_backend_name(self):
        return str(self._backend)

    def __repr__(self):
        return f"ProcessGroup(name={self._name!r}, backend={self._backend!r}, ranks={self._ranks})"


class _World:
    def __init__(self):
        self.default_pg = None
        self.groups = {}  # ProcessGroup -> backend config string
        self.group_count = 0
        self.init_method = None


_world = _World()


class _WorldMeta(type):
    @property
    def WORLD(cls):
        return _world.default_pg


class group(metaclass=_WorldMeta):
    """group.WORLD: the default process group (None before init_process_group)."""


class GroupMember(metaclass=_WorldMeta):
    NON_GROUP_MEMBER = -100


def _default_group():
    if _world.default_pg is None:
        raise _not_initialized()
    return _world.default_pg


def _resolve(grp, op="distributed"):
    """The group a call works on: the default for None / group.WORLD, else a registered
    ProcessGroup (torch's ValueError otherwise)."""
    if grp is None or grp is GroupMember.WORLD:
        return _default_group()
    if not isinstance(grp, ProcessGroup) or grp not in _world.groups:
        if _world.default_pg is None:
            raise _not_initialized()
        raise ValueError(f"{op}: Process group {grp!r} is not initialized in the world group map. "
                         "Please initialize the group first (fastdl.distributed.new_group).")
    return grp


def is_available():
    return True


def is_initialized():
    return _world.default_pg is not None


def is_gloo_available():
    return True


def is_nccl_available():
    return True


def is_mpi_available():
    return True


def is_ucc_available():
    return True


def is_xccl_available():
    return True


def is_backend_available(backend):
    return Backend(backend) in Backend.backend_capability


def is_torchelastic_launched():
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def get_rank(group=None):
    return _resolve(group, "get_rank").rank()


def get_world_size(group=None):
    return _resolve(group, "get_world_size").size()


def get_backend(group=None):
    return Backend(_resolve(group, "get_backend")._backend)


def get_backend_config(group=None):
    return _world.groups[_resolve(group, "get_backend_config")]


def get_default_backend_for_device(device):
    kind = device if isinstance(device, str) else getattr(device, "type", None)
    kind = kind.split(":")[0] if isinstance(kind, str) else kind
    if kind not in Backend.default_device_backend_map:
        raise ValueError(f"Default backend not registered for device : {device}")
    return Backend.default_device_backend_map[kind]


def get_process_group_ranks(group):
    return list(_resolve(group, "get_process_group_ranks")._ranks)


def get_global_rank(group, group_rank):
    pg = _resolve(group, "get_global_rank")
    if not isinstance(group_rank, int) or not 0 <= group_rank < pg.size():
        raise ValueError(f"Group rank {group_rank} is not part of group {pg}")
    return pg._ranks[group_rank]


def get_group_rank(group, global_rank):
    pg = _resolve(group, "get_group_rank")
    if global_rank not in pg._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg._ranks.index(global_rank)


def get_node_local_rank(fallback_rank=None):
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank to allow "
                       "`get_node_local_rank` to work, assuming you are not running in a multi-device context "
                       "and want the code to run locally instead.")


def _check_timeout(timeout):
    if timeout is not None and not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {timeout}")


def _register(backend, ranks, timeout, desc, device_id=None):
    config = _backend_config(backend)
    pg = ProcessGroup(backend, ranks, timeout, str(_world.group_count), desc, device_id)
    _world.group_count += 1
    _world.groups[pg] = config
    return pg


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None, sort_ranks=True):
    """A subgroup of the world: ranks from [0, world_size) (here only [0]; None or [] is
    every rank), the default group's backend unless one is given."""
    default = _default_group()
    _check_timeout(timeout)
    world = default.size()
    if ranks is None or len(ranks) == 0:
        ranks = list(range(world))
    else:
        ranks = list(ranks)
        for r in ranks:
            if not isinstance(r, int) or not 0 <= r < world:
                raise ValueError(f"Rank {r} is out of range. Valid ranks are 0 to {world - 1} (world_size={world})")
        if len(set(ranks)) != len(ranks):
            raise ValueError(f"ranks list must not contain duplicate entries, got {ranks}")
        if sort_ranks:
            ranks = sorted(ranks)
    backend = default._backend if backend is None else Backend(backend)
    return _register(backend, ranks, timeout or default._timeout, group_desc or "undefined", device_id)


def destroy_process_group(group=None):
    """Destroys `group`, or (None / group.WORLD) the default group and every subgroup."""
    if group is None or group is GroupMember.WORLD:
        if _world.default_pg is None:
            raise ValueError("destroy_process_group: Process group cannot be None (no default process group "
                             "to destroy: init_process_group was not called or the group was destroyed)")
        _world.groups.clear()
        _world.default_pg, _world.init_method = None, None
        return
    if group not in _world.groups:
        raise ValueError(f"destroy_process_group: Invalid process group specified: {group!r}")
    del _world.groups[group]
