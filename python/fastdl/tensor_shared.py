"""Tensor.share_memory_ / is_shared on shared memory, so that torch.multiprocessing
programs (examples/mnist_hogwild: model.share_memory(), then worker processes that
train the same parameters) see one set of values across processes.

share_memory_() moves a CPU tensor's values into a multiprocessing.shared_memory block
(in place: the tensor keeps its identity; other views of the old memory do not follow,
unlike torch). Pickling such a tensor (a Process argument under 'spawn', a Queue) sends
the block's name instead of the bytes, and the receiving process maps the same block.
Under 'fork', children inherit the mapping. The creating process unlinks its blocks at
exit. CUDA tensors are left as they are (as torch's share_memory_ is a no-op on CUDA)."""
import atexit
import numpy as np
from multiprocessing import shared_memory

_SHARED = {}  # id(Buffer) -> (Buffer, SharedMemory, nbytes): the Buffer is kept alive with its block
_CREATED = []  # the blocks this process made, unlinked at exit


def _buffer_over(shm, nbytes):
    """A fastdl Buffer over the block's bytes (zero-copy, via from_numpy)."""
    from .tensor import from_numpy
    arr = np.ndarray((nbytes,), dtype=np.uint8, buffer=shm.buf)
    buf = from_numpy(arr)._buf
    _SHARED[id(buf)] = (buf, shm, nbytes)
    return buf


def share_memory_(self):
    if self.device.type != "cpu" or id(self._buf) in _SHARED:
        return self
    if self._grad_fn is not None:
        raise RuntimeError("share_memory_: the tensor is not a leaf (it has a grad_fn); share a leaf or detach() it")
    src = np.asarray(memoryview(self._buf)).view(np.uint8)
    nbytes = max(src.nbytes, 1)  # SharedMemory refuses size 0
    shm = shared_memory.SharedMemory(create=True, size=nbytes)
    _CREATED.append(shm)
    buf = _buffer_over(shm, nbytes)
    np.frombuffer(buf, np.uint8)[:src.nbytes] = src
    self._buf = buf  # same offset and strides: the layout in the buffer is unchanged
    return self


def is_shared(self):
    return self.device.type == "cpu" and id(self._buf) in _SHARED


def reduce_shared(buf):
    """(rebuild, args) for a shared Buffer, or None for an ordinary one."""
    entry = _SHARED.get(id(buf))
    if entry is None or entry[0] is not buf:
        return None
    return _attach, (entry[1].name, entry[2])


def _attach(name, nbytes):
    # attaching registers the name with the resource tracker again; child processes share
    # the creator's tracker, whose set of names is unchanged, and the creator unlinks it
    return _buffer_over(shared_memory.SharedMemory(name=name), nbytes)


@atexit.register
def _unlink_created():
    for shm in _CREATED:
        try:
            shm.unlink()
        except FileNotFoundError:
            pass
