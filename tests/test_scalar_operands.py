"""Python numbers as operands: ops/_util.scalar_tensor caches the 0-d tensors it makes
for them on the CPU; results must not depend on what the cache holds."""
import math

import numpy as np

import fastdl
from fastdl.ops import _util


def test_signed_zero_nan_and_types_are_kept_apart():
    x = fastdl.tensor([1.0, -2.0, 3.0])
    for _ in range(2):  # the second round reads whatever the first one cached
        np.testing.assert_array_equal(np.signbit((x * 0.0).numpy()), [False, True, False])
        np.testing.assert_array_equal(np.signbit((x * -0.0).numpy()), [True, False, True])
        assert np.isnan((x * float("nan")).numpy()).all()
        np.testing.assert_array_equal((x + True).numpy(), [2.0, -1.0, 4.0])
        np.testing.assert_array_equal((x + 1).numpy(), [2.0, -1.0, 4.0])
        np.testing.assert_array_equal((x * 0.5).numpy(), [0.5, -1.0, 1.5])
    xi = fastdl.tensor([1, 2])
    np.testing.assert_array_equal((xi * 3).numpy(), [3, 6])  # int64: its own cached int64 scalar
    assert (xi * 3).dtype == fastdl.int64


def test_cached_scalars_are_not_handed_out_or_written():
    # The cached 2.0 is made here: the float CPU ops' C fast paths read Python numbers
    # without it, so whether `x * 2.0` fills the cache depends on the path (and the
    # cache empties at 1,024 entries), which made this test depend on the ones before it.
    x = fastdl.tensor([1.0, 2.0])
    cached = _util.scalar_tensor(2.0, fastdl.float32, x.device)
    assert _util.scalar_tensor(2.0, fastdl.float32, x.device) is cached
    y = x * 2.0
    y.mul_(10.0)  # writes y, never the cached 2.0
    np.testing.assert_array_equal((x * 2.0).numpy(), [2.0, 4.0])
    assert cached.item() == 2.0 and cached._buf is not y._buf
    assert not any(math.isnan(k[0]) for k in _util._SCALARS if isinstance(k[0], float))
