"""float16 / bfloat16 tensors: the dtypes, their promotion, creation and conversion
(round-to-nearest-even in csrc/common/half_convert.h, checked bit for bit against
NumPy's float16 and against independent bfloat16 references), the clear refusal of
ops that do not take them, and matmul / linear on the CPU (float32 inside, the result
rounded once) with autograd."""
import numpy as np
import pytest

import fastdl
from fastdl import dtypes as _dt
import fastdl.nn.functional as F

HALF = [fastdl.float16, fastdl.bfloat16]
FORMAT = {"float16": (5, 10), "bfloat16": (8, 7)}  # exponent, mantissa bits


def bits(t):
    """The uint16 bit patterns of a half tensor."""
    return t.contiguous()._np_view().view(np.uint16)


def finite_table(dtype):
    """Every finite non-negative value of the format, as float64 (exact), by bit pattern."""
    e, m = FORMAT[dtype.name]
    patterns = np.arange((((1 << e) - 1) << m), dtype=np.int64)  # up to, excluding, inf
    exp, mant = patterns >> m, patterns & ((1 << m) - 1)
    bias = (1 << (e - 1)) - 1
    sub = mant * 2.0 ** (1 - bias - m)
    normal = (1 + mant / 2.0 ** m) * 2.0 ** (exp - bias)
    return np.where(exp == 0, sub, normal), e, m


def nearest_even_reference(x, dtype):
    """x (float64, no NaN) rounded to the format by searching the table of its values:
    the nearer neighbour, ties to the even bit pattern, past the largest finite value
    plus half an ulp: inf. Independent of any bit manipulation."""
    table, e, m = finite_table(dtype)
    mag = np.abs(x)
    hi = np.clip(np.searchsorted(table, mag), 1, len(table) - 1)
    lo = hi - 1
    dlo, dhi = mag - table[lo], table[hi] - mag
    pick = np.where(dlo < dhi, lo, np.where(dhi < dlo, hi, np.where(lo % 2 == 0, lo, hi)))
    pick = np.where(mag == table[hi], hi, pick)
    top_ulp = table[-1] - table[-2]
    inf = ((1 << e) - 1) << m
    pick = np.where(mag >= table[-1] + top_ulp / 2, inf, pick)
    return (pick | (np.signbit(x).astype(np.int64) << 15)).astype(np.uint16)


def bf16_bits_from_float32(x):
    """The classic bit manipulation: add 0x7fff plus the lowest kept bit, keep the top 16."""
    b = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(x), ((b >> 16) | 0x40).astype(np.uint16), rounded)


def edge_values(dtype):
    """Zeros, infinities, the largest finite values and the overflow threshold, the
    smallest subnormal and normal and their halves, ties either way, near-ties."""
    table, e, m = finite_table(dtype)
    tiny, min_normal, big = table[1], table[1 << m], table[-1]
    top_ulp = table[-1] - table[-2]
    one_ulp = 2.0 ** -m
    v = [0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, tiny, tiny / 2, tiny * 0.5000001, tiny * 1.5, tiny * 2.5,
         min_normal, min_normal - tiny / 2, min_normal * (1 - 2.0 ** -20), big, big + top_ulp / 2,
         big + top_ulp * 0.4999, -big - top_ulp, 1 + one_ulp / 2, 1 + 3 * one_ulp / 2, 1 + one_ulp / 2 * 1.0001,
         2 - one_ulp / 4, 3.14159265358979, -2.718281828459045, 1e-30, 1e30, 1e300, -1e-300]
    return np.array(v, np.float64)


def random_floats(n, seed=0):
    """float32 values over the whole exponent range (random bit patterns, NaNs dropped)."""
    b = np.random.default_rng(seed).integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32)
    x = b.view(np.float32)
    return x[~np.isnan(x)]


# ---- dtypes, promotion, creation -------------------------------------------------------

