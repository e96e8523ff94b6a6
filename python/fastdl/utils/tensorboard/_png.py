"""PNG encoding with zlib + struct (no PIL), and a decoder for tests and round trips.
Images are HxWxC uint8 arrays, C = 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA)."""
import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type
_CHANNELS = {v: k for k, v in _COLOR_TYPE.items()}


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(image, level=6):
    """PNG bytes of an HxWxC uint8 array (8 bits per channel, filter 0 on every row)."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in _COLOR_TYPE:
        raise ValueError(f"encode_png: expected an HxWxC uint8 array with C in 1..4, got shape "
                         f"{image.shape} and dtype {image.dtype}")
    h, w, c = image.shape
    if h == 0 or w == 0:
        raise ValueError(f"encode_png: the image is empty (shape {image.shape})")
    # Each scanline is preceded by its filter-type byte (0: None).
    raw = np.concatenate([np.zeros((h, 1), np.uint8), np.ascontiguousarray(image).reshape(h, w * c)], axis=1)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, _COLOR_TYPE[c], 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw.tobytes(), level))
            + _chunk(b"IEND", b""))


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data):
    """HxWxC uint8 array of an 8-bit, non-interlaced gray / gray+alpha / RGB / RGBA PNG
    (any of the five row filters), checking the chunk CRCs."""
    data = bytes(data)
    if data[:8] != _SIGNATURE:
        raise ValueError("decode_png: not a PNG (bad signature)")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if crc != zlib.crc32(kind + body) & 0xFFFFFFFF:
            raise ValueError(f"decode_png: CRC mismatch in chunk {kind!r}")
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError("decode_png: no IHDR chunk")
    w, h, depth, color, _, _, interlace = header
    if depth != 8 or color not in _CHANNELS or interlace:
        raise ValueError(f"decode_png: unsupported PNG (bit depth {depth}, colour type {color}, interlace {interlace})")
    c = _CHANNELS[color]
    stride = w * c
    raw = zlib.decompress(idat)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 0xFF
        elif ftype in (1, 3, 4):  # depend on the reconstructed byte to the left: per byte
            cur = np.zeros(stride, np.int32)
            for x in range(stride):
                a = cur[x - c] if x >= c else 0
                b, cc = prev[x], (prev[x - c] if x >= c else 0)
                pred = a if ftype == 1 else (a + b) // 2 if ftype == 3 else _paeth(a, b, cc)
                cur[x] = (line[x] + pred) & 0xFF
        else:
            raise ValueError(f"decode_png: bad filter type {ftype} on row {y}")
        out[y] = cur
        prev = cur
    return out.reshape(h, w, c)
