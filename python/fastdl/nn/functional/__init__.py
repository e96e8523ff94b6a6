"""fastdl.nn.functional: the functional forms of the layers (torch.nn.functional).
Each family lives in its own file; this package re-exports them."""
from ...ops import cross_entropy, log_softmax, mse_loss, relu, sigmoid, softmax, tanh  # noqa: F401
from .conv import conv2d, conv_transpose2d  # noqa: F401
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401
from .rnn import gru_cell, gru_layer, lstm_cell, lstm_layer  # noqa: F401