def test_dtype_objects():
    assert fastdl.half is fastdl.float16 and fastdl.float16.itemsize == 2 and fastdl.bfloat16.itemsize == 2
    assert fastdl.float16.is_floating_point and fastdl.bfloat16.is_floating_point
    assert repr(fastdl.bfloat16) == "fastdl.bfloat16"
    assert _dt.to_dtype("half") is fastdl.float16 and _dt.to_dtype(np.float16) is fastdl.float16
    assert fastdl.zeros(2, dtype="bfloat16").dtype is fastdl.bfloat16


@pytest.mark.parametrize("a,b,expected", [
    ("float16", "float32", "float32"), ("bfloat16", "float32", "float32"), ("bfloat16", "float16", "float32"),
    ("float16", "float64", "float64"), ("float16", "int64", "float16"), ("bfloat16", "bool", "bfloat16"),
    ("float16", "float16", "float16"), ("bfloat16", "bfloat16", "bfloat16"),
])
def test_promotion_of_tensors(a, b, expected):
    x, y = fastdl.zeros(2, dtype=a), fastdl.zeros(2, dtype=b)
    assert _dt.result_type(x, y).name == expected
    assert _dt.result_type(y, x).name == expected


@pytest.mark.parametrize("h", HALF)
def test_promotion_with_scalars_and_zero_dim(h):
    x = fastdl.zeros(3, dtype=h)
    assert _dt.result_type(x, 2.5) is h and _dt.result_type(x, 2) is h and _dt.result_type(x, True) is h
    assert _dt.result_type(x, fastdl.tensor(1.0)) is h  # a 0-d float32 does not widen a dimensioned half
    assert _dt.result_type(fastdl.zeros(3, dtype=fastdl.int64), fastdl.zeros((), dtype=h)) is h
    other = fastdl.float16 if h is fastdl.bfloat16 else fastdl.bfloat16
    assert _dt.result_type(fastdl.zeros((), dtype=h), fastdl.zeros((), dtype=other)) is fastdl.float32
    assert _dt.result_type(x, fastdl.zeros((), dtype=other)) is h


def test_promotion_matches_torch_result_type():
    torch = pytest.importorskip("torch")

    def both(name, ndim):  # the same zeros in fastdl and torch, 0-d or 1-d
        return fastdl.zeros((2,) * ndim, dtype=name), torch.zeros((2,) * ndim, dtype=getattr(torch, name))

    tensors = [both(n, nd) for n in ("bool", "int64", "float16", "bfloat16", "float32", "float64") for nd in (0, 1)]
    for x, tx in tensors:
        for y, ty in tensors + [(True, True), (3, 3), (2.5, 2.5)]:
            assert _dt.result_type(x, y).name == str(torch.result_type(tx, ty)).replace("torch.", ""), (x, y)


@pytest.mark.parametrize("h", HALF)
def test_creation_functions(h):
    np.testing.assert_array_equal(np.asarray(fastdl.ones(2, 3, dtype=h)), np.ones((2, 3)))
    np.testing.assert_array_equal(np.asarray(fastdl.zeros(4, dtype=h)), np.zeros(4))
    np.testing.assert_array_equal(np.asarray(fastdl.full((2,), -1.5, dtype=h)), [-1.5, -1.5])
    np.testing.assert_array_equal(np.asarray(fastdl.eye(3, dtype=h)), np.eye(3))
    t = fastdl.tensor([[1.0, 2.0], [0.5, -3.0]], dtype=h)
    assert t.dtype is h and t.shape == (2, 2) and t.element_size() == 2
    assert t.tolist() == [[1.0, 2.0], [0.5, -3.0]] and fastdl.tensor(0.25, dtype=h).item() == 0.25
    assert fastdl.empty(3, dtype=h).dtype is h and fastdl.zeros_like(t).dtype is h
    assert f"dtype=fastdl.{h.name}" in repr(t) and "0.5" in repr(t)


