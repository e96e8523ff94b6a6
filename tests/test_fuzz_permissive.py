"""Inputs torch refuses that fastdl accepted (tests/fuzz_ops.py's "permissive" cases), one
row per cause with a few inputs: fastdl raises the exception type torch raises, with a
message naming the op and the argument, and the valid neighbours of each still work.
Each row is a function of the library module (fastdl or torch), so the same call runs on both."""
import numpy as np
import pytest

import fastdl

A = np.array([[0.5, -1.25, 2.0, 0.0], [1.5, -0.5, -2.0, 3.0], [0.25, 1.0, -3.0, 0.75]], np.float32)
B = np.array([[1.0, 0.5, -1.0, 2.0], [0.5, 1.5, 2.5, -0.5], [-1.0, 0.25, 1.0, 1.0]], np.float32)


def a(m):
    return m.tensor(A)


def b(m):
    return m.tensor(B)


def i64(m):
    return m.tensor(np.arange(12).reshape(3, 4) % 5)


def bl(m):
    return m.tensor(A > 0)


def sq(m):
    return m.tensor(np.eye(3, dtype=np.float32) * 2 + 0.5)


# (id, call, exception type, fastdl's message)
REFUSED = [
    # ---- a Python number where torch's argument is a Tensor (torch.maximum's `other`, ...)
    ("maximum-float", lambda m: m.maximum(a(m), 2.5), TypeError, r"maximum\(\): argument 'other' must be Tensor, not float"),
    ("minimum-int", lambda m: m.minimum(a(m), 0), TypeError, r"minimum\(\): argument 'other' must be Tensor, not int"),
    ("atan2-int", lambda m: m.atan2(a(m), 1), TypeError, r"atan2\(\): argument 'other' must be Tensor"),
    ("arctan2_-method", lambda m: a(m).arctan2_(1.0), TypeError, "atan2.*'other' must be Tensor"),
    ("logical_and-int", lambda m: m.logical_and(a(m), 1), TypeError, r"logical_and\(\): argument 'other'"),
    ("logical_xor-method", lambda m: bl(m).logical_xor(True), TypeError, r"logical_xor\(\): argument 'other'"),
    ("hypot-float", lambda m: m.hypot(a(m), 2.0), TypeError, r"hypot\(\): argument 'other'"),
    ("logaddexp-int", lambda m: m.logaddexp(a(m), 0), TypeError, r"logaddexp\(\): argument 'other'"),
    ("logaddexp2-float", lambda m: a(m).logaddexp2(0.5), TypeError, r"logaddexp2\(\): argument 'other'"),
    ("fmax-float", lambda m: m.fmax(a(m), 0.5), TypeError, r"fmax\(\): argument 'other'"),
    ("fmin-int", lambda m: m.fmin(a(m), 0), TypeError, r"fmin\(\): argument 'other'"),
    ("ldexp-int", lambda m: m.ldexp(a(m), 2), TypeError, r"ldexp\(\): argument 'other'"),
    ("nextafter-float", lambda m: m.nextafter(a(m), 1.0), TypeError, r"nextafter\(\): argument 'other'"),
    ("gcd-int", lambda m: m.gcd(i64(m), 2), TypeError, r"gcd\(\): argument 'other'"),
    ("lcm_-int", lambda m: i64(m).lcm_(3), TypeError, r"lcm\(\): argument 'other'"),
    ("igamma-float", lambda m: m.igamma(a(m).abs(), 2.0), TypeError, r"igamma\(\): argument 'other'"),
    ("igammac-method", lambda m: a(m).abs().igammac(1), TypeError, r"igammac\(\): argument 'other'"),
    # ---- a tensor with dimensions where torch's argument is a float / int / Number
    ("isclose-rtol", lambda m: m.isclose(a(m), b(m), a(m)), TypeError, r"isclose\(\): argument 'rtol' must be float, not Tensor \(float32\[3, 4\]\)"),
    ("allclose-atol", lambda m: m.allclose(a(m), b(m), 1e-5, b(m)), TypeError, r"allclose\(\): argument 'atol' must be float"),
    ("hardshrink-lambd", lambda m: m.hardshrink(a(m), a(m)), TypeError, r"hardshrink\(\): argument 'lambd' must be Number, not Tensor"),
    ("F.softshrink-lambd", lambda m: m.nn.functional.softshrink(a(m), m.ones(2)), TypeError, r"softshrink\(\): argument 'lambd'"),
    ("nan_to_num-nan", lambda m: m.nan_to_num(a(m), a(m)), TypeError, r"nan_to_num\(\): argument 'nan' must be float"),
    ("nan_to_num_-posinf", lambda m: a(m).nan_to_num_(0.0, m.ones(2)), TypeError, r"nan_to_num\(\): argument 'posinf'"),
    ("hinge-margin", lambda m: m.hinge_embedding_loss(a(m), b(m), a(m)), TypeError, r"hinge_embedding_loss\(\): argument 'margin' must be float"),
    ("margin_ranking-margin", lambda m: m.margin_ranking_loss(a(m), b(m), b(m), m.ones(2)), TypeError, r"margin_ranking_loss\(\): argument 'margin'"),
    ("rot90-k-float", lambda m: m.rot90(a(m), 2.5), TypeError, r"rot90\(\): argument 'k' must be int, not float"),
    ("rot90-k-bool", lambda m: m.rot90(a(m), True), TypeError, r"rot90\(\): argument 'k' must be int, not bool"),
    ("randint_like-float", lambda m: m.randint_like(i64(m), 2.5), TypeError, r"randint_like\(\): argument 'low' must be int"),
    ("eye-float-tensor", lambda m: m.eye(m.tensor(2.0), 3), TypeError, r"eye\(\): argument 'n' must be int"),
    # ---- a bool flag given an int, a float or a tensor
    ("unique-sorted-int", lambda m: m.unique(a(m), 0), TypeError, r"unique\(\): argument 'sorted' must be bool, not int"),
    ("unique-sorted-tensor", lambda m: m.unique(a(m), b(m)), TypeError, r"unique\(\): argument 'sorted' must be bool"),
    ("unique_consecutive-flag", lambda m: m.unique_consecutive(a(m), 1), TypeError, r"unique_consecutive\(\): argument 'return_inverse'"),
    ("svd-some-int", lambda m: m.svd(a(m), 0), TypeError, r"svd\(\): argument 'some' must be bool"),
    ("qr-method-some", lambda m: a(m).qr(0), TypeError, r"qr\(\): argument 'some' must be bool"),
    ("cholesky_inverse-upper", lambda m: m.cholesky_inverse(sq(m), 1), TypeError, r"cholesky_inverse\(\): argument 'upper'"),
    ("lu-pivot-int", lambda m: m.lu(sq(m), 1), TypeError, r"lu\(\): argument 'pivot' must be bool"),
    ("requires_grad_-int", lambda m: a(m).requires_grad_(1), TypeError, r"requires_grad_\(\): argument 'requires_grad' must be bool"),
    ("copy_-non_blocking", lambda m: a(m).copy_(b(m), b(m)), TypeError, r"copy_\(\): argument 'non_blocking' must be bool"),
    ("alpha_dropout-train", lambda m: m.alpha_dropout(a(m), 0.0, a(m)), TypeError, r"alpha_dropout\(\): argument 'train' must be bool"),
    ("F.feature_alpha_dropout-train", lambda m: m.nn.functional.feature_alpha_dropout(a(m), 0.5, 1), TypeError, r"feature_alpha_dropout\(\): argument 'train'"),
    ("set_anomaly_enabled-tensor", lambda m: m.set_anomaly_enabled(m.tensor(1.0)), TypeError, r"set_anomaly_enabled\(\): argument 'enabled' must be bool"),
    ("kl_div-log_target-int", lambda m: m.kl_div(a(m), b(m), log_target=1), TypeError, r"kl_div\(\): argument 'log_target' must be bool"),
    ("triplet-swap-int", lambda m: m.triplet_margin_loss(a(m), b(m), b(m), swap=1), TypeError, r"triplet_margin_loss\(\): argument 'swap'"),
    ("is_pinned-tensor", lambda m: a(m).is_pinned(b(m)), TypeError, r"is_pinned\(\): argument 'device'"),
    ("cuda-tensor", lambda m: a(m).cuda(b(m)), TypeError, r"cuda\(\): argument 'device'"),
    # ---- the ATen losses' reduction is an int code (a string or bool is a TypeError)
    ("kl_div-reduction-str", lambda m: m.kl_div(a(m), b(m), "mean"), TypeError, r"kl_div\(\): argument 'reduction' must be int, not str"),
    ("hinge-reduction-bool", lambda m: m.hinge_embedding_loss(a(m), b(m), 1.0, True), TypeError, r"argument 'reduction' must be int, not bool"),
    ("bce_logits-reduction-float", lambda m: m.binary_cross_entropy_with_logits(a(m), b(m), None, None, 1.0), TypeError, r"argument 'reduction' must be int, not float"),
    # ---- keyword-only arguments given positionally
    ("round-decimals-positional", lambda m: m.round(a(m), 1), TypeError, r"round"),
    ("round-method-positional", lambda m: a(m).round(1), TypeError, r"round\(\) takes 1 positional argument"),
    ("round_-positional", lambda m: m.round_(a(m), 0), TypeError, r"round_\(\) takes 1 positional argument"),
    ("nonzero-as_tuple-positional", lambda m: m.nonzero(a(m), True), TypeError, r"nonzero\(\) takes 1 positional argument"),
    ("nonzero-as_tuple-int", lambda m: m.nonzero(a(m), as_tuple=1), TypeError, r"nonzero\(\): argument 'as_tuple' must be bool"),
    ("zeros_like-dtype-positional", lambda m: m.zeros_like(a(m), m.float64), TypeError, r"zeros_like\(\) takes 1 positional argument"),
    ("randn_like-dtype-positional", lambda m: m.randn_like(a(m), m.float64), TypeError, "randn_like"),
    ("numpy-force-positional", lambda m: a(m).numpy(True), TypeError, r"numpy\(\) takes 1 positional argument"),
    ("trapz-dx-positional", lambda m: m.trapz(a(m), 0.5), TypeError, r"trapezoid\(\): argument 'x' must be Tensor"),
    ("cumulative_trapezoid-dx-positional", lambda m: m.cumulative_trapezoid(a(m), 1), TypeError, r"cumulative_trapezoid\(\): argument 'x'"),
    ("to_dlpack-extra", lambda m: m.to_dlpack(a(m), 0), TypeError, "to_dlpack"),
    ("resize_as_-extra", lambda m: a(m).resize_as_(b(m), b(m)), TypeError, r"resize_as_\(\) takes 2 positional arguments"),
    # ---- a bare int (or a tensor) where a top-level function takes a tuple of ints
    ("flip-int", lambda m: m.flip(a(m), 0), TypeError, r"flip\(\): argument 'dims' must be tuple of ints, not int"),
    ("tile-int", lambda m: m.tile(a(m), 2), TypeError, r"tile\(\): argument 'dims' must be tuple of ints"),
    ("reshape-int", lambda m: m.reshape(a(m), 12), TypeError, r"reshape\(\): argument 'shape' must be tuple of ints"),
    ("permute-int", lambda m: m.permute(a(m), 0), TypeError, r"permute\(\): argument 'dims' must be tuple of ints"),
    ("broadcast_to-int", lambda m: m.broadcast_to(a(m)[0], 4), TypeError, r"broadcast_to\(\): argument 'size'"),
    ("expand_copy-int", lambda m: m.expand_copy(a(m)[0], 4), TypeError, r"expand_copy\(\): argument 'size'"),
    ("split_with_sizes-int", lambda m: a(m).split_with_sizes(3), TypeError, r"split_with_sizes\(\): argument 'split_sizes'"),
    ("full-int", lambda m: m.full(3, 1.0), TypeError, r"full\(\): argument 'size' must be tuple of ints, not int"),
    ("full-tensor", lambda m: m.full(m.tensor(0.7), 1.0), TypeError, r"full\(\): argument 'size'"),
    ("zeros-float-tensor", lambda m: m.zeros(m.tensor(0.7)), TypeError, r"zeros\(\): argument 'size'.*float32"),
    ("rand-float-tensor", lambda m: m.rand(m.tensor(2.5), 2), TypeError, r"rand\(\): argument 'size'"),
    ("cat-tensor", lambda m: m.cat(a(m)), TypeError, r"cat\(\): argument 'tensors' must be tuple of Tensors, not Tensor"),
    ("concat-tensor", lambda m: m.concat(a(m), 0), TypeError, r"cat\(\): argument 'tensors'"),
    ("stack-tensor", lambda m: m.stack(a(m)), TypeError, r"stack\(\): argument 'tensors'"),
    # ---- a missing required argument
    ("softmax-no-dim", lambda m: m.softmax(a(m)), TypeError, "softmax.*dim"),
    ("log_softmax-method-no-dim", lambda m: a(m).log_softmax(), TypeError, "log_softmax.*dim"),
    ("softmax-dtype-tensor", lambda m: m.softmax(a(m), 1, a(m)), TypeError, r"softmax\(\): argument 'dtype'"),
    ("new_zeros-no-size", lambda m: a(m).new_zeros(), TypeError, r"new_zeros\(\) missing 1 required positional"),
    ("new_empty-no-size", lambda m: a(m).new_empty(), TypeError, r"new_empty\(\) missing"),
    ("flip-method-no-dims", lambda m: a(m).flip(), TypeError, r"flip\(\) missing"),
    ("sum_to_size-no-size", lambda m: a(m).sum_to_size(), TypeError, r"sum_to_size\(\) missing"),
    ("resize_-no-size", lambda m: a(m).resize_(), TypeError, r"resize_\(\) missing"),
    # ---- max / min: (input), (input, other) or (input, dim, keepdim) only
    ("max-three-tensors", lambda m: m.max(a(m), b(m), b(m)), TypeError, r"max\(\): got \(Tensor, Tensor, Tensor\)"),
    ("min-four-args", lambda m: m.min(a(m), 1, True, b(m)), TypeError, r"min\(\): other cannot be combined"),
    ("max-keepdim-int", lambda m: a(m).max(1, 1), TypeError, r"max\(\): argument 'keepdim' must be bool"),
    # ---- dtypes torch's kernels do not take
    ("F.elu-int64", lambda m: m.nn.functional.elu(i64(m)), NotImplementedError, r"elu: not implemented for int64 tensors"),
    ("F.gelu-bool", lambda m: m.nn.functional.gelu(bl(m)), NotImplementedError, r"gelu: not implemented for bool"),
    ("F.silu-int64", lambda m: m.nn.functional.silu(i64(m)), NotImplementedError, "silu: not implemented"),
    ("F.leaky_relu-int64", lambda m: m.nn.functional.leaky_relu(i64(m)), NotImplementedError, "leaky_relu: not implemented"),
    ("F.softplus-int64", lambda m: m.nn.functional.softplus(i64(m)), NotImplementedError, "softplus: not implemented"),
    ("selu-int64", lambda m: m.selu(i64(m)), NotImplementedError, r"selu: not implemented for int64 tensors, got int64\[3, 4\]"),
    ("celu-bool", lambda m: m.celu(bl(m)), NotImplementedError, "celu: not implemented for bool"),
    ("F.mish-int64", lambda m: m.nn.functional.mish(i64(m)), NotImplementedError, "mish: not implemented"),
    ("F.hardsigmoid-int64", lambda m: m.nn.functional.hardsigmoid(i64(m)), NotImplementedError, "hardsigmoid: not implemented"),
    ("hardshrink-int64", lambda m: m.hardshrink(i64(m)), NotImplementedError, "hardshrink: not implemented"),
    ("F.softshrink-bool", lambda m: m.nn.functional.softshrink(bl(m)), NotImplementedError, "softshrink: not implemented"),
    ("F.glu-int64", lambda m: m.nn.functional.glu(i64(m)), NotImplementedError, "glu: not implemented"),
    ("F.softsign-bool", lambda m: m.nn.functional.softsign(bl(m)), NotImplementedError, "softsign: not implemented for bool"),
    ("abs-bool", lambda m: m.abs(bl(m)), NotImplementedError, "abs: not implemented for bool"),
    ("hypot-int64", lambda m: m.hypot(i64(m), i64(m)), NotImplementedError, r"hypot: not implemented for int64\[3, 4\]"),
    ("logaddexp-bool", lambda m: m.logaddexp(bl(m), bl(m)), NotImplementedError, "logaddexp: not implemented"),
    ("median-bool", lambda m: m.median(bl(m)), NotImplementedError, r"median: not implemented for bool tensors, got bool\[3, 4\]"),
    ("nanmedian-bool-dim", lambda m: bl(m).nanmedian(0), NotImplementedError, "nanmedian: not implemented for bool"),
    ("trace-bool", lambda m: m.trace(bl(m)), NotImplementedError, "trace: not implemented for bool"),
    ("searchsorted-bool", lambda m: m.searchsorted(bl(m)[0], bl(m)[1]), NotImplementedError, "searchsorted: not implemented for a bool"),
    # ---- values torch checks at run time (its RuntimeErrors; fuzz_ops.py's "garbage?" rows)
    ("pdist-nan-p", lambda m: m.pdist(a(m), float("nan")), (ValueError, RuntimeError), "pdist: only supports non-negative p values, got nan"),
    ("rrelu-nan-lower", lambda m: m.rrelu(a(m), float("nan")), RuntimeError, "rrelu: lower and upper bounds must be finite"),
    ("F.rrelu-inf-upper", lambda m: m.nn.functional.rrelu(a(m), 0.1, float("inf")), RuntimeError, "rrelu: lower and upper bounds must be finite"),
    ("gradient-bool", lambda m: m.gradient(bl(m)), RuntimeError, r"gradient: subtraction of bool tensors is not supported, got bool\[3, 4\]"),
    ("F.tanhshrink-bool", lambda m: m.nn.functional.tanhshrink(bl(m)), RuntimeError, "tanhshrink: subtraction with a bool tensor"),
    ("isin-bool", lambda m: m.isin(bl(m), bl(m)), RuntimeError, "isin: unsupported input type Bool"),
    ("isin-int-bool", lambda m: m.isin(i64(m), bl(m)), RuntimeError, "isin: unsupported input type Bool for test_elements"),
    ("broadcast_shapes-tensor", lambda m: m.broadcast_shapes(m.zeros(0, 3)), RuntimeError, r"broadcast_shapes: input shapes should be of type ints.*float32\[0, 3\]"),
    ("prelu-dtype-mix", lambda m: m.nn.functional.prelu(a(m).double(), m.ones(1)), RuntimeError, r"prelu: type promoting not supported, got input float64\[3, 4\] and weight float32\[1\]"),
    ("prelu-int64", lambda m: m.nn.functional.prelu(i64(m), m.ones(1, dtype=m.int64)), NotImplementedError, "prelu: not implemented for int64"),
    ("linalg.vecdot-int64", lambda m: m.linalg.vecdot(i64(m), i64(m)), RuntimeError, r"linalg.vecdot: expected a floating point tensor as input, got int64\[3, 4\]"),
]


