"""einsum (torch.einsum): Einstein summation over any number of operands, composed from
differentiable ops, so it runs on any device and autograd differentiates it.

Each operand first loses its repeated subscripts (the diagonal: one index_select on the
repeated dims flattened) and the subscripts nothing else uses (summed). The operands are
then contracted left to right, each pair as one matmul: the shared subscripts still
needed later are its batch, the shared ones no longer needed its inner dimension, and
the rest its rows and columns. Size-1 dims broadcast as torch's do."""
import functools
import math
import numbers

import numpy as np

from .. import dtypes as _dt
from ..tensor import Tensor
from ._util import desc, same_device
from .indexing import index_select
from .linalg import matmul
from .reduce import sum

__all__ = ["einsum"]

_N_LETTERS = 52  # labels 0-25 are 'A'-'Z' and 26-51 'a'-'z' (torch's order); ellipsis dims follow
_ELLIPSIS = -1


def _label(c):
    return ord(c) - ord("A") if c <= "Z" else ord(c) - ord("a") + 26


def _letter(label):
    return chr(ord("A") + label) if label < 26 else chr(ord("a") + label - 26)


def _is_subscript(c):
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def _sublist_equation(args):
    """torch's other form, einsum(op0, sublist0, op1, sublist1, ..., [out_sublist]), as an
    equation string and the operands."""
    def sub(n):
        if n is Ellipsis:
            return "..."
        if isinstance(n, numbers.Integral) and not isinstance(n, bool) and 0 <= n < _N_LETTERS:
            return _letter(int(n))
        raise ValueError(f"einsum: subscript {n!r} in subscript list is not within the valid range [0, 52)")

    eq = ",".join("".join(sub(s) for s in lst) for lst in args[1::2])
    if len(args) % 2 == 1:
        return eq + "->" + "".join(sub(s) for s in args[-1]), args[:-1:2]
    return eq, args[::2]


def _parse_inputs(equation, lhs, n_ops):
    """Per operand, its labels (ints, _ELLIPSIS for '...'), checked as torch checks them."""
    labels, cur, seen_ell = [[] for _ in range(n_ops)], 0, False
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            if seen_ell:
                raise RuntimeError(f"einsum: found '.' for operand {cur} for which an ellipsis was already found "
                                   f"(equation {equation!r})")
            if lhs[i:i + 3] != "...":
                raise RuntimeError(f"einsum: found '.' for operand {cur} that is not part of any ellipsis "
                                   f"(equation {equation!r})")
            labels[cur].append(_ELLIPSIS)
            seen_ell = True
            i += 2
        elif c == ",":
            cur += 1
            if cur >= n_ops:
                raise RuntimeError(f"einsum: fewer operands were provided than specified in the equation "
                                   f"{equation!r} (got {n_ops})")
            seen_ell = False
        elif not _is_subscript(c):
            raise RuntimeError(f"einsum: invalid subscript given at index {i} in the equation string {equation!r}, "
                               "subscripts must be in [a-zA-Z]")
        else:
            labels[cur].append(_label(c))
        i += 1
    if cur != n_ops - 1:
        raise RuntimeError(f"einsum: more operands were provided than specified in the equation {equation!r} "
                           f"(got {n_ops})")
    return labels


def _parse_output(equation, lhs_len, rhs, counts, n_ell):
    """The output's labels; the ellipsis dims are labels 52, 53, ... Returns (labels, has_ellipsis)."""
    out, seen_ell, i = [], False, 0
    while i < len(rhs):
        c = rhs[i]
        if c == " ":
            pass
        elif c == ".":
            if seen_ell:
                raise RuntimeError(f"einsum: found '.' for output but an ellipsis (...) was already found "
                                   f"(equation {equation!r})")
            if rhs[i:i + 3] != "...":
                raise RuntimeError(f"einsum: found '.' for output that is not part of any ellipsis (...) "
                                   f"(equation {equation!r})")
            out.extend(range(_N_LETTERS, _N_LETTERS + n_ell))
            seen_ell = True
            i += 2
        elif not _is_subscript(c):
            raise RuntimeError(f"einsum: invalid subscript given at index {lhs_len + 2 + i} in the equation string "
                               f"{equation!r}, subscripts must be in [a-zA-Z]")
        else:
            lab = _label(c)
            if lab in out:
                raise RuntimeError(f"einsum: output subscript {c} appears more than once in the output "
                                   f"(equation {equation!r})")
            if not counts[lab]:
                raise RuntimeError(f"einsum: output subscript {c} does not appear in the equation for any input "
                                   f"operand (equation {equation!r})")
            out.append(lab)
        i += 1
    return out


