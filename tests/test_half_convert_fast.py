"""float32 <-> float16 / bfloat16 conversions (csrc/common/half_convert.h's branch-free
narrowing and widening, and the F16C path of csrc/cpu/half_convert_avx2.cpp) against
independent references: NumPy's float16 casts (round to nearest even, exact widening),
and bfloat16 as float32 rounded to 8 significant bits in float64. Every sign, exponent
and kept mantissa pattern is combined with the dropped bits that decide a rounding
(zero, one, just below / at / above the halfway point, all ones), on the AVX2 + F16C
path and on the portable one. (All 2^32 float32 values were also checked once, in C++,
against the earlier float64-based narrowing: equal.)"""
import numpy as np
import pytest

import fastdl
from isa_switch import avx2_switched


@pytest.fixture(params=[True, False], ids=["avx2", "portable"])
def isa(request):
    with avx2_switched(request.param):
        yield


def patterns(kept_bits, dropped_bits):
    """float32 bit patterns: every value of the top `kept_bits` bits combined with the
    deciding values of the `dropped_bits` below them."""
    half = 1 << (dropped_bits - 1)
    low = np.array([0, 1, half - 1, half, half + 1, (1 << dropped_bits) - 1, 0x5a5a & ((1 << dropped_bits) - 1)],
                   np.uint32)
    top = np.arange(1 << kept_bits, dtype=np.uint32) << dropped_bits
    return (top[:, None] | low[None, :]).reshape(-1)


def test_float_to_half_rounds_as_numpy(isa):
    bits = patterns(19, 13)  # sign, exponent and 10 kept mantissa bits; 13 dropped
    x = bits.view(np.float32)
    got = fastdl.tensor(x).half().numpy().view(np.uint16)
    with np.errstate(over="ignore"):
        want = x.astype(np.float16).view(np.uint16)
    nan = np.isnan(x)
    np.testing.assert_array_equal(got[~nan], want[~nan])
    # NaN: sign, the quiet bit and the top 9 payload bits of the float
    want_nan = ((bits[nan] >> 16) & 0x8000) | 0x7e00 | ((bits[nan] >> 13) & 0x3ff)
    np.testing.assert_array_equal(got[nan], want_nan.astype(np.uint16))


def test_half_to_float_is_exact_for_every_half(isa):
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    halves = fastdl.tensor(h.view(np.int16)).view(fastdl.float16)  # the bits as they are
    got = halves.float().numpy().view(np.uint32)
    # NumPy widens bit for bit, signalling NaNs included (they stay signalling, as here)
    np.testing.assert_array_equal(got, h.view(np.float16).astype(np.float32).view(np.uint32))


def bf16_reference(bits):
    """float32 rounded to bfloat16 (ties to even) through float64 arithmetic, as bits."""
    x = bits.view(np.float32).astype(np.float64)
    exp = np.floor(np.log2(np.abs(np.where(x == 0, 1.0, x))))
    ulp = 2.0 ** np.maximum(exp - 7, -133)  # 8 significant bits; subnormal spacing 2^-133
    q = x / ulp
    r = np.round(q)  # NumPy rounds halves to even
    with np.errstate(over="ignore"):
        return (r * ulp).astype(np.float32).view(np.uint32) >> 16


def test_float_to_bfloat16_rounds_to_nearest_even(isa):
    bits = patterns(16, 16)
    x = bits.view(np.float32)
    got = fastdl.tensor(x).bfloat16().view(fastdl.int16).numpy().view(np.uint16)
    finite = np.isfinite(x)
    np.testing.assert_array_equal(got[finite], bf16_reference(bits[finite]).astype(np.uint16))
    inf = np.isinf(x)
    np.testing.assert_array_equal(got[inf], (bits[inf] >> 16).astype(np.uint16))
    nan = np.isnan(x)
    np.testing.assert_array_equal(got[nan], ((bits[nan] >> 16) | 0x40).astype(np.uint16))


def test_strided_and_tail_lengths(isa):
    rng = np.random.default_rng(0)
    for n in list(range(1, 20)) + [67]:
        base = (rng.standard_normal(2 * n) * 1000).astype(np.float32)
        np.testing.assert_array_equal(fastdl.tensor(base)[::2].half().numpy(), base[::2].astype(np.float16))
        h = base[::2].astype(np.float16)
        np.testing.assert_array_equal(fastdl.tensor(h).float().numpy(), h.astype(np.float32))
