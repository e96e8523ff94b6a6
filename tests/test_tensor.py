"""Tensor creation, conversion, views, in-place ops, indexing and type promotion."""
import numpy as np
import pytest

import fastdl
from fastdl.testing import assert_close


def test_creation_functions():
    assert fastdl.zeros(2, 3).shape == (2, 3)
    assert fastdl.zeros((2, 3)).dtype is fastdl.float32
    assert fastdl.ones(4, dtype=fastdl.int64).tolist() == [1, 1, 1, 1]
    assert fastdl.full((2,), 7).dtype is fastdl.int64
    assert fastdl.full((2,), 7.5).tolist() == [7.5, 7.5]
    assert fastdl.full((1,), True).dtype is fastdl.bool
    assert fastdl.empty(3, 0).numel() == 0
    assert fastdl.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert fastdl.arange(1, 2, 0.25).tolist() == [1.0, 1.25, 1.5, 1.75]
    assert fastdl.arange(1, 2, 0.25).dtype is fastdl.float32
    assert fastdl.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    x = fastdl.tensor([[1, 2], [3, 4]])
    assert x.dtype is fastdl.int64
    assert fastdl.zeros_like(x).tolist() == [[0, 0], [0, 0]]
    assert fastdl.ones_like(x, dtype=fastdl.float64).dtype is fastdl.float64
    assert fastdl.tensor(3.5).item() == 3.5 and fastdl.tensor(3.5).ndim == 0
    assert fastdl.tensor([True, False]).dtype is fastdl.bool
    assert fastdl.tensor(np.arange(3.0)).dtype is fastdl.float64  # NumPy float64 stays float64
    assert fastdl.tensor([1.0, 2.0]).dtype is fastdl.float32      # Python floats: the default dtype
    assert fastdl.eye(3).numpy().tolist() == np.eye(3).tolist()
    assert_close(fastdl.linspace(0, 1, 5), np.linspace(0, 1, 5).astype(np.float32))


def test_numpy_is_zero_copy_and_from_numpy_shares_memory():
    t = fastdl.zeros(3)
    a = t.numpy()
    a[1] = 5
    assert t.tolist() == [0, 5, 0]
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    f = fastdl.from_numpy(arr)
    arr[0, 0] = 42
    assert f[0, 0].item() == 42
    f.add_(1)
    assert arr[1, 2] == 6


