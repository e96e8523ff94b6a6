"""F.multi_head_attention_forward (torch's functional signature; tail branch): the
parameters are handed to nn.MultiheadAttention.forward through a stand-in object, so the
functional and the module share one implementation (checks, masks, heads, weights)."""
from types import SimpleNamespace


def _params(**kw):
    # imported here: nn.modules.attention imports nn.functional
    from ..modules.attention import MultiheadAttention as M
    cls = type("_Params", (SimpleNamespace,), {"_shape_check": M._shape_check, "_check_inputs": M._check_inputs,
                                                "_project": M._project, "forward": M.forward})
    return cls(**kw)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention on (L, N, E) / (L, E) inputs with explicit weights: returns
    (attn_output, attn_output_weights or None), as torch.nn.functional."""
    op = "multi_head_attention_forward"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{op}: static_k / static_v are not supported in fastdl")
    E = query.shape[-1]
    if E != embed_dim_to_check:
        raise AssertionError(f"{op}: was expecting embedding dimension of {embed_dim_to_check}, but got {E}")
    if num_heads <= 0 or E % num_heads:
        raise AssertionError(f"{op}: embed_dim {E} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError(f"{op}: use_separate_proj_weight is True but q_proj_weight, k_proj_weight or "
                                 f"v_proj_weight is None")
        kdim, vdim = k_proj_weight.shape[1], v_proj_weight.shape[1]
    else:
        if in_proj_weight is None:
            raise AssertionError(f"{op}: use_separate_proj_weight is False but in_proj_weight is None")
        kdim = vdim = E
    p = _params(embed_dim=E, kdim=kdim, vdim=vdim, num_heads=num_heads, head_dim=E // num_heads, batch_first=False,
                _qkv_same_embed_dim=not use_separate_proj_weight, in_proj_weight=in_proj_weight,
                in_proj_bias=in_proj_bias, q_proj_weight=q_proj_weight, k_proj_weight=k_proj_weight,
                v_proj_weight=v_proj_weight, bias_k=bias_k, bias_v=bias_v, add_zero_attn=add_zero_attn,
                dropout=dropout_p, training=training,
                out_proj=SimpleNamespace(weight=out_proj_weight, bias=out_proj_bias))
    return p.forward(query, key, value, key_padding_mask, need_weights, attn_mask,
                     average_attn_weights, is_causal)
