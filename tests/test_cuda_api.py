"""torch.cuda's API surface in fastdl.cuda (cuda.py, cuda_streams.py), fastdl.accelerator,
fastdl.version and the per-device default generators. Without a GPU every call that
needs one raises a RuntimeError naming itself (as torch's do); the seeding calls work
anyway, as torch's lazy ones do. With a GPU the same calls are checked for their values."""
import numpy as np
import pytest

import fastdl
from fastdl import cuda

GPU = cuda.is_available()
needs_gpu = pytest.mark.skipif(not GPU, reason="no CUDA device here")
no_gpu = pytest.mark.skipif(GPU, reason="checks the behaviour without a CUDA device")


@no_gpu
@pytest.mark.parametrize("call", [
    lambda: cuda.current_device(), lambda: cuda.set_device(0), lambda: cuda.synchronize(),
    lambda: cuda.get_device_properties(0), lambda: cuda.mem_get_info(), lambda: cuda.memory_stats(),
    lambda: cuda.init(), lambda: cuda.initial_seed(), lambda: cuda.get_rng_state(),
    lambda: cuda.set_rng_state((1, 0)), lambda: cuda.Stream(), lambda: cuda.Event().record(),
    lambda: cuda.current_stream(), lambda: cuda.get_device_name(), lambda: fastdl.accelerator.synchronize()])
def test_calls_that_need_a_gpu_raise_clearly(call):
    with pytest.raises(RuntimeError, match="fastdl.cuda|CUDA|cuda"):
        call()


@no_gpu
def test_queries_without_a_gpu():
    assert not cuda.is_bf16_supported() and not cuda.is_tf32_supported() and not cuda.is_initialized()
    assert cuda.default_generators == ()
    assert fastdl.accelerator.is_available() is False
    assert fastdl.accelerator.device_count() == 0
    assert fastdl.accelerator.current_accelerator(check_available=True) is None
    assert fastdl.accelerator.current_accelerator() == (fastdl.device("cuda") if cuda.is_built() else None)
    assert cuda.Event().query()  # never recorded: nothing pending
    with cuda.device(None), cuda.device(-1):  # no device asked for: no CUDA call
        pass
    with cuda.device_of(fastdl.zeros(1)):  # a CPU tensor: a no-op
        pass
    with cuda.stream(None):
        pass


def test_seeding_works_without_a_gpu_and_leaves_the_cpu_stream():
    fastdl.manual_seed(3)
    a = fastdl.rand(5).numpy()
    fastdl.manual_seed(3)
    cuda.manual_seed(123)  # the CUDA generator only
    cuda.manual_seed_all(7)
    cuda.seed()
    cuda.seed_all()
    np.testing.assert_array_equal(fastdl.rand(5).numpy(), a)


def test_manual_seed_seeds_both_devices_and_fork_rng_restores_both():
    from fastdl.ops import random as r
    fastdl.manual_seed(11)
    assert r.default_generator.get_state() == r.cuda_default_generator.get_state() == (11, 0)
    with fastdl.random.fork_rng():
        r.cuda_default_generator.set_state((99, 5))
        fastdl.rand(3)
    assert r.default_generator.get_state() == r.cuda_default_generator.get_state() == (11, 0)


class _FakeOut:
    """Stands for a drawn tensor: only its device and dtype are read before the kernel."""

    def __init__(self, kind):
        self.device, self.dtype = fastdl.device(kind), fastdl.float32


def test_draws_go_to_the_default_generator_of_the_tensor_device():
    from fastdl.ops import random as r
    fastdl.manual_seed(5)
    r.cuda_default_generator.manual_seed(8)
    seen = []

    def kernel(out, seed, offset):
        seen.append((out.device.type, seed, offset))
        return offset + 10

    gen = r._gen(None)
    gen._draw(kernel, _FakeOut("cuda"))
    gen._draw(kernel, _FakeOut("cpu"))
    gen._draw(kernel, _FakeOut("cuda"))
    assert seen == [("cuda", 8, 0), ("cpu", 5, 0), ("cuda", 8, 10)]
    assert r.default_generator.get_state() == (5, 10) and r.cuda_default_generator.get_state() == (8, 20)


def test_out_of_memory_error_is_a_runtime_error_naming_the_size():
    assert issubclass(fastdl.OutOfMemoryError, RuntimeError)
    assert cuda.OutOfMemoryError is fastdl.OutOfMemoryError
    with pytest.raises(fastdl.OutOfMemoryError, match="CPU out of memory: tried to allocate 40000000000000 bytes"):
        fastdl.empty(10 ** 13)
    with pytest.raises(RuntimeError, match="out of memory"):
        fastdl.zeros(10 ** 13, dtype=fastdl.float64)


def test_version_and_device_module():
    assert fastdl.version.__version__ == fastdl.__version__
    assert fastdl.version.cuda is None or fastdl.version.cuda.count(".") == 1
    assert fastdl.get_device_module("cuda") is cuda and fastdl.get_device_module(fastdl.device("cpu")) is fastdl.cpu
    assert fastdl.get_device_module() is cuda
    with pytest.raises(RuntimeError, match="unknown device"):
        fastdl.get_device_module("tpu")
    assert fastdl.default_generator is fastdl.random.default_generator


def test_bad_device_arguments():
    with pytest.raises(TypeError, match="set_device"):
        cuda.set_device(1.5)
    with pytest.raises(ValueError, match="expected a CUDA device"):
        cuda.memory_allocated("cpu")
    with pytest.raises(NotImplementedError, match="interprocess"):
        cuda.Event(interprocess=True)
    e = cuda.Event(enable_timing=False)
    with pytest.raises(RuntimeError, match="enable_timing"):
        e.elapsed_time(cuda.Event(enable_timing=False))


@needs_gpu
def test_gpu_device_calls_and_events():
    assert cuda.current_device() == 0
    props = cuda.get_device_properties(0)
    assert props.total_memory > 0 and props.multi_processor_count > 0 and props.name
    assert (props.major, props.minor) == cuda.get_device_capability(0)
    free, total = cuda.mem_get_info()
    assert 0 < free <= total == props.total_memory
    start, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
    start.record()
    x = fastdl.randn(1024, 1024, device="cuda")
    y = x @ x
    end.record()
    end.synchronize()
    assert end.query() and start.elapsed_time(end) >= 0.0
    s = cuda.Stream()
    with cuda.stream(s):
        assert cuda.current_stream() is s
        z = y + 1
    assert cuda.current_stream() == cuda.default_stream()
    s.synchronize()
    np.testing.assert_allclose(z.cpu().numpy(), y.cpu().numpy() + 1)
    assert cuda.memory_stats()["allocated_bytes.all.current"] == cuda.memory_allocated() > 0
    before = fastdl.rand(4).numpy()  # a CPU draw
    fastdl.manual_seed(1)
    cpu_first = fastdl.rand(4).numpy()
    fastdl.manual_seed(1)
    fastdl.rand(4, device="cuda")  # advances the CUDA generator only
    np.testing.assert_array_equal(fastdl.rand(4).numpy(), cpu_first)
    assert before.shape == (4,)
    with pytest.raises(fastdl.OutOfMemoryError, match="CUDA out of memory"):
        fastdl.empty(10 ** 14, device="cuda")
