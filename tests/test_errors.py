"""A table of bad inputs: each raises a Python exception of the right type whose
message names the op and what was wrong. Nothing may crash the interpreter."""
import pytest

import fastdl

f = fastdl.float32


def _t(*shape, dtype=None):
    return fastdl.ones(*shape, dtype=dtype or f)


BAD = [
    ("add-shapes", lambda: _t(2, 3) + _t(4), ValueError, r"add: shapes \[2, 3\] and \[4\] cannot be broadcast"),
    ("matmul-inner", lambda: _t(2, 3) @ _t(4, 5), ValueError, r"matmul: shape mismatch float32\[2, 3\] @ float32\[4, 5\]"),
    ("matmul-dtype", lambda: _t(2, 3) @ _t(3, 2, dtype=fastdl.float64), TypeError, "matmul: expected both operands"),
    ("matmul-0d", lambda: fastdl.tensor(1.0) @ _t(2), ValueError, "matmul: both arguments need at least 1 dimension"),
    ("sum-dim", lambda: _t(2, 3).sum(dim=2), IndexError, r"sum: dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    ("softmax-dim", lambda: _t(2, 3).softmax(dim=-3), IndexError, "softmax: dimension out of range"),
    ("softmax-int", lambda: _t(2, dtype=fastdl.int64).softmax(0), TypeError, "softmax: expected a floating point tensor"),
    ("exp-bool-ok?", lambda: fastdl.tensor([True]).exp(), None, None),
    ("index-oob", lambda: _t(2, 3)[2], IndexError, "index 2 is out of bounds for dimension 0 with size 2"),
    ("index-tensor-oob", lambda: _t(2, 3)[fastdl.tensor([0, 5])], IndexError, "index 5 is out of bounds"),
    ("index-float", lambda: _t(2, 3)[fastdl.tensor([0.5])], IndexError, "must be long or bool"),
    ("gather-oob", lambda: fastdl.gather(_t(2, 3), 1, fastdl.tensor([[0, 3]])), IndexError, "gather"),
    ("gather-dtype", lambda: fastdl.gather(_t(2, 3), 1, fastdl.tensor([[0.0]])), TypeError, "gather: index must be an int64"),
    ("reshape", lambda: _t(2, 3).reshape(4, 2), RuntimeError, r"reshape: shape \[4, 2\] is invalid for input of size 6"),
    ("view-noncontig", lambda: _t(2, 3).t().view(6), RuntimeError, "view: size"),
    ("permute-dims", lambda: _t(2, 3).permute(0, 0), RuntimeError, "permute: repeated dim"),
    ("expand", lambda: _t(2, 3).expand(4, 3), RuntimeError, "expand: the expanded size"),
    ("cat-shapes", lambda: fastdl.cat([_t(2, 3), _t(2, 4)]), ValueError, "cat: sizes of tensors must match"),
    ("cat-empty", lambda: fastdl.cat([]), ValueError, "cat: expected a non-empty list"),
    ("stack-shapes", lambda: fastdl.stack([_t(2), _t(3)]), ValueError, "stack: expects each tensor to be equal size"),
    ("ce-target-oob", lambda: fastdl.cross_entropy(_t(2, 3), fastdl.tensor([0, 3])), IndexError, "cross_entropy: target 3 is out of bounds"),
    ("ce-target-dtype", lambda: fastdl.cross_entropy(_t(2, 3), fastdl.tensor([0, 1], dtype=fastdl.bool)), TypeError, "cross_entropy: expected int64 class indices"),
    ("ce-target-shape", lambda: fastdl.cross_entropy(_t(2, 3), fastdl.tensor([0, 1, 2])), ValueError, r"cross_entropy: expected target of shape \[2\]"),
    ("ce-reduction", lambda: fastdl.cross_entropy(_t(2, 3), fastdl.tensor([0, 1]), reduction="avg"), ValueError, "reduction must be"),
    ("mse-shapes", lambda: fastdl.mse_loss(_t(2, 3), _t(4)), ValueError, "mse_loss: shapes"),
    ("max-empty", lambda: _t(0, 3).max(), ValueError, "max: cannot reduce over an empty dimension"),
    ("argmax-empty", lambda: _t(0).argmax(), ValueError, "argmax: cannot reduce over an empty dimension"),
    ("item-many", lambda: _t(3).item(), RuntimeError, "a Tensor with 3 elements cannot be converted to Scalar"),
    ("bool-many", lambda: bool(_t(3)), RuntimeError, "Boolean value of Tensor with 3 elements is ambiguous"),
    ("neg-size", lambda: fastdl.zeros(-1, 2), ValueError, "zeros: negative dimension -1"),
    ("bad-size-type", lambda: fastdl.zeros(2.5), TypeError, "zeros: size must be a sequence of ints"),
    ("bad-dtype", lambda: fastdl.zeros(2, dtype="complex64"), TypeError, "unsupported dtype"),
    ("bad-device", lambda: fastdl.zeros(2, device="tpu"), ValueError, "unknown device type 'tpu'"),
    ("cuda-missing", lambda: fastdl.zeros(2, device="cuda"), RuntimeError, "CUDA"),
    ("ragged", lambda: fastdl.tensor([[1, 2], [3]]), (TypeError, ValueError), "tensor"),
    ("int-div-zero", lambda: fastdl.tensor([1, 2]) // 0, ZeroDivisionError, "floor_divide: integer division by zero"),
    ("randint-range", lambda: fastdl.randint(5, 5, (2,)), ValueError, "randint: expected low < high"),
    ("leaf-inplace", lambda: fastdl.ones(2, requires_grad=True).mul_(2), RuntimeError, "leaf Variable that requires grad"),
    ("backward-int", lambda: fastdl.ones(2).sum().backward(), RuntimeError, "does not require grad"),
    ("where-cond", lambda: fastdl.where(_t(2), _t(2), _t(2)), TypeError, "where: condition must be a bool tensor"),
    ("narrow", lambda: _t(4).narrow(0, 3, 2), IndexError, "narrow: start"),
    ("one-hot-neg", lambda: fastdl.one_hot(fastdl.tensor([-1])), ValueError, "one_hot: class values must be non-negative"),
    ("setitem-shape", lambda: _t(2, 3).__setitem__((slice(None), 0), _t(3)), RuntimeError, "setitem: output with shape"),
    ("op-on-string", lambda: _t(2) + "a", TypeError, "add"),
    ("polygamma-neg-n", lambda: fastdl.polygamma(-1, _t(2)), ValueError, "polygamma: n must be >= 0, got -1"),
    ("polygamma-float-n", lambda: fastdl.polygamma(1.5, _t(2)), TypeError, "polygamma: n must be an int, got float"),
    ("polygamma-not-tensor", lambda: fastdl.polygamma(1, 2.0), TypeError, "polygamma: expected input to be a Tensor"),
    ("polygamma-method-neg-n", lambda: _t(2).polygamma(-2), ValueError, "polygamma: n must be >= 0"),
    ("mvlgamma-p0", lambda: fastdl.mvlgamma(_t(2), 0), ValueError, "mvlgamma: p must be >= 1, got 0"),
    ("mvlgamma-domain", lambda: fastdl.mvlgamma(_t(2) * 0.9, 3), ValueError,
     r"mvlgamma: all elements must be greater than \(p-1\)/2 = 1.0"),
    ("erf-string", lambda: fastdl.erf("a"), TypeError, "erf: expected a Tensor"),
    ("xlog1py-two-numbers", lambda: fastdl.xlog1py(1.0, 2.0), TypeError, "xlog1py: expected at least one Tensor"),
    ("erf-int-ok", lambda: fastdl.erf(fastdl.tensor([1, 2])), None, None),
    ("inv-nonsquare", lambda: fastdl.linalg.inv(_t(2, 3)), ValueError, r"linalg.inv: A must be batches of square matrices"),
    ("solve-int", lambda: fastdl.linalg.solve(_t(2, 2, dtype=fastdl.int64), _t(2, dtype=fastdl.int64)), TypeError, "linalg.solve: expected A to be float32 or float64"),
    ("solve-rows", lambda: fastdl.linalg.solve(_t(3, 3), _t(2, 1)), ValueError, "linalg.solve: incompatible shapes"),
    ("inv-singular", lambda: fastdl.linalg.inv(_t(2, 2)), fastdl.linalg.LinAlgError, "linalg.inv: The diagonal element 2 is zero"),
    ("cholesky-not-pd", lambda: fastdl.linalg.cholesky(-_t(2, 2)), fastdl.linalg.LinAlgError, "the leading minor of order 1 is not positive-definite"),
    # ---- reduce_linalg_more (math branch) ----
    ("prod-dim", lambda: _t(2, 3).prod(2), IndexError, "prod: dimension out of range"),
    ("prod-not-tensor", lambda: fastdl.prod([1, 2]), TypeError, "prod: expected input to be a Tensor"),
    ("mv-shapes", lambda: fastdl.mv(_t(2, 3), _t(2)), ValueError, r"mv: expected a matrix \(n, m\) and a vector"),
    ("addmv-dtype", lambda: fastdl.addmv(_t(2), _t(2, 3), _t(3, dtype=fastdl.float64)), TypeError, "addmv: expected all operands to have the same dtype"),
    ("addr-input-shape", lambda: fastdl.addr(_t(3, 3), _t(2), _t(3)), ValueError, r"addr: input float32\[3, 3\] must broadcast to \[2, 3\]"),
    ("vdot-sizes", lambda: fastdl.vdot(_t(2), _t(3)), ValueError, "vdot: expected 1-D tensors of the same size"),
    ("kron-not-tensor", lambda: fastdl.kron(_t(2), 2.0), TypeError, "kron: expected other to be a Tensor"),
    ("baddbmm-batches", lambda: fastdl.baddbmm(_t(2, 3, 5), _t(2, 3, 4), _t(3, 4, 5)), ValueError, "baddbmm: incompatible batch shapes"),
    ("chain-matmul-shapes", lambda: fastdl.chain_matmul(_t(2, 3), _t(2, 3)), ValueError, "chain_matmul: matrices 0 and 1 cannot be multiplied"),
    ("matrix-power-nonsquare", lambda: fastdl.matrix_power(_t(2, 3), 2), ValueError, "linalg.matrix_power: expected a batch of square matrices"),
    ("matrix-exp-int", lambda: fastdl.matrix_exp(_t(2, 2, dtype=fastdl.int64)), TypeError, "linalg.matrix_exp: expected a float32 or float64"),
    ("cross-no-size3", lambda: fastdl.cross(_t(2, 2), _t(2, 2), dim=0), ValueError, "cross: inputs dimension 0 must have length 3"),
    ("vander-2d", lambda: fastdl.vander(_t(2, 2)), ValueError, "vander: x must be a one-dimensional tensor"),
    ("cdist-int", lambda: fastdl.cdist(_t(2, 2, dtype=fastdl.int64), _t(2, 2, dtype=fastdl.int64)), TypeError, "cdist: expected a floating point tensor as x1"),
    ("dist-p", lambda: fastdl.dist(_t(2), _t(2), "fro"), TypeError, "dist: p must be a number"),
    ("cov-aweights-int", lambda: fastdl.cov(_t(2, 3), aweights=fastdl.tensor([1, 1, 1])), TypeError, "cov: expected aweights to have a floating point dtype"),
    ("cov-fweights-len", lambda: fastdl.cov(_t(2, 3), fweights=fastdl.tensor([1, 1])), ValueError, r"cov: expected fweights to have the same numel as there are observations in the input \(3\)"),
    ("trapezoid-x-and-dx", lambda: fastdl.trapezoid(_t(3), _t(3), dx=1.0), TypeError, "trapezoid: pass either x or dx"),
    ("histogram-bins", lambda: fastdl.histogram(_t(3), 0), ValueError, "histogram: bins must be > 0"),
    ("histogram-range", lambda: fastdl.histogram(_t(3), 2, range=(1.0, 0.0)), ValueError, "histogram: max must be larger than min"),
    ("gradient-spacing-len", lambda: fastdl.gradient(_t(3, 3), spacing=[1.0]), ValueError, "gradient: expected spacing to be unspecified, a scalar, or a list of length equal to the number of dims"),
    ("logspace-steps", lambda: fastdl.logspace(0, 1, -1), ValueError, "logspace: number of steps must be a non-negative int"),
    ("lu-solve-pivots", lambda: fastdl.linalg.lu_solve(_t(2, 2), fastdl.tensor([1.0, 2.0]), _t(2, 1)), TypeError, "linalg.lu_solve: expected pivots to be int64"),
    ("lu-unpack-nonsquare", lambda: fastdl.lu_unpack(_t(2, 3), fastdl.tensor([1, 2])), ValueError, "lu_unpack: LU_data must be batches of square matrices"),
    ("triangular-solve-rows", lambda: fastdl.triangular_solve(_t(2, 1), _t(3, 3)), ValueError, "triangular_solve: incompatible shapes"),
    ("solve-ex-dtype", lambda: fastdl.linalg.solve_ex(_t(2, 2), _t(2, dtype=fastdl.float64)), TypeError, "linalg.solve_ex: expected A and B to have the same dtype"),
    ("cond-nuc", lambda: fastdl.linalg.cond(_t(2, 2), "nuc"), NotImplementedError, "linalg.cond: p='nuc' needs the singular values"),
]


@pytest.mark.parametrize("name,fn,exc,msg", BAD, ids=[b[0] for b in BAD])
def test_bad_input_raises_clear_error(name, fn, exc, msg):
    if exc is None:
        fn()  # accepted input (documented promotion), must not raise
        return
    with pytest.raises(exc, match=msg):
        fn()