@pytest.mark.parametrize("name,call,exc,msg", REFUSED, ids=[r[0] for r in REFUSED])
def test_fastdl_refuses(name, call, exc, msg):
    with pytest.raises(exc, match=msg):
        call(fastdl)


@pytest.mark.parametrize("name,call,exc,msg", REFUSED, ids=[r[0] for r in REFUSED])
def test_torch_refuses_with_the_same_type(name, call, exc, msg):
    torch = pytest.importorskip("torch")
    with pytest.raises(exc):
        call(torch)


def _np(x):
    if isinstance(x, (tuple, list)):
        return [_np(v) for v in x]
    if hasattr(x, "detach"):
        x = x.detach()
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64)


# valid neighbours of the rows above: (id, call, NumPy / hand-computed expectation or None)
ACCEPTED = [
    ("maximum-tensor", lambda m: m.maximum(a(m), b(m)), np.maximum(A, B)),
    ("maximum-other-kw", lambda m: m.maximum(a(m), other=b(m)), np.maximum(A, B)),  # torch's argument names
    ("atan2-input-other-kw", lambda m: m.atan2(input=a(m), other=b(m)), np.arctan2(A, B)),
    ("maximum-0d-tensor", lambda m: m.maximum(a(m), m.tensor(0.5)), np.maximum(A, 0.5)),
    ("atan2-tensor", lambda m: m.atan2(a(m), b(m)), np.arctan2(A, B)),
    ("logical_and-tensor", lambda m: m.logical_and(a(m), b(m)), np.logical_and(A, B)),
    ("bool-and-python-bool", lambda m: bl(m) & True, A > 0),
    ("bitwise_and-bool-scalar", lambda m: m.bitwise_and(bl(m), True), A > 0),
    ("clamp-tensor-min-number-max", lambda m: m.clamp(a(m), m.tensor(-1.0), 1.0), np.clip(A, -1, 1)),
    ("hypot-int-float", lambda m: m.hypot(i64(m), a(m)), np.hypot(np.arange(12).reshape(3, 4) % 5, A)),
    ("gcd-tensor", lambda m: m.gcd(i64(m), m.tensor(4)), np.gcd(np.arange(12).reshape(3, 4) % 5, 4)),
    ("isclose-0d-rtol", lambda m: m.isclose(a(m), a(m) + 1e-3, m.tensor(1e-2), 1e-2), np.ones((3, 4))),
    ("isclose-int-rtol", lambda m: m.isclose(a(m), b(m), 1, 0), np.abs(A - B) <= np.abs(B)),
    ("hardshrink-0d-lambd", lambda m: m.hardshrink(a(m), m.tensor(0.6)), np.where(np.abs(A) > 0.6, A, 0)),
    ("nan_to_num-0d", lambda m: m.nan_to_num(m.tensor([np.nan, 1.0]), m.tensor(7.0)), [7.0, 1.0]),
    ("rot90-0d-int-k", lambda m: m.rot90(a(m), m.tensor(1)), np.rot90(A)),
    ("unique-bool-flag", lambda m: m.unique(a(m), False), np.unique(A)),
    ("svd-bool", lambda m: m.svd(sq(m), True)[1], np.linalg.svd(np.eye(3) * 2 + 0.5, compute_uv=False)),
    ("round-decimals-kw", lambda m: m.round(a(m), decimals=1), np.round(A, 1)),
    ("round-method", lambda m: a(m).round(), np.round(A)),
    ("round_-kw", lambda m: a(m).round_(decimals=0), np.round(A)),
    ("nonzero-kw", lambda m: m.nonzero(a(m), as_tuple=True)[1], np.nonzero(A)[1]),
    ("zeros_like-dtype-kw", lambda m: m.zeros_like(a(m), dtype=m.float64), np.zeros((3, 4))),
    ("trapz-dx-kw", lambda m: m.trapz(a(m), dx=0.5), np.trapezoid(A, dx=0.5, axis=-1)),
    ("trapz-x-tensor", lambda m: m.trapezoid(a(m), b(m)[0]), np.trapezoid(A, B[0], axis=-1)),
    ("flip-method-int", lambda m: a(m).flip(0), A[::-1]),
    ("flip-list", lambda m: m.flip(a(m), [0, 1]), A[::-1, ::-1]),
    ("tile-method-int", lambda m: a(m).tile(2), np.tile(A, 2)),
    ("reshape-method-int", lambda m: a(m).reshape(12), A.reshape(12)),
    ("reshape-tuple", lambda m: m.reshape(a(m), (4, 3)), A.reshape(4, 3)),
    ("permute-tuple", lambda m: m.permute(a(m), (1, 0)), A.T),
    ("broadcast_to-method-int", lambda m: a(m)[0].broadcast_to(4), A[0]),
    ("full-tuple", lambda m: m.full((2,), 1.5), [1.5, 1.5]),
    ("zeros-int-0d-tensor", lambda m: m.zeros(m.tensor(2), 2), np.zeros((2, 2))),
    ("eye-int-0d-tensor", lambda m: m.eye(m.tensor(2)), np.eye(2)),
    ("cat-list", lambda m: m.cat([a(m), b(m)]), np.concatenate([A, B])),
    ("stack-tuple", lambda m: m.stack((a(m), b(m)), 1), np.stack([A, B], 1)),
    ("softmax-dim", lambda m: m.softmax(a(m), 1), np.exp(A) / np.exp(A).sum(1, keepdims=True)),
    ("F.softmax-implicit-dim", lambda m: m.nn.functional.softmax(a(m)), np.exp(A) / np.exp(A).sum(1, keepdims=True)),
    ("F.softmax-stacklevel-positional", lambda m: m.nn.functional.softmax(a(m), 1, 3), np.exp(A) / np.exp(A).sum(1, keepdims=True)),
    ("softmax-method-dtype", lambda m: a(m).softmax(1, m.float64), np.exp(A) / np.exp(A).sum(1, keepdims=True)),
    ("new_zeros-empty-tuple", lambda m: a(m).new_zeros(()), 0.0),
    ("max-other", lambda m: m.max(a(m), b(m)), np.maximum(A, B)),
    ("max-dim-keepdim", lambda m: m.max(a(m), 1, True)[0], A.max(1, keepdims=True)),
    ("max-0d-int-other", lambda m: m.max(a(m), m.tensor(0)), np.maximum(A, 0)),  # two tensors: (input, other)
    ("max-0d-int-dim-keepdim", lambda m: m.max(a(m), m.tensor(0), True)[0], A.max(0, keepdims=True)),
    ("selu-float", lambda m: m.selu(a(m)), 1.0507009873554805 * np.where(A > 0, A, 1.6732632423543772 * np.expm1(A))),
    ("F.elu-float64", lambda m: m.nn.functional.elu(a(m).double()), np.where(A > 0, A, np.expm1(A))),
    ("abs-int64", lambda m: m.abs(-i64(m)), np.arange(12).reshape(3, 4) % 5),
    ("median-int64", lambda m: m.median(i64(m)), 1.0),  # the lower median of 0 0 0 1 1 1 2 2 3 3 4 4
    ("trace-int64", lambda m: m.trace(i64(m) + 1), 1 + 1 + 1),
    ("alpha_dropout-eval", lambda m: m.alpha_dropout(a(m), 0.5, False), A),
    ("copy_-bool-flag", lambda m: a(m).copy_(b(m), True), B),
    ("requires_grad_-bool", lambda m: a(m).requires_grad_(False), A),
    ("pdist-p1", lambda m: m.pdist(a(m), 1.0), [np.abs(A[i] - A[j]).sum() for i in range(3) for j in range(i + 1, 3)]),
    ("rrelu-eval", lambda m: m.nn.functional.rrelu(a(m), 0.1, 0.3), np.where(A >= 0, A, 0.2 * A)),
    ("gradient-int", lambda m: m.gradient(i64(m), dim=1)[0], np.gradient((np.arange(12).reshape(3, 4) % 5).astype(float), axis=1)),
    ("isin-float", lambda m: m.isin(a(m), b(m)), np.isin(A, B)),
    ("broadcast_shapes-tuples", lambda m: m.broadcast_shapes((2, 1), (3,)), [2, 3]),
    ("linalg.vecdot-float", lambda m: m.linalg.vecdot(a(m), b(m)), (A * B).sum(-1)),
    ("prelu-same-dtype", lambda m: m.nn.functional.prelu(a(m).double(), m.full((1,), 0.25, dtype=m.float64)), np.where(A > 0, A, 0.25 * A)),
]