def test_numpy_interop():
    a = np.array([1.5, -2.0, 65504.0], np.float16)
    t = fastdl.from_numpy(a)
    assert t.dtype is fastdl.float16 and t.numpy().dtype == np.float16
    np.testing.assert_array_equal(t.numpy(), a)
    assert fastdl.tensor(a).dtype is fastdl.float16
    b = fastdl.tensor([1.0, 2.0], dtype=fastdl.bfloat16)
    with pytest.raises(TypeError, match="bfloat16"):
        b.numpy()
    np.testing.assert_array_equal(np.asarray(b), np.array([1.0, 2.0], np.float32))
    np.testing.assert_array_equal(b.float().numpy(), [1.0, 2.0])


@pytest.mark.parametrize("h", HALF)
def test_to_and_method_conversions(h):
    x = fastdl.tensor([0.1, 1.0, -7.25])
    y = x.to(h)
    assert y.dtype is h and x.half().dtype is fastdl.float16 and x.bfloat16().dtype is fastdl.bfloat16
    assert y.float().dtype is fastdl.float32 and y.double().dtype is fastdl.float64
    assert y.to(fastdl.int64).tolist() == [0, 1, -7] and y.bool().tolist() == [True, True, True]
    assert y.to(h) is y and y.to(dtype=fastdl.float16 if h is fastdl.bfloat16 else fastdl.bfloat16).dtype is not h
    np.testing.assert_array_equal(y.float().numpy()[1:], [1.0, -7.25])  # exact in both formats


def test_conversion_backward_returns_the_source_dtype():
    x = fastdl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.half()
    y.backward(fastdl.tensor([0.5, 1.0, 2.0], dtype=fastdl.float16))
    assert x.grad.dtype is fastdl.float32 and x.grad.tolist() == [0.5, 1.0, 2.0]


# ---- conversion kernels ----------------------------------------------------------------

@pytest.mark.parametrize("src", [np.float32, np.float64])
def test_float16_rounding_matches_numpy_bit_for_bit(src):
    x = np.concatenate([edge_values(fastdl.float16), random_floats(20000, seed=1).astype(np.float64),
                        np.random.default_rng(2).standard_normal(5000) * 1e3])
    with np.errstate(over="ignore"):
        x = x.astype(src)
    got = bits(fastdl.tensor(x).half())
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(got, x.astype(np.float16).view(np.uint16))


@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("src", [np.float32, np.float64])
def test_rounding_matches_the_nearest_even_table(h, src):
    with np.errstate(over="ignore"):
        x = np.concatenate([edge_values(h), random_floats(4000, seed=3).astype(np.float64)]).astype(src)
    got = bits(fastdl.tensor(x).to(h))
    np.testing.assert_array_equal(got, nearest_even_reference(x.astype(np.float64), h))


def test_bfloat16_rounding_matches_the_bit_manipulation_reference():
    with np.errstate(over="ignore"):
        x = np.concatenate([edge_values(fastdl.bfloat16).astype(np.float32), random_floats(20000, seed=4)])
    np.testing.assert_array_equal(bits(fastdl.tensor(x).bfloat16()), bf16_bits_from_float32(x))


@pytest.mark.parametrize("h", HALF)
def test_nan_stays_a_quiet_nan_with_its_sign(h):
    x = np.array([np.nan, -np.nan], np.float32)
    got = bits(fastdl.tensor(x).to(h))
    expect = [0x7E00, 0xFE00] if h is fastdl.float16 else [0x7FC0, 0xFFC0]
    np.testing.assert_array_equal(got, expect)
    assert np.isnan(fastdl.tensor(x).to(h).float().numpy()).all()


