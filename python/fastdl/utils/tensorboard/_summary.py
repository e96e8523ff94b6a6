"""Summary builders, following torch/utils/tensorboard/summary.py (and _utils.py) value
for value. Each returns a `Summary` message as a dict for _proto.encode; plugin
payloads are pre-serialized bytes as the protobuf package would store them."""
import io
import struct
import wave

import numpy as np

from . import _proto
from ._png import encode_png

# hparams plugin constants (tensorboard/plugins/hparams/metadata.py).
HPARAMS_PLUGIN = "hparams"
HPARAMS_VERSION = 0
EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_INFO_TAG = "_hparams_/session_start_info"
SESSION_END_INFO_TAG = "_hparams_/session_end_info"


def make_np(x, name="value"):
    """A NumPy array of a fastdl tensor (detached, copied to the host), a NumPy array or
    a Python / NumPy scalar (as a 1-element array, like torch's make_np)."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x) and not isinstance(x, (str, bytes)):
        return np.array([x])
    from ...tensor import Tensor
    if isinstance(x, Tensor):
        x = x.detach()
        if str(x.dtype) == "fastdl.bfloat16":  # NumPy has no bfloat16; torch goes via float16
            import fastdl
            x = x.to(fastdl.float16)
        return x.cpu().numpy()
    raise TypeError(f"{name}: expected a fastdl tensor, a NumPy array or a number, got {type(x).__name__}")


def _metadata(plugin_name, content=b""):
    return {"plugin_data": {"plugin_name": plugin_name, "content": content}}


def _shape(dims):
    return {"dim": [{"size": int(d)} for d in dims]}


def scalar(name, value, new_style=False, double_precision=False):
    arr = make_np(value, "scalar_value").squeeze()
    if arr.ndim != 0:
        raise ValueError(f"add_scalar: scalar_value should contain one element, got shape {make_np(value).shape}")
    value = float(arr)
    if not new_style:
        return {"value": [{"tag": name, "simple_value": value}]}
    tensor = ({"dtype": _proto.DT["DT_DOUBLE"], "double_val": [value]} if double_precision
              else {"dtype": _proto.DT["DT_FLOAT"], "float_val": [value]})
    return {"value": [{"tag": name, "tensor": tensor, "metadata": _metadata("scalars")}]}


def default_bins():
    """torch's 'tensorflow' bucket limits: +-1e-12 * 1.1**k up to 1e20, and 0."""
    v, buckets = 1e-12, []
    while v < 1e20:
        buckets.append(v)
        v *= 1.1
    return [-b for b in buckets[::-1]] + [0] + buckets


