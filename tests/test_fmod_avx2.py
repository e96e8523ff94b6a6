"""float32 fmod / remainder on AVX2 (csrc/cpu/binary_arith_avx2.cpp, fmod_f32_avx2): exact
in double while |x / y| < 2^29, the C library's fmodf elsewhere, so bit for bit the
portable loop (std::fmod, ew::Remainder) over random bit patterns, mixed magnitudes,
special values and broadcast scalars; fmod against NumPy; integer fmod."""
import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import vector_and_portable


def _random_bits(rng, n):
    return rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)


def _magnitudes(rng, n):
    return (rng.standard_normal(n) * np.exp(rng.uniform(-25, 25, n))).astype(np.float32)


SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3.0, -3.0, 1e38, -1e38, 0.5, -0.5,
                    7.0, -7.0, 2.0 ** 29, 2.0 ** -126], np.float32)


def _pairs():
    rng = np.random.default_rng(0)
    n = 100_003  # no multiple of 8: the scalar tail runs too
    xs, ys = np.meshgrid(SPECIAL, SPECIAL)
    mags = _magnitudes(rng, n)
    return [("bits", _random_bits(rng, n), _random_bits(rng, n)),
            ("magnitudes", mags, _magnitudes(rng, n)),
            ("bits-by-magnitudes", _random_bits(rng, n), mags),
            ("specials", xs.ravel(), ys.ravel()),
            ("scalar-x", mags[:1], mags[1:]), ("scalar-y", mags[1:], mags[:1])]


def _same_bits(got, want):
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32))


@pytest.mark.skipif(not _C.cpu_has_avx2_fma(), reason="CPU has no AVX2+FMA")
@pytest.mark.parametrize("op", ["fmod", "remainder"])
def test_avx2_matches_portable_bit_for_bit(op):
    for name, a, b in _pairs():
        x, y = fastdl.tensor(a), fastdl.tensor(b)
        _same_bits(*vector_and_portable(lambda: getattr(fastdl, op)(x, y).numpy()))


def test_fmod_matches_numpy_and_remainder_takes_the_divisors_sign():
    for name, a, b in _pairs():
        with np.errstate(all="ignore"):
            want = np.fmod(a, b)
        _same_bits(fastdl.fmod(fastdl.tensor(a), fastdl.tensor(b)).numpy(), want)
    x = fastdl.tensor([5.5, -5.5, 5.5, -5.5, -0.0, 4.0])
    y = fastdl.tensor([2.0, 2.0, -2.0, -2.0, 3.0, -2.0])
    assert fastdl.fmod(x, y).tolist() == [1.5, -1.5, 1.5, -1.5, -0.0, 0.0]
    assert fastdl.remainder(x, y).tolist() == [1.5, 0.5, -0.5, -1.5, 0.0, 0.0]
    assert np.signbit(fastdl.fmod(x, y).numpy()).tolist() == [False, True, False, True, True, False]


def test_integer_fmod_truncates():
    x = fastdl.tensor([7, -7, 7, -7, 0], dtype=fastdl.int64)
    assert fastdl.fmod(x, fastdl.tensor([2, 2, -2, -2, 5])).tolist() == [1, -1, 1, -1, 0]
    assert fastdl.fmod(fastdl.tensor([-128], dtype=fastdl.int8), -1).tolist() == [0]
    assert fastdl.fmod(fastdl.tensor([-2 ** 63], dtype=fastdl.int64), -1).tolist() == [0]
    with pytest.raises(ZeroDivisionError, match="fmod"):
        fastdl.fmod(x, 0)
