"""Contiguous copies and fills (csrc/cpu/memory_runs.h), through the ops that use them:
copy_ / clone / roll / flip / cat (copy_run: inline up to 256 bytes, a backward copy
when the destination lies 1-63 bytes after the source modulo 4 KiB, memcpy otherwise)
and zeros / full / fill_ / zero_ / an expanded value made contiguous (fill_run: `rep
stos` from 512 bytes on, for 1-, 2-, 4- and 8-byte elements). Every length around the
thresholds, every element size, against NumPy."""
import numpy as np
import pytest

import fastdl
from test_flip_kernel import sample  # values * 100 of any dtype, complex too

DTYPES = [np.int8, np.float16, np.float32, np.float64, np.int64, np.complex128]
LENGTHS = [1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 4099]


@pytest.mark.parametrize("dtype", DTYPES)
def test_copy_into_a_shifted_slice_of_the_same_page_offset(dtype):
    # The destination lies `shift` elements (1-63 bytes for most) after the source modulo
    # 4 KiB, inside one buffer, disjoint: the backward copy for runs over 256 bytes.
    item = np.dtype(dtype).itemsize
    page = 4096 // item
    for n in LENGTHS:
        for shift in (1, 3, 8, 63 // item + 1):
            start = (n + page - 1) // page * page + shift  # past the source, same page offset + shift
            buf = fastdl.tensor(sample(start + n + 8, dtype))
            assert buf.data_ptr() % 64 == 0
            expect = buf.numpy().copy()
            buf[start:start + n].copy_(buf[0:n])
            expect[start:start + n] = expect[0:n]
            np.testing.assert_array_equal(buf.numpy(), expect)


@pytest.mark.parametrize("dtype", DTYPES)
def test_roll_and_cat_rows_of_every_length(dtype):
    for n in LENGTHS:
        a = sample(3 * n, dtype, n).reshape(3, n)
        t = fastdl.tensor(a)
        for k in {1, 3, n // 2, n - 1} - {0}:
            np.testing.assert_array_equal(fastdl.roll(t, k, -1).numpy(), np.roll(a, k, -1))
        np.testing.assert_array_equal(fastdl.cat([t, t[:, : n // 2 + 1]], 1).numpy(),
                                      np.concatenate([a, a[:, : n // 2 + 1]], 1))
        np.testing.assert_array_equal(t[1:].clone().numpy(), a[1:])


@pytest.mark.parametrize("dtype", DTYPES)
def test_fills_of_every_length(dtype):
    value = np.array(-3.25 + (2j if dtype == np.complex128 else 0)).astype(dtype).item()
    for n in LENGTHS:
        f = fastdl.tensor(np.zeros(n + 5, dtype))
        f[2:2 + n].fill_(value)  # a run that starts off the 64-byte line
        expect = np.zeros(n + 5, dtype)
        expect[2:2 + n] = value
        np.testing.assert_array_equal(f.numpy(), expect)
        f.zero_()
        assert not f.numpy().any()
        full = fastdl.full((n,), value, dtype=fastdl.tensor(np.zeros(1, dtype)).dtype)
        np.testing.assert_array_equal(full.numpy(), np.full(n, value, dtype))
        expanded = fastdl.tensor(np.array([value], dtype)).expand(n).contiguous()
        np.testing.assert_array_equal(expanded.numpy(), np.full(n, value, dtype))


def test_bool_and_one_byte_fills():
    for n in LENGTHS:
        t = fastdl.zeros(n, dtype=fastdl.bool)
        t.fill_(True)
        assert t.numpy().all() and t.numpy().dtype == np.bool_
        u = fastdl.full((n,), 7, dtype=fastdl.uint8)
        np.testing.assert_array_equal(u.numpy(), np.full(n, 7, np.uint8))


def test_pad_rows_of_every_length():
    F = fastdl.nn.functional
    for n in LENGTHS[:18]:
        a = sample(4 * 3 * n, np.float32, n).reshape(4, 3, n)
        got = F.pad(fastdl.tensor(a), (1, 2, 1, 0), value=1.5).numpy()
        np.testing.assert_array_equal(got, np.pad(a, ((0, 0), (1, 0), (1, 2)), constant_values=1.5))
