"""A 0-d integer tensor where an int is expected (torch reads it through __index__): split
sizes, chunk counts, tril / triu / diag / diagonal offsets, matrix_power, polygamma's order,
pixel_shuffle's factor, var's correction. A float or a 1-element 1-d tensor stays refused."""
import numpy as np
import pytest

import fastdl

n = fastdl.tensor(2)


def x():
    return fastdl.arange(12.0).reshape(3, 4)


CASES = [
    ("split", lambda t: [p.shape for p in t.split(n, 1)], lambda a: [(3, 2), (3, 2)]),
    ("chunk", lambda t: [p.shape for p in t.chunk(n, 0)], lambda a: [(2, 4), (1, 4)]),
    ("tril", lambda t: fastdl.tril(t, n).numpy(), lambda a: np.tril(a, 2)),
    ("triu", lambda t: fastdl.triu(t, n).numpy(), lambda a: np.triu(a, 2)),
    ("diag", lambda t: fastdl.diag(t, n).numpy(), lambda a: np.diag(a, 2)),
    ("diagonal", lambda t: fastdl.diagonal(t, n).numpy(), lambda a: np.diagonal(a, 2)),
    ("matrix_power", lambda t: fastdl.linalg.matrix_power(t[:, :3], n).numpy(),
     lambda a: np.linalg.matrix_power(a[:, :3], 2)),
    ("var", lambda t: fastdl.var(t, correction=fastdl.tensor(0)).item(), lambda a: a.var()),
]


@pytest.mark.parametrize("name,run,ref", CASES, ids=[c[0] for c in CASES])
def test_zero_d_int_tensor_reads_as_int(name, run, ref):
    got, want = run(x()), ref(x().numpy().astype(np.float64))
    if isinstance(want, list):
        assert [tuple(s) for s in got] == want
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_polygamma_and_pixel_shuffle_take_int_tensors():
    a = fastdl.tensor([1.5], dtype=fastdl.float64)
    assert fastdl.polygamma(n, a).item() == pytest.approx(fastdl.polygamma(2, a).item())
    assert tuple(fastdl.nn.functional.pixel_shuffle(fastdl.ones(1, 4, 2, 2), n).shape) == (1, 1, 4, 4)


@pytest.mark.parametrize("bad", [fastdl.tensor(1.5), fastdl.tensor([1]), fastdl.tensor(True)])
def test_non_int_tensors_are_still_refused(bad):
    with pytest.raises(TypeError, match="tril: diagonal must be an int"):
        fastdl.tril(x(), bad)
