"""fastdl.einsum against NumPy's einsum (float64 references), autograd against finite
differences, values and gradients against torch where it is installed, the operand-list
and sublist forms, size-1 broadcasting, empty dims, one matmul per contraction, and
torch's errors for bad equations and shapes."""
import sys

import numpy as np
import pytest

import fastdl
from fastdl.testing import gradcheck

try:
    import torch
except ImportError:  # torch parity tests skip cleanly without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

# (equation, operand shapes)
CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),                       # matrix product
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),              # batch matmul
    ("i,j->ij", [(3,), (4,)]),                             # outer
    ("ii", [(4, 4)]),                                      # trace
    ("ii->i", [(4, 4)]),                                   # diagonal
    ("iij->ji", [(3, 3, 2)]),                              # a diagonal kept with another dim
    ("iii->", [(3, 3, 3)]),                                # a triple diagonal, summed
    ("ij->ji", [(2, 3)]),                                  # transpose
    ("ij->", [(2, 3)]),                                    # sum of all
    ("ij->j", [(2, 3)]),                                   # column sums
    ("i,i->", [(5,), (5,)]),                               # dot
    ("i,i->i", [(5,), (5,)]),                              # elementwise product
    ("ij,jk", [(2, 3), (3, 4)]),                           # implicit output
    ("ba,ab", [(3, 2), (2, 3)]),                           # implicit: every index summed
    ("Bi,iA", [(2, 3), (3, 4)]),                           # implicit: upper case before lower
    ("...ij,...jk->...ik", [(2, 4, 2, 3), (4, 3, 5)]),     # '...' broadcasting batch dims
    ("...ij,...jk", [(3, 2, 3), (1, 3, 4)]),               # '...' of size 1 broadcast, implicit
    ("i...->...", [(3, 2, 4)]),                            # '...' kept, a leading index summed
    ("...ii->...i", [(2, 3, 3)]),                          # batched diagonal
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),            # three operands, chained
    ("abc,cd,ad->b", [(2, 3, 4), (4, 5), (2, 5)]),         # three operands, an index shared by 1st and 3rd
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),     # attention scores
    ("bhqk,bhkd->bqhd", [(2, 3, 4, 6), (2, 3, 6, 5)]),     # attention output, permuted
    ("ij,ij,ij->i", [(3, 4), (3, 4), (3, 4)]),             # a batch index kept across three
    ("i,j,k->ijk", [(2,), (3,), (4,)]),                    # three-way outer
    ("ijk,ikj->", [(2, 3, 4), (2, 4, 3)]),                 # full contraction of permuted operands
    (" i j , j k -> k i ", [(2, 3), (3, 4)]),              # spaces are ignored
    (",i->i", [(), (3,)]),                                 # a 0-d operand
    ("i,i->i", [(1,), (4,)]),                              # a size-1 index broadcast
    ("ij,jk->ik", [(2, 1), (3, 4)]),                       # a size-1 contracted index broadcast
]
IDS = [eq.replace(" ", "_") or "empty" for eq, _ in CASES]


