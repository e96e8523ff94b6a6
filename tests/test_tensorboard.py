"""fastdl.utils.tensorboard.SummaryWriter: the event files are decoded with the package's
own protobuf decoder and TFRecord reader (both CRCs checked on every record) and every
record is checked field by field against independent NumPy / hand-computed values."""
import glob
import io
import os
import re
import socket
import struct
import sys
import wave
import zlib

import numpy as np
import pytest

import fastdl
from fastdl.utils.tensorboard import SummaryWriter
from fastdl.utils.tensorboard import _png, _proto, _record, writer as tb_writer


# ----------------------------------------------------------------------------- helpers

def event_files(logdir):
    return sorted(glob.glob(os.path.join(str(logdir), "events.out.tfevents.*")))


def read_events(path):
    with open(path, "rb") as f:
        return [_proto.decode("Event", r) for r in _record.read_records(f.read())]


def summaries(logdir):
    """(step, wall_time, Summary.Value) of every summary event in logdir's single file."""
    (path,) = event_files(logdir)
    out = []
    for e in read_events(path)[1:]:
        (value,) = e["summary"]["value"]
        out.append((e.get("step", 0), e["wall_time"], value))
    return out


def only_value(logdir):
    ((_, _, value),) = summaries(logdir)
    return value


# ----------------------------------------------------------------------------- CRC / framing / protobuf

def test_crc32c_published_vectors():
    # RFC 3720 appendix B.4 and the usual check value.
    assert _record.crc32c(b"123456789") == 0xE3069283
    assert _record.crc32c(b"") == 0
    assert _record.crc32c(bytes(32)) == 0x8A9136AA
    assert _record.crc32c(b"\xff" * 32) == 0x62A8AB43
    assert _record.crc32c(bytes(range(32))) == 0x46DD794E
    assert _record.crc32c(bytes(range(31, -1, -1))) == 0x113FDB5C
    # Every tail length of the slicing-by-8 loop agrees with a bitwise reference.
    data = bytes((7 * i + 3) & 0xFF for i in range(37))
    for n in range(len(data)):
        crc = 0xFFFFFFFF
        for b in data[:n]:
            crc ^= b
            for _ in range(8):
                crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        assert _record.crc32c(data[:n]) == crc ^ 0xFFFFFFFF


def test_masked_crc_and_frame_layout():
    crc = 0xE3069283
    assert _record.masked_crc32c(b"123456789") == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
    rec = _record.frame(b"abc")
    assert len(rec) == 8 + 4 + 3 + 4
    assert rec[:8] == struct.pack("<Q", 3) and rec[12:15] == b"abc"
    assert struct.unpack("<I", rec[8:12])[0] == _record.masked_crc32c(struct.pack("<Q", 3))
    assert struct.unpack("<I", rec[15:])[0] == _record.masked_crc32c(b"abc")
    assert _record.read_records(rec + _record.frame(b"")) == [b"abc", b""]
    for pos, what in ((13, "data CRC"), (0, "length CRC")):
        bad = bytearray(rec)
        bad[pos] ^= 1
        with pytest.raises(ValueError, match=what):
            _record.read_records(bytes(bad))
    with pytest.raises(ValueError, match="truncated"):
        _record.read_records(rec[:-1])


def test_proto_encoding_hand_computed():
    assert _proto.varint(0) == b"\x00" and _proto.varint(300) == b"\xac\x02"
    assert _proto.varint(-1) == b"\xff" * 9 + b"\x01"
    # Summary{value{tag:"a" simple_value:1.0}}
    assert _proto.encode("Summary", {"value": [{"tag": "a", "simple_value": 1.0}]}) == \
        b"\x0a\x08\x0a\x01a\x15\x00\x00\x80\x3f"
    # A oneof float equal to 0 is still written; implicit-presence defaults are not.
    assert _proto.encode("Summary.Value", {"tag": "", "simple_value": 0.0}) == b"\x15\x00\x00\x00\x00"
    assert _proto.encode("HistogramProto", {"min": 0.0, "max": -0.0, "num": 2.0}) == \
        b"\x11" + struct.pack("<d", -0.0) + b"\x19" + struct.pack("<d", 2.0)
    # Packed doubles; empty repeated fields are omitted; set-but-empty messages are written.
    assert _proto.encode("HistogramProto", {"bucket": [1.0, 2.0], "bucket_limit": []}) == \
        b"\x3a\x10" + struct.pack("<2d", 1.0, 2.0)
    assert _proto.encode("TensorProto", {"tensor_shape": {}}) == b"\x12\x00"
    assert _proto.encode("Event", {"step": -2}) == b"\x10" + b"\xfe" + b"\xff" * 8 + b"\x01"
    # Fields go out in field-number order whatever the dict order.
    assert _proto.encode("Summary.Value", {"metadata": {}, "tag": "x"}) == b"\x0a\x01x\x4a\x00"
    with pytest.raises(KeyError, match="no field"):
        _proto.encode("Summary.Value", {"tga": "x"})


