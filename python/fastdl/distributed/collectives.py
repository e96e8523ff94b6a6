"""torch.distributed's collectives over a world of one process. Each checks its
arguments as torch does (types, dtypes, list lengths against world_size, output shapes
and devices, root ranks, reduce ops against dtypes) and then does what the collective
does when rank 0 is the only rank: a reduction of one value is that value, a gather
fills the one output slot with the input, a scatter gives rank 0 its piece. Tensors are
written in place without autograd, as torch's collectives are."""
import pickle

from ..autograd import no_grad
from ..tensor import Tensor
from .c10d import ReduceOp, RedOpType, _red_op_type, _resolve
from .work import Work

__all__ = ["all_reduce", "all_reduce_coalesced", "reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "all_gather_object", "broadcast_object_list", "gather", "gather_object", "scatter",
           "scatter_object_list", "reduce_scatter", "reduce_scatter_tensor", "all_to_all", "all_to_all_single",
           "barrier", "monitored_barrier"]

_BITWISE = (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR)


def _tensor(x, name, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: Invalid function argument. Expected parameter `{name}` of type fastdl.Tensor "
                        f"but got {type(x)} instead.")


def _tensor_list(xs, name, op):
    if not isinstance(xs, list) or not all(isinstance(x, Tensor) for x in xs):
        got = type(xs) if not isinstance(xs, list) else f"list with elements of type {[type(x) for x in xs]}"
        raise TypeError(f"{op}: Invalid function argument. Expected parameter `{name}` of type "
                        f"List[fastdl.Tensor] but got {got} instead.")


def _same_dtype(op, *groups):
    tensors = [t for g in groups for t in (g if isinstance(g, list) else [g])]
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise ValueError(f"{op}: Invalid usage of tensors with different dtypes. Found {tensors[0].dtype} "
                             f"and {t.dtype}")


def _check_out(op, out, ref, index=0, shapes=None):
    """Output tensor `out` must match `ref`'s dtype and device and have one of `shapes`
    (default: ref's shape), as torch's backends check."""
    shapes = [tuple(ref.shape)] if shapes is None else shapes
    if tuple(out.shape) not in shapes:
        want = " or ".join(str(s) for s in shapes)
        raise RuntimeError(f"{op}: invalid tensor size at index {index} (expected {want}, got {tuple(out.shape)})")
    if out.dtype != ref.dtype:
        raise RuntimeError(f"{op}: invalid tensor type at index {index} (expected {ref.dtype}, got {out.dtype})")
    if out.device != ref.device:
        raise RuntimeError(f"{op}: invalid tensor device at index {index} (expected {ref.device}, "
                           f"got {out.device})")


def _list_len(op, xs, world, what):
    if len(xs) != world:
        raise RuntimeError(f"{op}: invalid {what} list size {len(xs)}: expected length {world}, the size of "
                           "the process group")


