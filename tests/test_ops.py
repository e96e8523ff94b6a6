"""Every op in op_table.OPS: forward vs float64 NumPy (several layouts and dtypes),
backward by gradcheck, and parity with torch where torch is installed."""
import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck
from op_table import OPS, OpInfo

try:
    import torch
except ImportError:  # parity tests skip cleanly without torch
    torch = None

CASES = [(op, i) for op in OPS for i in range(len(op.samples(np.random.default_rng(0))))]
IDS = [f"{op.name}-{op.samples(np.random.default_rng(0))[i].name or i}" for op, i in CASES]


def _prepare(op: OpInfo, sample_index):
    s = op.samples(np.random.default_rng(1))[sample_index]
    args = []
    for a in s.args:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            if op.positive:
                a = np.asarray(np.abs(a) + 0.5)
            if op.away_from_kinks:
                a = np.where(np.abs(a) < 0.2, a + np.where(a >= 0, 0.3, -0.3), a)
        args.append(a)
    return args, s.kwargs


def _to_fastdl(a, dtype, layout):
    if not isinstance(a, np.ndarray):
        return a
    if a.dtype.kind != "f":
        return fastdl.tensor(a)
    d = getattr(fastdl, dtype)
    if layout == "transposed" and a.ndim >= 2:
        # same values, stored column-major: a genuinely non-contiguous view
        return fastdl.tensor(np.ascontiguousarray(a.swapaxes(0, 1)), dtype=d).transpose(0, 1)
    if layout == "strided" and a.ndim >= 1:
        big = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,))
        big[..., ::2] = a
        return fastdl.tensor(big, dtype=d)[..., ::2]
    return fastdl.tensor(a, dtype=d)


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op,idx", CASES, ids=IDS)
def test_forward_matches_numpy(op, idx, dtype, layout):
    if dtype not in op.dtypes:
        pytest.skip(f"{op.name} does not support {dtype}")
    args, kw = _prepare(op, idx)
    expected = op.ref(*[a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                        for a in args], **kw)
    inputs = [_to_fastdl(a, dtype, layout) for a in args]
    out = op.fn(*inputs, **kw)
    got = out.numpy()
    assert got.shape == np.shape(expected)
    if dtype == "float32":
        np.testing.assert_allclose(got, expected, rtol=op.rtol32, atol=op.atol32)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def _differentiable(op, idx):
    """Cases with something to differentiate: the op has a gradient and an input is non-empty."""
    s = op.samples(np.random.default_rng(0))[idx]
    return op.grad and any(isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size for a in s.args)


GRAD_CASES = [(c, i) for c, i in zip(CASES, IDS) if _differentiable(*c)]


def grad_inputs(op, idx):
    """(inputs, kwargs) of a sample for differentiation: float arrays as float64 tensors
    that require grad (but where's condition and getitem_mask's mask), the rest as is."""
    args, kw = _prepare(op, idx)
    inputs = [fastdl.tensor(a, dtype=fastdl.float64, requires_grad=True)
              if isinstance(a, np.ndarray) and a.dtype.kind == "f" else _to_fastdl(a, "float64", "contiguous")
              for a in args]
    if op.name == "where":
        inputs[0] = inputs[0].detach()
    if op.name == "getitem_mask":
        inputs[1] = inputs[1].detach()
    return inputs, kw


@pytest.mark.parametrize("op,idx", [c for c, _ in GRAD_CASES], ids=[i for _, i in GRAD_CASES])
def test_gradcheck(op, idx):
    inputs, kw = grad_inputs(op, idx)
    assert gradcheck(lambda *xs: op.fn(*xs, **kw), inputs)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("op,idx", CASES, ids=IDS)
def test_torch_parity(op, idx):
    args, kw = _prepare(op, idx)
    ours = [fastdl.tensor(a, dtype=fastdl.float64, requires_grad=op.grad) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
            else (fastdl.tensor(a) if isinstance(a, np.ndarray) else a) for a in args]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=op.grad) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
              else (torch.tensor(a) if isinstance(a, np.ndarray) else a) for a in args]
    out = op.fn(*ours, **kw)
    if op.torch_fn is not None:
        ref = op.torch_fn(torch, *theirs, **kw)
    else:
        name = op.name
        ref = getattr(torch, name)(*theirs, **kw)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    if op.grad and out.numel() and any(isinstance(t, fastdl.Tensor) and t.requires_grad for t in ours):
        w = np.random.default_rng(2).standard_normal(tuple(out.shape))
        (out * fastdl.tensor(w, dtype=fastdl.float64)).sum().backward()
        (ref * torch.tensor(w)).sum().backward()
        for a, b in zip(ours, theirs):
            if isinstance(a, fastdl.Tensor) and a.requires_grad:
                ga = a.grad.numpy() if a.grad is not None else np.zeros(tuple(a.shape))
                gb = b.grad.numpy() if b.grad is not None else np.zeros(tuple(b.shape))
                np.testing.assert_allclose(ga, gb, rtol=1e-9, atol=1e-12)
