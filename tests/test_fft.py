"""fastdl.fft against numpy.fft (values, accuracy of the C++ kernel for power-of-two,
odd and prime lengths), torch.fft (values, dtypes, gradients), gradcheck through
view_as_real, and the bad inputs torch refuses."""
import numpy as np
import pytest

import fastdl
from fastdl import fft
from fastdl.testing import gradcheck


def crand(*shape, seed=0, dtype=np.complex128):
    r = np.random.default_rng(seed)
    return (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(dtype)


def rrand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def close(got, want, tol):
    """Within tol relative to the largest magnitude (the accuracy a FFT promises)."""
    got = got.numpy() if isinstance(got, fastdl.Tensor) else got
    assert got.shape == want.shape, (got.shape, want.shape)
    scale = max(np.abs(want).max(initial=0.0), 1e-300)
    err = np.abs(got - want).max(initial=0.0) / scale
    assert err <= tol, err


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 12, 13, 64, 97, 100, 127, 128, 1000, 1024])
@pytest.mark.parametrize("dtype,tol", [(np.complex64, 1e-5), (np.complex128, 1e-12)])
def test_kernel_accuracy_vs_numpy(n, dtype, tol):
    a = crand(3, n, seed=n, dtype=dtype)
    x = fastdl.tensor(a)
    close(fft.fft(x), np.fft.fft(a.astype(np.complex128)), tol)
    close(fft.ifft(x), np.fft.ifft(a.astype(np.complex128)), tol)
    assert fft.fft(x).dtype is x.dtype


def test_threaded_batch_and_large_prime():
    a = crand(64, 509, seed=1)
    close(fft.fft(fastdl.tensor(a)), np.fft.fft(a), 1e-12)
    b = crand(2, 8192, seed=2)
    close(fft.ifft(fastdl.tensor(b)), np.fft.ifft(b), 1e-12)


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_one_dim_transforms_vs_numpy(norm):
    a, r = crand(4, 6, seed=3), rrand(4, 7, seed=4)
    x, xr = fastdl.tensor(a), fastdl.tensor(r)
    for n in (None, 4, 9):
        for dim in (-1, 0):
            close(fft.fft(x, n, dim, norm), np.fft.fft(a, n, dim, norm), 1e-12)
            close(fft.ifft(x, n, dim, norm), np.fft.ifft(a, n, dim, norm), 1e-12)
            close(fft.rfft(xr, n, dim, norm), np.fft.rfft(r, n, dim, norm), 1e-12)
            close(fft.irfft(x, n, dim, norm), np.fft.irfft(a, n, dim, norm), 1e-12)
            close(fft.hfft(x, n, dim, norm), np.fft.hfft(a, n, dim, norm), 1e-12)
            close(fft.ihfft(xr, n, dim, norm), np.fft.ihfft(r, n, dim, norm), 1e-12)


@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_n_dim_transforms_vs_numpy(norm):
    a, r = crand(3, 4, 5, seed=5), rrand(3, 4, 6, seed=6)
    x, xr = fastdl.tensor(a), fastdl.tensor(r)
    close(fft.fft2(x, norm=norm), np.fft.fft2(a, norm=norm), 1e-12)
    close(fft.ifft2(x, s=(3, 7), norm=norm), np.fft.ifft2(a, s=(3, 7), norm=norm), 1e-12)
    close(fft.fftn(x, norm=norm), np.fft.fftn(a, norm=norm), 1e-12)
    close(fft.ifftn(x, dim=(0, 2), norm=norm), np.fft.ifftn(a, axes=(0, 2), norm=norm), 1e-12)
    close(fft.rfft2(xr, norm=norm), np.fft.rfft2(r, norm=norm), 1e-12)
    close(fft.rfftn(xr, s=(2, 5), norm=norm), np.fft.rfftn(r, s=(2, 5), axes=(1, 2), norm=norm), 1e-12)
    close(fft.irfft2(x, norm=norm), np.fft.irfft2(a, norm=norm), 1e-12)
    close(fft.irfftn(x, s=(4, 7), norm=norm), np.fft.irfftn(a, s=(4, 7), axes=(1, 2), norm=norm), 1e-12)


def test_real_input_promotes_and_dtypes():
    r32 = fastdl.tensor(rrand(8, dtype=np.float32))
    assert fft.fft(r32).dtype is fastdl.complex64 and fft.rfft(r32).dtype is fastdl.complex64
    assert fft.fft(fastdl.arange(4)).dtype is fastdl.complex64
    assert fft.irfft(fft.rfft(r32)).dtype is fastdl.float32
    assert fft.fft(r32.double()).dtype is fastdl.complex128
    close(fft.irfft(fft.rfft(r32), 8), r32.numpy().astype(np.float64), 1e-6)