def _arrays(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("eq,shapes", CASES, ids=IDS)
def test_matches_numpy(eq, shapes):
    arrs = _arrays(shapes)
    out = fastdl.einsum(eq, *[fastdl.tensor(a) for a in arrs])
    ref = np.einsum(eq.replace(" ", ""), *arrs)
    fastdl.testing.assert_close(out, np.asarray(ref), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("eq,shapes", CASES, ids=IDS)
def test_gradcheck(eq, shapes):
    xs = [fastdl.tensor(a, requires_grad=True) for a in _arrays(shapes, seed=1)]
    assert gradcheck(lambda *ts: fastdl.einsum(eq, *ts), xs)


@needs_torch
@pytest.mark.parametrize("eq,shapes", CASES, ids=IDS)
def test_matches_torch_values_and_gradients(eq, shapes):
    arrs = _arrays(shapes, seed=2)
    fx = [fastdl.tensor(a, requires_grad=True) for a in arrs]
    tx = [torch.tensor(a, requires_grad=True) for a in arrs]
    fo, to = fastdl.einsum(eq, *fx), torch.einsum(eq, *tx)
    assert tuple(fo.shape) == tuple(to.shape)
    np.testing.assert_allclose(fo.detach().numpy(), to.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(3).standard_normal(tuple(to.shape))
    (fo * fastdl.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    for f, t in zip(fx, tx):
        np.testing.assert_allclose(f.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_float32_and_int64():
    a, b = _arrays([(3, 4), (4, 2)])
    out = fastdl.einsum("ij,jk->ik", fastdl.tensor(a, dtype=fastdl.float32), fastdl.tensor(b, dtype=fastdl.float32))
    assert out.dtype is fastdl.float32
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-5, atol=1e-5)
    ia, ib = np.arange(12).reshape(3, 4), np.arange(8).reshape(4, 2)
    out = fastdl.einsum("ij,jk->ik", fastdl.tensor(ia), fastdl.tensor(ib))
    assert out.dtype is fastdl.int64
    np.testing.assert_array_equal(out.numpy(), ia @ ib)
    np.testing.assert_array_equal(fastdl.einsum("ii", fastdl.tensor(ia[:3, :3])).numpy(), np.trace(ia[:3, :3]))


def test_operands_as_one_list_and_sublist_form():
    a, b = _arrays([(2, 3), (3, 4)])
    fa, fb = fastdl.tensor(a), fastdl.tensor(b)
    for out in (fastdl.einsum("ij,jk->ik", [fa, fb]), fastdl.einsum("ij,jk->ik", (fa, fb)),
                fastdl.einsum(fa, [0, 1], fb, [1, 2], [0, 2]), fastdl.einsum(fa, [0, 1], fb, [1, 2])):
        np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-12)
    # sublist ints: 0-25 are 'A'-'Z', 26-51 'a'-'z'; Ellipsis is '...'
    x = _arrays([(2, 3, 4)])[0]
    out = fastdl.einsum(fastdl.tensor(x), [Ellipsis, 30], [30, Ellipsis])
    np.testing.assert_allclose(out.numpy(), np.moveaxis(x, -1, 0))


@needs_torch
def test_sublist_form_matches_torch():
    a, b = _arrays([(2, 3), (3, 4)])
    for args in (([0, 1], [1, 2], [0, 2]), ([0, 1], [1, 2]), ([51, 26], [26, 0])):
        f = fastdl.einsum(fastdl.tensor(a), args[0], fastdl.tensor(b), *args[1:])
        t = torch.einsum(torch.tensor(a), args[0], torch.tensor(b), *args[1:])
        np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-12)


def test_empty_dims():
    a, b = np.zeros((2, 0)), np.zeros((0, 4))
    np.testing.assert_array_equal(fastdl.einsum("ij,jk->ik", fastdl.tensor(a), fastdl.tensor(b)).numpy(),
                                  np.zeros((2, 4)))
    assert fastdl.einsum("ij->j", fastdl.tensor(np.zeros((0, 3)))).shape == (3,)
    assert fastdl.einsum("bij,bjk->bik", fastdl.tensor(np.zeros((0, 2, 3))),
                         fastdl.tensor(np.zeros((0, 3, 4)))).shape == (0, 2, 4)


def test_result_is_a_new_tensor_in_the_graph():
    x = fastdl.tensor(np.ones((2, 3)), requires_grad=True)
    y = fastdl.einsum("ij->ij", x)
    assert y is not x and not y.is_leaf and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))


@pytest.mark.parametrize("eq,shapes,calls", [
    ("bij,bjk->bik", [(4, 2, 3), (4, 3, 5)], 1),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)], 1),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], 2),
    ("i,j->ij", [(3,), (4,)], 1),
])
def test_each_pair_is_one_matmul(monkeypatch, eq, shapes, calls):
    """A contraction is one matmul on reshaped operands, not a broadcast product summed
    afterwards (which would materialise every index at once)."""
    mod = sys.modules["fastdl.ops.einsum"]  # the module (fastdl.ops.einsum the attribute is the function)
    seen = []
    real = mod.matmul

    def counting(a, b):
        seen.append((tuple(a.shape), tuple(b.shape)))
        return real(a, b)
    monkeypatch.setattr(mod, "matmul", counting)
    arrs = _arrays(shapes)
    out = fastdl.einsum(eq, *[fastdl.tensor(a) for a in arrs])
    np.testing.assert_allclose(out.numpy(), np.einsum(eq, *arrs), rtol=1e-12, atol=1e-12)
    assert len(seen) == calls
    assert all(len(sa) <= 3 and len(sb) <= 3 for sa, sb in seen)


X23, X33 = np.zeros((2, 3)), np.zeros((3, 3))

