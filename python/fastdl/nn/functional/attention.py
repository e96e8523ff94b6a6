"""scaled_dot_product_attention (torch.nn.functional's): softmax(q k^T * scale + bias) v,
composed from differentiable ops (matmul, masked_fill / add, softmax, dropout), so it
runs on every device and dtype the ops do, with autograd.

Masks follow torch: a bool attn_mask marks the positions that TAKE PART (True = attend),
a float one is added to the scores; either broadcasts to (..., L, S). is_causal keeps
position j <= i of an (L, S) score matrix (the top-left-aligned lower triangle). As
torch's math path, a row whose every score is masked (-inf) gives zeros, not NaN, and
no gradient (safe softmax). float16 / bfloat16 run the softmax in float32."""
import math
import numbers

from ... import dtypes as _dt
from ...ops._util import broadcast_shapes, check_tensor, desc, same_device
from ...ops.creation import to as _to
from ...ops.elementwise import logical_not
from ...ops.indexing import masked_fill
from ...ops.linalg import matmul
from ...ops.reduce import all as _all
from ...ops.reduce import any as _any
from ...ops.reduce import softmax
from ...tensor import Tensor, arange
from .dropout import dropout
from ...amp import autocast_mode as _amp

__all__ = ["scaled_dot_product_attention"]

_OP = "scaled_dot_product_attention"
_NEG_INF = float("-inf")


def _check(query, key, value, attn_mask, dropout_p, scale):
    for t, name in ((query, "query"), (key, "key"), (value, "value")):
        check_tensor(_OP, t, name)
    same_device(_OP, query, key, value, attn_mask)
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(f"{_OP}: expected query, key and value to be at least 2-D (..., L, E), got query "
                           f"{desc(query)}, key {desc(key)}, value {desc(value)}")
    if not (query.dtype is key.dtype is value.dtype):
        raise TypeError(f"{_OP}: expected query, key and value of one dtype, got query {desc(query)}, key "
                        f"{desc(key)}, value {desc(value)}")
    if not query.dtype.is_floating_point:
        raise TypeError(f"{_OP}: expected floating point query, key and value, got query {desc(query)}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{_OP}: query {desc(query)} and key {desc(key)} must have the same embedding size "
                           f"(last dim), got {query.shape[-1]} and {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{_OP}: key {desc(key)} and value {desc(value)} must have the same sequence length "
                           f"(dim -2), got {key.shape[-2]} and {value.shape[-2]}")
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, numbers.Real) or not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{_OP}: dropout_p must be a probability in [0, 1], got {dropout_p!r}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, numbers.Real)):
        raise TypeError(f"{_OP}: scale must be a float or None, got {scale!r}")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"{_OP}: attn_mask must be a Tensor or None, got {type(attn_mask).__name__}")
        if attn_mask.dtype is not _dt.bool_ and attn_mask.dtype is not query.dtype:
            raise TypeError(f"{_OP}: expected attn_mask of dtype bool or the query's dtype ({query.dtype.name}), "
                            f"got attn_mask {desc(attn_mask)} for query {desc(query)}")


def _repeat_heads(x, n_rep):
    """(..., Hk, S, E) -> (..., Hk * n_rep, S, E), each head repeated n_rep times in a row
    (torch's repeat_interleave on dim -3)."""
    s = tuple(x.shape)
    return x.unsqueeze(-3).expand(*s[:-2], n_rep, *s[-2:]).reshape(*s[:-3], s[-3] * n_rep, *s[-2:])


def causal_mask(L, S, device):
    """The (L, S) bool mask of is_causal: True where j <= i (torch's ones(L, S).tril())."""
    return arange(L, device=device).unsqueeze(1) >= arange(S, device=device).unsqueeze(0)


def attention_weights(query, key, attn_mask=None, is_causal=False, scale=None, safe=True):
    """softmax(query @ key^T * scale + mask) over the last dim, (..., L, S); the masks as
    scaled_dot_product_attention's (bool: True attends; float: added). safe=True gives
    fully masked rows zeros (torch's SDPA); safe=False leaves them NaN (plain softmax,
    as torch's MultiheadAttention with need_weights=True)."""
    L, S, E = query.shape[-2], key.shape[-2], query.shape[-1]
    scale = 1.0 / math.sqrt(E) if scale is None else float(scale)
    # the scale rides on the smaller operand: q (L x E) or the scores (L x S)
    if E <= S:
        scores = matmul(query * scale if scale != 1.0 else query, key.transpose(-2, -1))
    else:
        scores = matmul(query, key.transpose(-2, -1))
        if scale != 1.0:
            scores = scores * scale
    dead = None  # (..., L, 1) bool: rows with nothing to attend to
    if is_causal:
        attn_mask = causal_mask(L, S, query.device)
    if attn_mask is not None:
        try:
            shape = broadcast_shapes(_OP, tuple(attn_mask.shape), tuple(scores.shape))
        except (ValueError, RuntimeError):
            shape = None
        if shape != tuple(scores.shape):
            raise RuntimeError(f"{_OP}: attn_mask {desc(attn_mask)} does not broadcast to the attention scores' "
                               f"shape {list(scores.shape)} (query {desc(query)}, key {desc(key)})")
        if attn_mask.dtype is _dt.bool_:
            if safe and S > 0:
                d = logical_not(_any(attn_mask, dim=-1, keepdim=True))
                dead = d if bool(_any(d)) else None
            scores = masked_fill(scores, logical_not(attn_mask), _NEG_INF)
        else:
            if safe and S > 0:
                d = _all(attn_mask == _NEG_INF, dim=-1, keepdim=True)
                dead = d if bool(_any(d)) else None
            scores = scores + attn_mask
    if dead is not None:  # a row of zeros through the softmax, zeroed after: no NaN, no gradient
        scores = masked_fill(scores, dead, 0.0)
    if scores.dtype in _dt.HALF:
        attn = _to(softmax(scores, dim=-1, dtype=_dt.float32), scores.dtype)
    else:
        attn = softmax(scores, dim=-1)
    if dead is not None:
        attn = masked_fill(attn, dead, 0.0)
    return attn


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + bias, -1) @ value for query (..., L, E), key (..., S, E)
    and value (..., S, Ev) -> (..., L, Ev), the batch dims broadcast. scale (keyword-only,
    as torch's) defaults to 1/sqrt(E). attn_mask: bool (True = take part) or float
    (added), broadcastable to (..., L, S); is_causal: the lower-triangular mask (no
    attn_mask with it). dropout_p is always applied (pass 0.0 in evaluation, as with
    torch). enable_gqa: key and value may have fewer heads (dim -3) than query, each
    repeated to match."""
    if _amp.on and _amp.here(): return _amp.run("scaled_dot_product_attention", scaled_dot_product_attention, query, key, value, attn_mask, dropout_p, is_causal, scale=scale, enable_gqa=enable_gqa)  # autocast
    _check(query, key, value, attn_mask, dropout_p, scale)
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{_OP}: explicit attn_mask should not be set when is_causal=True "
                           f"(got attn_mask {desc(attn_mask)})")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk != hv or hq % hk:
            raise RuntimeError(f"{_OP}: with enable_gqa, the query's heads (dim -3) must be a multiple of the key's "
                               f"and value's, which must be equal; got query {desc(query)}, key {desc(key)}, "
                               f"value {desc(value)}")
        if hq != hk:
            key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)
    attn = attention_weights(query, key, attn_mask, bool(is_causal), scale, safe=True)
    if dropout_p > 0.0:
        attn = dropout(attn, float(dropout_p), training=True)
    return matmul(attn, value)