def _expand_ellipsis(equation, labels, ndims):
    """Replaces each '...' by the labels of the dims it covers, right-aligned across the
    operands as broadcasting aligns them. Returns (labels per operand, ellipsis ndim)."""
    n_ell = 0
    for k, (lab, nd) in enumerate(zip(labels, ndims)):
        named = len(lab) - lab.count(_ELLIPSIS)
        if _ELLIPSIS in lab:
            if named > nd:
                raise RuntimeError(f"einsum: the number of subscripts in the equation ({named}) is more than the "
                                   f"number of dimensions ({nd}) for operand {k} (equation {equation!r})")
            n_ell = max(n_ell, nd - named)
        elif named != nd:
            raise RuntimeError(f"einsum: the number of subscripts in the equation ({named}) does not match the "
                               f"number of dimensions ({nd}) for operand {k} and no ellipsis was given "
                               f"(equation {equation!r})")
    out = []
    for lab, nd in zip(labels, ndims):
        if _ELLIPSIS in lab:
            m = nd - (len(lab) - 1)
            at = lab.index(_ELLIPSIS)
            lab = lab[:at] + list(range(_N_LETTERS + n_ell - m, _N_LETTERS + n_ell)) + lab[at + 1:]
        out.append(lab)
    return out, n_ell


