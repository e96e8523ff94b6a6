"""CPU random kernels (Philox4x32-10 stream, see csrc/common/philox.h) and arange."""
import math

import numpy as np
import pytest

import fastdl
from fastdl import _C
from isa_switch import saved_isa
from kernel_views import kempty, kview

K = _C.cpu
M32 = 0xFFFFFFFF
N = 100_000  # samples for the statistical tests
SEED = 0x1234_5678_9ABC_DEF0  # exercises both key words


@pytest.fixture(params=[1, 4], ids=["1thread", "4threads"])
def threads(request):
    saved = _C.get_num_threads()
    _C.set_num_threads(request.param)
    yield request.param
    _C.set_num_threads(saved)


# ------------------------------------------------------------------ Philox itself

@pytest.mark.parametrize("counter,key,expected", [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32,) * 4, (M32,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_known_answers(counter, key, expected):
    # Random123's published kat_vectors for philox4x32_10.
    assert tuple(K.philox4x32_10(counter, key)) == expected


def words(seed, counter):
    """The four Philox words the stream contract assigns to counter value `counter`."""
    return K.philox4x32_10((counter & M32, counter >> 32, 0, 0), (seed & M32, seed >> 32))


@pytest.mark.parametrize("offset", [0, 7, (1 << 32) - 2])  # the last crosses into the high word
def test_stream_contract(offset):
    # Pins the per-element mapping documented in philox.h, which the CUDA kernels share.
    n = 5
    w = [words(SEED, offset + i) for i in range(n)]
    u64 = kempty((n,), np.float64)
    assert K.random_uniform(u64, SEED, offset, 0.0, 1.0) == offset + n
    assert u64.numpy().tolist() == [(((b << 32) | a) >> 11) * 2.0**-53 for a, b, _, _ in w]
    u32 = kempty((n,), np.float32)
    K.random_uniform(u32, SEED, offset, 0.0, 1.0)
    assert u32.numpy().tolist() == [(a >> 8) * 2.0**-24 for a, _, _, _ in w]
    ints = kempty((n,), np.int64)
    K.random_int(ints, SEED, offset, -3, 1000)
    assert ints.numpy().tolist() == [-3 + ((((b << 32) | a) * 1003) >> 64) for a, b, _, _ in w]
    normal = kempty((n,), np.float64)
    K.random_normal(normal, SEED, offset, 0.0, 1.0)
    ref = [math.sqrt(-2 * math.log(((1 << 53) - (((b << 32) | a) >> 11)) * 2.0**-53))
           * math.cos(2 * math.pi * ((((d << 32) | c) >> 11) * 2.0**-53)) for a, b, c, d in w]
    np.testing.assert_allclose(normal.numpy(), ref, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("offset", [0, 3, (1 << 32) - 5, (1 << 33) - 8])  # blocks of 8 crossing the high word
def test_stream_contract_in_blocks_of_eight(isa, offset):
    """The AVX-512 and AVX2 generators (csrc/cpu/philox_avx512.cpp: 32 counters as two
    16-lane blocks; philox_avx2.cpp: 32, then 8 per call) give every element the words of
    its own counter, as the scalar one and the CUDA kernels do:
    all four words checked through uniform (w0, w1) and normal (w0..w3), over whole
    blocks, a partial block and a block whose counters cross 2^32."""
    n = 8 * 4 + 5
    w = [words(SEED, offset + i) for i in range(n)]
    u64 = kempty((n,), np.float64)
    K.random_uniform(u64, SEED, offset, 0.0, 1.0)
    assert u64.numpy().tolist() == [(((b << 32) | a) >> 11) * 2.0**-53 for a, b, _, _ in w]
    normal = kempty((n,), np.float64)
    K.random_normal(normal, SEED, offset, 0.0, 1.0)
    ref = [math.sqrt(-2 * math.log(((1 << 53) - (((b << 32) | a) >> 11)) * 2.0**-53))
           * math.cos(2 * math.pi * ((((d << 32) | c) >> 11) * 2.0**-53)) for a, b, c, d in w]
    np.testing.assert_allclose(normal.numpy(), ref, rtol=1e-14, atol=1e-15)
    mask = kempty((n,), np.float32)
    K.bernoulli(mask, SEED, offset, 0.3)
    assert mask.numpy().tolist() == [float((((b << 32) | a) >> 11) * 2.0**-53 < 0.3) for a, b, _, _ in w]


@pytest.mark.parametrize("p", [0.0, 2.0**-53, 0.3, 0.5, 1 - 2.0**-53, 1.0])
def test_bernoulli_is_uniform_below_p_on_every_path(p):
    # the integer form of uniform_f64 < p (csrc/cpu/random.cpp) at the ends of [0, 1] and
    # on p whose p * 2^53 is an integer; blocks of 32 and 8 (AVX2) and the scalar tail
    n = 32 * 3 + 8 + 5
    w = [words(SEED, 11 + i) for i in range(n)]
    want = [float((((b << 32) | a) >> 11) * 2.0**-53 < p) for a, b, _, _ in w]
    with saved_isa():
        for vector in (True, False):
            _C.set_use_avx2(vector)
            mask = kempty((n,), np.float32)
            K.bernoulli(mask, SEED, 11, p)
            assert mask.numpy().tolist() == want


def test_vector_normals_agree_with_the_scalar_transform():
    """The AVX2 Box-Muller (csrc/cpu/normal_avx2.cpp: log and cos on double lanes) against
    the scalar one (libm): within a few ulp of double, and float32 results equal but for
    values within those ulps of a float rounding boundary (1 in ~3e7 measured)."""
    n = 1 << 20
    out = {}
    with saved_isa():
        for vector in (True, False):
            _C.set_use_avx2(vector)
            for dtype in (np.float64, np.float32):
                o = kempty((n,), dtype)
                K.random_normal(o, SEED, 5, 0.0, 1.0)
                out[vector, dtype] = o.numpy()
    fast, slow = out[True, np.float64], out[False, np.float64]
    assert np.max(np.abs(fast - slow) / np.spacing(np.abs(slow))) <= 4
    f32, s32 = out[True, np.float32], out[False, np.float32]
    differ = f32 != s32
    assert differ.sum() <= 2
    np.testing.assert_array_equal(np.abs(f32[differ] - s32[differ]), np.spacing(np.abs(s32[differ])))


# ------------------------------------------------------------- reproducibility

GENERATORS = {
    "uniform": (lambda o, s, off: K.random_uniform(o, s, off, -2.0, 3.0), np.float32),
    "normal": (lambda o, s, off: K.random_normal(o, s, off, 0.0, 1.0), np.float64),
    "int": (lambda o, s, off: K.random_int(o, s, off, 0, 1 << 40), np.int64),
    "bernoulli": (lambda o, s, off: K.bernoulli(o, s, off, 0.5), np.float32),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_reproducible_and_offset_addressed(name, threads):
    gen, dtype = GENERATORS[name]
    n = 50_000  # large enough to run in parallel chunks

    def run(seed, offset, shape=(n,)):
        out = kempty(shape, dtype)
        assert gen(out, seed, offset) == offset + math.prod(shape)
        return out.numpy()

    a = run(SEED, 10)
    np.testing.assert_array_equal(a, run(SEED, 10))
    # Element i depends only on (seed, offset + i): shifting the offset shifts the stream,
    # and the output's shape does not matter.
    np.testing.assert_array_equal(a[3:], run(SEED, 13, (n - 3,)))
    np.testing.assert_array_equal(a.reshape(100, 500), run(SEED, 10, (100, 500)))
    assert (a != run(SEED, 11)).mean() > 0.4
    assert (a != run(SEED + 1, 10)).mean() > 0.4


# ----------------------------------------------------------------- distributions

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-3.0, 5.0)])
def test_uniform_moments(dtype, low, high):
    out = kempty((N,), dtype)
    K.random_uniform(out, 42, 0, low, high)
    x = out.numpy().astype(np.float64)
    assert x.min() >= low and x.max() < high
    width = high - low
    assert abs(x.mean() - (low + high) / 2) < 5 * width / math.sqrt(12 * N)
    # Var of the sample variance of U(0,1) is (1/80 - 1/144) / N.
    assert abs(x.var() / width**2 - 1 / 12) < 5 * math.sqrt((1 / 80 - 1 / 144) / N)
    hist, _ = np.histogram(x, bins=10, range=(low, high))
    assert np.all(np.abs(hist - N / 10) < 5 * math.sqrt(N / 10))


@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-3.7, 12.25), (1e8, 1e8 + 8), (-1e30, 1e30)])
def test_uniform_values_on_every_path(isa, low, high):
    """random_uniform's rule, T(low + (high - low) u) or the float below high where that
    rounds to high, element by element: the AVX2 blocks of 32 (csrc/cpu/uniform_avx2.cpp,
    with the AVX-512 or AVX2 words), blocks of 8 and the scalar tail give its bits."""
    n = 32 * 3 + 8 + 5
    w = [words(SEED, 5 + i) for i in range(n)]
    for dtype, us in [(np.float32, [(a >> 8) * 2.0**-24 for a, _, _, _ in w]),
                      (np.float64, [(((b << 32) | a) >> 11) * 2.0**-53 for a, b, _, _ in w])]:
        hi = dtype(high)
        below = np.nextafter(hi, dtype(low)) if dtype(low) < hi else dtype(low)
        want = [v if v < hi else below for v in (dtype(low + (high - low) * u) for u in us)]
        out = kempty((n,), dtype)
        K.random_uniform(out, SEED, 5, low, high)
        assert out.numpy().tolist() == [float(v) for v in want]


