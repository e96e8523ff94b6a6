"""fastdl.nn.functional: the functional forms of the layers (torch.nn.functional).
Each family lives in its own file; this package re-exports them."""
from .activation import (celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh, hardtanh_,  # noqa: F401
                         leaky_relu, log_softmax, logsigmoid, mish, prelu, relu, relu6, relu_, selu, sigmoid, silu,
                         softmax, softmin, softplus, softshrink, softsign, tanh, tanhshrink, threshold, threshold_)
from .linear import linear, linear_activation  # noqa: F401
from .dropout import dropout, dropout1d, dropout2d, dropout3d  # noqa: F401
from .normalization import batch_norm, group_norm, layer_norm  # noqa: F401
from .embedding import embedding  # noqa: F401
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss,  # noqa: F401
                   cross_entropy, gaussian_nll_loss, hinge_embedding_loss, huber_loss, kl_div, l1_loss,
                   margin_ranking_loss, mse_loss, multi_margin_loss, multilabel_soft_margin_loss, nll_loss,
                   poisson_nll_loss, smooth_l1_loss, soft_margin_loss, triplet_margin_loss)
from .distance import cosine_similarity, pairwise_distance  # noqa: F401
from .conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d  # noqa: F401
from .pooling import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d,  # noqa: F401
                      max_pool2d)
from .rnn import gru_cell, gru_layer, lstm_cell, lstm_layer, rnn_cell, rnn_layer  # noqa: F401
from .padding import pad  # noqa: F401
from .vector_norm import normalize, one_hot  # noqa: F401
from .interpolation import interpolate  # noqa: F401
from .attention import scaled_dot_product_attention  # noqa: F401
# nn functionals, part 1 (normalization / shuffle / activations / losses / embedding_bag)
from .normalization_more import instance_norm, local_response_norm, rms_norm  # noqa: F401
from .shuffle import channel_shuffle, native_channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: F401
from .activation_more import (alpha_dropout, celu_, elu_, feature_alpha_dropout, gumbel_softmax,  # noqa: F401
                              leaky_relu_, rrelu, rrelu_, selu_)
from .linear_more import bilinear  # noqa: F401
from .embedding_bag import embedding_bag  # noqa: F401
from .loss_more import ctc_loss, multilabel_margin_loss, triplet_margin_with_distance_loss  # noqa: F401
# nn spatial ops, part 2 (nn2): fold/unfold, more pooling, 3-D conv
from .fold import fold, unfold  # noqa: F401
from .pooling_more import (adaptive_avg_pool3d, adaptive_max_pool1d, adaptive_max_pool1d_with_indices,  # noqa: F401
                           adaptive_max_pool2d, adaptive_max_pool2d_with_indices, adaptive_max_pool3d,
                           adaptive_max_pool3d_with_indices, avg_pool3d, lp_pool1d, lp_pool2d, lp_pool3d,
                           max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d, max_pool3d_with_indices,
                           max_unpool1d, max_unpool2d, max_unpool3d, fractional_max_pool2d,
                           fractional_max_pool2d_with_indices)
from .conv3d import conv3d, conv_transpose3d  # noqa: F401
from .grid_sample import affine_grid, grid_sample  # noqa: F401
from .upsample import upsample, upsample_bilinear, upsample_nearest  # noqa: F401
from .mha_tail import multi_head_attention_forward  # noqa: F401,E402  (tail branch)
# fractional max pooling over N dims, pdist (linalg/optim branch)
from .pooling_fractional import fractional_max_pool3d, fractional_max_pool3d_with_indices  # noqa: F401,E402
from ...ops.stats_more import pdist  # noqa: F401,E402
from .linear_cross_entropy import linear_cross_entropy  # noqa: F401,E402  (misc branch)
# size_average= / reduce= on the functional losses (ex1 branch: loss_legacy.py)
from . import loss_legacy as _loss_legacy  # noqa: E402
_loss_legacy.install(globals())
