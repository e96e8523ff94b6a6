"""fastdl.nn: modules, layers, losses, initialisers (PyTorch's names and layouts)."""
from .parameter import Parameter
from .module import Module
from . import init
from . import functional
from .modules import *  # noqa: F401,F403
from .modules.conv import Conv2d, ConvTranspose2d  # noqa: F401
from .modules.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d  # noqa: F401
from .modules.rnn import GRU, LSTM, GRUCell, LSTMCell  # noqa: F401
from . import utils  # noqa: F401