def test_uniform_never_reaches_high():
    # float32 spacing at 1e8 is 8, so low + 8u rounds up to high for u >= 0.5.
    out = kempty((1000,), np.float32)
    K.random_uniform(out, 1, 0, 1e8, 1e8 + 8)
    assert np.all(out.numpy() == np.float32(1e8))
    K.random_uniform(out, 1, 0, 2.5, 2.5)  # empty range: low itself
    assert np.all(out.numpy() == 2.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_moments(dtype):
    out = kempty((N,), dtype)
    K.random_normal(out, 7, 0, 0.0, 1.0)
    x = out.numpy().astype(np.float64)
    assert np.all(np.isfinite(x))
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02
    assert abs(np.mean(np.abs(x) < 1) - 0.682689) < 0.01
    assert abs(np.mean(np.abs(x) < 2) - 0.954500) < 0.005
    K.random_normal(out, 7, 0, 3.0, 0.5)
    np.testing.assert_allclose(out.numpy(), (3.0 + 0.5 * x).astype(dtype), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.int64, np.float32, np.float64])
def test_random_int_range_and_histogram(dtype):
    out = kempty((N,), dtype)
    K.random_int(out, 3, 0, -5, 5)
    x = out.numpy()
    assert set(np.unique(x).tolist()) == set(range(-5, 5))
    hist = np.bincount((x + 5).astype(np.int64), minlength=10)
    assert np.all(np.abs(hist - N / 10) < 5 * math.sqrt(N / 10))


