"""A minimal protobuf (proto3) encoder and decoder for the messages TensorBoard event
files hold, driven by SCHEMAS: a transcription of the .proto files (tensorflow's
event.proto / summary.proto / tensor.proto and tensorboard's plugin protos), so the
bytes are what the `protobuf` package would write for the same messages.

A message is a dict of field name -> value. Encoding follows proto3: fields go out in
field-number order; implicit-presence scalars equal to their default (0, "", b"",
False, +0.0) are omitted; oneof members and sub-messages are written whenever the key
holds a value that is not None (an empty sub-message is written as length 0, as the
protobuf package does for one set explicitly); repeated numbers are packed; maps are
repeated {key=1, value=2} entries."""
import struct

# Wire types.
VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5

_SCALAR_WIRE = {"double": FIXED64, "float": FIXED32, "int32": VARINT, "int64": VARINT,
                "uint32": VARINT, "uint64": VARINT, "bool": VARINT, "enum": VARINT,
                "string": LEN, "bytes": LEN}

# name: {field number: (field name, type, label)}; label is "" (implicit presence),
# "oneof" (explicit presence), "repeated" or "map:<key type>" (type is the value type).
SCHEMAS = {
    # tensorflow/core/util/event.proto
    "Event": {1: ("wall_time", "double", ""), 2: ("step", "int64", ""),
              3: ("file_version", "string", "oneof"), 4: ("graph_def", "bytes", "oneof"),
              5: ("summary", "Summary", "oneof"), 7: ("session_log", "SessionLog", "oneof"),
              10: ("source_metadata", "SourceMetadata", "")},
    "SourceMetadata": {1: ("writer", "string", "")},
    "SessionLog": {1: ("status", "enum", ""), 2: ("checkpoint_path", "string", ""),
                   3: ("msg", "string", "")},
    # tensorflow/core/framework/summary.proto
    "Summary": {1: ("value", "Summary.Value", "repeated")},
    "Summary.Value": {1: ("tag", "string", ""), 2: ("simple_value", "float", "oneof"),
                      4: ("image", "Summary.Image", "oneof"), 5: ("histo", "HistogramProto", "oneof"),
                      6: ("audio", "Summary.Audio", "oneof"), 7: ("node_name", "string", ""),
                      8: ("tensor", "TensorProto", "oneof"), 9: ("metadata", "SummaryMetadata", "")},
    "Summary.Image": {1: ("height", "int32", ""), 2: ("width", "int32", ""),
                      3: ("colorspace", "int32", ""), 4: ("encoded_image_string", "bytes", "")},
    "Summary.Audio": {1: ("sample_rate", "float", ""), 2: ("num_channels", "int64", ""),
                      3: ("length_frames", "int64", ""), 4: ("encoded_audio_string", "bytes", ""),
                      5: ("content_type", "string", "")},
    "SummaryMetadata": {1: ("plugin_data", "SummaryMetadata.PluginData", ""),
                        2: ("display_name", "string", ""), 3: ("summary_description", "string", ""),
                        4: ("data_class", "enum", "")},
    "SummaryMetadata.PluginData": {1: ("plugin_name", "string", ""), 2: ("content", "bytes", "")},
    # tensorflow/core/framework/histogram.proto
    "HistogramProto": {1: ("min", "double", ""), 2: ("max", "double", ""), 3: ("num", "double", ""),
                       4: ("sum", "double", ""), 5: ("sum_squares", "double", ""),
                       6: ("bucket_limit", "double", "repeated"), 7: ("bucket", "double", "repeated")},
    # tensorflow/core/framework/tensor.proto, tensor_shape.proto
    "TensorProto": {1: ("dtype", "enum", ""), 2: ("tensor_shape", "TensorShapeProto", ""),
                    3: ("version_number", "int32", ""), 4: ("tensor_content", "bytes", ""),
                    5: ("float_val", "float", "repeated"), 6: ("double_val", "double", "repeated"),
                    7: ("int_val", "int32", "repeated"), 8: ("string_val", "bytes", "repeated"),
                    9: ("scomplex_val", "float", "repeated"), 10: ("int64_val", "int64", "repeated"),
                    11: ("bool_val", "bool", "repeated"), 12: ("dcomplex_val", "double", "repeated"),
                    13: ("half_val", "int32", "repeated"), 16: ("uint32_val", "uint32", "repeated"),
                    17: ("uint64_val", "uint64", "repeated")},
    "TensorShapeProto": {2: ("dim", "TensorShapeProto.Dim", "repeated"), 3: ("unknown_rank", "bool", "")},
    "TensorShapeProto.Dim": {1: ("size", "int64", ""), 2: ("name", "string", "")},
    # tensorboard/plugins/{text,pr_curve}/plugin_data.proto
    "TextPluginData": {1: ("version", "int32", "")},
    "PrCurvePluginData": {1: ("version", "int32", ""), 2: ("num_thresholds", "uint32", "")},
    # tensorboard/plugins/custom_scalar/layout.proto
    "Layout": {1: ("version", "int32", ""), 2: ("category", "Category", "repeated")},
    "Category": {1: ("title", "string", ""), 2: ("chart", "Chart", "repeated"), 3: ("closed", "bool", "")},
    "Chart": {1: ("title", "string", ""), 2: ("multiline", "MultilineChartContent", "oneof"),
              3: ("margin", "MarginChartContent", "oneof")},
    "MultilineChartContent": {1: ("tag", "string", "repeated")},
    "MarginChartContent": {1: ("series", "MarginChartContent.Series", "repeated")},
    "MarginChartContent.Series": {1: ("value", "string", ""), 2: ("lower", "string", ""),
                                  3: ("upper", "string", "")},
    # tensorboard/plugins/hparams/plugin_data.proto and api.proto
    "HParamsPluginData": {1: ("version", "int32", ""), 2: ("experiment", "Experiment", "oneof"),
                          3: ("session_start_info", "SessionStartInfo", "oneof"),
                          4: ("session_end_info", "SessionEndInfo", "oneof")},
    "SessionStartInfo": {1: ("hparams", "google.protobuf.Value", "map:string"),
                         2: ("model_uri", "string", ""), 3: ("monitor_url", "string", ""),
                         4: ("group_name", "string", ""), 5: ("start_time_secs", "double", "")},
    "SessionEndInfo": {1: ("status", "enum", ""), 2: ("end_time_secs", "double", "")},
    "Experiment": {1: ("description", "string", ""), 2: ("user", "string", ""),
                   3: ("time_created_secs", "double", ""), 4: ("hparam_infos", "HParamInfo", "repeated"),
                   5: ("metric_infos", "MetricInfo", "repeated"), 6: ("name", "string", "")},
    "HParamInfo": {1: ("name", "string", ""), 2: ("display_name", "string", ""),
                   3: ("description", "string", ""), 4: ("type", "enum", ""),
                   5: ("domain_discrete", "google.protobuf.ListValue", "oneof"),
                   6: ("domain_interval", "Interval", "oneof")},
    "Interval": {1: ("min_value", "double", ""), 2: ("max_value", "double", "")},
    "MetricInfo": {1: ("name", "MetricName", ""), 3: ("display_name", "string", ""),
                   4: ("description", "string", ""), 5: ("dataset_type", "enum", "")},
    "MetricName": {1: ("group", "string", ""), 2: ("tag", "string", "")},
    # google/protobuf/struct.proto
    "google.protobuf.Value": {1: ("null_value", "enum", "oneof"), 2: ("number_value", "double", "oneof"),
                              3: ("string_value", "string", "oneof"), 4: ("bool_value", "bool", "oneof"),
                              6: ("list_value", "google.protobuf.ListValue", "oneof")},
    "google.protobuf.ListValue": {1: ("values", "google.protobuf.Value", "repeated")},
}