def test_matches_torch_values_and_hermitian_nd():
    torch = pytest.importorskip("torch")
    a, r = crand(3, 4, 5, seed=8), rrand(3, 4, 5, seed=9)
    x, xr, ta, tr = fastdl.tensor(a), fastdl.tensor(r), torch.tensor(a), torch.tensor(r)
    pairs = [(fft.hfft2(x), torch.fft.hfft2(ta)), (fft.ihfft2(xr), torch.fft.ihfft2(tr)),
             (fft.hfftn(x, s=(3, 6)), torch.fft.hfftn(ta, s=(3, 6))), (fft.ihfftn(xr), torch.fft.ihfftn(tr)),
             (fft.rfftn(xr, dim=(0, 1)), torch.fft.rfftn(tr, dim=(0, 1))),
             (fft.fftshift(x, dim=(0, 2)), torch.fft.fftshift(ta, dim=(0, 2))),
             (fft.ifftshift(xr), torch.fft.ifftshift(tr)),
             (fft.fftfreq(7, 0.5), torch.fft.fftfreq(7, 0.5)), (fft.rfftfreq(8), torch.fft.rfftfreq(8)),
             (fft.fftfreq(4, dtype=fastdl.float64), torch.fft.fftfreq(4, dtype=torch.float64))]
    for got, want in pairs:
        assert got.dtype.name == str(want.dtype).split(".")[1]
        close(got, want.numpy(), 1e-6 if got.dtype.name in ("float32", "complex64") else 1e-12)


def _through_real(fn):
    def g(r):
        x = fastdl.view_as_complex(r) if r.shape[-1] == 2 and r.ndim == 3 else r
        y = fn(x)
        return fastdl.view_as_real(y) if y.dtype.is_complex else y
    return g


@pytest.mark.parametrize("name,fn,real_in", [
    ("fft", lambda x: fft.fft(x, norm="ortho"), False), ("ifft_pad", lambda x: fft.ifft(x, n=7, dim=0), False),
    ("fft2", lambda x: fft.fft2(x), False), ("rfft", lambda x: fft.rfft(x, n=5), True),
    ("irfft", lambda x: fft.irfft(x, n=6), False), ("irfft_odd", lambda x: fft.irfft(x, n=5), False),
    ("hfft", lambda x: fft.hfft(x), False), ("ihfft", lambda x: fft.ihfft(x), True),
    ("rfft2", lambda x: fft.rfft2(x), True), ("irfftn", lambda x: fft.irfftn(x), False),
])
def test_gradcheck(name, fn, real_in):
    r = np.random.default_rng(11)
    shape = (3, 4) if real_in else (3, 4, 2)
    x = fastdl.tensor(r.standard_normal(shape), dtype=fastdl.float64, requires_grad=True)
    assert gradcheck(_through_real(fn), (x,))


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    a, r = crand(3, 4, seed=12), rrand(3, 5, seed=13)
    w = np.random.default_rng(14).standard_normal((3, 8))
    cases = [(lambda m, x: m.fft.fft(x, norm="ortho").abs().sum(), False),
             (lambda m, x: (m.fft.rfft(x).abs() ** 2).sum(), True),
             (lambda m, x: (m.fft.rfft(x, n=8) * m.tensor(w[:, :5])).real.sum(), True),
             (lambda m, x: (m.fft.irfft(x) * m.tensor(w[:, :6])).sum(), False),
             (lambda m, x: (m.fft.irfft(x, n=7) ** 2).sum(), False),
             (lambda m, x: m.fft.hfft(x, n=5).sum(), False),
             (lambda m, x: m.fft.ihfft(x).imag.sum(), True),
             (lambda m, x: m.view_as_real(m.fft.ifft2(x, norm="forward")).pow(2).sum(), False)]
    for i, (op, real_in) in enumerate(cases):
        data = r if real_in else a
        fx, tx = fastdl.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        op(fastdl, fx).backward()
        op(torch, tx).backward()
        np.testing.assert_allclose(fx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10, err_msg=str(i))


def test_edge_cases():
    x = fastdl.tensor(crand(1, seed=15))
    close(fft.fft(x), x.numpy(), 0)  # length 1: the identity
    e = fastdl.zeros(0, 4, dtype=fastdl.complex64)
    assert tuple(fft.fft(e).shape) == (0, 4)
    assert tuple(fft.rfft(fastdl.zeros(2, 0, 6)).shape) == (2, 0, 4)