@pytest.mark.parametrize("name,call,expected", ACCEPTED, ids=[r[0] for r in ACCEPTED])
def test_valid_neighbours_still_work(name, call, expected):
    np.testing.assert_allclose(_np(call(fastdl)), np.asarray(expected, np.float64), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,call,expected", ACCEPTED, ids=[r[0] for r in ACCEPTED])
def test_valid_neighbours_match_torch(name, call, expected):
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(_np(call(fastdl)), _np(call(torch)), rtol=1e-5, atol=1e-6)


# ---- torch's top-level (ATen) losses: reduction an int code, default none ----

S = np.array([1.0, -1.0, 1.0], np.float32)
LOSSES = [
    ("kl_div", lambda m, *r: m.kl_div(a(m), b(m).abs(), *r)),
    ("hinge_embedding_loss", lambda m, *r: m.hinge_embedding_loss(a(m), m.tensor(np.sign(B)), 1.0, *r)),
    ("margin_ranking_loss", lambda m, *r: m.margin_ranking_loss(a(m), b(m), m.tensor(np.sign(B)), 0.1, *r)),
    ("triplet_margin_loss", lambda m, *r: m.triplet_margin_loss(a(m), b(m), a(m) * 0.5, 1.0, 2.0, 1e-6, False, *r)),
    ("cosine_embedding_loss", lambda m, *r: m.cosine_embedding_loss(a(m), b(m), m.tensor(S), 0.2, *r)),
    ("binary_cross_entropy_with_logits",
     lambda m, *r: m.binary_cross_entropy_with_logits(a(m), m.tensor((B > 0).astype(np.float32)), None, None, *r)),
]


@pytest.mark.parametrize("name,call", LOSSES, ids=[r[0] for r in LOSSES])
def test_aten_loss_default_is_unreduced(name, call):
    out = call(fastdl)
    rows = name in ("triplet_margin_loss", "cosine_embedding_loss")
    assert tuple(out.shape) == ((3,) if rows else (3, 4))
    np.testing.assert_allclose(_np(call(fastdl, 1)), _np(out).mean(), rtol=1e-5)
    np.testing.assert_allclose(_np(call(fastdl, 2)), _np(out).sum(), rtol=1e-5)
    np.testing.assert_allclose(_np(call(fastdl, 0)), _np(out), rtol=1e-6)
    np.testing.assert_allclose(_np(call(fastdl, 7)), _np(out), rtol=1e-6)  # ATen: a code not 1 / 2 is none


@pytest.mark.parametrize("name,call", LOSSES, ids=[r[0] for r in LOSSES])
def test_aten_loss_matches_torch(name, call):
    torch = pytest.importorskip("torch")
    for r in ((), (0,), (1,), (2,)):
        np.testing.assert_allclose(_np(call(fastdl, *r)), _np(call(torch, *r)), rtol=1e-5, atol=1e-6)


def test_aten_loss_margin_accepts_a_0d_tensor():
    got = fastdl.hinge_embedding_loss(a(fastdl), b(fastdl), fastdl.tensor(0.5), 2)
    ref = fastdl.hinge_embedding_loss(a(fastdl), b(fastdl), 0.5, 2)
    assert got.item() == pytest.approx(ref.item())


def test_ctc_loss_default_is_unreduced():
    lp = fastdl.tensor(np.log(np.full((6, 2, 4), 0.25, np.float32)))
    tg = fastdl.tensor([[1, 2, 2], [3, 1, 0]])
    out = fastdl.ctc_loss(lp, tg, [6, 5], [3, 2])
    assert tuple(out.shape) == (2,)
    assert fastdl.ctc_loss(lp, tg, [6, 5], [3, 2], 0, 2).item() == pytest.approx(float(out.sum().item()), rel=1e-5)


def test_f_softmax_keeps_the_implicit_dim_with_torchs_warning():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = fastdl.nn.functional.softmax(a(fastdl))
    np.testing.assert_allclose(out.numpy(), np.exp(A) / np.exp(A).sum(1, keepdims=True), rtol=1e-6)
    with pytest.warns(UserWarning, match="log_softmax"):
        fastdl.nn.functional.log_softmax(a(fastdl))
