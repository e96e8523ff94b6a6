"""fastdl.save / fastdl.load: bit-exact round trips of every dtype and of nested
structures, the safetensors layout (readable by other readers, and theirs by us),
atomic writes, clear errors for damaged files, and .npz exports from PyTorch."""
import json
import os
import struct
import zipfile

import numpy as np
import pytest

import fastdl
from fastdl import nn, serialization


def _bits(t):
    a = t.numpy()
    return a.view(np.uint8 if a.dtype == np.bool_ else f"u{a.dtype.itemsize}")


def _special(np_dtype):
    if np_dtype == np.bool_:
        return np.array([True, False, True])
    if np_dtype == np.int64:
        return np.array([np.iinfo(np.int64).min, -1, 0, 1, np.iinfo(np.int64).max])
    f = np.finfo(np_dtype)
    vals = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, f.tiny, f.tiny / 4, f.max, -f.min, f.eps], np_dtype)
    # a NaN with a payload and the sign bit set must survive bit for bit
    vals.view(f"u{vals.itemsize}")[-1] = (np.uint64(0xFFF0000000001234) if vals.itemsize == 8
                                          else np.uint32(0xFFC01234))
    return vals


@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64, fastdl.int64, fastdl.bool])
def test_tensor_round_trip_is_bit_exact(dtype, tmp_path):
    rng = np.random.default_rng(0)
    samples = [fastdl.tensor(_special(dtype.np)),
               fastdl.tensor(rng.standard_normal((3, 4, 5)) * 1e3).to(dtype),
               fastdl.tensor(7).to(dtype),  # 0-d
               fastdl.zeros(0, 3, dtype=dtype),  # empty
               fastdl.tensor(rng.standard_normal((4, 6))).to(dtype).t()]  # non-contiguous view
    for i, t in enumerate(samples):
        path = tmp_path / f"t{i}.safetensors"
        fastdl.save(t, path)
        got = fastdl.load(path)
        assert isinstance(got, fastdl.Tensor) and got.dtype is dtype and got.shape == t.shape
        np.testing.assert_array_equal(_bits(got), _bits(t.contiguous()))


