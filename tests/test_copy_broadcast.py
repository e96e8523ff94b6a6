"""The CPU copy kernel (csrc/cpu/elementwise.cpp's copy) from a broadcast source: runs whose
source stride is 0 (an expanded gradient, expand().contiguous(), a cat of expanded pieces)
are fills of the converted value, into contiguous and strided destinations, for same and
different dtypes. Checked against NumPy's broadcast copy."""
import numpy as np
import pytest

import fastdl
from fastdl import _C

DTYPES = [(np.float32, np.float32), (np.float64, np.float32), (np.float32, np.float64), (np.int64, np.float32),
          (np.float32, np.int32), (np.float32, np.float16)]


@pytest.mark.parametrize("src_np,dst_np", DTYPES, ids=[f"{a.__name__}->{b.__name__}" for a, b in DTYPES])
@pytest.mark.parametrize("src_shape", [(), (1, 1), (37, 1), (1, 300)])
@pytest.mark.parametrize("dst_view", ["contiguous", "transposed", "every_other"])
def test_copy_from_a_broadcast_source(src_np, dst_np, src_shape, dst_view):
    shape = (37, 300)
    values = (np.random.default_rng(0).standard_normal(src_shape) * 50).astype(src_np)
    src = fastdl.tensor(values).expand(*shape)
    if dst_view == "contiguous":
        base = fastdl.zeros(*shape, dtype=fastdl.from_numpy(np.zeros(1, dst_np)).dtype)
        dst = base
    elif dst_view == "transposed":
        base = fastdl.zeros(shape[1], shape[0], dtype=fastdl.from_numpy(np.zeros(1, dst_np)).dtype)
        dst = base.t()
    else:  # every other column of a wider tensor: a strided destination run
        base = fastdl.zeros(shape[0], 2 * shape[1], dtype=fastdl.from_numpy(np.zeros(1, dst_np)).dtype)
        dst = base[:, ::2]
    _C.cpu.copy(src, dst)
    want = np.broadcast_to(values, shape).astype(dst_np)
    np.testing.assert_array_equal(dst.numpy(), want)
    if dst_view == "every_other":
        np.testing.assert_array_equal(base.numpy()[:, 1::2], 0)  # the gaps untouched


@pytest.mark.parametrize("threads", [1, 2])
def test_large_broadcast_copy_across_threads(threads):
    before = fastdl.get_num_threads()
    fastdl.set_num_threads(threads)
    try:
        col = fastdl.arange(512.0).reshape(512, 1)
        out = col.expand(512, 1000).contiguous()
        np.testing.assert_array_equal(out.numpy(), np.broadcast_to(np.arange(512.0)[:, None], (512, 1000)))
        ones = fastdl.ones(()).expand(300, 700).clone()
        assert ones.is_contiguous() and bool((ones == 1).all())
    finally:
        fastdl.set_num_threads(before)