@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("wide", [fastdl.float32, fastdl.float64])
def test_widening_is_exact_for_every_bit_pattern(h, wide):
    patterns = np.arange(1 << 16, dtype=np.uint16)
    t = fastdl.empty(1 << 16, dtype=h)
    t._np_view().view(np.uint16)[...] = patterns
    if h is fastdl.bfloat16:
        expect = (patterns.astype(np.uint32) << 16).view(np.float32)
    else:
        expect = patterns.view(np.float16).astype(np.float32)
    got = t.to(wide).numpy()
    nan = np.isnan(expect)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan], expect[~nan].astype(wide.np))
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expect))
    np.testing.assert_array_equal(bits(t.to(wide).to(h))[~nan], patterns[~nan])  # and back, unchanged


@pytest.mark.parametrize("h", HALF)
def test_strided_conversion_and_integer_sources(h):
    x = fastdl.tensor(np.arange(24, dtype=np.float64).reshape(4, 6) / 8)
    y = x.mT.to(h)  # a transposed source
    np.testing.assert_array_equal(np.asarray(y), np.arange(24).reshape(4, 6).T / 8)
    np.testing.assert_array_equal(np.asarray(fastdl.arange(5).to(h)), np.arange(5))
    np.testing.assert_array_equal(np.asarray(fastdl.tensor([True, False]).to(h)), [1, 0])
    assert fastdl.tensor([2049.0]).half().item() == 2048.0  # the tie rounds to even


# ---- elementwise ops (float32 inside), and ops that do not take half dtypes ------------

ELEMENTWISE = {  # fastdl op, float64 reference
    "exp": (lambda t: t.exp(), np.exp),
    "mul_scalar": (lambda t: t * 2.5, lambda x: x * 2.5),
    "sub_float32": (lambda t: t - fastdl.ones(t.shape), lambda x: x - 1.0),
    "relu": (lambda t: F.relu(t), lambda x: np.maximum(x, 0)),
    "tanh": (lambda t: t.tanh(), np.tanh),
}


@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("op", ["exp", "mul_scalar", "sub_float32", "relu", "tanh"])
def test_elementwise_ops_compute_in_float32_and_round_once(h, op):
    x = rand_half((4, 5), h, 40)
    fn, ref = ELEMENTWISE[op]
    out = fn(x)
    expect_dtype = fastdl.float32 if op == "sub_float32" else h  # float16 - float32 promotes
    assert out.dtype is expect_dtype
    np.testing.assert_allclose(f64(out), ref(f64(x)), rtol=TOL[h.name] if out.dtype is h else 1e-6, atol=1e-6)


@pytest.mark.parametrize("h", HALF)
def test_comparisons_give_bool(h):
    x = fastdl.tensor([1.0, 2.0, 3.0], dtype=h)
    assert (x > 1.5).tolist() == [False, True, True] and (x == x).dtype is fastdl.bool_


@pytest.mark.parametrize("h", HALF)
def test_gradients_of_a_reused_tensor_accumulate(h):
    x = rand_half((3, 3), h, 41).requires_grad_()
    (x @ x).backward(fastdl.ones(3, 3, dtype=h))
    xs, ones = f64(x.detach()), np.ones((3, 3))
    assert_close(x.grad, ones @ xs.T + xs.T @ ones, h)


@pytest.mark.parametrize("h", HALF)
def test_reductions_accumulate_in_float32(h):
    x = rand_half((6, 70), h, 42)
    xs = f64(x)
    assert_close(x.sum(), xs.sum(), h)
    assert_close(x.sum(1), xs.sum(1), h)
    assert_close(x.mean(0), xs.mean(0), h)
    assert_close(x.amax(1), xs.max(1), h)
    assert x.argmax(1).tolist() == xs.argmax(1).tolist() and x.argmax(1).dtype is fastdl.int64
    big = fastdl.ones(4096, dtype=h)  # a half accumulator would stop at 2048 (fp16) / 256 (bf16)
    assert big.sum().item() == 4096.0