def test_nested_structure_round_trip(tmp_path):
    w = fastdl.randn(2, 3)
    obj = {
        "weights": {"layer.0.weight": w, "layer.0.bias": fastdl.zeros(3, dtype=fastdl.float64)},
        "tied": [w, w],
        "ints": {0: 1, -5: 2**62, 10**20: "big key"},
        "floats": [0.1, -0.0, float("inf"), float("-inf"), 1e-310, 1.7976931348623157e308],
        "plain": (None, True, False, "ünïcødé \"quoted\" \n", ()),
        "empty": {"list": [], "dict": {}, "tuple": ()},
        (1, "a"): "tuple key",
        None: [None],
        "np": np.arange(6, dtype=np.int64).reshape(2, 3),
        "np_scalars": [np.float32(0.5), np.int32(3), np.bool_(True)],
        "size": fastdl.Size([2, 3]),
    }
    fastdl.save(obj, tmp_path / "obj")
    got = fastdl.load(tmp_path / "obj")
    assert list(got) == list(obj)
    np.testing.assert_array_equal(got["weights"]["layer.0.weight"].numpy(), w.numpy())
    assert got["weights"]["layer.0.bias"].dtype is fastdl.float64
    assert got["tied"][0] is got["tied"][1] is got["weights"]["layer.0.weight"]  # one tensor, stored once
    assert got["ints"] == {0: 1, -5: 2**62, 10**20: "big key"}
    assert got["floats"][:3] == [0.1, 0.0, float("inf")] and str(got["floats"][1]) == "-0.0"
    assert got["floats"][3:] == obj["floats"][3:]
    assert got["plain"] == obj["plain"] and isinstance(got["plain"][4], tuple)
    assert got["empty"] == {"list": [], "dict": {}, "tuple": ()}
    assert got[(1, "a")] == "tuple key" and got[None] == [None]
    assert isinstance(got["np"], np.ndarray) and got["np"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got["np_scalars"] == [0.5, 3, True] and type(got["np_scalars"][2]) is bool
    assert got["size"] == (2, 3)
    nan = fastdl.load(_saved(tmp_path, [float("nan")]))
    assert nan[0] != nan[0]


def _saved(tmp_path, obj, name="x"):
    path = tmp_path / name
    fastdl.save(obj, path)
    return path


def _header(path):
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return raw, n, json.loads(raw[8:8 + n])


def test_layout_is_safetensors(tmp_path):
    sd = {"fc.weight": fastdl.ones(2, 3), "fc.bias": fastdl.tensor([1, 2]), "flag": fastdl.tensor([True])}
    raw, n, header = _header(_saved(tmp_path, sd))
    assert n % 8 == 0 and set(header) == {"__metadata__", "fc.weight", "fc.bias", "flag"}
    assert header["fc.weight"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert header["fc.bias"] == {"dtype": "I64", "shape": [2], "data_offsets": [24, 40]}
    assert header["flag"]["dtype"] == "BOOL" and len(raw) == 8 + n + 41
    assert all(isinstance(v, str) for v in header["__metadata__"].values())
    assert struct.unpack("<6f", raw[8 + n:8 + n + 24]) == (1.0,) * 6
    st = pytest.importorskip("safetensors.numpy")
    other = st.load_file(str(tmp_path / "x"))
    assert set(other) == set(sd)
    for k in sd:
        np.testing.assert_array_equal(other[k], sd[k].numpy())


def _write_foreign(path, arrays, metadata=None):
    """A safetensors file as another library writes it: tensors in name order, padded
    header, no fastdl structure."""
    header, offset, blobs = {}, 0, []
    for name in sorted(arrays):
        code, arr = arrays[name]
        b = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(len(h).to_bytes(8, "little") + h + b"".join(blobs))
    return path


def test_foreign_safetensors_file_gives_dict_of_tensors(tmp_path):
    rng = np.random.default_rng(1)
    f32 = rng.standard_normal((3, 2)).astype(np.float32)
    arrays = {"b.weight": ("F32", f32), "a.count": ("I64", np.array([5], np.int64)),
              "half": ("F16", f32.astype(np.float16)), "small": ("I32", np.array([-7, 9], np.int32)),
              "bytes": ("U8", np.array([0, 255], np.uint8)),
              "bf16": ("BF16", (f32.view(np.uint32) >> 16).astype(np.uint16))}
    got = fastdl.load(_write_foreign(tmp_path / "m.safetensors", arrays, {"format": "pt"}))
    assert set(got) == set(arrays)
    np.testing.assert_array_equal(got["b.weight"].numpy(), f32)
    assert got["a.count"].tolist() == [5] and got["small"].tolist() == [-7, 9] and got["bytes"].tolist() == [0, 255]
    assert got["half"].dtype is fastdl.float16 and got["bf16"].dtype is fastdl.bfloat16
    np.testing.assert_array_equal(got["half"].numpy(), f32.astype(np.float16))
    np.testing.assert_array_equal(got["bf16"].float().numpy(), ((f32.view(np.uint32) >> 16) << 16).view(np.float32))


def test_safetensors_library_file_loads(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    sd = {"w": torch.randn(4, 3, dtype=torch.float64), "i": torch.arange(5), "m": torch.tensor([True, False]),
          "h": torch.randn(3).to(torch.bfloat16)}
    st.save_file(sd, str(tmp_path / "lib.safetensors"))
    got = fastdl.load(tmp_path / "lib.safetensors")
    np.testing.assert_array_equal(got["w"].numpy(), sd["w"].numpy())
    assert got["i"].tolist() == list(range(5)) and got["m"].tolist() == [True, False]
    np.testing.assert_array_equal(got["h"].float().numpy(), sd["h"].float().numpy())


# ---- atomicity ---------------------------------------------------------------------------

def test_failed_save_leaves_existing_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ck.safetensors"
    fastdl.save({"w": fastdl.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"save: cannot store obj\['bad'\]\[1\] of type function.*nor can it be pickled"):
        fastdl.save({"w": fastdl.zeros(3), "bad": [1, lambda: 0]}, path)  # not even pickle takes a lambda
    with pytest.raises(TypeError, match="key of type Tensor"):
        fastdl.save({fastdl.zeros(1): 1}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.safetensors"]

    # a failure after the temporary file has been partly written
    real, calls = serialization._tensor_bytes, []

    def failing(t):
        calls.append(t)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(t)
    monkeypatch.setattr(serialization, "_tensor_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        fastdl.save({"a": fastdl.zeros(1000), "b": fastdl.zeros(1000)}, path)
    assert len(calls) == 2
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.safetensors"]
    monkeypatch.undo()
    fastdl.save({"w": fastdl.full((3,), 2.0)}, path)  # a good save replaces it
    assert fastdl.load(path)["w"].tolist() == [2, 2, 2] and os.listdir(tmp_path) == ["ck.safetensors"]


def test_save_needs_a_path_or_a_file_object():
    import io
    with pytest.raises(TypeError, match="save: expected a file path"):
        fastdl.save(fastdl.ones(1), 3)
    buf = io.BytesIO()  # torch.save(obj, f) with a file object, as torch takes
    fastdl.save({"w": fastdl.ones(2)}, buf)
    buf.seek(0)
    assert fastdl.load(buf)["w"].tolist() == [1.0, 1.0]


# ---- damaged files -----------------------------------------------------------------------

def _damage(tmp_path, name, raw):
    p = tmp_path / name
    p.write_bytes(raw)
    return p


def test_damaged_files_raise_value_error_naming_file_and_problem(tmp_path):
    raw, n, header = _header(_saved(tmp_path, {"w": fastdl.ones(4, 4), "s": "text"}, "good"))

    def rehead(h):
        b = json.dumps(h).encode()
        return len(b).to_bytes(8, "little") + b + raw[8 + n:]

    cases = {
        "short": (raw[:5], "file too short"),
        "empty": (b"", "file too short"),
        "hugelen": ((10**12).to_bytes(8, "little") + raw[8:], "bad header length 1000000000000"),
        "cuthead": (raw[:8 + n // 2], "bad header length"),
        "badjson": (raw[:8] + b"{" * n + raw[8 + n:], "not valid JSON"),
        "notobj": (rehead([1, 2]), "not a JSON object"),
        "truncated": (raw[:-10], r"data_offsets \[0, 64\] run past the end .* truncated"),
        "dtype": (rehead({**header, "w": {**header["w"], "dtype": "F8_E4M3"}}), "unknown or unsupported dtype 'F8_E4M3'"),
        "shape": (rehead({**header, "w": {**header["w"], "shape": [4, -4]}}), r"bad shape \[4, -4\]"),
        "size": (rehead({**header, "w": {**header["w"], "shape": [4, 5]}}), "64 bytes do not hold a F32 tensor"),
        "offsets": (rehead({**header, "w": {**header["w"], "data_offsets": [8, 4]}}), "run past the end"),
        "entry": (rehead({**header, "w": [1]}), "entry must have dtype, shape and data_offsets"),
        "structure": (rehead({**header, "__metadata__": {"fastdl.structure": '{"__tensor__": "nope"}'}}),
                      "corrupt structure metadata"),
        "tag": (rehead({**header, "__metadata__": {"fastdl.structure": '{"__what__": 1}'}}),
                "corrupt structure metadata"),
    }
    for name, (data, message) in cases.items():
        path = _damage(tmp_path, name, data)
        with pytest.raises(ValueError, match=message) as e:
            fastdl.load(path)
        assert str(path) in str(e.value), name


# ---- npz and PyTorch weights ----------------------------------------------------------------

class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(fastdl.zeros(3, 4))
        self.bias = nn.Parameter(fastdl.zeros(3))
        self.register_buffer("steps", fastdl.zeros(1, dtype=fastdl.int64))


def test_npz_exported_from_torch_loads_identically(tmp_path):
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Linear(4, 3)
    sd = {**tnet.state_dict(), "steps": torch.tensor([7]), "mask": torch.tensor([True, False]),
          "half": torch.randn(2).half(), "w64": torch.randn(2, dtype=torch.float64)}
    np.savez(tmp_path / "w.npz", **{k: v.numpy() for k, v in sd.items()})
    got = fastdl.load(tmp_path / "w.npz")
    assert list(got) == list(sd)
    for k, v in sd.items():
        assert got[k].dtype.name == str(v.dtype).replace("torch.", ""), k
        np.testing.assert_array_equal(got[k].numpy(), v.numpy())
    net = TinyNet()
    net.load_state_dict({k: got[k] for k in ("weight", "bias", "steps")})
    x = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
    ours = (fastdl.tensor(x) @ net.weight.t() + net.bias).detach().numpy()
    np.testing.assert_allclose(ours, tnet(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
    assert net.steps.tolist() == [7]
    np.savez_compressed(tmp_path / "c.npz", a=np.arange(3))
    assert fastdl.load(tmp_path / "c.npz")["a"].tolist() == [0, 1, 2]


def test_npz_and_pickle_errors(tmp_path):
    torch = pytest.importorskip("torch")
    np.savez(tmp_path / "obj.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="array 'a'"):
        fastdl.load(tmp_path / "obj.npz")
    np.savez(tmp_path / "ld.npz", c=np.array([1.0], dtype=np.longdouble))  # (complex: tests/test_complex.py)
    with pytest.raises(ValueError, match="float128 have no lossless fastdl dtype"):
        fastdl.load(tmp_path / "ld.npz")
    torch.save({"w": torch.ones(2)}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="torch.save .*pickle"):
        fastdl.load(tmp_path / "model.pt")
    np.savez(tmp_path / "ok.npz", a=np.arange(100))
    raw = (tmp_path / "ok.npz").read_bytes()
    with pytest.raises(ValueError, match="corrupt or truncated .npz"):
        fastdl.load(_damage(tmp_path, "cut.npz", raw[:len(raw) // 2]))
    assert zipfile.is_zipfile(tmp_path / "ok.npz")


def test_module_state_dict_round_trip_and_map_location(tmp_path):
    net = TinyNet()
    with fastdl.no_grad():
        net.weight.copy_(fastdl.randn(3, 4))
    fastdl.save(net.state_dict(), tmp_path / "net")
    got = fastdl.load(tmp_path / "net", map_location="cpu")
    assert list(got) == ["weight", "bias", "steps"]
    net2 = TinyNet()
    net2.load_state_dict(got)
    np.testing.assert_array_equal(net2.weight.detach().numpy(), net.weight.detach().numpy())