def test_repr_like_pytorch():
    assert repr(fastdl.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(fastdl.tensor([0.5, 0.25])) == "tensor([0.5000, 0.2500])"
    assert repr(fastdl.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(fastdl.tensor([1.0], dtype=fastdl.float64)) == "tensor([1.], dtype=fastdl.float64)"
    x = fastdl.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(x * 2)


def test_views_share_memory():
    x = fastdl.arange(12).reshape(3, 4)
    views = [x.view(4, 3), x.transpose(0, 1), x.permute(1, 0), x.unsqueeze(0), x[1:], x[:, ::2], x.flatten(),
             x.unsqueeze(1).squeeze(1), x[:, None].expand(3, 2, 4)]
    for v in views:
        assert v._buf is x._buf
    x.add_(100)
    assert views[1][0, 1].item() == 104
    assert not x.transpose(0, 1).is_contiguous()
    assert x.transpose(0, 1).contiguous().is_contiguous()
    with pytest.raises(RuntimeError, match="view"):
        x.transpose(0, 1).view(12)
    assert x.transpose(0, 1).reshape(12).tolist() == np.arange(100, 112).reshape(3, 4).T.reshape(-1).tolist()


def test_empty_tensors_are_contiguous_in_any_layout():
    """torch: a tensor with no elements is contiguous whatever its strides."""
    for t in (fastdl.empty(4, 0), fastdl.zeros(2, 0, 3), fastdl.zeros(2, 0, 3).permute(2, 0, 1)):
        assert t.is_contiguous()
        assert t.contiguous().shape == t.shape and t.view(-1).shape == (0,)


def test_type_promotion():
    f32, f64, i64, b = (fastdl.ones(2, dtype=d) for d in (fastdl.float32, fastdl.float64, fastdl.int64, fastdl.bool))
    assert (f32 + f64).dtype is fastdl.float64
    assert (i64 + f32).dtype is fastdl.float32
    assert (i64 + 2.5).dtype is fastdl.float32
    assert (f32 + 2.5).dtype is fastdl.float32
    assert (i64 + 2).dtype is fastdl.int64
    assert (b + b).dtype is fastdl.bool or (b + b).dtype is fastdl.int64
    assert (b + 1).dtype is fastdl.int64
    assert (i64 / 2).dtype is fastdl.float32
    assert (f32 + fastdl.tensor(1.0, dtype=fastdl.float64)).dtype is fastdl.float32  # 0-d defers to dimensioned
    assert (i64 == 1).dtype is fastdl.bool
    assert (i64 // 2).tolist() == [0, 0]
    assert (fastdl.tensor([-7, 7]) // 2).tolist() == [-4, 3]
    assert (fastdl.tensor([-7, 7]) % 3).tolist() == [2, 1]


def test_inplace_ops_and_leaf_check():
    x = fastdl.ones(3)
    x.add_(2).mul_(3)
    assert x.tolist() == [9, 9, 9]
    x.sub_(fastdl.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [8, 7, 6]
    x.zero_()
    assert x.tolist() == [0, 0, 0]
    x.copy_(fastdl.tensor([1, 2, 3]))
    assert x.tolist() == [1, 2, 3]
    w = fastdl.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with fastdl.no_grad():
        w.add_(1)  # optimizer-style update is allowed
    assert w.tolist() == [2, 2, 2]
    i = fastdl.ones(2, dtype=fastdl.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(0.5)


def test_inplace_on_saved_tensor_is_detected():
    a = fastdl.ones(3, requires_grad=True)
    b = a * 2
    c = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_inplace_non_leaf_keeps_graph():
    a = fastdl.tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    b.add_(1)
    b.mul_(2)
    b.sum().backward()
    assert a.grad.tolist() == [6, 6]


def test_basic_and_advanced_indexing():
    a = np.arange(60).reshape(3, 4, 5)
    x = fastdl.tensor(a)
    idx = np.array([[0, 2], [1, 1]])
    for key in [1, -1, (1, 2), (slice(1, None), None, 2), (Ellipsis, 1), (slice(None), slice(None, None, 2)),
                (1, idx), (idx,), (slice(None), [0, 3], [1, 4]), ([0, 2], slice(None), [1, 4]), (None, Ellipsis, None),
                (a[:, :, 0] > 20,), (slice(None), np.array([True, False, True, False]))]:
        fkey = tuple(fastdl.tensor(k) if isinstance(k, np.ndarray) else k for k in key) if isinstance(key, tuple) else key
        np.testing.assert_array_equal(x[fkey].numpy(), a[key], err_msg=str(key))
    with pytest.raises(IndexError, match="out of bounds"):
        x[3]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, fastdl.tensor([0, 4])]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]


def test_setitem():
    a = np.zeros((3, 4))
    x = fastdl.zeros(3, 4, dtype=fastdl.float64)
    for key, val in [((1,), 5.0), ((slice(None), 2), np.arange(3.0)), (([0, 2], [1, 3]), np.array([7.0, 8.0])),
                     ((a < 1,), -1.0)]:
        mask_key = tuple(fastdl.tensor(k) if isinstance(k, np.ndarray) else k for k in key)
        a[key] = val
        x[mask_key] = fastdl.tensor(val) if isinstance(val, np.ndarray) else val
        np.testing.assert_array_equal(x.numpy(), a)


def test_numpy_conversions_and_errors():
    x = fastdl.tensor([[1.0, 2.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    assert x.detach().numpy().tolist() == [[1.0, 2.0]]
    assert np.asarray(x).shape == (1, 2)
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    assert float(x[0, 1]) == 2.0


def test_chunk_split_cat_stack_roundtrip():
    x = fastdl.arange(10.0).reshape(2, 5)
    parts = x.split([2, 3], dim=1)
    assert [p.shape for p in parts] == [(2, 2), (2, 3)]
    assert fastdl.cat(parts, dim=1).tolist() == x.tolist()
    assert [c.shape[1] for c in x.chunk(3, 1)] == [2, 2, 1]
    s = fastdl.stack([x, x * 2], dim=0)
    assert s.shape == (2, 2, 5) and s[1, 1, 4].item() == 18
    assert x.repeat(2, 1).shape == (4, 5)
    np.testing.assert_array_equal(x.repeat(1, 2, 3).numpy(), np.tile(x.numpy(), (1, 2, 3)))


def test_one_hot_and_gather():
    t = fastdl.tensor([0, 2, 1])
    assert fastdl.one_hot(t, 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert fastdl.one_hot(t).shape == (3, 3)
    with pytest.raises(ValueError, match="num_classes"):
        fastdl.one_hot(t, 2)


def test_manual_seed_reproducible():
    fastdl.manual_seed(123)
    a = [fastdl.rand(5).tolist(), fastdl.randn(3, 2).tolist(), fastdl.randint(0, 10, (4,)).tolist(),
         fastdl.randperm(6).tolist()]
    fastdl.manual_seed(123)
    b = [fastdl.rand(5).tolist(), fastdl.randn(3, 2).tolist(), fastdl.randint(0, 10, (4,)).tolist(),
         fastdl.randperm(6).tolist()]
    assert a == b
    assert sorted(a[3]) == list(range(6))
    assert fastdl.rand(5).tolist() != a[0]
    x = fastdl.rand(20000)
    assert 0 <= float(x.min()) and float(x.max()) < 1 and abs(float(x.mean()) - 0.5) < 0.01
    n = fastdl.randn(20000)
    assert abs(float(n.mean())) < 0.03 and abs(float(n.std()) - 1) < 0.03


def test_dtype_conversions():
    x = fastdl.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2]
    assert x.double().dtype is fastdl.float64
    assert x.bool().tolist() == [True, True]
    assert x.to(fastdl.int64).dtype is fastdl.int64
    assert fastdl.tensor([1, 0]).float().tolist() == [1.0, 0.0]


def test_threads_and_cpu_features():
    n = fastdl.get_num_threads()
    fastdl.set_num_threads(1)
    assert fastdl.get_num_threads() == 1
    fastdl.set_num_threads(n)
    assert isinstance(fastdl._C.cpu_has_avx2_fma(), bool)


def test_size_indexes_as_a_tuple_and_slices_to_a_size():
    """fastdl.Size's indexing is _C.SizeBase's (C): ints and errors as a tuple's, slices
    of its own class, as torch.Size."""
    s = fastdl.zeros((2, 3, 4)).shape
    assert type(s) is fastdl.Size and isinstance(s, tuple)
    assert (s[0], s[-1]) == (2, 4) and type(s[0]) is int
    for key in (slice(1, None), slice(None, None, -1), slice(0, 0), slice(None)):
        part = s[key]
        assert type(part) is fastdl.Size and tuple(part) == (2, 3, 4)[key]
    assert repr(s[1:]) == "fastdl.Size([3, 4])" and s[1:].numel() == 12
    assert s == (2, 3, 4) and hash(s) == hash((2, 3, 4))
    with pytest.raises(IndexError):
        s[3]
    with pytest.raises(TypeError):
        s["a"]
    assert "__getitem__" not in vars(fastdl.Size)  # a Python override would shadow the C slot
