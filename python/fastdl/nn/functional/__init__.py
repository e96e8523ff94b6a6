"""fastdl.nn.functional: the functional forms of the layers (torch.nn.functional).
Each family lives in its own file; this package re-exports them."""
from .activation import elu, gelu, leaky_relu, log_softmax, relu, relu_, sigmoid, silu, softmax, softplus, tanh  # noqa: F401
from .linear import linear, linear_activation  # noqa: F401
from .dropout import dropout, dropout1d, dropout2d, dropout3d  # noqa: F401
from .normalization import batch_norm, group_norm, layer_norm  # noqa: F401
from .embedding import embedding  # noqa: F401
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, kl_div, l1_loss,  # noqa: F401
                   mse_loss, nll_loss, smooth_l1_loss)
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d,  # noqa: F401
                      max_pool2d)
from .rnn import gru_cell, gru_layer, lstm_cell, lstm_layer, rnn_cell, rnn_layer  # noqa: F401
from .padding import pad  # noqa: F401
from .vector_norm import normalize, one_hot  # noqa: F401
from .interpolation import interpolate  # noqa: F401
