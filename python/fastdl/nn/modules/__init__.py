"""The layer classes of fastdl.nn, one family per file (torch.nn's names)."""
from .linear import Identity, Linear  # noqa: F401
from .activation import (CELU, ELU, GELU, GLU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,  # noqa: F401
                         LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, SELU, Sigmoid, SiLU, Softmax, Softmin,
                         Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,  # noqa: F401
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss,
                   MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss,
                   TripletMarginLoss)
from .distance import CosineSimilarity, PairwiseDistance  # noqa: F401

__all__ = ["Identity", "Linear", "ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "SiLU", "Softmax",
           "Softplus", "Tanh", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Flatten", "Unflatten", "BatchNorm1d",
           "BatchNorm2d", "LayerNorm", "GroupNorm", "Embedding", "ModuleDict", "ModuleList", "Sequential", "BCELoss",
           "BCEWithLogitsLoss", "CrossEntropyLoss", "KLDivLoss", "L1Loss", "MSELoss", "NLLLoss", "SmoothL1Loss",
           "Threshold", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish", "Mish", "SELU", "CELU", "PReLU", "LogSigmoid",
           "Softsign", "Tanhshrink", "Softshrink", "Hardshrink", "GLU", "Softmin", "HuberLoss", "PoissonNLLLoss",
           "GaussianNLLLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss",
           "MultiLabelSoftMarginLoss", "TripletMarginLoss", "MultiMarginLoss", "PairwiseDistance", "CosineSimilarity"]
# nn modules, part 1 (normalization / padding / shuffle / containers / activations / lazy / losses)
from .normalization_more import (BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d,  # noqa: F401
                                 LocalResponseNorm, RMSNorm)
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d,  # noqa: F401
                      ConstantPad3d, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d,
                      ReplicationPad2d, ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .shuffle import ChannelShuffle, PixelShuffle, PixelUnshuffle  # noqa: F401
from .containers_more import ParameterDict, ParameterList  # noqa: F401
from . import normalization_more as _nm, padding as _pd, shuffle as _sh, containers_more as _cm  # noqa: E402
__all__ += _nm.__all__ + _pd.__all__ + _sh.__all__ + _cm.__all__
from .activation_more import AlphaDropout, Bilinear, FeatureAlphaDropout, RReLU, Softmax2d  # noqa: F401
from .lazy import (LazyLinear, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d,  # noqa: F401
                   LazyConvTranspose1d, LazyConvTranspose2d, LazyInstanceNorm1d, LazyInstanceNorm2d,
                   LazyInstanceNorm3d, LazyModuleMixin, UninitializedBuffer, UninitializedParameter)
from . import activation_more as _am, lazy as _lz  # noqa: E402
__all__ += _am.__all__ + _lz.__all__
from .embedding_bag import EmbeddingBag  # noqa: F401
from .loss_more import CTCLoss, MultiLabelMarginLoss, TripletMarginWithDistanceLoss  # noqa: F401
__all__ += ["EmbeddingBag", "CTCLoss", "MultiLabelMarginLoss", "TripletMarginWithDistanceLoss"]