def test_bad_inputs():
    x = fastdl.tensor(crand(4))
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        fft.fft(x, n=0)
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        fft.fft(fastdl.zeros(0, dtype=fastdl.complex64))
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        fft.irfft(fastdl.tensor([1 + 0j]))
    with pytest.raises(IndexError, match="out of range"):
        fft.fft(x, dim=1)
    with pytest.raises(IndexError, match="out of range"):
        fft.fftn(x, dim=(0, 3))
    with pytest.raises(RuntimeError, match="real input"):
        fft.rfft(x)
    with pytest.raises(ValueError, match="Invalid normalization mode"):
        fft.fft(x, norm="bogus")
    with pytest.raises(RuntimeError, match="same length"):
        fft.fftn(x, s=(2, 2), dim=(0,))
    with pytest.raises(TypeError):
        fft.fft([1, 2, 3])
    with pytest.raises(TypeError, match="complex"):
        fastdl._C.cpu.fft_c2c(fastdl.ones(4), fastdl.ones(4), False)


def test_dft_matrix_product_of_the_cuda_path():
    """The CUDA path multiplies by _dft_matrix; the same product on the CPU matches numpy."""
    from fastdl.fft import _dft_matrix
    a = crand(2, 13, seed=16)
    x = fastdl.tensor(a)
    close(x @ _dft_matrix(13, False, x.dtype, x.device), np.fft.fft(a), 1e-12)
    close(x @ _dft_matrix(13, True, x.dtype, x.device), np.fft.ifft(a) * 13, 1e-12)


# ---- stft / istft ------------------------------------------------------------------------------------

def test_stft_values_and_round_trip():
    r = rrand(2, 40, seed=17)
    x = fastdl.tensor(r)
    w = fastdl.hann_window(16, dtype=fastdl.float64)
    s = fastdl.stft(x, 16, hop_length=4, window=w, return_complex=True)
    assert tuple(s.shape) == (2, 9, 11) and s.dtype is fastdl.complex128
    # frame 3 by hand: the reflect-padded signal's samples 12..27, windowed, transformed
    padded = np.pad(r, ((0, 0), (8, 8)), mode="reflect")
    close(s[:, :, 3], np.fft.rfft(padded[:, 12:28] * w.numpy()), 1e-12)
    back = fastdl.istft(s, 16, hop_length=4, window=w, length=40)
    close(back, r, 1e-12)
    assert tuple(x[0].stft(16, window=w, return_complex=True).shape) == (9, 11)


def test_stft_istft_match_torch():
    torch = pytest.importorskip("torch")
    r = rrand(2, 50, seed=18)
    for kw in (dict(n_fft=16), dict(n_fft=16, hop_length=5, win_length=12), dict(n_fft=8, center=False),
               dict(n_fft=16, pad_mode="constant", normalized=True), dict(n_fft=10, onesided=False)):
        wl = kw.get("win_length", kw["n_fft"])
        fw, tw = fastdl.hann_window(wl, dtype=fastdl.float64), torch.hann_window(wl, dtype=torch.float64)
        a = fastdl.stft(fastdl.tensor(r), window=fw, return_complex=True, **kw)
        b = torch.stft(torch.tensor(r), window=tw, return_complex=True, **kw)
        close(a, b.numpy(), 1e-12)
        if kw.get("center", True):
            ikw = {k: v for k, v in kw.items() if k != "pad_mode"}
            close(fastdl.istft(a, window=fw, **ikw), torch.istft(b, window=tw, **ikw).numpy(), 1e-12)
    x, y = torch.tensor(r[0], requires_grad=True), fastdl.tensor(r[0], requires_grad=True)
    torch.stft(x, 16, window=torch.hann_window(16, dtype=torch.float64), return_complex=True).abs().sum().backward()
    fastdl.stft(y, 16, window=fastdl.hann_window(16, dtype=fastdl.float64), return_complex=True).abs().sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), x.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_stft_gradcheck_and_errors():
    x = fastdl.tensor(rrand(20, seed=19), requires_grad=True)
    w = fastdl.hann_window(8, dtype=fastdl.float64)
    assert gradcheck(lambda t: fastdl.view_as_real(fastdl.stft(t, 8, window=w, return_complex=True)), (x,))
    with pytest.raises(RuntimeError, match="return_complex"):
        fastdl.stft(x, 8)
    with pytest.raises(RuntimeError, match="n_fft"):
        fastdl.stft(x, 64, center=False, return_complex=True)
    with pytest.raises(RuntimeError, match="window"):
        fastdl.stft(x, 8, window=fastdl.ones(5), return_complex=True)
    s = fastdl.stft(x.detach(), 8, hop_length=2, window=w, center=False, return_complex=True)
    with pytest.raises(RuntimeError, match="overlap add"):
        fastdl.istft(s, 8, hop_length=2, window=w, center=False)
    with pytest.raises(RuntimeError, match="complex"):
        fastdl.istft(x, 8)