@pytest.mark.parametrize("h", HALF)
def test_where_and_relu_backward(h):
    x = fastdl.tensor([-1.0, 0.5, 2.0], dtype=h, requires_grad=True)
    assert fastdl.where(x > 0, x, fastdl.zeros(3, dtype=h)).tolist() == [0.0, 0.5, 2.0]
    F.relu(x).backward(fastdl.tensor([3.0, 4.0, 5.0], dtype=h))
    assert x.grad.dtype is h and x.grad.tolist() == [0.0, 4.0, 5.0]


@pytest.mark.parametrize("h", HALF)
def test_broadcast_batch_matmul_backward_sums_in_float32(h):
    a = rand_half((3, 4, 5), h, 43).requires_grad_()
    b = rand_half((5, 2), h, 44).requires_grad_()  # broadcast over a's batch: its grad sums 3 products
    g = rand_half((3, 4, 2), h, 45)
    (a @ b).backward(g)
    terms = [f64(a)[i].T @ f64(g)[i] for i in range(3)]  # each rounded to half, then their sum
    np.testing.assert_allclose(f64(b.grad), sum(terms), atol=2 * TOL[h.name] * sum(np.abs(t) for t in terms).max())


# Linear algebra refuses the half types, as torch's CPU kernels do (convolution, pooling,
# normalisation, softmax, cross_entropy and the index ops compute them in float32:
# tests/test_half_layers.py).
UNSUPPORTED = {
    "matrix_exp": lambda t: fastdl.linalg.matrix_exp(t),
    "solve": lambda t: fastdl.linalg.solve(t, t),
    "inv": lambda t: fastdl.linalg.inv(t),
    "cholesky": lambda t: fastdl.linalg.cholesky(t),
}


@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("op", sorted(UNSUPPORTED))
def test_unsupported_ops_raise_a_type_error_naming_op_and_dtype(h, op):
    t = fastdl.ones(2, 2, dtype=h)
    with pytest.raises(TypeError, match=f"(?s)(?=.*{op})(?=.*{h.name})"):
        UNSUPPORTED[op](t)


# ---- matmul / linear on the CPU --------------------------------------------------------

TOL = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}  # two half-ulps of the result


def rand_half(shape, h, seed):
    return fastdl.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=h)


def f64(t):
    return np.asarray(t).astype(np.float64)


def assert_close(got, expect, h):
    assert got.dtype is h
    scale = np.abs(expect).max(initial=1.0)
    np.testing.assert_allclose(f64(got), expect, rtol=TOL[h.name], atol=TOL[h.name] * scale * 0.05)


@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("sa,sb", [((5, 7), (7, 3)), ((2, 5, 7), (7, 3)), ((3, 1, 4, 9), (2, 9, 6)),
                                   ((7,), (7, 3)), ((5, 7), (7,)), ((7,), (7,)), ((0, 4), (4, 3)), ((3, 0), (0, 2))])
def test_matmul_against_float64(h, sa, sb):
    a, b = rand_half(sa, h, 1), rand_half(sb, h, 2)
    assert_close(a @ b, f64(a) @ f64(b), h)


@pytest.mark.parametrize("h", HALF)
def test_matmul_of_transposed_views(h):
    a, b = rand_half((9, 6), h, 3), rand_half((4, 9), h, 4)
    assert_close(a.mT @ b.mT, f64(a).T @ f64(b).T, h)


@pytest.mark.parametrize("h", HALF)
def test_matmul_backward(h):
    a = rand_half((4, 6), h, 5).requires_grad_()
    b = rand_half((6, 3), h, 6).requires_grad_()
    g = rand_half((4, 3), h, 7)
    (a @ b).backward(g)
    assert_close(a.grad, f64(g) @ f64(b).T, h)
    assert_close(b.grad, f64(a).T @ f64(g), h)