@functools.lru_cache(maxsize=512)
def _plan(equation, ndims):
    """The labels of each operand and of the output, for an equation and the operands'
    ranks. Cached: a model runs the same few equations at every step."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    labels = _parse_inputs(equation, lhs, len(ndims))
    labels, n_ell = _expand_ellipsis(equation, labels, ndims)
    counts = [0] * _N_LETTERS
    for lab in labels:
        for lb in lab:
            if lb < _N_LETTERS:
                counts[lb] += 1
    if arrow < 0:  # implicit output: the ellipsis dims, then the labels used once, in order
        out = list(range(_N_LETTERS, _N_LETTERS + n_ell)) + [lb for lb in range(_N_LETTERS) if counts[lb] == 1]
    else:
        out = _parse_output(equation, len(lhs), equation[arrow + 2:], counts, n_ell)
    return tuple(tuple(lab) for lab in labels), tuple(out)


def _check_sizes(equation, labels, operands):
    """Repeated subscripts need equal sizes; across operands a size broadcasts only from 1."""
    seen = {}
    for k, (lab, x) in enumerate(zip(labels, operands)):
        own = {}
        for lb, n in zip(lab, x.shape):
            if lb in own and own[lb] != n:
                raise RuntimeError(f"einsum: subscript {_letter(lb)} is repeated for operand {k} but the sizes don't "
                                   f"match, {n} != {own[lb]} ({desc(x)}, equation {equation!r})")
            own[lb] = n
        for lb, n in own.items():
            prev = seen.get(lb, 1)
            if n != 1 and prev != 1 and n != prev:
                what = (f"subscript {_letter(lb)}" if lb < _N_LETTERS
                        else f"dimension {lb - _N_LETTERS} covered by ellipsis")
                raise RuntimeError(f"einsum: {what} has size {n} for operand {k} which does not broadcast with "
                                   f"previously seen size {prev} (equation {equation!r}, operands "
                                   + ", ".join(desc(o) for o in operands) + ")")
            seen[lb] = n if prev == 1 else prev


def _diagonal(x, lab):
    """x with each repeated label kept once: the repeated dims move to the end and are
    flattened, and one index_select picks their diagonal (its gradient is an index_add)."""
    from ..tensor import tensor
    while len(set(lab)) != len(lab):
        rep = next(lb for lb in lab if lab.count(lb) > 1)
        at = [i for i, lb in enumerate(lab) if lb == rep]
        rest = [i for i in range(len(lab)) if i not in at]
        n, k = x.shape[at[0]], len(at)
        x = x.permute(rest + at).reshape([x.shape[i] for i in rest] + [n ** k])
        step = (n ** k - 1) // (n - 1) if n > 1 else 1  # 1 + n + ... + n^(k-1): one along every dim
        x = index_select(x, -1, tensor(np.arange(n, dtype=np.int64) * step, device=x.device))
        lab = [lab[i] for i in rest] + [rep]
    return x, lab


def _sum_unused(x, lab, keep):
    """Sums out the labels not in keep (an index no later step reads)."""
    drop = [i for i, lb in enumerate(lab) if lb not in keep]
    if not drop:
        return x, lab
    return sum(x, dim=drop), [lb for lb in lab if lb in keep]


def _drop_broadcast(a, la, b, lb, later):
    """A label both hold, at size 1 in one of them, broadcasts: it leaves the size-1
    side (squeezed), and is summed out of the other side too when nothing later needs it."""
    for lab in [x for x in la if x in lb]:
        i, j = la.index(lab), lb.index(lab)
        na, nb = a.shape[i], b.shape[j]
        if na == nb:
            continue
        if na == 1:
            a, la = a.squeeze(i), la[:i] + la[i + 1:]
            if lab not in later:
                b, lb = sum(b, dim=j), lb[:j] + lb[j + 1:]
        else:
            b, lb = b.squeeze(j), lb[:j] + lb[j + 1:]
            if lab not in later:
                a, la = sum(a, dim=i), la[:i] + la[i + 1:]
    return a, la, b, lb


def _permuted(x, order):
    return x if order == sorted(order) else x.permute(order)


def _contract(a, la, b, lb, later):
    """a and b contracted over their shared labels not in later, as one matmul:
    a -> (batch, rows, inner), b -> (batch, inner, cols)."""
    a, la, b, lb = _drop_broadcast(a, la, b, lb, later)
    batch = [x for x in la if x in lb and x in later]
    inner = [x for x in la if x in lb and x not in later]
    rows = [x for x in la if x not in lb]
    cols = [x for x in lb if x not in la]
    sa = dict(zip(la, a.shape))
    sb = dict(zip(lb, b.shape))
    nb_, nr, nk, nc = (math.prod(d[x] for x in xs) for d, xs in ((sa, batch), (sa, rows), (sa, inner), (sb, cols)))
    a = _permuted(a, [la.index(x) for x in batch + rows + inner])
    b = _permuted(b, [lb.index(x) for x in batch + inner + cols])
    if batch:
        prod = matmul(a.reshape(nb_, nr, nk), b.reshape(nb_, nk, nc))
    else:  # a 2-D product takes matmul's fast path
        prod = matmul(a.reshape(nr, nk), b.reshape(nk, nc))
    shape = [sa[x] for x in batch + rows] + [sb[x] for x in cols]
    return prod.reshape(shape), batch + rows + cols


def einsum(*args):
    """einsum(equation, *operands): sums the product of the operands' elements over the
    subscripts absent from the output ('ij,jk->ik' is a matrix product). Also takes the
    operands as one list, and torch's sublist form einsum(op0, [0, 1], op1, [1, 2], [0, 2])."""
    if len(args) < 2:
        raise ValueError("einsum: must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = operands[0]
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a str, got {type(equation).__name__}")
    operands = list(operands)
    for k, x in enumerate(operands):
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum: expected a Tensor as operand {k}, got {type(x).__name__}")
    if not operands:
        raise RuntimeError(f"einsum: must provide at least one operand (equation {equation!r})")
    try:
        labels, out = _plan(equation, tuple(x.ndim for x in operands))
    except RuntimeError as e:  # the message, with the operands it was about
        raise RuntimeError(f"{e}; operands " + ", ".join(desc(x) for x in operands)) from None
    same_device("einsum", *operands)
    dtype = operands[0].dtype
    if any(x.dtype is not dtype for x in operands):
        raise TypeError("einsum: expected all operands to have the same dtype, got "
                        + ", ".join(desc(x) for x in operands) + f" (equation {equation!r})")
    if dtype is _dt.bool_ and len(operands) > 1:
        raise TypeError(f"einsum: products of bool operands are not implemented (equation {equation!r})")
    _check_sizes(equation, labels, operands)

    terms = [_diagonal(x, list(lab)) for x, lab in zip(operands, labels)]
    out, keep_out = list(out), set(out)
    x, lab = terms[0]
    for k in range(1, len(terms)):
        later = keep_out.union(*(set(t[1]) for t in terms[k + 1:]))
        y, ly = terms[k]
        x, lab = _sum_unused(x, lab, later | set(ly))
        y, ly = _sum_unused(y, ly, later | set(lab))
        x, lab = _contract(x, lab, y, ly, later)
    x, lab = _sum_unused(x, lab, keep_out)
    order = [lab.index(lb) for lb in out]
    # permuted even in order when x is still an operand: the result is always a new tensor
    return x.permute(order) if order != sorted(order) or any(x is o for o in operands) else x
