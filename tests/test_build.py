"""What the build produced: CUDA compiled in when nvcc was present, imports without a
GPU, a clear error when CUDA is used without one, the CPU kernel selection."""
import os
import shutil

import pytest

import fastdl
from fastdl import _C
from isa_switch import saved_isa


def test_cuda_flags_are_consistent():
    assert fastdl.cuda.is_built() == bool(_C.cuda_built)
    if not fastdl.cuda.is_built():
        assert not fastdl.cuda.is_available()


@pytest.mark.skipif(os.environ.get("FASTDL_CUDA", "AUTO").upper() == "OFF", reason="built with FASTDL_CUDA=OFF")
def test_cuda_built_when_nvcc_present():
    if shutil.which("nvcc") is None:
        pytest.skip("nvcc is not on PATH")
    assert fastdl.cuda.is_built(), "nvcc is on PATH but the CUDA sources were not built"


def test_cuda_tensor_without_gpu_is_a_clear_error():
    if fastdl.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CUDA"):
        fastdl.ones(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        fastdl.ones(2).cuda()


def test_fallback_kernels_can_be_forced():
    had = _C.use_avx2()
    with saved_isa():
        _C.set_use_avx2(False)
        assert not _C.use_avx2()
        a = fastdl.randn(33, 17, dtype=fastdl.float64)
        b = fastdl.randn(17, 9, dtype=fastdl.float64)
        import numpy as np
        np.testing.assert_allclose((a @ b).numpy(), a.numpy() @ b.numpy(), rtol=1e-12)
    assert _C.use_avx2() == had