@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward_and_backward(h, bias):
    x = rand_half((2, 5, 8), h, 8).requires_grad_()
    w = rand_half((3, 8), h, 9).requires_grad_()
    b = rand_half((3,), h, 10).requires_grad_() if bias else None
    out = F.linear(x, w, b)
    expect = f64(x) @ f64(w).T + (f64(b) if bias else 0)
    assert_close(out, expect, h)
    g = rand_half((2, 5, 3), h, 11)
    out.backward(g)
    assert_close(x.grad, f64(g) @ f64(w), h)
    assert_close(w.grad, f64(g).reshape(-1, 3).T @ f64(x).reshape(-1, 8), h)
    if bias:
        assert_close(b.grad, f64(g).reshape(-1, 3).sum(0), h)


def test_linear_module_in_half():
    m = fastdl.nn.Linear(8, 4)
    x = rand_half((3, 8), fastdl.float16, 12)
    assert m.half() is m and m.weight.dtype is fastdl.float16
    assert_close(m(x), f64(x) @ f64(m.weight).T + f64(m.bias), fastdl.float16)
    assert m.bfloat16().bias.dtype is fastdl.bfloat16


def test_matmul_rejects_mixed_dtypes():
    with pytest.raises(TypeError, match="matmul.*float16.*float32"):
        fastdl.ones(2, 2, dtype=fastdl.float16) @ fastdl.ones(2, 2)
    with pytest.raises(TypeError, match="linear.*bfloat16"):
        F.linear(fastdl.ones(2, 2, dtype=fastdl.bfloat16), fastdl.ones(2, 2))


# ---- interchange -----------------------------------------------------------------------

@pytest.mark.parametrize("h", HALF)
def test_save_load_round_trips_bit_exact(h, tmp_path):
    t = fastdl.tensor(np.random.default_rng(13).standard_normal((3, 4)), dtype=h)
    fastdl.save({"w": t}, tmp_path / "h.safetensors")
    got = fastdl.load(tmp_path / "h.safetensors")["w"]
    assert got.dtype is h
    np.testing.assert_array_equal(bits(got), bits(t))


@pytest.mark.parametrize("h", HALF)
def test_torch_interchange_through_dlpack(h):
    torch = pytest.importorskip("torch")
    t = fastdl.tensor([1.5, -0.25, 3072.0], dtype=h)
    tt = torch.from_dlpack(t)
    assert tt.dtype == getattr(torch, h.name) and tt.float().tolist() == t.float().tolist()
    back = fastdl.from_dlpack(tt * 2)
    assert back.dtype is h and back.float().tolist() == [3.0, -0.5, 6144.0]


# ---- CUDA: the tensor-core GEMM (cuda/gemm_half.cu) and the strided fallback ------------

def cuda_half(shape, h, seed, layout="n"):
    """A random half tensor on the GPU, contiguous ('n') or the transpose of a contiguous
    one ('t': contiguous along the other dim, the .trans / mn-inner kernel variants)."""
    if layout == "t":
        return cuda_half(shape[::-1], h, seed).mT
    return rand_half(shape, h, seed).cuda()


# Multiples of 8 (the tensor cores' 16-byte layouts) ragged against the 128 x 128 x 64
# tiles, exact tiles, a long K; then sizes whose rows break 16-byte alignment (strided kernel).
GEMM_SIZES = [(8, 8, 8), (24, 40, 16), (136, 72, 264), (128, 128, 128), (256, 192, 384), (384, 1000, 264),
              (8, 2000, 16)]
STRIDED_SIZES = [(1, 1, 1), (5, 7, 3), (130, 70, 20)]


@pytest.mark.cuda
@pytest.mark.parametrize("h", HALF)
@pytest.mark.parametrize("layouts", ["nn", "nt", "tn", "tt"])
@pytest.mark.parametrize("mkn", GEMM_SIZES + STRIDED_SIZES)
def test_cuda_matmul_against_float64(h, layouts, mkn):
    m, k, n = mkn
    a, b = cuda_half((m, k), h, 20, layouts[0]), cuda_half((k, n), h, 21, layouts[1])
    assert_close((a @ b).cpu(), f64(a.cpu()) @ f64(b.cpu()), h)


