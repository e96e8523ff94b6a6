"""Long CPU kernels release the GIL (csrc/bind/gil.h), so another Python thread runs
while they compute; and kernels running in several Python threads at once stay correct.

Detection: a background thread stamps time.perf_counter() and sleeps ~20 us (without the
GIL) in a loop. The switch interval is set long (0.25 s), so the interpreter never forces
the main thread to hand the GIL over during a call: the stamper can run during a call only
when that call releases the GIL itself. A GIL-holding C call (sorted() on a big list) and a
loop of small ops are the negative controls that show the detector can say no.
"""
import sys
import threading
import time

import numpy as np
import pytest

import fastdl
import fastdl.nn as nn
import fastdl.nn.functional as F


class _Stamper:
    """A thread that records perf_counter() whenever it gets the GIL, sleeping between."""

    def __init__(self):
        self.stamps = []
        self._run = True
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        pc, sleep, stamps = time.perf_counter, time.sleep, self.stamps
        while self._run:
            stamps.append(pc())
            sleep(2e-5)  # the GIL is free meanwhile, so the main thread takes it back at once

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._run = False
        self._thread.join()


@pytest.fixture
def stamper():
    old_interval = sys.getswitchinterval()
    old_threads = fastdl.get_num_threads()
    sys.setswitchinterval(0.25)  # no forced hand-over within a call
    fastdl.set_num_threads(1)  # the kernel on one core, the stamper on the other
    with _Stamper() as s:
        time.sleep(0.005)
        yield s
    fastdl.set_num_threads(old_threads)
    sys.setswitchinterval(old_interval)


def _ran_during(stamper, fn, tries=8):
    """Whether the stamper ran in the middle half of some call of fn. A releasing call can
    still miss the stamper when the host deschedules it for the call's length (seen once in
    CI: layer_norm, 3 tries), so positives get 8 tries; the negative controls pass tries=2,
    and no number of tries lets a GIL-holding call see a stamp."""
    for _ in range(tries):
        del stamper.stamps[:]
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        lo, hi = t0 + (t1 - t0) / 4, t1 - (t1 - t0) / 4
        if any(lo < t < hi for t in list(stamper.stamps)):
            return True
    return False


def test_detector_sees_a_gil_holding_call(stamper):
    data = list(np.random.default_rng(0).integers(0, 1 << 40, 300_000).tolist())
    assert not _ran_during(stamper, lambda: sorted(data), tries=2)


def _randn(*shape):
    return fastdl.randn(*shape)


def test_matmul_releases(stamper):
    a, b = _randn(512, 512), _randn(512, 512)
    assert _ran_during(stamper, lambda: a @ b)  # the 2-D fast path
    a3, b3 = _randn(4, 256, 256), _randn(4, 256, 256)
    assert _ran_during(stamper, lambda: fastdl.matmul(a3, b3))  # batched: _C.cpu.matmul
    x, w, bias = _randn(512, 512), _randn(512, 512), _randn(512)
    assert _ran_during(stamper, lambda: F.linear(x, w, bias))


def test_conv_and_pool_release(stamper):
    x, w = _randn(8, 16, 64, 64), _randn(32, 16, 3, 3)
    assert _ran_during(stamper, lambda: F.conv2d(x, w, padding=1))
    xg, wg = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
    y = F.conv2d(xg, wg, padding=1)
    g = fastdl.ones_like(y)
    assert _ran_during(stamper, lambda: fastdl.autograd.grad(y, (xg, wg), g, retain_graph=True))
    big = _randn(16, 32, 128, 128)
    assert _ran_during(stamper, lambda: F.max_pool2d(big, 3, 1, 1))
    assert _ran_during(stamper, lambda: F.avg_pool2d(big, 3, 1, 1))


def test_rnn_sequences_release(stamper):
    for cls in (nn.LSTM, nn.GRU):
        rnn = cls(128, 256)
        x = _randn(64, 16, 128)
        with fastdl.no_grad():
            assert _ran_during(stamper, lambda: rnn(x)), cls.__name__


def test_norms_softmax_reductions_release(stamper):
    x = _randn(64, 64, 32, 32)
    bn = nn.BatchNorm2d(64)
    with fastdl.no_grad():
        assert _ran_during(stamper, lambda: bn(x))
        assert _ran_during(stamper, lambda: F.layer_norm(x, (32, 32)))
    logits = _randn(4096, 1000)
    target = fastdl.randint(0, 1000, (4096,))
    assert _ran_during(stamper, lambda: F.softmax(logits, dim=1))
    assert _ran_during(stamper, lambda: F.cross_entropy(logits, target))
    assert _ran_during(stamper, lambda: x.sum(dim=(1, 3)))
    assert _ran_during(stamper, lambda: fastdl.cumsum(logits, 1))


