"""TFRecord framing of event files: each record is
    uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)
(little endian), CRC-32C being the Castagnoli CRC (reflected polynomial 0x82F63B78)
as tensorflow/core/lib/hash/crc32c and tensorboard's record_writer compute it."""
import struct

_POLY = 0x82F63B78
_MASK_DELTA = 0xA282EAD8


def _make_tables():
    # Slicing-by-8 tables: 8 bytes per Python-level step instead of 1.
    t0 = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (_POLY if c & 1 else 0)
        t0.append(c)
    tables = [t0]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[i] >> 8) ^ t0[prev[i] & 0xFF] for i in range(256)])
    return [tuple(t) for t in tables]


_T = _make_tables()


def crc32c(data, crc=0):
    """CRC-32C of `data` (continuing from `crc`); crc32c(b"123456789") == 0xE3069283."""
    data = memoryview(bytes(data))
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    crc ^= 0xFFFFFFFF
    n8 = len(data) // 8 * 8
    for (lo, hi) in struct.iter_unpack("<II", data[:n8]):
        lo ^= crc
        crc = (t7[lo & 0xFF] ^ t6[(lo >> 8) & 0xFF] ^ t5[(lo >> 16) & 0xFF] ^ t4[lo >> 24]
               ^ t3[hi & 0xFF] ^ t2[(hi >> 8) & 0xFF] ^ t1[(hi >> 16) & 0xFF] ^ t0[hi >> 24])
    for b in data[n8:]:
        crc = t0[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's masked CRC: rotate right by 15 and add a constant, so a CRC stored
    inside CRC'd data does not weaken the check."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(data):
    """One TFRecord holding `data`."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc32c(header)) + bytes(data)
            + struct.pack("<I", masked_crc32c(data)))


def read_records(buf):
    """The payloads of the TFRecords in `buf`, checking both CRCs of each; a corrupt or
    truncated record raises ValueError naming its offset."""
    buf = bytes(buf)
    pos, out = 0, []
    while pos < len(buf):
        if pos + 12 > len(buf):
            raise ValueError(f"tfrecord: truncated header at offset {pos}")
        header = buf[pos:pos + 8]
        (length,), (len_crc,) = struct.unpack("<Q", header), struct.unpack("<I", buf[pos + 8:pos + 12])
        if len_crc != masked_crc32c(header):
            raise ValueError(f"tfrecord: length CRC mismatch at offset {pos}")
        start, end = pos + 12, pos + 12 + length
        if end + 4 > len(buf):
            raise ValueError(f"tfrecord: truncated record at offset {pos}")
        data = buf[start:end]
        if struct.unpack("<I", buf[end:end + 4])[0] != masked_crc32c(data):
            raise ValueError(f"tfrecord: data CRC mismatch at offset {pos}")
        out.append(data)
        pos = end + 4
    return out
