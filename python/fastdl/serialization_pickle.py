"""The part of fastdl.save / fastdl.load for objects the tagged-JSON structure cannot
hold (a whole nn.Module, an argparse.Namespace in a checkpoint dict): as torch.save
does, such an object is pickled, but its tensors still go to the safetensors data
section (the pickle refers to them by name), so the file stays readable as plain
tensors by any safetensors reader. Unpickling runs code the file names, so load()
refuses it unless the caller says weights_only=False, as torch.load does since 2.6."""
import base64
import io
import pickle

from .tensor import Tensor

PICKLE_KEY = "fastdl.pickle"


class _TensorRefPickler(pickle.Pickler):
    def __init__(self, file, protocol, register):
        super().__init__(file, protocol)
        self._register = register  # Tensor -> its name in the data section

    def persistent_id(self, obj):
        if isinstance(obj, Tensor):
            # the class (Parameter stays Parameter) and requires_grad, as torch.save keeps them
            return ("fastdl.tensor", self._register(obj), type(obj), bool(obj.requires_grad))
        return None


class _TensorRefUnpickler(pickle.Unpickler):
    def __init__(self, file, tensors, move):
        super().__init__(file)
        self._tensors, self._move, self._done = tensors, move, {}

    def persistent_load(self, pid):
        tag, name, cls, requires_grad = pid
        if tag != "fastdl.tensor":
            raise pickle.UnpicklingError(f"load: unknown persistent id {tag!r}")
        if name not in self._done:  # one object per name: tied weights stay tied
            t = self._move(self._tensors[name])
            if cls is not Tensor:
                t = cls._make(t._buf, t._dtype, t._shape, t._strides, t._offset, t._device)
            self._done[name] = t.requires_grad_(True) if requires_grad else t
        return self._done[name]


def dumps(obj, protocol, register):
    """obj pickled (tensors by reference), as ASCII text for the JSON header."""
    buf = io.BytesIO()
    _TensorRefPickler(buf, max(int(protocol), 2), register).dump(obj)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def loads(text, tensors, move, where, weights_only):
    if weights_only or weights_only is None:
        raise pickle.UnpicklingError(
            f"load: {where} holds pickled Python objects (saved from an object that is not only tensors, "
            f"numbers, strings and dicts/lists/tuples of them, e.g. a whole nn.Module). Unpickling can run "
            f"arbitrary code: pass weights_only=False if you trust the file (as torch.load asks since 2.6)")
    return _TensorRefUnpickler(io.BytesIO(base64.b64decode(text)), tensors, move).load()