# Enum values used by the writer (types.proto DataType, event.proto SessionLog, api.proto).
DT = {"DT_FLOAT": 1, "DT_DOUBLE": 2, "DT_INT32": 3, "DT_UINT8": 4, "DT_INT16": 5, "DT_INT8": 6,
      "DT_STRING": 7, "DT_COMPLEX64": 8, "DT_INT64": 9, "DT_BOOL": 10, "DT_BFLOAT16": 14,
      "DT_COMPLEX128": 18, "DT_HALF": 19}
SESSION_LOG_START = 1
HP_DATA_TYPE = {"DATA_TYPE_STRING": 1, "DATA_TYPE_BOOL": 2, "DATA_TYPE_FLOAT64": 3}
HP_STATUS_SUCCESS = 1

_U64 = (1 << 64) - 1


def varint(n):
    """Base-128 varint of n; negative ints as their 64-bit two's complement (10 bytes)."""
    n = int(n) & _U64
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(number, wire):
    return varint((number << 3) | wire)


def _is_default(kind, value):
    if kind in ("double", "float"):
        return struct.pack("<d", float(value)) == b"\0" * 8  # -0.0 is not the default
    if kind in ("string", "bytes"):
        return len(value) == 0
    return not value


def _scalar(kind, value):
    """The payload of one scalar (without its key)."""
    if kind == "double":
        return struct.pack("<d", float(value))
    if kind == "float":
        return struct.pack("<f", float(value))
    if kind == "string":
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return varint(len(data)) + data
    if kind == "bytes":
        data = bytes(value)
        return varint(len(data)) + data
    return varint(int(value))  # int32 / int64 / uint32 / uint64 / bool / enum