def test_proto_round_trip():
    msg = {"wall_time": 1.5, "step": -3, "summary": {"value": [
        {"tag": "t", "tensor": {"dtype": 7, "string_val": [b"a", b""], "tensor_shape": {"dim": [{"size": 2}]},
                                "int64_val": [-1, 2 ** 40], "bool_val": [True, False], "float_val": [0.5]},
         "metadata": {"plugin_data": {"plugin_name": "p", "content": b"\x00\x01"}}},
        {"tag": "h", "histo": {"min": -1.0, "bucket_limit": [1.0, 2.0], "bucket": [3.0, 4.0]}}]}}
    assert _proto.decode("Event", _proto.encode("Event", msg)) == msg
    ssi = {"hparams": {"a": {"number_value": 0.0}, "b": {"string_value": "x"}, "c": {"bool_value": False}}}
    assert _proto.decode("SessionStartInfo", _proto.encode("SessionStartInfo", ssi)) == ssi
    with pytest.raises(ValueError, match="no field number"):
        _proto.decode("SessionLog", b"\x20\x01")


# ----------------------------------------------------------------------------- PNG

def _png_with_filters(image, filters):
    """A PNG whose row y uses filter filters[y % len], to exercise decode_png's unfiltering."""
    h, w, c = image.shape
    img = image.astype(np.int32).reshape(h, w * c)
    rows = []
    for y in range(h):
        f = filters[y % len(filters)]
        cur, prev = img[y], img[y - 1] if y else np.zeros(w * c, np.int32)
        left = np.concatenate([np.zeros(c, np.int32), cur[:-c]])
        upleft = np.concatenate([np.zeros(c, np.int32), prev[:-c]])
        if f == 0:
            pred = 0
        elif f == 1:
            pred = left
        elif f == 2:
            pred = prev
        elif f == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        rows.append(bytes([f]) + ((cur - pred) & 0xFF).astype(np.uint8).tobytes())
    png = _png.encode_png(image)
    idat = zlib.compress(b"".join(rows))
    chunk = struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    head = png[:8 + 25]  # signature + IHDR
    return head + chunk + png[-12:]


def test_png_round_trip_all_channel_counts_and_filters():
    rng = np.random.default_rng(0)
    for c in (1, 2, 3, 4):
        img = rng.integers(0, 256, (6, 5, c), dtype=np.uint8)
        data = _png.encode_png(img)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (5, 6)
        assert data[25] == {1: 0, 2: 4, 3: 2, 4: 6}[c]  # colour type
        np.testing.assert_array_equal(_png.decode_png(data), img)
        np.testing.assert_array_equal(_png.decode_png(_png_with_filters(img, [0, 1, 2, 3, 4])), img)
    bad = bytearray(_png.encode_png(img))
    bad[30] ^= 1
    with pytest.raises(ValueError, match="CRC"):
        _png.decode_png(bytes(bad))
    with pytest.raises(ValueError, match="uint8"):
        _png.encode_png(np.zeros((2, 2, 3), np.float32))


def test_png_matches_pil_pixels():
    Image = pytest.importorskip("PIL.Image")
    img = np.random.default_rng(1).integers(0, 256, (9, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(_png.encode_png(img)))), img)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    np.testing.assert_array_equal(_png.decode_png(buf.getvalue()), img)


# ----------------------------------------------------------------------------- the writer

def test_event_file_name_and_first_record(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".sfx") as w:
        assert w.get_logdir() == tmp_path
    (path,) = event_files(tmp_path)
    name = os.path.basename(path)
    m = re.fullmatch(r"events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.sfx", name)
    assert m and m.group(2) == socket.gethostname() and int(m.group(3)) == os.getpid()
    (first,) = read_events(path)
    assert first.pop("file_version") == "brain.Event:2"
    assert first.pop("source_metadata") == {"writer": "fastdl.utils.tensorboard"}
    assert abs(first.pop("wall_time") - int(m.group(1))) < 2
    assert first == {}
    # The counter in the name is per process, as tensorboard's.
    with SummaryWriter(tmp_path):
        pass
    counters = sorted(int(p.split(".")[-2 if p.endswith(".sfx") else -1]) for p in event_files(tmp_path))
    assert counters[1] > counters[0]


def test_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    logdir = w.get_logdir()
    host = re.escape(socket.gethostname())
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + host + r"_lr0\.1", logdir.replace(os.sep, "/"))
    assert len(event_files(tmp_path / logdir)) == 1


