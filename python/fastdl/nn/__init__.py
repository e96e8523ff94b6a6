"""fastdl.nn: modules, layers, losses, initialisers (PyTorch's names and layouts)."""
from .parameter import Parameter
from .module import Module
from . import init
from . import functional
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
