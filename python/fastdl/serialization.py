"""fastdl.save / fastdl.load: checkpoints in the safetensors layout, without pickle.

A file is: 8-byte little-endian header length N; N bytes of JSON mapping each tensor's
name to {"dtype", "shape", "data_offsets"} (byte range in the data section) plus a
"__metadata__" entry of strings; then the raw little-endian tensor bytes. fastdl puts
the non-tensor part of the saved object (dicts, lists, tuples, numbers, strings, None)
in __metadata__["fastdl.structure"] as tagged JSON, with tensors referenced by name,
so any object made of those round-trips; other safetensors readers still see every
tensor (a module state_dict keeps its keys as the tensor names).

load() also reads safetensors files from other libraries and NumPy .npz archives
(e.g. a PyTorch state_dict exported with np.savez(path, **{k: v.numpy()})), returning
a dict of tensors.
"""
import io
import json
import math
import numbers
import os
import pickle
import tempfile
import zipfile
import zlib

import numpy as np

from . import dtypes as _dt
from .device import CPU, device
from .tensor import Tensor, _alloc, from_numpy
from . import serialization_pickle as _pickle

__all__ = ["save", "load"]

_STRUCTURE_KEY = "fastdl.structure"
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit
_SAVE_CODES = {_dt.float32: "F32", _dt.float64: "F64", _dt.int64: "I64", _dt.bool_: "BOOL", _dt.float16: "F16",
               _dt.bfloat16: "BF16", _dt.int32: "I32", _dt.int16: "I16", _dt.int8: "I8", _dt.uint8: "U8",
               _dt.complex64: "C64", _dt.complex128: "C128"}
# safetensors dtype -> stored NumPy type (BF16: its raw bits); non-fastdl types widen losslessly on load
_LOAD_TYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "BOOL": "?", "F16": "<f2", "BF16": "<u2", "I32": "<i4",
               "I16": "<i2", "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4",
               "C64": "<c8", "C128": "<c16"}


# ---- save ----------------------------------------------------------------------------

