"""nn.MultiheadAttention with torch's constructor, parameter names, shapes and init
(in_proj_weight / in_proj_bias when kdim == vdim == embed_dim, else q_proj_weight /
k_proj_weight / v_proj_weight; out_proj a Linear; bias_k / bias_v), so torch's
state_dicts load unchanged, and torch's forward semantics: (L, N, E) inputs, or
(N, L, E) with batch_first, or unbatched (L, E); key_padding_mask (N, S) and attn_mask
(L, S) or (N*num_heads, L, S), bool (True = masked out) or float (added);
need_weights / average_attn_weights; is_causal (a hint that attn_mask is causal).

The math is torch's slow path (multi_head_attention_forward) composed from
differentiable ops: one in-projection GEMM for self-attention, the heads as a
(N, num_heads, L, head_dim) view, the masks merged into one additive bias,
nn.functional.scaled_dot_product_attention when the weights are not needed, and an
explicit softmax (fully masked rows NaN, as torch) when they are."""
import warnings

from ... import dtypes as _dt
from ...ops._util import desc
from ...ops.indexing import masked_fill
from ...ops.shape import cat
from ...tensor import Tensor, empty, zeros
from .. import functional as F
from .. import init
from ..functional.attention import attention_weights, scaled_dot_product_attention
from ..module import Module
from ..parameter import Parameter
from .linear import Linear

__all__ = ["MultiheadAttention"]

_NAME = "MultiheadAttention"


def canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True, owner=_NAME,
                   stacklevel=4):
    """torch's _canonical_mask: None stays None; a bool mask becomes a float one of
    target_type (-inf where True, 0 elsewhere); a float mask is taken as is (cast to
    target_type). Other dtypes are an error; a mask whose dtype differs from the other
    mask's warns (deprecated in torch)."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{owner}: {mask_name} must be a Tensor or None, got {type(mask).__name__}")
    is_float = mask.dtype.is_floating_point
    if mask.dtype is not _dt.bool_ and not is_float:
        raise AssertionError(f"{owner}: only bool and floating types of {mask_name} are supported, got "
                             f"{desc(mask)}")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=stacklevel)
    if not is_float:
        return masked_fill(zeros(tuple(mask.shape), dtype=target_type, device=mask.device), mask, float("-inf"))
    return mask if mask.dtype is target_type else mask.to(target_type)


def _none_or_dtype(t):
    return None if t is None else t.dtype


class MultiheadAttention(Module):
    """Multi-head attention (Attention Is All You Need), torch.nn.MultiheadAttention's
    API: forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False) -> (attn_output,
    attn_output_weights or None)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"{_NAME}: embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                             f"and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"{_NAME}: embed_dim must be divisible by num_heads, got embed_dim={embed_dim} and "
                                 f"num_heads={num_heads}")
        kw = {"device": device, "dtype": dtype}
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def extra_repr(self):
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.kdim != self.embed_dim or self.vdim != self.embed_dim:
            s += f", kdim={self.kdim}, vdim={self.vdim}"
        if self.batch_first:
            s += ", batch_first=True"
        return s

    # ---- checks ---------------------------------------------------------------------
    def _shape_check(self, query, key, value, key_padding_mask, attn_mask):
        """torch's _mha_shape_check: whether the input is batched; errors name the shapes."""
        for t, name in ((query, "query"), (key, "key"), (value, "value")):
            if not isinstance(t, Tensor):
                raise TypeError(f"{_NAME}: expected {name} to be a Tensor, got {type(t).__name__}")
        shapes = f"query {desc(query)}, key {desc(key)}, value {desc(value)}"
        if query.ndim == 3:
            if key.ndim != 3 or value.ndim != 3:
                raise AssertionError(f"{_NAME}: for batched (3-D) query, expected key and value to be 3-D, got "
                                     f"{shapes}")
            if key_padding_mask is not None and key_padding_mask.ndim != 2:
                raise AssertionError(f"{_NAME}: for batched (3-D) query, expected key_padding_mask to be None or "
                                     f"2-D (N, S), got {desc(key_padding_mask)}")
            if attn_mask is not None and attn_mask.ndim not in (2, 3):
                raise AssertionError(f"{_NAME}: for batched (3-D) query, expected attn_mask to be None, 2-D (L, S) "
                                     f"or 3-D (N*num_heads, L, S), got {desc(attn_mask)}")
            return True
        if query.ndim == 2:
            if key.ndim != 2 or value.ndim != 2:
                raise AssertionError(f"{_NAME}: for unbatched (2-D) query, expected key and value to be 2-D, got "
                                     f"{shapes}")
            if key_padding_mask is not None and key_padding_mask.ndim != 1:
                raise AssertionError(f"{_NAME}: for unbatched (2-D) query, expected key_padding_mask to be None or "
                                     f"1-D (S,), got {desc(key_padding_mask)}")
            if attn_mask is not None:
                if attn_mask.ndim not in (2, 3):
                    raise AssertionError(f"{_NAME}: for unbatched (2-D) query, expected attn_mask to be None, 2-D "
                                         f"or 3-D, got {desc(attn_mask)}")
                want = (self.num_heads, query.shape[0], key.shape[0])
                if attn_mask.ndim == 3 and tuple(attn_mask.shape) != want:
                    raise AssertionError(f"{_NAME}: expected a 3-D attn_mask of shape {list(want)} (num_heads, L, "
                                         f"S) for unbatched {shapes}, got {desc(attn_mask)}")
            return False
        raise AssertionError(f"{_NAME}: query should be unbatched 2-D (L, E) or batched 3-D tensor, got {shapes}")

    def _check_inputs(self, query, key, value, batched):
        E, bf = self.embed_dim, self.batch_first and batched
        shapes = f"query {desc(query)}, key {desc(key)}, value {desc(value)}"
        if query.shape[-1] != E:
            raise AssertionError(f"{_NAME}: was expecting embedding dimension of {E}, but got {shapes}")
        if key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise AssertionError(f"{_NAME}: expected key's last dim to be kdim={self.kdim} and value's to be "
                                 f"vdim={self.vdim}, got {shapes}")
        if key.shape[:-1] != value.shape[:-1]:
            raise AssertionError(f"{_NAME}: key's sequence and batch dims do not match value's: {shapes}")
        if batched and query.shape[0 if bf else 1] != key.shape[0 if bf else 1]:
            raise AssertionError(f"{_NAME}: query's batch size differs from key's ({'batch_first, ' if bf else ''}"
                                 f"{shapes})")
        dt = self.out_proj.weight.dtype
        for t in (query, key, value):
            if t.dtype is not dt:
                raise TypeError(f"{_NAME}: expected query, key and value of the parameters' dtype {dt.name}, got "
                                f"{shapes}")

    # ---- forward --------------------------------------------------------------------
    def _project(self, query, key, value):
        """The in-projections q, k, v, each in its input's layout."""
        E, b = self.embed_dim, self.in_proj_bias
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            if query is key and key is value:  # self-attention: one GEMM, then three views
                qkv = F.linear(query, w, b)
                return qkv.narrow(-1, 0, E), qkv.narrow(-1, E, E), qkv.narrow(-1, 2 * E, E)
            wq, wk, wv = w.narrow(0, 0, E), w.narrow(0, E, E), w.narrow(0, 2 * E, E)
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        bq, bk, bv = (None, None, None) if b is None else (b.narrow(0, 0, E), b.narrow(0, E, E), b.narrow(0, 2 * E, E))
        q = F.linear(query, wq, bq)
        if key is value and self._qkv_same_embed_dim:  # encoder-decoder attention: k and v in one GEMM
            kv = F.linear(key, w.narrow(0, E, 2 * E), None if b is None else b.narrow(0, E, 2 * E))
            return q, kv.narrow(-1, 0, E), kv.narrow(-1, E, E)
        return q, F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = self._shape_check(query, key, value, key_padding_mask, attn_mask)
        self._check_inputs(query, key, value, batched)
        key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
                                          query.dtype)
        if is_causal and attn_mask is None:
            raise RuntimeError(f"{_NAME}: need attn_mask if specifying the is_causal hint. You may use the "
                               "Transformer module method `generate_square_subsequent_mask` to create this mask.")
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, check_other=False)
        # is_causal with neither key_padding_mask nor weights wanted: SDPA's causal mask;
        # otherwise attn_mask is used (and the hint dropped once a padding mask joins it)
        use_causal = bool(is_causal) and key_padding_mask is None and not need_weights

        H, D, E = self.num_heads, self.head_dim, self.embed_dim
        bf = self.batch_first and batched
        q, k, v = self._project(query, key, value)
        if not batched:  # as a batch of one
            q, k, v = q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not bf:  # (L, N, E) -> (N, L, E) views
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        N, L, S = q.shape[0], q.shape[1], k.shape[1]

        # the masks as one additive bias broadcasting to (N, H, L, S')
        if attn_mask is not None:
            if attn_mask.ndim == 2:
                if tuple(attn_mask.shape) != (L, S):
                    raise RuntimeError(f"{_NAME}: the shape of the 2-D attn_mask is {list(attn_mask.shape)}, but "
                                       f"should be {[L, S]} (L, S) for query {desc(query)} and key {desc(key)}")
            else:
                if tuple(attn_mask.shape) != (N * H, L, S):
                    raise RuntimeError(f"{_NAME}: the shape of the 3-D attn_mask is {list(attn_mask.shape)}, but "
                                       f"should be {[N * H, L, S]} (N*num_heads, L, S) for query {desc(query)}, key "
                                       f"{desc(key)} and num_heads={H}")
                attn_mask = attn_mask.reshape(N, H, L, S)
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (N, S):
                raise AssertionError(f"{_NAME}: expected key_padding_mask of shape {[N, S] if batched else [S]}, got "
                                     f"{list(key_padding_mask.shape[int(not batched):])} for key {desc(key)}")
            key_padding_mask = key_padding_mask.reshape(N, 1, 1, S)
        if self.bias_k is not None and self.bias_v is not None:
            k = cat([k, self.bias_k.reshape(1, 1, E).expand(N, 1, E)], dim=1)
            v = cat([v, self.bias_v.reshape(1, 1, E).expand(N, 1, E)], dim=1)
            attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
            key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
        elif self.bias_k is not None or self.bias_v is not None:
            raise AssertionError(f"{_NAME}: bias_k and bias_v must be both set or both None")
        if self.add_zero_attn:
            k = cat([k, zeros((N, 1, E), dtype=k.dtype, device=k.device)], dim=1)
            v = cat([v, zeros((N, 1, E), dtype=v.dtype, device=v.device)], dim=1)
            attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
            key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
        S = k.shape[1]
        if use_causal:
            mask = None
        elif key_padding_mask is None:
            mask = attn_mask
        else:
            mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

        # heads: (N, L, E) -> (N, H, L, D) views
        q = q.reshape(N, L, H, D).transpose(1, 2)
        k = k.reshape(N, S, H, D).transpose(1, 2)
        v = v.reshape(N, S, H, D).transpose(1, 2)
        p = self.dropout if self.training else 0.0
        if need_weights:
            weights = attention_weights(q, k, mask, safe=False)
            if p > 0.0:
                weights = F.dropout(weights, p, training=True)
            out = weights.matmul(v)
        else:
            weights = None
            out = scaled_dot_product_attention(q, k, v, mask, p, use_causal)
        # (N, H, L, D) -> (L, N, E) or (N, L, E), then the out-projection
        out = out.permute(0, 2, 1, 3) if bf else out.permute(2, 0, 1, 3)
        out = F.linear(out.reshape(out.shape[0], out.shape[1], E), self.out_proj.weight, self.out_proj.bias)
        if not batched:
            out = out.squeeze(1)
        if weights is not None:
            if average_attn_weights:
                weights = weights.mean(dim=1)
            if not batched:
                weights = weights.squeeze(0)
        return out, weights
