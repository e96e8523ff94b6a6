"""The names events get: torch's aten:: names where fastdl's op has one (most ops share
torch's name), fastdl's own name for the ops torch has no aten op of that name for."""

# the dunder operators torch dispatches to these ops
DUNDERS = {
    "__add__": "aten::add", "__radd__": "aten::add", "__iadd__": "aten::add_",
    "__sub__": "aten::sub", "__rsub__": "aten::rsub", "__isub__": "aten::sub_",
    "__mul__": "aten::mul", "__rmul__": "aten::mul", "__imul__": "aten::mul_",
    "__truediv__": "aten::div", "__rtruediv__": "aten::div", "__itruediv__": "aten::div_",
    "__floordiv__": "aten::floor_divide", "__rfloordiv__": "aten::floor_divide",
    "__mod__": "aten::remainder", "__rmod__": "aten::remainder",
    "__pow__": "aten::pow", "__rpow__": "aten::pow", "__ipow__": "aten::pow_",
    "__matmul__": "aten::matmul", "__rmatmul__": "aten::matmul",
    "__neg__": "aten::neg", "__abs__": "aten::abs", "__invert__": "aten::bitwise_not",
    "__and__": "aten::bitwise_and", "__or__": "aten::bitwise_or", "__xor__": "aten::bitwise_xor",
    "__eq__": "aten::eq", "__ne__": "aten::ne", "__lt__": "aten::lt", "__le__": "aten::le",
    "__gt__": "aten::gt", "__ge__": "aten::ge",
    "__getitem__": "aten::index", "__setitem__": "aten::index_put_",
}

# fastdl names whose torch counterpart runs under another aten name
OVERRIDES = {
    "cross_entropy": "aten::cross_entropy_loss", "float": "aten::to", "double": "aten::to", "half": "aten::to",
    "bfloat16": "aten::to", "long": "aten::to", "int": "aten::to", "bool": "aten::to", "type": "aten::to",
    "unique": "aten::_unique2", "maximum_": "aten::maximum", "minimum_": "aten::minimum",
    "getitem": "aten::index", "setitem": "aten::index_put_", "new_tensor": "aten::lift_fresh",
    "asarray": "aten::lift_fresh",
}

# names (Tensor methods, fastdl.X, nn.functional.X) with no aten op of that name in torch 2.x:
# recorded under fastdl's own name
NOT_ATEN = frozenset("""
apply_ map_ map2_ new lu frombuffer pca_lowrank svd_lowrank unravel_index xlog1py assign_
adaptive_max_pool1d_with_indices adaptive_max_pool2d_with_indices adaptive_max_pool3d_with_indices affine_grid
dropout1d dropout2d dropout3d fold fractional_max_pool2d_with_indices fractional_max_pool3d_with_indices
gaussian_nll_loss grid_sample gru_layer gumbel_softmax interpolate linear_activation linear_cross_entropy
local_response_norm logsigmoid lp_pool1d lp_pool2d lp_pool3d lstm_layer max_unpool1d multi_head_attention_forward
multilabel_soft_margin_loss normalize rnn_cell rnn_layer softmin softsign tanhshrink
triplet_margin_with_distance_loss upsample upsample_bilinear upsample_nearest
""".split())

# Tensor methods / fastdl functions that are queries or utilities, not ops: never wrapped
SKIP = frozenset("""
size dim stride numel nelement ndimension element_size storage_offset data_ptr dim_order numpy tolist
register_hook register_post_accumulate_grad_hook backward retain_grad requires_grad_ untyped_storage storage
get_device share_memory_ apply_ map_ map2_ compile vmap load save typename from_dlpack to_dlpack manual_seed seed
initial_seed from_numpy autocast
""".split())
_SKIP_PREFIXES = ("is_", "are_", "get_", "set_", "use_", "_")

# the namespaces (beside Tensor) whose ops are wrapped, with the prefix torch's aten names give theirs
NAMESPACES = {"fastdl": "", "fastdl.nn.functional": "", "fastdl.linalg": "linalg_", "fastdl.special": "special_",
              "fastdl.fft": "fft_"}

# modules whose references to nn.functional's ops are wrapped too (model code calls them directly)
MODULE_CODE = ("fastdl.nn.modules.", "fastdl.models.")


def skipped(name):
    return name in SKIP or name.startswith(_SKIP_PREFIXES)


def event_name(name, prefix=""):
    if name in DUNDERS:
        return DUNDERS[name]
    if not prefix:
        if name in OVERRIDES:
            return OVERRIDES[name]
        if name in NOT_ATEN:
            return name
    return "aten::" + prefix + name


def backward_name(fn_name):
    """A Function's node: torch's "<Op>Backward0" (fastdl's Function classes are named for their op)."""
    name = fn_name.lstrip("_")
    return name if name.endswith("Backward0") else name + "Backward0"