# (equation, operand shapes, exception, words in the message)
ERRORS = [
    ("ij,jk", [(2, 3)], RuntimeError, ["einsum", "fewer operands"]),
    ("ij", [(2, 3), (3, 4)], RuntimeError, ["einsum", "more operands"]),
    ("i.j", [(2, 3)], RuntimeError, ["einsum", "not part of any ellipsis"]),
    ("...i...", [(2, 3)], RuntimeError, ["einsum", "ellipsis was already found"]),
    ("ijk", [(2, 3)], RuntimeError, ["einsum", "(3)", "(2)", "no ellipsis", "float64[2, 3]"]),
    ("i", [(2, 3)], RuntimeError, ["einsum", "does not match the number of dimensions"]),
    ("...ijk", [(2, 3)], RuntimeError, ["einsum", "is more than the number of dimensions"]),
    ("ij->ii", [(2, 3)], RuntimeError, ["einsum", "output subscript i appears more than once"]),
    ("ij->k", [(2, 3)], RuntimeError, ["einsum", "output subscript k does not appear"]),
    ("ii", [(2, 3)], RuntimeError, ["einsum", "subscript i is repeated for operand 0", "3 != 2"]),
    ("i1", [(2, 3)], RuntimeError, ["einsum", "invalid subscript given at index 1", "[a-zA-Z]"]),
    ("ij->j->i", [(2, 3)], RuntimeError, ["einsum", "invalid subscript given at index 5"]),
    ("ij->j.", [(2, 3)], RuntimeError, ["einsum", "for output that is not part of any ellipsis"]),
    ("ij->......", [(2, 3)], RuntimeError, ["einsum", "for output but an ellipsis"]),
    ("i,i->i", [(2,), (3,)], RuntimeError, ["einsum", "subscript i has size 3 for operand 1", "size 2",
                                            "float64[2]", "float64[3]"]),
    ("ij,jk->ik", [(2, 3), (4, 4)], RuntimeError, ["einsum", "subscript j has size 4"]),
    ("...i,...i", [(2, 3), (4, 3)], RuntimeError, ["einsum", "dimension 0 covered by ellipsis", "size 4"]),
]


@pytest.mark.parametrize("eq,shapes,exc,words", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(eq, shapes, exc, words):
    with pytest.raises(exc) as info:
        fastdl.einsum(eq, *[fastdl.tensor(np.zeros(s)) for s in shapes])
    for w in words:
        assert w in str(info.value), (w, str(info.value))


@needs_torch
@pytest.mark.parametrize("eq,shapes,exc,words", ERRORS, ids=[e[0] for e in ERRORS])
def test_torch_rejects_the_same(eq, shapes, exc, words):
    with pytest.raises(RuntimeError):
        torch.einsum(eq, *[torch.zeros(s) for s in shapes])


def test_argument_errors():
    a = fastdl.tensor(X23)
    with pytest.raises(ValueError, match="einsum: must specify the equation"):
        fastdl.einsum("ij")
    with pytest.raises(RuntimeError, match="einsum: must provide at least one operand"):
        fastdl.einsum("ij", [])
    with pytest.raises(TypeError, match="einsum: the equation must be a str, got int"):
        fastdl.einsum(1, a)
    with pytest.raises(TypeError, match="einsum: expected a Tensor as operand 1, got ndarray"):
        fastdl.einsum("ij,jk", a, X33)
    with pytest.raises(ValueError, match=r"einsum: subscript 60 in subscript list is not within the valid range"):
        fastdl.einsum(a, [0, 60])
    with pytest.raises(TypeError, match=r"einsum: expected all operands to have the same dtype.*float32\[3, 3\]"):
        fastdl.einsum("ij,jk", a, fastdl.tensor(X33, dtype=fastdl.float32))


def test_on_device(device):
    """Contractions on each device against NumPy, and the gradient of their sum: for
    explicit equations without repeated indices, d sum / d operand 0 is the einsum of
    ones (the output's shape) with the other operands."""
    for eq, shapes in [("bij,bjk->bik", [(3, 2, 4), (3, 4, 5)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
                       ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]), ("ii->i", [(4, 4)])]:
        arrs = _arrays(shapes)
        xs = [fastdl.tensor(a, dtype=fastdl.float32, device=device, requires_grad=True) for a in arrs]
        out = fastdl.einsum(eq, *xs)
        assert out.device.type == device
        ref = np.einsum(eq, *arrs)
        np.testing.assert_allclose(out.detach().cpu().numpy(), ref, rtol=1e-5, atol=1e-5)
        out.sum().backward()
        ins, res = eq.split("->")
        first, others = ins.split(",")[0], ins.split(",")[1:]
        if len(set(first.replace("...", ""))) == len(first.replace("...", "")):
            g0 = np.einsum(",".join([res] + others) + "->" + first, np.ones(ref.shape), *arrs[1:])
        else:  # the diagonal: ones on it, zeros elsewhere
            g0 = np.eye(shapes[0][0])
        np.testing.assert_allclose(xs[0].grad.cpu().numpy(), g0, rtol=1e-5, atol=1e-5)