@pytest.mark.cuda
@pytest.mark.parametrize("h,ones,expect", [(fastdl.float16, 2051, 2052.0), (fastdl.bfloat16, 259, 260.0)])
@pytest.mark.parametrize("k", [2056, 2051])  # tensor cores (a multiple of 8), strided kernel
def test_cuda_matmul_accumulates_in_fp32_and_rounds_once(h, ones, expect, k):
    # `ones` ones: exact in fp32, a tie in the half format, rounding to the even neighbour
    # (a half accumulator would have stuck at 2048 / 256).
    a = fastdl.tensor((np.arange(k) < ones).astype(np.float64)[None].repeat(16, 0), dtype=h).cuda()
    out = (a @ fastdl.ones(k, 8, dtype=h).cuda()).cpu()
    assert (f64(out) == expect).all()


@pytest.mark.cuda
@pytest.mark.parametrize("h", HALF)
def test_cuda_batched_and_broadcast_matmul(h):
    a, b = cuda_half((3, 1, 72, 40), h, 22), cuda_half((2, 40, 136), h, 23)
    assert_close((a @ b).cpu(), f64(a.cpu()) @ f64(b.cpu()), h)


@pytest.mark.cuda
@pytest.mark.parametrize("h", HALF)
def test_cuda_matmul_alpha_beta(h):
    a, b, c0 = cuda_half((40, 24), h, 24), cuda_half((24, 48), h, 25), cuda_half((40, 48), h, 26)
    out = c0.clone()
    fastdl._C.cuda.matmul(a, b, out, 0.5, 2.0)
    assert_close(out.cpu(), 0.5 * f64(a.cpu()) @ f64(b.cpu()) + 2.0 * f64(c0.cpu()), h)


@pytest.mark.cuda
@pytest.mark.parametrize("h", HALF)
def test_cuda_linear_forward_and_backward(h):
    x = cuda_half((64, 96), h, 27).requires_grad_()
    w = cuda_half((40, 96), h, 28).requires_grad_()
    b = cuda_half((40,), h, 29).requires_grad_()
    out = F.linear(x, w, b)
    xs, ws, bs = f64(x.detach().cpu()), f64(w.detach().cpu()), f64(b.detach().cpu())
    assert_close(out.detach().cpu(), xs @ ws.T + bs, h)
    g = cuda_half((64, 40), h, 30)
    out.backward(g)
    gs = f64(g.cpu())
    assert_close(x.grad.cpu(), gs @ ws, h)
    assert_close(w.grad.cpu(), gs.T @ xs, h)
    assert_close(b.grad.cpu(), gs.sum(0), h)


@pytest.mark.cuda
@pytest.mark.parametrize("h", HALF)
def test_cuda_conversion_matches_the_cpu_bit_for_bit(h):
    x = np.concatenate([edge_values(h), random_floats(20000, seed=31).astype(np.float64)])
    for src in (fastdl.float32, fastdl.float64):
        t = fastdl.tensor(x, dtype=src)
        on_gpu = t.cuda().to(h).cpu()
        np.testing.assert_array_equal(bits(on_gpu), bits(t.to(h)))
        np.testing.assert_array_equal(on_gpu.cuda().to(src).cpu().numpy(), on_gpu.to(src).numpy())


@pytest.mark.cuda
@pytest.mark.parametrize("h", HALF)
def test_cuda_elementwise_and_reductions_in_float32(h):
    x = rand_half((33, 70), h, 46)
    xs, xc = f64(x), x.cuda()
    assert_close((xc * 2.5).exp().cpu(), f64((x * 2.5).exp()), h)  # both round x * 2.5 to half first
    assert_close(xc.sum(1).cpu(), xs.sum(1), h)
    assert_close(fastdl.where(xc > 0, xc, xc * 0.5).cpu(), np.where(xs > 0, xs, xs * 0.5), h)