def make_histogram(values, bins, max_bins=None):
    """HistogramProto dict of `values` as tensorboard's histogram.cc lays it out: only
    right bucket limits, trimmed to the support plus one empty bucket on the left."""
    if values.size == 0:
        raise ValueError("add_histogram: values has no element")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        subsampling = num_bins // max_bins
        remainder = num_bins % subsampling
        if remainder != 0:
            counts = np.pad(counts, pad_width=[[0, subsampling - remainder]], mode="constant", constant_values=0)
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        new_limits = np.empty((counts.size + 1,), limits.dtype)
        new_limits[:-1] = limits[:-1:subsampling]
        new_limits[-1] = limits[-1]
        limits = new_limits
    cum_counts = np.cumsum(np.greater(counts, 0))
    start, end = np.searchsorted(cum_counts, [0, cum_counts[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("add_histogram: the histogram is empty (no value fell inside the bins)")
    return {"min": float(values.min()), "max": float(values.max()), "num": float(len(values)),
            "sum": float(values.sum()), "sum_squares": float(values.dot(values)),
            "bucket_limit": limits.tolist(), "bucket": counts.tolist()}


def histogram(name, values, bins, max_bins=None):
    values = make_np(values, "values")
    return {"value": [{"tag": name, "histo": make_histogram(values.astype(float), bins, max_bins)}]}


def _floats(x, name):
    if isinstance(x, (list, tuple)):
        return [float(v) for v in x]
    return [float(v) for v in make_np(x, name).reshape(-1).tolist()]


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    histo = {"min": float(min), "max": float(max), "num": float(num), "sum": float(sum),
             "sum_squares": float(sum_squares), "bucket_limit": _floats(bucket_limits, "bucket_limits"),
             "bucket": _floats(bucket_counts, "bucket_counts")}
    return {"value": [{"tag": name, "histo": histo}]}


def make_grid(images, ncols=8):
    """N1HW / N3HW -> 3 x (H*rows) x (W*cols), row-major, unfilled cells black (torch's)."""
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"add_images: img_tensor should have 1 or 3 channels, got {images.shape[1]} "
                         f"(shape in NCHW order: {images.shape})")
    nimg, _, h, w = images.shape
    ncols = min(nimg, ncols)
    nrows = int(np.ceil(float(nimg) / ncols))
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(nimg):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = images[i]
    return canvas


def convert_to_HWC(tensor, input_format):
    """Reorder an image array given in `input_format` (NCHW, CHW, HWC, HW ... any order)
    to HWC with 3 or 4 channels (batches become a grid, gray becomes RGB)."""
    if not isinstance(input_format, str):
        raise TypeError(f"dataformats should be a string such as 'CHW', got {type(input_format).__name__}")
    fmt = input_format.upper()
    if len(set(fmt)) != len(fmt) or not set(fmt) <= set("NCHW") or len(fmt) < 2:
        raise ValueError(f"dataformats {input_format!r} is invalid: use each of N, C, H, W at most once "
                         "(e.g. 'CHW', 'HWC', 'HW', 'NCHW')")
    if tensor.ndim != len(fmt):
        raise ValueError(f"img_tensor has {tensor.ndim} dimensions (shape {tuple(tensor.shape)}) but "
                         f"dataformats {input_format!r} names {len(fmt)}")
    wanted = {4: "NCHW", 3: "HWC", 2: "HW"}[len(fmt)]
    if set(fmt) != set(wanted):
        raise ValueError(f"dataformats {input_format!r} should be an ordering of {wanted!r}")
    if 0 in tensor.shape:
        raise ValueError(f"img_tensor is empty (shape {tuple(tensor.shape)})")
    tensor = tensor.transpose([fmt.find(c) for c in wanted])
    if len(fmt) == 4:
        return make_grid(tensor).transpose(1, 2, 0)
    if len(fmt) == 3:
        if tensor.shape[2] == 1:
            tensor = np.concatenate([tensor, tensor, tensor], 2)
        if tensor.shape[2] not in (2, 3, 4):
            raise ValueError(f"img_tensor should have 1, 3 or 4 channels, got {tensor.shape[2]} "
                             f"(shape {tuple(tensor.shape)} in HWC order, dataformats {input_format!r})")
        return tensor
    return np.stack([tensor, tensor, tensor], 2)


def _to_uint8(array):
    # uint8 is taken as 0..255, anything else as 0..1; truncation as torch's astype.
    scale = 1 if array.dtype == np.uint8 else 255
    return (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def make_image(hwc_uint8):
    h, w, c = hwc_uint8.shape
    return {"height": h, "width": w, "colorspace": c, "encoded_image_string": encode_png(hwc_uint8)}


def image(tag, tensor, dataformats="NCHW"):
    array = make_np(tensor, "img_tensor")
    return {"value": [{"tag": tag, "image": make_image(_to_uint8(convert_to_HWC(array, dataformats)))}]}


def text(tag, text_string):
    if not isinstance(text_string, str):
        raise TypeError(f"add_text: text_string should be a str, got {type(text_string).__name__}")
    tensor = {"dtype": _proto.DT["DT_STRING"], "string_val": [text_string.encode("utf_8")],
              "tensor_shape": _shape([1])}
    content = _proto.encode("TextPluginData", {"version": 0})
    return {"value": [{"tag": tag + "/text_summary", "metadata": _metadata("text", content), "tensor": tensor}]}


def _hparams_summary(tag, data):
    content = _proto.encode("HParamsPluginData", dict(data, version=HPARAMS_VERSION))
    return {"value": [{"tag": tag, "metadata": _metadata(HPARAMS_PLUGIN, content)}]}


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The Experiment, SessionStartInfo and SessionEndInfo summaries of the hparams
    plugin, as torch writes them (bools take the number branch there too)."""
    if not isinstance(hparam_dict, dict):
        raise TypeError(f"add_hparams: hparam_dict should be a dict, got {type(hparam_dict).__name__}")
    if not isinstance(metric_dict, dict):
        raise TypeError(f"add_hparams: metric_dict should be a dict, got {type(metric_dict).__name__}")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError("add_hparams: hparam_domain_discrete should be a dict")
    for k, v in hparam_domain_discrete.items():
        if k not in hparam_dict or not isinstance(v, list) or not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"add_hparams: hparam_domain_discrete[{k}] should be a list of same type as hparam_dict[{k}]")
    from ...tensor import Tensor
    hps, values = [], {}
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, (int, float)):  # bool included, as in torch
            kind, field = "DATA_TYPE_FLOAT64", "number_value"
        elif isinstance(v, str):
            kind, field = "DATA_TYPE_STRING", "string_value"
        elif isinstance(v, Tensor):
            v, kind, field = make_np(v).reshape(-1)[0], "DATA_TYPE_FLOAT64", "number_value"
        else:
            raise ValueError(f"add_hparams: hparam_dict[{k!r}] should be one of int, float, str, bool or "
                             f"fastdl.Tensor, got {type(v).__name__}")
        values[k] = {field: float(v) if field == "number_value" else v}
        info = {"name": k, "type": _proto.HP_DATA_TYPE[kind]}
        if k in hparam_domain_discrete and not isinstance(hparam_dict[k], Tensor):
            info["domain_discrete"] = {"values": [{field: float(d) if field == "number_value" else d}
                                                  for d in hparam_domain_discrete[k]]}
        hps.append(info)
    ssi = _hparams_summary(SESSION_START_INFO_TAG, {"session_start_info": {"hparams": values}})
    mts = [{"name": {"tag": k}} for k in metric_dict]
    exp = _hparams_summary(EXPERIMENT_TAG, {"experiment": {"hparam_infos": hps, "metric_infos": mts}})
    sei = _hparams_summary(SESSION_END_INFO_TAG, {"session_end_info": {"status": _proto.HP_STATUS_SUCCESS}})
    return exp, ssi, sei


def _pr_summary(tag, data, num_thresholds):
    content = _proto.encode("PrCurvePluginData", {"version": 0, "num_thresholds": num_thresholds})
    tensor = {"dtype": _proto.DT["DT_FLOAT"], "float_val": data.reshape(-1).tolist(),
              "tensor_shape": _shape(data.shape)}
    return {"value": [{"tag": tag, "metadata": _metadata("pr_curves", content), "tensor": tensor}]}


def compute_curve(labels, predictions, num_thresholds, weights=None):
    """(tp, fp, tn, fn, precision, recall) per threshold, tensorboard's pr_curve algorithm."""
    minimum_count = 1e-7
    if weights is None:
        weights = 1.0
    bucket_indices = np.int32(np.floor(predictions * (num_thresholds - 1)))
    float_labels = labels.astype(np.float64)
    histogram_range = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(bucket_indices, bins=num_thresholds, range=histogram_range,
                                 weights=float_labels * weights)
    fp_buckets, _ = np.histogram(bucket_indices, bins=num_thresholds, range=histogram_range,
                                 weights=(1.0 - float_labels) * weights)
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(minimum_count, tp + fp)
    recall = tp / np.maximum(minimum_count, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    num_thresholds = min(num_thresholds, 127)  # as torch: larger values break the plugin
    labels, predictions = make_np(labels, "labels"), make_np(predictions, "predictions")
    if labels.shape != predictions.shape:
        raise ValueError(f"add_pr_curve: labels shape {labels.shape} != predictions shape {predictions.shape}")
    if weights is not None:
        weights = make_np(weights, "weights")
    return _pr_summary(tag, compute_curve(labels, predictions, num_thresholds, weights), num_thresholds)


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127):
    num_thresholds = min(num_thresholds, 127)
    data = np.stack([make_np(a, n) for a, n in ((tp, "true_positive_counts"), (fp, "false_positive_counts"),
                                                (tn, "true_negative_counts"), (fn, "false_negative_counts"),
                                                (precision, "precision"), (recall, "recall"))])
    return _pr_summary(tag, data, num_thresholds)


def audio(tag, tensor, sample_rate=44100):
    array = make_np(tensor, "snd_tensor").squeeze()
    if abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    if array.ndim != 1:
        raise ValueError(f"add_audio: snd_tensor should be 1-dimensional after squeeze, got shape {array.shape}")
    array = (array * np.iinfo(np.int16).max).astype("<i2")
    fio = io.BytesIO()
    with wave.open(fio, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(array.data)
    snd = {"sample_rate": float(sample_rate), "num_channels": 1, "length_frames": array.shape[-1],
           "encoded_audio_string": fio.getvalue(), "content_type": "audio/wav"}
    return {"value": [{"tag": tag, "audio": snd}]}


def _half_to_int(f):
    # torch stores the float32 bit pattern of each half value in half_val.
    return struct.unpack("i", struct.pack("f", f))[0]


_NP_TENSOR_TYPES = {  # numpy dtype -> (DataType, TensorProto field, converter); as torch's map
    "float16": ("DT_HALF", "half_val", lambda a: [_half_to_int(v) for v in a.tolist()]),
    "float32": ("DT_FLOAT", "float_val", lambda a: a.tolist()),
    "float64": ("DT_DOUBLE", "double_val", lambda a: a.tolist()),
    "int8": ("DT_INT8", "int_val", lambda a: a.tolist()),
    "uint8": ("DT_UINT8", "uint32_val", lambda a: a.tolist()),
    "int16": ("DT_INT16", "int_val", lambda a: a.tolist()),
    "int32": ("DT_INT32", "int_val", lambda a: a.tolist()),
    "int64": ("DT_INT64", "int64_val", lambda a: a.tolist()),
    "bool": ("DT_BOOL", "bool_val", lambda a: a.tolist()),
    "complex64": ("DT_COMPLEX64", "scomplex_val", lambda a: a.view(np.float32).tolist()),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", lambda a: a.view(np.float64).tolist()),
}


def tensor_proto(tag, tensor):
    from ...tensor import Tensor
    if isinstance(tensor, Tensor) and str(tensor.dtype) == "fastdl.bfloat16":
        dtype, field = "DT_BFLOAT16", "half_val"
        values = [_half_to_int(v) for v in tensor.detach().float().cpu().reshape(-1).tolist()]
        shape = tuple(tensor.shape)
    else:
        array = make_np(tensor, "tensor") if isinstance(tensor, (Tensor, np.ndarray)) else None
        if array is None:
            raise TypeError(f"add_tensor: tensor should be a fastdl tensor or a NumPy array, got {type(tensor).__name__}")
        if array.nbytes >= 1 << 31:
            raise ValueError("add_tensor: tensor is bigger than protocol buffer's hard limit of 2GB in size")
        if array.dtype.name not in _NP_TENSOR_TYPES:
            raise ValueError(f"add_tensor: {tag} has unsupported tensor dtype {array.dtype}")
        dtype, field, convert = _NP_TENSOR_TYPES[array.dtype.name]
        values, shape = convert(np.ascontiguousarray(array).reshape(-1)), array.shape
    proto = {"dtype": _proto.DT[dtype], "tensor_shape": _shape(shape), field: values}
    return {"value": [{"tag": tag, "metadata": _metadata("tensor"), "tensor": proto}]}


def custom_scalars(layout):
    categories = []
    for title, charts in layout.items():
        chart_list = []
        for chart_name, (kind, tags) in charts.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise ValueError(f"add_custom_scalars: a Margin chart needs 3 tags, got {len(tags)}")
                chart = {"title": chart_name,
                         "margin": {"series": [{"value": tags[0], "lower": tags[1], "upper": tags[2]}]}}
            else:
                chart = {"title": chart_name, "multiline": {"tag": list(tags)}}
            chart_list.append(chart)
        categories.append({"title": title, "chart": chart_list})
    tensor = {"dtype": _proto.DT["DT_STRING"], "string_val": [_proto.encode("Layout", {"category": categories})],
              "tensor_shape": {}}
    return {"value": [{"tag": "custom_scalars__config__", "tensor": tensor,
                       "metadata": _metadata("custom_scalars")}]}