def test_add_scalar_values_steps_and_styles(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", fastdl.tensor(0.25), 1, walltime=100.0)
        w.add_scalar("loss", np.float64(1 / 3), global_step=2)
        w.add_scalar("loss", 7, fastdl.tensor(3))
        w.add_scalar("acc", fastdl.tensor([0.5]), 0, new_style=True)
        w.add_scalar("acc", 0.1, 4, new_style=True, double_precision=True)
        w.add_scalar("nostep", 0.0)
    got = summaries(tmp_path)
    assert [(s, v) for s, _, v in got[:3]] == [
        (1, {"tag": "loss", "simple_value": 0.25}),
        (2, {"tag": "loss", "simple_value": float(np.float32(1 / 3))}),
        (3, {"tag": "loss", "simple_value": 7.0})]
    assert got[0][1] == 100.0
    scalars_md = {"plugin_data": {"plugin_name": "scalars"}}
    assert got[3][2] == {"tag": "acc", "tensor": {"dtype": 1, "float_val": [0.5]}, "metadata": scalars_md}
    assert got[4][2] == {"tag": "acc", "tensor": {"dtype": 2, "double_val": [0.1]}, "metadata": scalars_md}
    (path,) = event_files(tmp_path)
    assert "step" not in read_events(path)[-1]
    with SummaryWriter(tmp_path / "bad") as w:
        with pytest.raises(ValueError, match="scalar_value.*one element"):
            w.add_scalar("x", np.ones(2))
        with pytest.raises(TypeError, match="scalar_value"):
            w.add_scalar("x", [1.0])


def test_add_scalars_directory_layout(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("run/loss", {"train": 1.0, "val": fastdl.tensor(2.0)}, 5)
        w.add_scalars("run/loss", {"train": 3.0, "val": 4.0}, 6, walltime=9.0)
        assert set(w.all_writers) == {str(tmp_path), f"{tmp_path}/run_loss_train", f"{tmp_path}/run_loss_val"}
    assert len(event_files(tmp_path)) == 1 and len(read_events(event_files(tmp_path)[0])) == 1
    for key, values in (("train", [1.0, 3.0]), ("val", [2.0, 4.0])):
        got = summaries(tmp_path / f"run_loss_{key}")
        assert [(s, v) for s, _, v in got] == [(5, {"tag": "run/loss", "simple_value": values[0]}),
                                               (6, {"tag": "run/loss", "simple_value": values[1]})]
        assert got[1][1] == 9.0
    # One walltime for all keys of a call.
    assert summaries(tmp_path / "run_loss_train")[0][1] == summaries(tmp_path / "run_loss_val")[0][1]


def _check_histogram(histo, values, edges):
    """histo is np.histogram(values, edges) restricted to right edges, trimmed to the
    non-empty support plus one empty bucket on the left."""
    values = np.asarray(values, np.float64).reshape(-1)
    counts, edges = np.histogram(values, bins=edges)
    assert histo["min"] == values.min() and histo["max"] == values.max() and histo["num"] == values.size
    assert histo["sum"] == pytest.approx(values.sum(), rel=1e-12)
    assert histo["sum_squares"] == pytest.approx((values ** 2).sum(), rel=1e-12)
    limits, bucket = np.array(histo["bucket_limit"]), np.array(histo["bucket"])
    assert len(limits) == len(bucket) and bucket[0] == 0 and bucket[-1] > 0
    nz = np.nonzero(counts)[0]
    first, last = nz[0], nz[-1]
    np.testing.assert_array_equal(limits, edges[first:last + 2])
    if first > 0:
        np.testing.assert_array_equal(bucket, counts[first - 1:last + 1])
    else:
        np.testing.assert_array_equal(bucket, np.concatenate([[0], counts[:last + 1]]))
    assert bucket.sum() == values.size


def test_add_histogram_bins(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.standard_normal(500)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("tf", fastdl.tensor(data.astype(np.float32)), 1)
        w.add_histogram("int", data, 2, bins=7)
        w.add_histogram("auto", data, 3, bins="auto")
        w.add_histogram("edges", fastdl.tensor([1.0, 2.0, 2.0, 9.0]), 4, bins=[0.0, 1.5, 3.0, 5.0, 10.0])
        w.add_histogram("const", np.full(5, 3.0), 5, bins=4)
        with pytest.raises(ValueError, match="values has no element"):
            w.add_histogram("empty", np.zeros(0), 6)
    got = {v["tag"]: v["histo"] for _, _, v in summaries(tmp_path)}
    v = 1e-12
    pos = []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    tf_edges = [-p for p in reversed(pos)] + [0] + pos
    assert len(tf_edges) == 1549  # torch's default bucket count
    _check_histogram(got["tf"], data.astype(np.float32), tf_edges)
    _check_histogram(got["int"], data, 7)
    _check_histogram(got["auto"], data, "auto")
    _check_histogram(got["edges"], [1.0, 2.0, 2.0, 9.0], [0.0, 1.5, 3.0, 5.0, 10.0])
    assert got["edges"]["bucket"] == [0.0, 1.0, 2.0, 0.0, 1.0]
    # Equal values: numpy's range is [2.5, 3.5]; 3.0 falls in [3.0, 3.25), kept with one empty bucket left of it.
    assert got["const"]["bucket_limit"] == [3.0, 3.25] and got["const"]["bucket"] == [0.0, 5.0]


def test_add_histogram_max_bins_and_raw(tmp_path):
    data = np.arange(100.0)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("m", data, 0, bins=10, max_bins=3)
        w.add_histogram_raw("raw", 0, 3, 4, 6, 14, [1.0, 2.0, 3.0], fastdl.tensor([1.0, 2.0, 1.0]), 1)
        with pytest.raises(ValueError, match="bucket_limits.*bucket_counts"):
            w.add_histogram_raw("raw", 0, 3, 4, 6, 14, [1.0, 2.0], [1, 2, 1])
    m, raw = (v["histo"] for _, _, v in summaries(tmp_path))
    # 10 buckets of 10 (edges 0, 9.9, ..., 99) merged by 3, padded to 12: counts 30, 30, 30, 10.
    assert m["bucket_limit"] == np.linspace(0, 99, 11)[[0, 3, 6, 9, 10]].tolist()
    assert m["bucket"] == [0.0, 30.0, 30.0, 30.0, 10.0]
    assert raw == {"max": 3.0, "num": 4.0, "sum": 6.0, "sum_squares": 14.0,
                   "bucket_limit": [1.0, 2.0, 3.0], "bucket": [1.0, 2.0, 1.0]}


def _image(value):
    img = value["image"]
    pixels = _png.decode_png(img["encoded_image_string"])
    assert pixels.shape == (img["height"], img["width"], img["colorspace"])
    return pixels


def test_add_image_formats_and_pixels(tmp_path):
    rng = np.random.default_rng(0)
    chw = rng.random((3, 4, 5)).astype(np.float32)
    chw[0, 0, 0], chw[1, 0, 0] = 1.5, -0.2  # clipped
    hwc_u8 = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    gray = rng.random((4, 5))
    rgba = rng.random((4, 3, 2))  # HWC? no: CHW with 4 channels
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", fastdl.tensor(chw), 0)
        w.add_image("hwc", hwc_u8, 1, dataformats="HWC")
        w.add_image("hw", gray, 2, dataformats="HW")
        w.add_image("wh", fastdl.tensor(gray.T.copy()), 3, dataformats="WH")
        w.add_image("c1", chw[:1], 4)
        w.add_image("rgba", rgba, 5)
    got = {v["tag"]: _image(v) for _, _, v in summaries(tmp_path)}
    to_u8 = lambda a: (a.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)  # noqa: E731 - torch truncates
    np.testing.assert_array_equal(got["chw"], to_u8(chw).transpose(1, 2, 0))
    assert got["chw"][0, 0, 0] == 255 and got["chw"][0, 0, 1] == 0
    np.testing.assert_array_equal(got["hwc"], hwc_u8)
    np.testing.assert_array_equal(got["hw"], np.repeat(to_u8(gray)[:, :, None], 3, 2))
    np.testing.assert_array_equal(got["wh"], got["hw"])
    np.testing.assert_array_equal(got["c1"], np.repeat(to_u8(chw[0])[:, :, None], 3, 2))
    np.testing.assert_array_equal(got["rgba"], to_u8(rgba).transpose(1, 2, 0))
    assert summaries(tmp_path)[-1][2]["image"]["colorspace"] == 4


def test_add_images_grid(tmp_path):
    rng = np.random.default_rng(0)
    batch = rng.integers(0, 256, (10, 3, 2, 3), dtype=np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_images("b", fastdl.tensor(batch.astype(np.float32) / 255), 0)
        w.add_images("nhwc", batch.transpose(0, 2, 3, 1), 1, dataformats="NHWC")
        w.add_images("gray", batch[:3, :1], 2)
    b, nhwc, gray = (_image(v) for _, _, v in summaries(tmp_path))
    assert b.shape == (4, 24, 3)  # 8 columns, 2 rows
    for i in range(16):
        r, c = divmod(i, 8)
        tile = nhwc[r * 2:(r + 1) * 2, c * 3:(c + 1) * 3]
        np.testing.assert_array_equal(tile, batch[i].transpose(1, 2, 0) if i < 10 else 0)
    # float (x/255)*255 truncated back: off by at most one from the uint8 source.
    assert np.abs(b.astype(int) - nhwc.astype(int)).max() <= 1
    assert gray.shape == (2, 9, 3)
    np.testing.assert_array_equal(gray[:, 3:6, 1], batch[1, 0])


def test_add_image_bad_inputs(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match=r"img_tensor has 2 dimensions.*dataformats 'CHW'"):
            w.add_image("x", np.zeros((4, 4)))
        with pytest.raises(ValueError, match="dataformats 'CHX'"):
            w.add_image("x", np.zeros((3, 4, 4)), dataformats="CHX")
        with pytest.raises(ValueError, match="dataformats 'CCH'"):
            w.add_image("x", np.zeros((3, 4, 4)), dataformats="CCH")
        with pytest.raises(ValueError, match="dataformats 'NHW'"):
            w.add_image("x", np.zeros((3, 4, 4)), dataformats="NHW")
        with pytest.raises(ValueError, match="img_tensor should have 1, 3 or 4 channels, got 5"):
            w.add_image("x", np.zeros((5, 4, 4)))
        with pytest.raises(ValueError, match="img_tensor should have 1 or 3 channels, got 2"):
            w.add_images("x", np.zeros((2, 2, 4, 4)))
        with pytest.raises(ValueError, match="img_tensor is empty"):
            w.add_image("x", np.zeros((3, 0, 4)))
        with pytest.raises(TypeError, match="img_tensor"):
            w.add_image("x", "a.png")
        with pytest.raises(TypeError, match="dataformats"):
            w.add_image("x", np.zeros((3, 4, 4)), dataformats=None)
    assert len(read_events(event_files(tmp_path)[0])) == 1  # nothing half-written


def test_add_text(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "héllo **md**", 3)
        with pytest.raises(TypeError, match="text_string"):
            w.add_text("notes", 3)
    assert summaries(tmp_path) == [(3, summaries(tmp_path)[0][1], {
        "tag": "notes/text_summary",
        "tensor": {"dtype": 7, "tensor_shape": {"dim": [{"size": 1}]}, "string_val": ["héllo **md**".encode()]},
        "metadata": {"plugin_data": {"plugin_name": "text"}}})]  # TextPluginData(version=0) is empty


def _hp_content(value):
    md = value["metadata"]["plugin_data"]
    assert md["plugin_name"] == "hparams"
    return _proto.decode("HParamsPluginData", md.get("content", b""))


def test_add_hparams(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "opt": "sgd", "bs": 32, "flag": True, "t": fastdl.tensor(2.5), "skip": None},
                      {"hparam/acc": 0.75, "hparam/loss": fastdl.tensor(1.5)},
                      hparam_domain_discrete={"opt": ["sgd", "adam"]}, run_name="trial", global_step=4)
        with pytest.raises(TypeError, match="hparam_dict"):
            w.add_hparams([("lr", 1)], {})
        with pytest.raises(ValueError, match=r"hparam_dict\['x'\]"):
            w.add_hparams({"x": [1]}, {})
        with pytest.raises(TypeError, match="hparam_domain_discrete"):
            w.add_hparams({"x": 1.0}, {}, hparam_domain_discrete={"x": ["a"]})
    assert len(read_events(event_files(tmp_path)[0])) == 1
    got = summaries(tmp_path / "trial")
    assert [s for s, _, _ in got] == [4] * 5
    exp, ssi, sei, acc, loss = (v for _, _, v in got)
    assert [exp["tag"], ssi["tag"], sei["tag"]] == [
        "_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"]
    assert _hp_content(exp) == {"experiment": {
        "hparam_infos": [{"name": "lr", "type": 3}, {"name": "opt", "type": 1, "domain_discrete": {
            "values": [{"string_value": "sgd"}, {"string_value": "adam"}]}},
            {"name": "bs", "type": 3}, {"name": "flag", "type": 3}, {"name": "t", "type": 3}],
        "metric_infos": [{"name": {"tag": "hparam/acc"}}, {"name": {"tag": "hparam/loss"}}]}}
    assert _hp_content(ssi) == {"session_start_info": {"hparams": {
        "lr": {"number_value": 0.1}, "opt": {"string_value": "sgd"}, "bs": {"number_value": 32.0},
        "flag": {"number_value": 1.0}, "t": {"number_value": 2.5}}}}
    assert _hp_content(sei) == {"session_end_info": {"status": 1}}
    assert acc == {"tag": "hparam/acc", "simple_value": 0.75} and loss == {"tag": "hparam/loss", "simple_value": 1.5}


def test_add_pr_curve_against_thresholds(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    preds = rng.random(200)
    with SummaryWriter(tmp_path) as w:
        w.add_pr_curve("pr", fastdl.tensor(labels), fastdl.tensor(preds), 1, num_thresholds=11)
        w.add_pr_curve("big", labels, preds, 2, num_thresholds=500)
        with pytest.raises(ValueError, match="labels shape"):
            w.add_pr_curve("bad", labels[:3], preds, 3)
    (_, _, pr), (_, _, big) = summaries(tmp_path)
    n = 11
    assert pr["metadata"] == {"plugin_data": {"plugin_name": "pr_curves", "content": b"\x10\x0b"}}
    assert pr["tensor"]["dtype"] == 1 and pr["tensor"]["tensor_shape"] == {"dim": [{"size": 6}, {"size": n}]}
    data = np.array(pr["tensor"]["float_val"]).reshape(6, n)
    p32 = preds.astype(np.float32).astype(np.float64)  # fastdl.tensor stores float32
    bucket = np.floor(p32 * (n - 1))
    pos, neg = labels == 1, labels == 0
    tp = np.array([np.sum(pos & (bucket >= i)) for i in range(n)], float)
    fp = np.array([np.sum(neg & (bucket >= i)) for i in range(n)], float)
    tn, fn = fp[0] - fp, tp[0] - tp
    prec, rec = tp / np.maximum(1e-7, tp + fp), tp / np.maximum(1e-7, tp + fn)
    np.testing.assert_allclose(data, np.stack([tp, fp, tn, fn, prec, rec]).astype(np.float32), rtol=1e-6)
    assert big["metadata"]["plugin_data"]["content"] == b"\x10\x7f"  # capped at 127 as torch
    assert big["tensor"]["tensor_shape"]["dim"][1] == {"size": 127}


def test_add_audio_tensor_custom_scalars(tmp_path):
    snd = np.sin(np.arange(50) / 3.0) * 0.5
    with SummaryWriter(tmp_path) as w:
        w.add_audio("snd", fastdl.tensor(snd[None]), 0, sample_rate=8000)
        w.add_tensor("t64", fastdl.tensor([[1, -2], [3, 4]]), 1)
        w.add_tensor("f16", fastdl.tensor([0.5, 2.0], dtype=fastdl.float16), 1)
        w.add_tensor("u8", np.array([1, 255], np.uint8), 1)
        w.add_custom_scalars_marginchart(["a", "lo", "hi"], category="c", title="m")
        w.add_custom_scalars_multilinechart(["x", "y"])
        with pytest.raises(ValueError, match="3 tags"):
            w.add_custom_scalars_marginchart(["a"])
    snd_v, t64, f16, u8, margin, multi = (v for _, _, v in summaries(tmp_path))
    a = snd_v["audio"]
    assert (a["sample_rate"], a["num_channels"], a["length_frames"], a["content_type"]) == (8000.0, 1, 50, "audio/wav")
    with wave.open(io.BytesIO(a["encoded_audio_string"])) as wf:
        assert (wf.getframerate(), wf.getnchannels(), wf.getsampwidth()) == (8000, 1, 2)
        pcm = np.frombuffer(wf.readframes(50), "<i2")
    np.testing.assert_array_equal(pcm, (snd.astype(np.float32) * 32767).astype(np.int16))
    assert t64["tensor"] == {"dtype": 9, "tensor_shape": {"dim": [{"size": 2}, {"size": 2}]}, "int64_val": [1, -2, 3, 4]}
    assert t64["metadata"] == {"plugin_data": {"plugin_name": "tensor"}}
    # torch stores the float32 bit pattern of each half value in half_val.
    assert f16["tensor"]["dtype"] == 19 and f16["tensor"]["half_val"] == [
        struct.unpack("i", struct.pack("f", x))[0] for x in (0.5, 2.0)]
    assert u8["tensor"]["dtype"] == 4 and u8["tensor"]["uint32_val"] == [1, 255]
    assert margin["tag"] == "custom_scalars__config__"
    assert margin["metadata"] == {"plugin_data": {"plugin_name": "custom_scalars"}}
    assert margin["tensor"]["tensor_shape"] == {} and margin["tensor"]["dtype"] == 7
    (layout,) = margin["tensor"]["string_val"]
    assert _proto.decode("Layout", layout) == {"category": [{"title": "c", "chart": [
        {"title": "m", "margin": {"series": [{"value": "a", "lower": "lo", "upper": "hi"}]}}]}]}
    assert _proto.decode("Layout", multi["tensor"]["string_val"][0]) == {"category": [{"title": "default", "chart": [
        {"title": "untitled", "multiline": {"tag": ["x", "y"]}}]}]}


def test_buffering_flush_and_close(tmp_path):
    w = SummaryWriter(tmp_path, max_queue=3)
    (path,) = event_files(tmp_path)
    count = lambda: len(read_events(path))  # noqa: E731
    assert count() == 1  # the file_version record is written at once
    w.add_scalar("a", 1.0, 0)
    w.add_scalar("a", 2.0, 1)
    assert count() == 1  # buffered
    w.add_scalar("a", 3.0, 2)
    assert count() == 4  # max_queue reached
    w.add_scalar("a", 4.0, 3)
    assert count() == 4
    w.flush()
    assert count() == 5
    w.add_scalar("a", 5.0, 4)
    w.close()
    assert count() == 6
    w.close()  # a second close does nothing
    w.flush()
    # After close a new add opens a new event file, as torch's.
    w.add_scalar("a", 6.0, 5)
    w.close()
    files = event_files(tmp_path)
    assert len(files) == 2 and [e["step"] for e in read_events(files[1])[1:]] == [5]
    # flush_secs=0: each add goes to disk.
    with SummaryWriter(tmp_path / "now", flush_secs=0) as w2:
        w2.add_scalar("a", 1.0)
        assert len(read_events(event_files(tmp_path / "now")[0])) == 2
    fw = tb_writer.FileWriter(tmp_path / "fw")
    fw.close()
    with pytest.raises(OSError, match="closed"):
        fw.add_summary({"value": []})
    fw.reopen()
    fw.add_summary({"value": [{"tag": "x", "simple_value": 1.0}]}, 3)
    fw.close()
    assert len(event_files(tmp_path / "fw")) == 2


def test_context_manager_and_purge_step(tmp_path):
    with SummaryWriter(tmp_path, purge_step=7) as w:
        w.add_scalar("a", 1.0, 7)
    assert w.all_writers is None
    events = read_events(event_files(tmp_path)[0])
    assert events[1]["step"] == 7 and events[1]["file_version"] == "brain.Event:2"
    assert events[2]["step"] == 7 and events[2]["session_log"] == {"status": 1}  # SessionLog.START
    assert events[3]["summary"]["value"] == [{"tag": "a", "simple_value": 1.0}]
    with pytest.raises(RuntimeError):
        with SummaryWriter(tmp_path / "exc") as w:
            w.add_scalar("a", 2.0, 1)
            raise RuntimeError("boom")
    assert len(read_events(event_files(tmp_path / "exc")[0])) == 2  # closed (flushed) on the way out


def test_add_figure(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(1, 0.5), dpi=20)
    fig.patch.set_facecolor((1.0, 0.0, 0.0))
    figs = [plt.figure(figsize=(1, 0.5), dpi=20) for _ in range(2)]
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 0)
        w.add_figure("figs", figs, 1)
    one, many = (_image(v) for _, _, v in summaries(tmp_path))
    assert one.shape == (10, 20, 3) and (one == [255, 0, 0]).all()
    assert many.shape == (10, 40, 3)
    assert not plt.fignum_exists(fig.number)  # close=True


def test_add_figure_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ImportError, match="add_figure needs matplotlib"):
            w.add_figure("f", object())


def test_unsupported_methods_say_what_is_missing(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for call, what in ((lambda: w.add_graph(None), "add_graph"),
                           (lambda: w.add_video("v", np.zeros((1, 1, 3, 2, 2))), "add_video.*moviepy"),
                           (lambda: w.add_mesh("m", np.zeros((1, 3, 3))), "add_mesh"),
                           (lambda: w.add_image_with_boxes("i", np.zeros((3, 2, 2)), np.zeros((1, 4))),
                            "add_image_with_boxes")):
            with pytest.raises(NotImplementedError, match=what):
                call()


def test_add_embedding_files(tmp_path):
    rng = np.random.default_rng(0)
    mat = rng.standard_normal((5, 3)).astype(np.float32)
    imgs = rng.random((5, 3, 2, 4))
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(fastdl.tensor(mat), metadata=[f"w{i}" for i in range(5)], label_img=fastdl.tensor(imgs))
        w.add_embedding(mat[:2], metadata=[["a", 1], ["b", 2]], metadata_header=["name", "n"], global_step=12,
                        tag='x/y"')
        with pytest.raises(ValueError, match="len\\(metadata\\) = 2 != mat.shape\\[0\\] = 5"):
            w.add_embedding(mat, metadata=["a", "b"], global_step=1)
        with pytest.raises(ValueError, match="label_img"):
            w.add_embedding(mat, label_img=imgs[:2], global_step=1)
        with pytest.raises(ValueError, match="mat should be 2D"):
            w.add_embedding(mat[0], global_step=1)
    d = tmp_path / "00000" / "default"
    rows = (d / "tensors.tsv").read_text().splitlines()
    assert rows == ["\t".join(str(float(v)) for v in r) for r in mat]
    assert (d / "metadata.tsv").read_text() == "w0\nw1\nw2\nw3\nw4\n"
    sprite = _png.decode_png((d / "sprite.png").read_bytes())
    # 3x3 cells of 2x4 images, padded to a 12x12 square; image 4 is row 1, column 1.
    assert sprite.shape == (12, 12, 3)
    np.testing.assert_array_equal(sprite[2:4, 4:8], np.uint8((imgs[4] * 255).clip(0, 255)).transpose(1, 2, 0))
    assert (sprite[6:] == 0).all()
    d2 = tmp_path / "00012" / "x%2fy\""
    assert (d2 / "metadata.tsv").read_text() == "name\tn\na\t1\nb\t2\n"
    assert (tmp_path / "projector_config.pbtxt").read_text() == (
        'embeddings {\n  tensor_name: "default:00000"\n  metadata_path: "00000/default/metadata.tsv"\n'
        '  sprite {\n    image_path: "00000/default/sprite.png"\n    single_image_dim: 4\n    single_image_dim: 2\n  }\n'
        '  tensor_path: "00000/default/tensors.tsv"\n}\n'
        'embeddings {\n  tensor_name: "x/y\\":00012"\n  metadata_path: "00012/x%2fy\\"/metadata.tsv"\n'
        '  tensor_path: "00012/x%2fy\\"/tensors.tsv"\n}\n')


@pytest.mark.skipif(not fastdl.cuda.is_available(), reason="needs CUDA")
def test_cuda_tensors_are_copied_to_host(tmp_path):
    x = fastdl.tensor([[0.0, 0.5], [1.0, 0.25]], device="cuda")
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("s", x.sum(), 0)
        w.add_histogram("h", x, 1, bins=2)
        w.add_image("i", x, 2, dataformats="HW")
    s, h, i = (v for _, _, v in summaries(tmp_path))
    assert s["simple_value"] == 1.75 and h["histo"]["num"] == 4
    np.testing.assert_array_equal(_image(i)[:, :, 0], [[0, 127], [255, 63]])


def test_lazy_import():
    import fastdl.utils
    assert "tensorboard" in dir(fastdl.utils)
    assert fastdl.utils.tensorboard.SummaryWriter is SummaryWriter


# ----------------------------------------------------------------------------- TensorBoard itself

def _write_everything(W, conv, logdir):
    rng = np.random.default_rng(0)
    with W(logdir) as w:
        w.add_scalar("loss", conv(np.float32(0.5)), 1, walltime=10.0)
        w.add_scalar("loss", 0.0, 2, walltime=11.0, new_style=True)
        w.add_histogram("h", conv(rng.standard_normal(300).astype(np.float32)), 3, walltime=12.0)
        w.add_histogram("h2", conv(np.arange(10.0)), 3, bins=4, walltime=12.0)
        w.add_image("img", conv(rng.random((3, 4, 5)).astype(np.float32)), 4, walltime=13.0)
        w.add_images("imgs", conv(rng.random((10, 1, 4, 5))), 4, walltime=13.0)
        w.add_text("t", "hello ü", 5, walltime=14.0)
        w.add_pr_curve("pr", conv(rng.integers(0, 2, 50)), conv(rng.random(50)), 6, num_thresholds=9, walltime=15.0)
        w.add_audio("snd", conv(np.sin(np.arange(64) / 5)), 8, walltime=16.0)
        w.add_tensor("tt", conv(np.arange(6, dtype=np.float32).reshape(2, 3)), 9, walltime=17.0)
        w.add_custom_scalars_marginchart(["a", "b", "c"])
        w.add_scalars("run/x", {"a": 1, "b": 2}, 7, walltime=18.0)
        w.add_hparams({"lr": 0.1, "opt": "sgd"}, {"acc": 0.9}, run_name="hp", global_step=2)


def test_tensorboard_event_accumulator_reads_the_files(tmp_path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    _write_everything(SummaryWriter, lambda a: fastdl.tensor(a) if isinstance(a, np.ndarray) else a, tmp_path)
    ea = ea_mod.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0})
    ea.Reload()
    assert [(s.step, s.value) for s in ea.Scalars("loss")] == [(1, 0.5)]
    assert ea.Histograms("h2")[0].histogram_value.bucket == [0.0, 3.0, 2.0, 2.0, 3.0]
    assert (ea.Images("imgs")[0].width, ea.Images("imgs")[0].height) == (40, 8)
    assert ea.Tensors("t/text_summary")[0].tensor_proto.string_val == ["hello ü".encode()]


def test_records_match_torch_writer_byte_for_byte(tmp_path):
    """Where torch.utils.tensorboard can run (tensorboard + protobuf installed), every
    record equals torch's except the writer name, PNG bytes (pixels compared) and the
    order of the hparams map (compared as a dict)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    _write_everything(TorchWriter, lambda a: torch.as_tensor(a) if isinstance(a, np.ndarray) else a, tmp_path / "t")
    _write_everything(SummaryWriter, lambda a: fastdl.tensor(a) if isinstance(a, np.ndarray) else a, tmp_path / "f")

    def runs(root):
        return {os.path.relpath(os.path.dirname(p), root): _record.read_records(open(p, "rb").read())
                for p in glob.glob(str(root / "**" / "events*"), recursive=True)}

    theirs, ours = runs(tmp_path / "t"), runs(tmp_path / "f")
    assert theirs.keys() == ours.keys()
    identical = 0
    for run in theirs:
        assert len(theirs[run]) == len(ours[run])
        for i, (a, b) in enumerate(zip(theirs[run], ours[run])):
            ea, eb = _proto.decode("Event", a), _proto.decode("Event", b)
            if i == 0:
                assert ea["file_version"] == eb["file_version"] == "brain.Event:2"
                continue
            normalized = False
            if ea.get("wall_time") != eb.get("wall_time"):  # walltime not given
                ea["wall_time"], normalized = eb["wall_time"], True
            for va, vb in zip(ea.get("summary", {}).get("value", []), eb.get("summary", {}).get("value", [])):
                if "image" in va:
                    np.testing.assert_array_equal(_image(va), _image(vb))
                    va["image"]["encoded_image_string"] = vb["image"]["encoded_image_string"]
                    normalized = True
                if va.get("tag") == "_hparams_/session_start_info":
                    assert _hp_content(va) == _hp_content(vb)
                    va["metadata"], normalized = vb["metadata"], True
            assert ea == eb
            if not normalized:
                assert a == b, (run, i)
                identical += 1
    assert identical == 10  # scalars, histograms, text, pr curve, audio, tensor, add_scalars (walltime given)
