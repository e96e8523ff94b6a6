"""Point-to-point calls (send / recv / isend / irecv, batch_isend_irecv, the object
versions). A one-process group has no peer: a rank-to-self transfer raises as torch's
send does, and a rank outside the group or recv from any source raises at once
instead of waiting for a peer that will never come."""
from ..tensor import Tensor
from .c10d import _resolve

__all__ = ["send", "recv", "isend", "irecv", "P2POp", "batch_isend_irecv", "send_object_list",
           "recv_object_list"]


class SelfRankError(ValueError, RuntimeError):
    """A transfer between this process and itself. torch raises ValueError from send and
    RuntimeError from its backend for recv / isend / irecv; this is both."""


def _peer(op, tensor, group, rank, group_rank, what):
    if tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: Invalid function argument. Expected parameter `tensor` of type fastdl.Tensor "
                        f"but got {type(tensor)} instead.")
    pg = _resolve(group, op)
    if rank is not None and group_rank is not None:
        raise ValueError(f"{op}: Can't specify both group_rank and global_rank")
    if rank is None and group_rank is None:
        if what == "source":
            raise RuntimeError(f"{op}: receiving from any source (src=None) would wait forever: the group has "
                               f"world_size {pg.size()} and no other rank can send")
        raise ValueError(f"{op}: Must specify global_rank or group_rank (pass dst=)")
    if group_rank is not None:
        peer = pg._ranks[group_rank] if isinstance(group_rank, int) and 0 <= group_rank < pg.size() else None
    else:
        peer = rank if rank in pg._ranks else None
    if peer is None:
        given = rank if group_rank is None else group_rank
        raise RuntimeError(f"{op}: invalid {what} rank {given}: the group has world_size {pg.size()} "
                           f"(ranks {pg._ranks}), fastdl.distributed runs one process")
    raise SelfRankError(f"{op}: Invalid {what} rank: {what} rank should not be the same as the rank of the "
                        f"current process ({peer}; world_size {pg.size()} has no other rank to talk to)")


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    _peer("send", tensor, group, dst, group_dst, "destination")


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    _peer("recv", tensor, group, src, group_src, "source")


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    _peer("isend", tensor, group, dst, group_dst, "destination")


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    _peer("irecv", tensor, group, src, group_src, "source")


class P2POp:
    """One isend / irecv for batch_isend_irecv."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                             "``torch.distributed.irecv``.")
        if not isinstance(tensor, Tensor):
            raise TypeError(f"P2POp: Invalid function argument. Expected parameter `tensor` of type fastdl.Tensor "
                            f"but got {type(tensor)} instead.")
        self.op, self.tensor, self.peer, self.group, self.tag, self.group_peer = op, tensor, peer, group, tag, \
            group_peer

    def __repr__(self):
        return f"P2POp(op={self.op.__name__}, peer={self.peer}, group_peer={self.group_peer}, tag={self.tag})"


def batch_isend_irecv(p2p_op_list):
    if not isinstance(p2p_op_list, list) or not p2p_op_list or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp`` (and the list must not be empty).")
    if any(p.group != p2p_op_list[0].group for p in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    return [p.op(p.tensor, p.peer, p.group, p.tag, p.group_peer) for p in p2p_op_list]


def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None, use_batch=False):
    _peer("send_object_list", None, group, dst, group_dst, "destination")


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None, use_batch=False):
    _peer("recv_object_list", None, group, src, group_src, "source")