def test_random_int_extreme_ranges():
    out = kempty((N,), np.int64)
    K.random_int(out, 3, 0, -(1 << 63), (1 << 63) - 1)  # the full int64 range
    x = out.numpy()
    assert abs(np.mean(x < 0) - 0.5) < 0.01
    K.random_int(out, 3, 0, 10**15, 10**15 + 1)
    assert np.all(out.numpy() == 10**15)
    big = kempty((N,), np.int64)
    K.random_int(big, 5, 0, 0, 3 * (1 << 61))  # range not a power of two
    assert big.numpy().min() >= 0 and big.numpy().max() < 3 * (1 << 61)
    assert abs(np.mean(big.numpy() < (1 << 62)) - 2 / 3) < 0.01


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.bool_])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.97, 1.0])
def test_bernoulli_rate(dtype, p):
    out = kempty((N,), dtype)
    K.bernoulli(out, 11, 0, p)
    x = out.numpy()
    assert set(np.unique(x).tolist()) <= {0, 1}
    assert abs(x.mean() - p) < 5 * math.sqrt(p * (1 - p) / N) + 1e-12


def test_randperm_is_permutation():
    for n in [0, 1, 2, 1000]:
        out = kempty((n,), np.int64)
        assert K.randperm(out, 9, 5) == 5 + n
        assert sorted(out.numpy().tolist()) == list(range(n))
    a, b = kempty((1000,), np.int64), kempty((1000,), np.int64)
    K.randperm(a, 9, 5)
    K.randperm(b, 9, 5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    K.randperm(b, 9, 6)
    assert (a.numpy() != b.numpy()).mean() > 0.9


def test_randperm_uniform_over_permutations():
    counts = {}
    out = kempty((3,), np.int64)
    offset = 0
    for _ in range(6000):
        offset = K.randperm(out, 4, offset)
        key = tuple(out.numpy().tolist())
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 6
    assert all(abs(c - 1000) < 5 * math.sqrt(1000) for c in counts.values())


def test_random_errors():
    f32 = kempty((4,), np.float32)
    with pytest.raises(ValueError, match="random_uniform: need finite low <= high"):
        K.random_uniform(f32, 0, 0, 1.0, 0.0)
    with pytest.raises(ValueError, match="random_normal: need finite mean and std >= 0"):
        K.random_normal(f32, 0, 0, 0.0, -1.0)
    with pytest.raises(ValueError, match="random_int: need low < high"):
        K.random_int(f32, 0, 0, 3, 3)
    with pytest.raises(ValueError, match="bernoulli: p must be in \\[0, 1\\]"):
        K.bernoulli(f32, 0, 0, 1.5)
    with pytest.raises(ValueError, match="random_uniform: offset must be non-negative"):
        K.random_uniform(f32, 0, -1, 0.0, 1.0)
    with pytest.raises(ValueError, match="random_normal: offset 9223372036854775807 overflows"):
        K.random_normal(f32, 0, (1 << 63) - 1, 0.0, 1.0)
    with pytest.raises(ValueError, match="bernoulli: out must be contiguous"):
        K.bernoulli(kview(np.zeros(8, np.float32), np.zeros(8, np.float32)[::2]), 0, 0, 0.5)
    with pytest.raises(TypeError, match="random_normal: expected a floating dtype"):
        K.random_normal(kempty((4,), np.int64), 0, 0, 0.0, 1.0)
    with pytest.raises(TypeError, match="randperm: expected dtype int64"):
        K.randperm(f32, 0, 0)
    with pytest.raises(ValueError, match="randperm: out must be 1-D"):
        K.randperm(kempty((2, 2), np.int64), 0, 0)
    empty = kempty((0, 3), np.float32)
    assert K.random_uniform(empty, 0, 5, 0.0, 1.0) == 5


# ----------------------------------------------------------------------- arange

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("start,step,n", [(0, 1, 10), (2.5, 0.1, 37), (-3, -2, 5), (0, 1, 0), (1, 0.3, 100_000)])
def test_arange(dtype, start, step, n):
    out = kempty((n,), dtype)
    K.arange(out, start, step)
    ref = (start + np.arange(n, dtype=np.float64) * step).astype(dtype)
    np.testing.assert_array_equal(out.numpy(), ref)


@pytest.mark.parametrize("dtype", [fastdl.float32, fastdl.float64])
def test_linspace_is_the_double_formula_rounded_once(dtype):
    """linspace writes start + i * step (double) into its dtype through the arange kernel,
    with the last element exactly end; non-float dtypes and infinite ends go through
    float64 and a cast."""
    for start, end, steps in ((0.0, 1.0, 1_000_001), (-3.3, 7.1, 17), (5.0, -2.0, 2), (1.5, 9.0, 1)):
        got = fastdl.linspace(start, end, steps, dtype=dtype).numpy()
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
        want = start + np.arange(steps, dtype=np.float64) * step
        want[-1] = end if steps > 1 else want[-1]
        np.testing.assert_array_equal(got, want.astype(got.dtype))
    assert fastdl.linspace(0, 10, 4, dtype=fastdl.int64).tolist() == [0, 3, 6, 10]
    with np.errstate(invalid="ignore"):  # (NumPy's own 0 * inf)
        np.testing.assert_array_equal(fastdl.linspace(0.0, math.inf, 3).numpy(), np.linspace(0.0, math.inf, 3))


def test_arange_int64_exact_and_strided():
    out = kempty((4,), np.int64)
    K.arange(out, float(2**53), 3.0)  # 2**53 + 3 is no double: integer arithmetic needed
    assert out.numpy().tolist() == [2**53 + 3 * i for i in range(4)]
    base = np.zeros(10, np.float64)
    K.arange(kview(base, base[::-3]), 1.0, 0.5)
    assert base[::-3].tolist() == [1.0, 1.5, 2.0, 2.5]


def test_arange_errors():
    with pytest.raises(ValueError, match="arange: out must be 1-D"):
        K.arange(kempty((2, 2)), 0.0, 1.0)
    with pytest.raises(ValueError, match="arange: values overflow int64"):
        K.arange(kempty((3,), np.int64), 2.0**62, 2.0**62)
    with pytest.raises(ValueError, match="arange: start and step must be finite"):
        K.arange(kempty((3,)), 0.0, math.inf)
