"""Tensor.untyped_storage / storage / set_ / as_subclass / storage_type / is_set_to
(tensor_storage.py), against torch."""
import numpy as np
import pytest

import fastdl


def storage_program(lib):
    x = lib.arange(6.0)
    u, s = x.untyped_storage(), x.storage()
    out = [u.nbytes(), u.size(), len(u), u.element_size(), s.size(), len(s), s.element_size(), s.nbytes(),
           u.tolist()[4:8], s.tolist(), x.storage_type().__name__,
           x.untyped_storage().data_ptr() == x[1:].untyped_storage().data_ptr(),
           x.untyped_storage().data_ptr() == x.clone().untyped_storage().data_ptr(),
           x[2:].storage().size()]
    y = lib.empty(0)
    y.set_(x, 1, (2, 2), (1, 2))
    out += [y.tolist(), y.is_set_to(x), x.is_set_to(x), x[:].is_set_to(x), x[1:].is_set_to(x), y.storage_offset()]
    z = lib.zeros(3)
    z.set_(x)
    out += [z.tolist(), z.is_set_to(x)]
    x[0] = 7.0
    out.append(z[0].item())  # shares the memory
    out.append(tuple(lib.ones(3).set_().shape))
    for f in [lambda: x.as_subclass(int), lambda: lib.ones(2, requires_grad=True).set_(x)]:
        try:
            f()
        except (TypeError, RuntimeError) as e:
            out.append((type(e).__name__, str(e)))
    return out


def test_storage_matches_torch():
    torch = pytest.importorskip("torch")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's TypedStorage deprecation
        assert storage_program(fastdl) == storage_program(torch)


def test_storage_exact():
    out = storage_program(fastdl)
    assert out[:8] == [24, 24, 24, 1, 6, 6, 4, 24]
    assert out[8] == list(np.float32(1.0).tobytes()) and out[9] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert out[10] == "FloatStorage" and out[11] is True and out[12] is False and out[13] == 6
    assert out[14] == [[1.0, 3.0], [2.0, 4.0]] and out[15:19] == [False, True, True, False] and out[19] == 1
    assert out[20:23] == [[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], True, 7.0]
    assert out[23] == (0,)
    assert out[24][0] == "TypeError" and out[25] == ("RuntimeError", "a leaf Variable that requires grad is being "
                                                                     "used in an in-place operation.")


def test_set_errors_and_storage_source():
    x = fastdl.arange(6.0)
    with pytest.raises(RuntimeError, match="dtype"):
        x.clone().set_(fastdl.zeros(2, dtype=fastdl.int64))
    with pytest.raises(RuntimeError, match="needs 48 bytes, the source has 24"):
        x.clone().set_(x, 10, (2,), (1,))
    with pytest.raises(TypeError, match="source must be a Tensor or a storage"):
        x.clone().set_(3)
    t = fastdl.empty(0).set_(x.untyped_storage(), 2, (2,), (1,))
    assert t.tolist() == [2.0, 3.0]
    assert fastdl.empty(0).set_(x.storage()).tolist() == x.tolist()
    with pytest.raises(RuntimeError, match="storage of dtype"):
        fastdl.empty(0, dtype=fastdl.int64).set_(x.storage())


def test_as_subclass_shares_memory_and_gradient():
    class Sub(fastdl.Tensor):
        pass

    x = fastdl.arange(3.0)
    s = x.as_subclass(Sub)
    assert type(s) is Sub and s.data_ptr() == x.data_ptr()
    w = fastdl.ones(2, requires_grad=True)
    (w.as_subclass(Sub) * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