def _root(op, pg, rank, group_rank, what, default=None):
    """The group rank of a collective's root (dst / src) given as a global or group rank;
    torch's errors for both / neither, RuntimeError for a rank outside the group."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"{op}: Can't specify both group_rank and global_rank ({what}={rank}, "
                         f"group_{what}={group_rank})")
    if rank is None and group_rank is None:
        if default is None:
            raise ValueError(f"{op}: Must specify global_rank or group_rank (pass {what}=)")
        group_rank = default
    if group_rank is not None:
        if not isinstance(group_rank, int) or not 0 <= group_rank < pg.size():
            raise RuntimeError(f"{op}: invalid root rank: group_{what}={group_rank} (the group has "
                               f"world_size {pg.size()})")
        return group_rank
    if not isinstance(rank, int) or rank not in pg._ranks:
        raise RuntimeError(f"{op}: invalid root rank: {what}={rank} (the group's ranks are {pg._ranks})")
    return pg._ranks.index(rank)


def _op_factor(name, op, tensor):
    """Checks `op` against tensor's dtype as torch does; the factor the one-rank result is
    scaled by (PREMUL_SUM's), or None."""
    kind = _red_op_type(op, name)
    integral = not tensor.is_floating_point()
    if kind in _BITWISE and not integral:
        raise RuntimeError(f"{name}: Cannot use ReduceOp.{kind.name} with non-integral dtype {tensor.dtype}")
    if kind is RedOpType.AVG and integral:
        raise RuntimeError(f"{name}: ReduceOp.AVG of an integral tensor ({tensor.dtype}): result type Float "
                           f"can't be cast to the desired output type {tensor.dtype}")
    if kind is RedOpType.PREMUL_SUM:
        factor = op.factor if isinstance(op, ReduceOp) else None
        if factor is None:
            raise RuntimeError(f"{name}: ReduceOp.PREMUL_SUM needs a factor: build the op with "
                               "fastdl.distributed._make_nccl_premul_sum(factor)")
        if integral:
            raise RuntimeError(f"{name}: ReduceOp.PREMUL_SUM needs a floating-point tensor, got {tensor.dtype}")
        return factor
    return None  # SUM / AVG / MIN / MAX / PRODUCT / bitwise of one value: the value


def _write(out, src, factor=None):
    with no_grad():
        if src is not out:
            out.copy_(src.reshape(out.shape))
        if factor is not None:
            out.mul_(factor)


def _done(async_op, tensors):
    return Work(tensors) if async_op else None


def _copy_object(obj):
    # torch pickles objects through its collectives: the receiver gets a copy
    return pickle.loads(pickle.dumps(obj))


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    _tensor(tensor, "tensor", "all_reduce")
    factor = _op_factor("all_reduce", op, tensor)
    _resolve(group, "all_reduce")
    _write(tensor, tensor, factor)
    return _done(async_op, [tensor])


def all_reduce_coalesced(tensors, op=ReduceOp.SUM, group=None, async_op=False):
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    _tensor_list(tensors, "tensor", "all_reduce_coalesced")
    _same_dtype("all_reduce_coalesced", tensors)
    factors = [_op_factor("all_reduce_coalesced", op, t) for t in tensors]
    _resolve(group, "all_reduce_coalesced")
    for t, f in zip(tensors, factors):
        _write(t, t, f)
    return _done(async_op, tensors)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    _tensor(tensor, "tensor", "reduce")
    pg = _resolve(group, "reduce")
    _root("reduce", pg, dst, group_dst, "dst")
    _write(tensor, tensor, _op_factor("reduce", op, tensor))
    return _done(async_op, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    _tensor(tensor, "tensor", "broadcast")
    pg = _resolve(group, "broadcast")
    _root("broadcast", pg, src, group_src, "src")
    return _done(async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    _tensor_list(tensor_list, "tensor_list", "all_gather")
    _tensor(tensor, "tensor", "all_gather")
    _same_dtype("all_gather", tensor_list, tensor)
    pg = _resolve(group, "all_gather")
    _list_len("all_gather", tensor_list, pg.size(), "output tensor")
    for i, out in enumerate(tensor_list):
        _check_out("all_gather", out, tensor, i)
    _write(tensor_list[0], tensor)
    return _done(async_op, tensor_list)


def _stacked_or_concatenated(n, shape):
    """Shapes torch accepts for n equal pieces of `shape` laid out along dim 0."""
    shape = tuple(shape)
    forms = [(n,) + shape]
    if shape:
        forms.append((n * shape[0],) + shape[1:])
    return forms


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    _tensor(output_tensor, "output_tensor", "all_gather_into_tensor")
    _tensor(input_tensor, "input_tensor", "all_gather_into_tensor")
    pg = _resolve(group, "all_gather_into_tensor")
    _check_out("all_gather_into_tensor", output_tensor, input_tensor,
               shapes=_stacked_or_concatenated(pg.size(), input_tensor.shape))
    _write(output_tensor, input_tensor)
    return _done(async_op, [output_tensor])


def all_gather_object(object_list, obj, group=None):
    pg = _resolve(group, "all_gather_object")
    if len(object_list) < pg.size():
        raise IndexError(f"all_gather_object: object_list has {len(object_list)} slots, needs one per rank "
                         f"(world_size {pg.size()})")
    object_list[0] = _copy_object(obj)


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    pg = _resolve(group, "broadcast_object_list")
    _root("broadcast_object_list", pg, src, group_src, "src", default=0)
    # the source rank keeps its own objects


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    _tensor(tensor, "tensor", "gather")
    if gather_list:
        _tensor_list(gather_list, "gather_list", "gather")
    else:
        gather_list = []
    _same_dtype("gather", tensor, gather_list)
    pg = _resolve(group, "gather")
    if dst is not None and group_dst is None and dst not in pg._ranks and gather_list:
        raise ValueError("gather: Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    _root("gather", pg, dst, group_dst, "dst", default=0)
    if not gather_list:
        raise ValueError("gather: Argument ``gather_list`` must be specified on destination rank.")
    _list_len("gather", gather_list, pg.size(), "output")
    for i, out in enumerate(gather_list):
        _check_out("gather", out, tensor, i)
    _write(gather_list[0], tensor)
    return _done(async_op, gather_list)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    pg = _resolve(group, "gather_object")
    _root("gather_object", pg, dst, group_dst, "dst", default=0)
    if object_gather_list is None:
        raise ValueError("gather_object: Argument ``object_gather_list`` must be specified on destination rank.")
    if len(object_gather_list) < pg.size():
        raise IndexError(f"gather_object: object_gather_list has {len(object_gather_list)} slots, needs one "
                         f"per rank (world_size {pg.size()})")
    object_gather_list[0] = _copy_object(obj)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    _tensor(tensor, "tensor", "scatter")
    if scatter_list:
        _tensor_list(scatter_list, "scatter_list", "scatter")
    else:
        scatter_list = []
    _same_dtype("scatter", tensor, scatter_list)
    pg = _resolve(group, "scatter")
    if src is not None and group_src is None and src not in pg._ranks and scatter_list:
        raise ValueError("scatter: Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    _root("scatter", pg, src, group_src, "src", default=0)
    if not scatter_list:
        raise ValueError("scatter: Argument ``scatter_list`` must be specified on source rank.")
    _list_len("scatter", scatter_list, pg.size(), "input")
    for i, piece in enumerate(scatter_list):
        _check_out("scatter", piece, tensor, i)
    _write(tensor, scatter_list[0])
    return _done(async_op, [tensor])


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("scatter_object_list: Expected argument scatter_object_output_list to be a list of size "
                         "at least 1.")
    pg = _resolve(group, "scatter_object_list")
    _root("scatter_object_list", pg, src, group_src, "src", default=0)
    if scatter_object_input_list is None:
        raise ValueError("scatter_object_list: Argument ``scatter_object_input_list`` must be specified on "
                         "source rank.")
    _list_len("scatter_object_list", scatter_object_input_list, pg.size(), "input object")
    scatter_object_output_list[0] = _copy_object(scatter_object_input_list[0])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    _tensor(output, "output", "reduce_scatter")
    _tensor_list(input_list, "input_list", "reduce_scatter")
    _same_dtype("reduce_scatter", output, input_list)
    factor = _op_factor("reduce_scatter", op, output)
    pg = _resolve(group, "reduce_scatter")
    _list_len("reduce_scatter", input_list, pg.size(), "input tensor")
    for i, piece in enumerate(input_list):
        _check_out("reduce_scatter", piece, output, i)
    _write(output, input_list[0], factor)
    return _done(async_op, [output])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    _tensor(output, "output", "reduce_scatter_tensor")
    _tensor(input, "input", "reduce_scatter_tensor")
    factor = _op_factor("reduce_scatter_tensor", op, input)
    pg = _resolve(group, "reduce_scatter_tensor")
    _check_out("reduce_scatter_tensor", input, output, shapes=_stacked_or_concatenated(pg.size(), output.shape))
    _write(output, input, factor)
    return _done(async_op, [output])


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    _tensor_list(output_tensor_list, "output_tensor_list", "all_to_all")
    _tensor_list(input_tensor_list, "input_tensor_list", "all_to_all")
    _same_dtype("all_to_all", output_tensor_list, input_tensor_list)
    pg = _resolve(group, "all_to_all")
    _list_len("all_to_all", input_tensor_list, pg.size(), "input tensor")
    _list_len("all_to_all", output_tensor_list, pg.size(), "output tensor")
    for i, (out, piece) in enumerate(zip(output_tensor_list, input_tensor_list)):
        _check_out("all_to_all", out, piece, i)
    _write(output_tensor_list[0], input_tensor_list[0])
    return _done(async_op, output_tensor_list)


def _splits(which, sizes, tensor, world):
    if sizes is None or len(sizes) == 0:
        if tensor.dim() == 0 or tensor.shape[0] % world:
            raise RuntimeError(f"all_to_all_single: {which} tensor's dim 0 ({tuple(tensor.shape)}) must divide "
                               f"evenly among {world} ranks")
        return
    if len(sizes) != world:
        raise RuntimeError(f"all_to_all_single: Number of tensor splits not equal to group size "
                           f"({which}_split_sizes={list(sizes)}, world_size {world})")
    if tensor.dim() == 0 or sum(sizes) != tensor.shape[0]:
        raise RuntimeError(f"all_to_all_single: Split sizes doesn't match total dim 0 size "
                           f"({which}_split_sizes={list(sizes)}, {which} shape {tuple(tensor.shape)})")


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None,
                      async_op=False):
    _tensor(output, "output", "all_to_all_single")
    _tensor(input, "input", "all_to_all_single")
    _same_dtype("all_to_all_single", output, input)
    pg = _resolve(group, "all_to_all_single")
    _splits("output", output_split_sizes, output, pg.size())
    _splits("input", input_split_sizes, input, pg.size())
    if output.numel() != input.numel():
        raise RuntimeError(f"all_to_all_single: input and output must hold the same number of elements "
                           f"(input {tuple(input.shape)}, output {tuple(output.shape)})")
    if output.device != input.device:
        raise RuntimeError(f"all_to_all_single: input on {input.device} but output on {output.device}")
    _write(output, input)
    return _done(async_op, [output])


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    from .c10d import _check_timeout
    _resolve(group, "barrier")
    if device_ids is not None and not isinstance(device_ids, list):
        raise TypeError("barrier: Invalid function argument: device_ids type should be List[int]")
    _check_timeout(timeout)
    return _done(async_op, [])


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    from .c10d import Backend, _check_timeout
    pg = _resolve(group, "monitored_barrier")
    if pg._backend != Backend.GLOO:  # as torch: the gloo backend only, not even undefined (cpu:gloo)
        raise ValueError("monitored_barrier is only implemented for GLOO backend.")
    _check_timeout(timeout)


def all_gather_single(output_tensor, input_tensor, group=None, async_op=False):
    """torch 2.13's new name for all_gather_into_tensor."""
    return all_gather_into_tensor(output_tensor, input_tensor, group, async_op)


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """torch 2.13's new name for reduce_scatter_tensor."""
    return reduce_scatter_tensor(output, input, op, group, async_op)


__all__ += ["all_gather_single", "reduce_scatter_single"]
