"""torch.nn.utils: gradient clipping (.clip_grad), parameters as one vector
(.convert_parameters), BatchNorm folding (.fusion), skip_init, weight / spectral norm
by hooks (.weight_norm, .spectral_norm) or by parametrization (.parametrize,
.parametrizations), and variable-length sequences (.rnn)."""
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights
from .init import skip_init
from .weight_norm import remove_weight_norm, weight_norm
from .spectral_norm import remove_spectral_norm, spectral_norm
from . import clip_grad, convert_parameters, fusion, parametrizations, parametrize, rnn  # noqa: F401

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm",
           "parameters_to_vector", "vector_to_parameters", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
           "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init", "weight_norm", "remove_weight_norm",
           "spectral_norm", "remove_spectral_norm", "parametrize", "parametrizations", "rnn"]

# training-utilities area: .stateless (functional_call) and .prune load on first use
from ..._lazy import lazy_submodules as _lazy_submodules  # noqa: E402

__getattr__, __dir__ = _lazy_submodules(__name__, ("stateless", "prune"), globals())
# misc branch: memory-format converters (no-ops: fastdl has one memory format)
from .memory_format import convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format  # noqa: E402,F401
