"""float32 x ** 2 runs as x * x in the pow_scalar kernel (csrc/common/elementwise_ops.h):
the same bits as pow in double rounded once (the kernel's rule for every other exponent),
including signed zeros, infinities, NaN, subnormals and overflow; gradients unchanged."""
import numpy as np

import fastdl


def test_square_is_bit_identical_to_double_pow_rounded():
    rng = np.random.default_rng(0)
    with np.errstate(over="ignore"):
        a = np.concatenate([rng.standard_normal(50000) * 10.0 ** rng.integers(-20, 20, 50000),
                            [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3e38, -3e38, 1.0]]).astype(np.float32)
    got = (fastdl.tensor(a) ** 2).numpy()
    with np.errstate(over="ignore"):
        want = np.power(a.astype(np.float64), 2.0).astype(np.float32)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    np.testing.assert_array_equal((fastdl.tensor(a[:10]) ** 3).numpy(),
                                  np.power(a[:10].astype(np.float64), 3.0).astype(np.float32))


def test_square_gradient():
    x = fastdl.randn(5, dtype=fastdl.float64, requires_grad=True)
    assert fastdl.autograd.gradcheck(lambda t: t ** 2, (x,))
    y = fastdl.randn(5, requires_grad=True)
    (y ** 2).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.detach().numpy(), rtol=1e-6)