def encode(schema, msg):
    """Serialize dict `msg` as message type `schema` (a key of SCHEMAS)."""
    fields = SCHEMAS[schema]
    names = {f[0] for f in fields.values()}
    unknown = set(msg) - names
    if unknown:
        raise KeyError(f"{schema} has no field(s) {sorted(unknown)}")
    out = bytearray()
    for number in sorted(fields):
        name, kind, label = fields[number]
        value = msg.get(name)
        if value is None:
            continue
        if label.startswith("map:"):
            key_kind = label[4:]
            for k, v in value.items():
                entry = _key(1, _SCALAR_WIRE[key_kind]) + _scalar(key_kind, k)
                entry += _key(2, LEN) + _message(kind, v)
                out += _key(number, LEN) + varint(len(entry)) + entry
        elif label == "repeated":
            if kind in SCHEMAS:
                for v in value:
                    out += _key(number, LEN) + _message(kind, v)
            elif kind in ("string", "bytes"):
                for v in value:
                    out += _key(number, LEN) + _scalar(kind, v)
            elif len(value):  # packed
                payload = b"".join(_scalar(kind, v) for v in value)
                out += _key(number, LEN) + varint(len(payload)) + payload
        elif kind in SCHEMAS:
            out += _key(number, LEN) + _message(kind, value)
        elif label == "oneof" or not _is_default(kind, value):
            out += _key(number, _SCALAR_WIRE[kind]) + _scalar(kind, value)
    return bytes(out)


def _message(kind, value):
    data = value if isinstance(value, (bytes, bytearray)) else encode(kind, value)
    return varint(len(data)) + data


# ----------------------------------------------------------------------------- decoding

def read_varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("protobuf: truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ValueError("protobuf: varint longer than 10 bytes")


def iter_fields(buf):
    """(field number, wire type, raw value) for each field of a serialized message:
    an int for VARINT, bytes for LEN / FIXED64 / FIXED32."""
    buf = bytes(buf)
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = read_varint(buf, pos)
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            value, pos = buf[pos:pos + size], pos + size
        elif wire == LEN:
            size, pos = read_varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise ValueError(f"protobuf: unsupported wire type {wire}")
        if pos > len(buf):
            raise ValueError("protobuf: truncated field")
        yield number, wire, value


def _signed(n, bits=64):
    return n - (1 << bits) if n >= 1 << (bits - 1) else n


def _decode_scalar(kind, wire, raw):
    if kind == "double":
        return struct.unpack("<d", raw)[0]
    if kind == "float":
        return struct.unpack("<f", raw)[0]
    if kind == "string":
        return raw.decode("utf-8")
    if kind == "bytes":
        return raw
    if kind == "bool":
        return bool(raw)
    if kind in ("int32", "int64", "enum"):
        return _signed(raw)
    return raw


def _unpack(kind, raw):
    """The values of a packed repeated field."""
    if kind in ("double", "float"):
        fmt = "<d" if kind == "double" else "<f"
        return [v[0] for v in struct.iter_unpack(fmt, raw)]
    out, pos = [], 0
    while pos < len(raw):
        v, pos = read_varint(raw, pos)
        out.append(_decode_scalar(kind, VARINT, v))
    return out


def decode(schema, buf):
    """Parse bytes as message type `schema` into a dict holding only the fields present
    on the wire (so tests see exactly what was written). Unknown fields raise."""
    fields = SCHEMAS[schema]
    msg = {}
    for number, wire, raw in iter_fields(buf):
        if number not in fields:
            raise ValueError(f"protobuf: {schema} has no field number {number}")
        name, kind, label = fields[number]
        if label.startswith("map:"):
            entry = dict(iter_fields_named(raw, label[4:], kind))
            msg.setdefault(name, {})[entry.get("key", "")] = entry.get("value", {})
        elif label == "repeated":
            if kind in SCHEMAS:
                msg.setdefault(name, []).append(decode(kind, raw))
            elif wire == LEN and kind not in ("string", "bytes"):
                msg.setdefault(name, []).extend(_unpack(kind, raw))
            else:
                msg.setdefault(name, []).append(_decode_scalar(kind, wire, raw))
        else:
            expected = LEN if kind in SCHEMAS else _SCALAR_WIRE[kind]
            if wire != expected:
                raise ValueError(f"protobuf: {schema}.{name} has wire type {wire}, expected {expected}")
            msg[name] = decode(kind, raw) if kind in SCHEMAS else _decode_scalar(kind, wire, raw)
    return msg


def iter_fields_named(buf, key_kind, value_kind):
    """A map entry's (\"key\", k) and (\"value\", v)."""
    for number, wire, raw in iter_fields(buf):
        if number == 1:
            yield "key", _decode_scalar(key_kind, wire, raw)
        elif number == 2:
            yield "value", decode(value_kind, raw) if value_kind in SCHEMAS else _decode_scalar(value_kind, wire, raw)