def test_elementwise_copy_random_sort_release(stamper):
    a, b = _randn(4096, 2048), _randn(4096, 2048)
    assert _ran_during(stamper, lambda: a * b)
    assert _ran_during(stamper, lambda: fastdl.exp(a))
    assert _ran_during(stamper, lambda: a.t().contiguous())
    assert _ran_during(stamper, lambda: fastdl.randn(4096, 2048))
    assert _ran_during(stamper, lambda: fastdl.sort(a[:512], dim=1))


def test_optimizer_step_and_linalg_release(stamper):
    p = nn.Parameter(_randn(4096, 2048))
    p.grad = _randn(4096, 2048)
    opt = fastdl.optim.Adam([p], lr=1e-3)
    assert _ran_during(stamper, opt.step)
    m = _randn(384, 384)
    spd = m @ m.t() + 384 * fastdl.eye(384)
    assert _ran_during(stamper, lambda: fastdl.linalg.cholesky(spd))
    assert _ran_during(stamper, lambda: fastdl.linalg.svd(m))


def test_small_ops_keep_the_gil(stamper):
    # below the threshold the kernel runs with the GIL held: no hand-over per small op
    a, b = _randn(32, 64), _randn(32, 64)
    w = _randn(64, 64)

    def loop():
        for _ in range(500):
            a * b
            fastdl.exp(a)
            a @ w
            a.sum(dim=1)

    assert not _ran_during(stamper, loop, tries=2)


def test_kernels_in_threads_concurrently():
    """Several Python threads run big kernels at once on their own tensors (sharing the
    thread pool, scratch buffers and the host allocator); every result matches NumPy."""
    old = fastdl.get_num_threads()
    fastdl.set_num_threads(2)
    errors = []

    def conv_ref(x, w):  # valid 3x3 convolution in float64
        n, c, h, wd = x.shape
        o = w.shape[0]
        out = np.zeros((n, o, h - 2, wd - 2))
        for i in range(3):
            for j in range(3):
                out += np.einsum("nchw,oc->nohw", x[:, :, i:i + h - 2, j:j + wd - 2], w[:, :, i, j])
        return out

    def worker(seed):
        rng = np.random.default_rng(seed)
        try:
            deadline = time.perf_counter() + 1.5
            while time.perf_counter() < deadline:
                a = rng.standard_normal((300, 200))
                b = rng.standard_normal((200, 260))
                got = (fastdl.tensor(a, dtype=fastdl.float64) @ fastdl.tensor(b, dtype=fastdl.float64)).numpy()
                np.testing.assert_allclose(got, a @ b, rtol=1e-10, atol=1e-10)
                x = rng.standard_normal((4, 8, 40, 40)).astype(np.float32)
                w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
                got = F.conv2d(fastdl.tensor(x), fastdl.tensor(w)).numpy()
                np.testing.assert_allclose(got, conv_ref(x.astype(np.float64), w.astype(np.float64)),
                                           rtol=1e-4, atol=1e-4)
                r = rng.standard_normal((64, 2048))
                t = fastdl.tensor(r, dtype=fastdl.float64)
                np.testing.assert_allclose(t.sum(dim=1).numpy(), r.sum(1), rtol=1e-10, atol=1e-10)
                np.testing.assert_allclose((t * t).exp().mean().item(), np.exp(r * r).mean(), rtol=1e-10)
                s = rng.standard_normal((128, 600))
                np.testing.assert_array_equal(fastdl.sort(fastdl.tensor(s, dtype=fastdl.float64), dim=1)[0].numpy(),
                                              np.sort(s, axis=1))
        except Exception as e:  # reported by the main thread
            errors.append(e)

    try:
        threads = [threading.Thread(target=worker, args=(s,)) for s in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        fastdl.set_num_threads(old)
    assert not errors, errors[0]


def test_errors_inside_released_kernels():
    # the kernel's C++ exception is translated after the GIL is taken back
    a, b, out = _randn(512, 512), _randn(256, 512), fastdl.empty(512, 512)
    with pytest.raises(ValueError, match="matmul: shape mismatch"):
        fastdl._C.cpu.matmul(a, b, out)
    x = _randn(400, 400)
    with pytest.raises(ValueError, match="unknown unary op 'nope'"):
        fastdl._C.cpu.unary("nope", x, x)
    assert (a @ a.t()).shape == (512, 512)  # and the interpreter carries on