def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Writes obj (a tensor, or nested dicts/lists/tuples of tensors and plain values)
    to f: a path, written atomically (a temporary file in the same directory, fsync,
    then rename, so an existing file is replaced whole or not at all), or a binary file
    object open for writing (torch.save's `with open(p, 'wb') as f: save(obj, f)`).
    Any other picklable object (a whole module) is pickled with its tensors kept in
    the data section (serialization_pickle.py); load() then needs weights_only=False.
    pickle_module and the zipfile flags are accepted for torch's signature and unused."""
    writer = f if hasattr(f, "write") else None
    path = None if writer is not None else _fspath("save", f)
    tensors, names_by_id = {}, {}
    try:
        structure = _encode(obj, "obj", "", tensors, names_by_id)
        meta = {"format": "fastdl", _STRUCTURE_KEY: json.dumps(structure, allow_nan=False)}
    except TypeError as e:
        if "key of type" in str(e):
            raise
        tensors, names_by_id = {}, {}

        def register(t):
            return _encode(t.detach() if t._grad_fn is not None else t, "obj", "tensor", tensors,
                           names_by_id)["__tensor__"]
        try:
            meta = {"format": "fastdl", _pickle.PICKLE_KEY: _pickle.dumps(obj, pickle_protocol, register)}
        except (pickle.PicklingError, TypeError, AttributeError) as pe:
            raise TypeError(f"{e}; nor can it be pickled ({type(pe).__name__}: {pe})") from None
    header = {"__metadata__": meta}
    offset = 0
    for name, t in tensors.items():
        n = t.numel() * t.dtype.itemsize
        header[name] = {"dtype": _SAVE_CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * (-len(hbytes) % 8)  # safetensors aligns the data section to 8 bytes

    def chunks():
        yield len(hbytes).to_bytes(8, "little")
        yield hbytes
        for t in tensors.values():
            yield _tensor_bytes(t)
    if writer is not None:
        for c in chunks():
            writer.write(c)
    else:
        _atomic_write(path, chunks())


def _encode(x, where, name, tensors, names_by_id):
    """x as tagged JSON; tensors are collected into `tensors` under unique names."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, Tensor):
        if id(x) not in names_by_id:  # the same tensor object twice is stored once
            names_by_id[id(x)] = _unique(name or "tensor", tensors)
            tensors[names_by_id[id(x)]] = x
        return {"__tensor__": names_by_id[id(x)]}
    if isinstance(x, np.ndarray):
        if x.dtype not in _dt._BY_NP:
            raise TypeError(f"save: {where} is a NumPy array of dtype {x.dtype}; fastdl stores "
                            f"float32, float64, float16, int64, int32, int16, int8, uint8 and bool")
        t = from_numpy(np.ascontiguousarray(x))
        return {"__ndarray__": _encode(t, where, name, tensors, names_by_id)["__tensor__"]}
    if isinstance(x, (numbers.Integral, np.bool_)):
        return bool(x) if isinstance(x, np.bool_) else int(x)
    if isinstance(x, numbers.Real):
        x = float(x)
        return x if math.isfinite(x) else {"__float__": repr(x)}
    sub = lambda k: f"{name}.{k}" if name else str(k)  # noqa: E731
    if isinstance(x, list):
        return [_encode(v, f"{where}[{i}]", sub(i), tensors, names_by_id) for i, v in enumerate(x)]
    if isinstance(x, tuple):
        return {"__tuple__": [_encode(v, f"{where}[{i}]", sub(i), tensors, names_by_id) for i, v in enumerate(x)]}
    if isinstance(x, dict):
        items = []
        for k, v in x.items():
            if isinstance(k, (Tensor, list, dict, np.ndarray)):
                raise TypeError(f"save: {where} has a key of type {type(k).__name__}; keys must be plain values")
            items.append([_encode(k, f"{where} key {k!r}", "", tensors, names_by_id),
                          _encode(v, f"{where}[{k!r}]", sub(k), tensors, names_by_id)])
        return {"__dict__": items}
    raise TypeError(f"save: cannot store {where} of type {type(x).__name__}; fastdl.save stores tensors, NumPy "
                    f"arrays, numbers, strings, bools, None and dicts/lists/tuples of them (no pickle)")


def _unique(name, taken):
    if name not in taken and name != "__metadata__":
        return name
    i = 1
    while f"{name}#{i}" in taken:
        i += 1
    return f"{name}#{i}"


def _tensor_bytes(t):
    a = np.ascontiguousarray(t.detach().cpu()._np_view())
    return a.astype(a.dtype.newbyteorder("<"), copy=False).reshape(-1).view(np.uint8)


def _atomic_write(path, chunks):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp's 0600 would otherwise stick to the checkpoint
        with os.fdopen(fd, "wb") as f:
            for c in chunks:
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# ---- load ----------------------------------------------------------------------------

def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Reads what save() wrote (bit-exact), or a safetensors / .npz file from another
    library as a dict of tensors, from a path or a binary file object open for reading.
    map_location moves every tensor: a device or its name, a dict {saved device: new
    device}, or a callable(tensor, location), as torch.load takes (see _mover). A pickled object (see save) loads
    only with weights_only=False. Raises ValueError naming the file and the problem for
    truncated or corrupted files."""
    if hasattr(f, "read"):
        path, data = getattr(f, "name", "<file object>"), f.read()
    else:
        path = _fspath("load", f)
        with open(path, "rb") as fh:
            data = fh.read()
    move = _mover(map_location)
    if data[:4] == b"PK\x03\x04":
        return _move(_load_npz(path, data), move)
    return _load_safetensors(path, data, move, weights_only)


def _mover(map_location):
    """map_location as a function of one loaded (CPU) tensor. fastdl records no saved
    device, so each tensor's location is 'cpu': a dict maps 'cpu' (kept when absent), a
    callable gets (tensor, 'cpu') as torch's gets (storage, location) and returning its
    first argument or None keeps the tensor."""
    if map_location is None:
        return lambda t: t
    if isinstance(map_location, dict):
        target = map_location.get("cpu")
        return (lambda t: t) if target is None else (lambda t: t.to(target))
    if callable(map_location) and not isinstance(map_location, (str, device)):
        def call(t):
            r = map_location(t, "cpu")
            return t if r is None else r
        return call
    return lambda t: t.to(map_location)


def _load_safetensors(path, data, move=None, weights_only=None):
    if len(data) < 8:
        raise ValueError(f"load: {path}: file too short ({len(data)} bytes) to hold the 8-byte header length")
    n = int.from_bytes(data[:8], "little")
    if n < 2 or n > _MAX_HEADER or 8 + n > len(data):
        raise ValueError(f"load: {path}: bad header length {n} for a file of {len(data)} bytes "
                         f"(truncated, or not a fastdl/safetensors file)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"load: {path}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise ValueError(f"load: {path}: the header is not a JSON object")
    meta = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + n:]
    move = move or (lambda t: t)  # applied once per stored tensor, before it is placed (shared ones stay shared)
    tensors = {name: move(_read_tensor(path, name, info, body)) for name, info in header.items()}
    if isinstance(meta, dict) and _pickle.PICKLE_KEY in meta:
        return _pickle.loads(meta[_pickle.PICKLE_KEY], tensors, lambda t: t, path, weights_only)
    if not isinstance(meta, dict) or _STRUCTURE_KEY not in meta:
        return tensors
    try:
        return _decode(json.loads(meta[_STRUCTURE_KEY]), tensors)
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise ValueError(f"load: {path}: corrupt structure metadata ({type(e).__name__}: {e})") from None


def _read_tensor(path, name, info, body):
    what = f"load: {path}: tensor '{name}'"
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
        raise ValueError(f"{what}: entry must have dtype, shape and data_offsets, got {info!r:.100}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if code not in _LOAD_TYPES:
        raise ValueError(f"{what}: unknown or unsupported dtype {code!r} (fastdl reads "
                         + ", ".join(_LOAD_TYPES) + ")")
    if not isinstance(shape, list) or any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in shape):
        raise ValueError(f"{what}: bad shape {shape!r}")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or any(not isinstance(o, int) or isinstance(o, bool) for o in offsets)):
        raise ValueError(f"{what}: bad data_offsets {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end or end > len(body):
        raise ValueError(f"{what}: data_offsets [{begin}, {end}] run past the end of the data section "
                         f"({len(body)} bytes); the file is truncated or corrupt")
    npt = np.dtype(_LOAD_TYPES[code])
    count = math.prod(shape)
    if end - begin != count * npt.itemsize:
        raise ValueError(f"{what}: {end - begin} bytes do not hold a {code} tensor of shape {shape}")
    arr = np.frombuffer(body, dtype=npt, count=count, offset=begin).reshape(shape)
    if code == "BF16":  # NumPy has no bfloat16: the bits go straight into the tensor
        t = _alloc(tuple(shape), _dt.bfloat16, CPU)
        t._np_view()[...] = arr
        return t
    return _from_array(arr)


def _from_array(arr):
    """A tensor holding a copy of arr, widened losslessly to a fastdl dtype."""
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "b":
        target = np.bool_
    elif kind == "f" and size <= 8:
        target = {2: np.float16, 4: np.float32, 8: np.float64}[size]
    elif kind == "i" and size <= 8 or kind == "u" and size == 1:
        target = arr.dtype.newbyteorder("=")  # int8 .. int64, uint8: fastdl dtypes of their own
    elif kind == "u" and size <= 4:
        target = np.int64
    elif kind == "c" and size <= 16:
        target = {8: np.complex64, 16: np.complex128}[size]
    else:
        raise ValueError(f"arrays of dtype {arr.dtype} have no lossless fastdl dtype "
                         f"(float16, float32, float64, int64, int32, int16, int8, uint8, bool)")
    return from_numpy(np.array(arr, dtype=target, order="C"))


def _decode(x, tensors):
    if isinstance(x, list):
        return [_decode(v, tensors) for v in x]
    if not isinstance(x, dict):
        return x
    (tag, v), = x.items()
    if tag == "__tensor__":
        return tensors[v]
    if tag == "__ndarray__":
        return tensors[v].numpy()
    if tag == "__float__":
        return float(v)
    if tag == "__tuple__":
        return tuple(_decode(e, tensors) for e in v)
    if tag == "__dict__":
        return {_decode(k, tensors): _decode(e, tensors) for k, e in v}
    raise ValueError(f"unknown tag {tag!r}")


def _load_npz(path, data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in z.namelist()):
                raise ValueError(f"load: {path}: this is a torch.save (pickle) checkpoint, which fastdl does not "
                                 f"unpickle; export it with np.savez(path, **{{k: v.numpy() for k, v in "
                                 f"state_dict.items()}}) or safetensors")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            out = {}
            for key in z.files:
                try:
                    out[key] = _from_array(z[key])
                except ValueError as e:
                    raise ValueError(f"load: {path}: array '{key}': {e}") from None
            return out
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        raise ValueError(f"load: {path}: corrupt or truncated .npz archive ({e})") from None


def _move(x, move):
    if isinstance(x, Tensor):
        return move(x)
    if isinstance(x, list):
        return [_move(v, move) for v in x]
    if isinstance(x, tuple):
        return tuple(_move(v, move) for v in x)
    if isinstance(x, dict):
        return {k: _move(v, move) for k, v in x.items()}
    return x


def _fspath(op, path):
    try:
        return os.fspath(path)
    except TypeError:
        raise TypeError(f"{op}: expected a file path (str or os.PathLike), got {type(path).__name__}") from None