def test_tensor_from_numpy_float16_keeps_signalling_nan_bits():
    """fastdl.tensor of a NumPy float16 array copies the bits (as torch.tensor): a detour
    through float64 had quieted signalling NaNs (0x7c01 -> 0x7e01)."""
    bits = np.array([0x7C01, 0x7E01, 0xFC01, 0x3C00, 0x0001, 0x8000], np.uint16)
    for dtype in (None, fastdl.float16):
        t = fastdl.tensor(bits.view(np.float16), dtype=dtype)
        assert t.dtype is fastdl.float16
        np.testing.assert_array_equal(t.view(fastdl.int16).numpy().view(np.uint16), bits)


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_half_arithmetic_in_one_pass_matches_float32_rounded_once(dtype, op, avx2):
    """a op b for half operands (cpu half_arith: float32 blocks, the copy kernel's
    conversions): bit for bit the float32 result rounded once, for contiguous, broadcast
    (either side) and strided operands, with infinities, NaN, zeros of both signs and
    overflow past the half range; on the AVX2 and the portable paths."""
    rng = np.random.default_rng(len(op))
    a32 = (rng.standard_normal(5000) * 300).astype(np.float32)
    b32 = (rng.standard_normal(5000) * 3).astype(np.float32)
    a32[:8] = [np.inf, -np.inf, np.nan, 0.0, -0.0, 60000.0, 1e-6, -3.0]
    b32[:8] = [1.0, np.inf, 2.0, -0.0, 0.0, 60000.0, 1e-7, 0.0]
    a, b = fastdl.tensor(a32).to(dtype), fastdl.tensor(b32).to(dtype)
    fa, fb = a.float(), b.float()
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y}[op]
    for x, y, fx, fy in ((a, b, fa, fb), (a, b[9:10], fa, fb[9:10]), (a[3:4], b, fa[3:4], fb),
                         (a[::2], b[1::2], fa[::2], fb[1::2]), (a.reshape(50, 100).t(), b.reshape(100, 50),
                                                                 fa.reshape(50, 100).t(), fb.reshape(100, 50))):
        got = fn(x, y)
        assert got.dtype is dtype
        np.testing.assert_array_equal(bits(got), bits(fn(fx, fy).to(dtype)))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_float16_arithmetic_on_every_bit_pattern(op, avx2):
    """float16 a op b over all 65,536 patterns of a (signalling NaNs, subnormals, both
    infinities) against a few b, either side broadcast, lengths with a partial last block
    of the F16C loop (f16c::half_arith): bit for bit the float32 op of the widened values,
    rounded once. Where both operands are NaN only NaN is required: which payload wins is
    unspecified (IEEE 754), and a compiler may swap a commutative op's operands."""
    every = fastdl.tensor(np.arange(65536, dtype=np.uint16).view(np.int16)).view(fastdl.float16)
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y}[op]
    for other in (0x3C00, 0x0001, 0x7C01, 0xFE00, 0xC900, 0x7BFF):
        y = fastdl.tensor(np.array([other], np.uint16).view(np.int16)).view(fastdl.float16)
        for n in (65536, 65535, 13):
            x = every[:n]
            ys = y.expand(n).contiguous()
            both_nan = np.isnan(x.float().numpy()) & np.isnan(y.float().numpy())
            for got, want in ((fn(x, ys), fn(x.float(), ys.float())), (fn(ys, x), fn(ys.float(), x.float())),
                              (fn(x, y), fn(x.float(), y.float())), (fn(y, x), fn(y.float(), x.float()))):
                assert np.isnan(got.float().numpy()[both_nan]).all()
                np.testing.assert_array_equal(bits(got)[~both_nan], bits(want.to(fastdl.float16))[~both_nan])
