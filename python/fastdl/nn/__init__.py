"""fastdl.nn: modules, layers, losses, initialisers (PyTorch's names and layouts)."""
from .parameter import Parameter
from .module import Module
from . import init
from . import functional
from . import attention  # noqa: F401  (torch.nn.attention: sdpa_kernel, SDPBackend)
from .modules import *  # noqa: F401,F403
from .modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d  # noqa: F401
from .modules.pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d,  # noqa: F401
                              MaxPool2d)
from .modules.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: F401
from .modules.attention import MultiheadAttention  # noqa: F401
from .modules.transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: F401
                                  TransformerEncoder, TransformerEncoderLayer)
from . import utils  # noqa: F401
from . import parameter as _parameter  # noqa: E402  torch.nn.parameter's lazy placeholders live there too
_parameter.UninitializedParameter, _parameter.UninitializedBuffer = UninitializedParameter, UninitializedBuffer  # noqa: F405
# nn spatial ops, part 2 (nn2)
from .modules.fold import Fold, Unfold  # noqa: F401,E402
from .modules.pooling_more import (AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d,  # noqa: F401,E402
                                   AdaptiveMaxPool3d, AvgPool3d, LPPool1d, LPPool2d, LPPool3d, MaxPool3d, MaxUnpool1d,
                                   MaxUnpool2d, MaxUnpool3d, FractionalMaxPool2d)
from .modules.conv3d import Conv3d, ConvTranspose3d  # noqa: F401,E402
# ---- long tail (tail branch) ----
from .modules.adaptive_softmax import AdaptiveLogSoftmaxWithLoss  # noqa: F401,E402
from .modules.lazy import LazyConv3d, LazyConvTranspose3d  # noqa: F401,E402
from .modules.loss_tail import NLLLoss2d  # noqa: F401,E402
from .modules.rnn import _RNNBase as RNNBase, _CellBase as RNNCellBase  # noqa: F401,E402
# fractional max pooling over N dims (linalg/optim branch)
from .modules.pooling_fractional import FractionalMaxPool3d  # noqa: F401,E402
# ---- misc branch: nn.Buffer, SyncBatchNorm, DataParallel, CrossMapLRN2d, LinearCrossEntropyLoss ----
from .buffer import Buffer  # noqa: F401,E402
from .modules.misc_tail import (CrossMapLRN2d, DataParallel, LinearCrossEntropyLoss,  # noqa: F401,E402
                                SyncBatchNorm)
_parameter.Buffer = Buffer
# ---- dist branch: torch.nn.parallel (DataParallel, data_parallel, DistributedDataParallel) ----
from . import parallel  # noqa: F401,E402
